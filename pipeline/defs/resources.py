"""The pipeline's settings as Dagster resources, one per responsibility: the stores, Discogs access, the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipeline import config
from pipeline.accounts.credentials import consumer_from_env
from pipeline.accounts.registry import User, find_user, load_users
from pipeline.accounts.vault import Vault
from pipeline.collection.store import CollectionStore
from pipeline.discogs.client import DiscogsClient
from pipeline.errors import SiteError
from pipeline.masters.cache import MasterCache, cache_path


class StateStores(dg.ConfigurableResource):
    """Where the registry, the vault and the pipeline's state live, and the stores inside the state."""

    users_file: str = "users.yaml"
    vault_file: str = "vault.json"
    state_dir: str = ".state"
    master_ttl_days: float = 30.0

    @property
    def state(self) -> Path:
        return Path(self.state_dir)

    def users(self) -> list[User]:
        return load_users(self.users_file)

    def user(self, name: str) -> User:
        return find_user(self.users(), name, self.users_file)

    def collections(self) -> CollectionStore:
        return CollectionStore(self.state)

    @property
    def master_cache_path(self) -> Path:
        """The master cache every user shares (one SQLite file)."""
        return cache_path(self.state)

    def master_cache(self) -> MasterCache:
        return MasterCache(self.master_cache_path, ttl_days=self.master_ttl_days)

    @property
    def pages_staging(self) -> Path:
        return self.state / "pages"

    @property
    def stats_dir(self) -> Path:
        return self.state / "stats"

    def stats_json(self, name: str) -> Path:
        """The user's statistics (the `collection_stats` asset) as JSON."""
        return self.stats_dir / f"{name}.json"

    def stats_fingerprint(self, name: str) -> Path:
        """The fingerprint of the data the user's statistics were computed from (`pipeline.common.fingerprint`)."""
        return self.stats_dir / f"{name}.fingerprint"

    def stats_choices(self, name: str) -> Path:
        """The `publish:` choices (Publishing.key) the user's statistics were filtered under."""
        return self.stats_dir / f"{name}.choices"

    def stats_parquet(self, name: str) -> Path:
        """The user's collection joined with its masters, as the stats saw it."""
        return self.stats_dir / f"{name}.parquet"

    @property
    def dagster_home(self) -> Path:
        """DAGSTER_HOME when set, else `<state>/dagster`: `--state DIR` moves Dagster's storage too."""
        return config.dagster_home(self.state)

    def protected_paths(self) -> list[Path]:
        """What a publish must never hold: the state, Dagster's home, the registry and the vault."""
        return [self.state, self.dagster_home, Path(self.users_file), Path(self.vault_file)]


class DiscogsAccess(dg.ConfigurableResource):
    """How the pipeline reaches Discogs: the API's address, the request budget, how often to reconcile."""

    api_url: str = ""
    rate_limit: str = ""
    reconcile_hours: float = 24.0

    @property
    def reconcile_after(self) -> timedelta:
        return timedelta(hours=self.reconcile_hours)

    def client(self, user: User, stores: StateStores) -> DiscogsClient:
        """A client with the user's own tokens, refused when they belong to another account than users.yaml names.

        Entries sealed before the account was recorded are checked with one `/oauth/identity` call.
        """
        vault = Vault.open(stores.vault_file)
        credentials = vault.get(user.name)
        if credentials is None:
            raise SiteError(f"user {user.name!r} has no tokens in {stores.vault_file}; "
                            f"run `discogs-site connect {user.name}`")
        rate = config.parse_rate_limit(self.rate_limit) if self.rate_limit else None
        client = DiscogsClient(credentials, user=user.name, consumer=consumer_from_env(required=False),
                               api_url=self.api_url or None, rate=rate)
        account = vault.account(user.name)
        if account is None:
            try:
                account = client.identity().username
            except BaseException:
                client.close()
                raise
        if account.lower() != user.discogs_username.lower():
            client.close()
            raise SiteError(f"user {user.name!r}: the stored tokens belong to Discogs account {account!r}, but "
                            f"{stores.users_file} now names {user.discogs_username!r}; nothing is fetched or "
                            f"published for them until `discogs-site connect {user.name}` is run again")
        return client


class SiteOptions(dg.ConfigurableResource):
    """Where the site is published and under which address."""

    output_dir: str = "output"
    base_path: str = "/"
    site_url: str = ""


@dataclass(frozen=True)
class PipelineSettings:
    """The three resources together, as `build`, the CLI and the tests hand them around."""

    stores: StateStores
    discogs: DiscogsAccess
    site: SiteOptions

    @classmethod
    def create(cls, **fields: object) -> PipelineSettings:
        """Settings from field values, each given to the resource that owns it (unknown names are refused)."""
        parts = {"stores": StateStores, "discogs": DiscogsAccess, "site": SiteOptions}
        unknown = set(fields) - {name for part in parts.values() for name in part.model_fields}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**{key: part(**{k: v for k, v in fields.items() if k in part.model_fields})
                      for key, part in parts.items()})

    @classmethod
    def from_env(cls, **overrides: object) -> PipelineSettings:
        """The environment's settings (see `config.Environment`), with `overrides` winning."""
        values = {"users_file": str(config.users_path()), "vault_file": str(config.vault_path()),
                  "state_dir": str(config.state_dir()), "output_dir": str(config.output_dir()),
                  "base_path": config.base_path(), "site_url": config.site_url()}
        return cls.create(**{**values, **overrides})

    def fields(self) -> dict[str, object]:
        """Every field's value: plain data that `create` turns back into these settings (in another process too)."""
        return {name: getattr(part, name) for part in (self.stores, self.discogs, self.site)
                for name in type(part).model_fields}

    def with_changes(self, **changes: object) -> PipelineSettings:
        """A copy with some fields changed (Dagster rebuilds resources from their fields, so no model_copy)."""
        return type(self).create(**{**self.fields(), **changes})

    def resources(self) -> dict[str, dg.ConfigurableResource]:
        return {"stores": self.stores, "discogs": self.discogs, "site": self.site}
