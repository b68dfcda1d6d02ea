"""Discogs credentials as typed values whose repr, str and pickles-for-logging never show the secret parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline import config
from pipeline.errors import ConfigError


@dataclass(frozen=True)
class PersonalToken:
    """A personal access token from the Discogs developer settings."""

    token: str = field(repr=False)

    def __repr__(self) -> str:
        return "PersonalToken(<redacted>)"

    __str__ = __repr__

    def to_dict(self) -> dict[str, str]:
        return {"kind": "personal", "token": self.token}


@dataclass(frozen=True)
class OAuthToken:
    """An OAuth 1.0a access token and secret granted by one Discogs account."""

    token: str = field(repr=False)
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "OAuthToken(<redacted>)"

    __str__ = __repr__

    def to_dict(self) -> dict[str, str]:
        return {"kind": "oauth", "token": self.token, "secret": self.secret}


Credentials = PersonalToken | OAuthToken


def credentials_from_dict(data: dict[str, Any]) -> Credentials:
    kind = data.get("kind")
    if kind == "personal" and isinstance(data.get("token"), str):
        return PersonalToken(data["token"])
    if kind == "oauth" and isinstance(data.get("token"), str) and isinstance(data.get("secret"), str):
        return OAuthToken(data["token"], data["secret"])
    raise ValueError(f"unknown credential kind {kind!r}")


@dataclass(frozen=True)
class Consumer:
    """The application's consumer key and secret, registered once on Discogs by the operator."""

    key: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Consumer(key={self.key!r}, secret=<redacted>)"

    __str__ = __repr__


def consumer_from_env(required: bool = True) -> Consumer | None:
    """The consumer from DISCOGS_CONSUMER_KEY / DISCOGS_CONSUMER_SECRET."""
    env = config.environment()
    key, secret = env.consumer_key, env.consumer_secret
    if key and secret:
        return Consumer(key, secret)
    if not required and not key and not secret:
        return None
    missing = " and ".join(n for n, v in (("DISCOGS_CONSUMER_KEY", key), ("DISCOGS_CONSUMER_SECRET", secret))
                           if not v)
    raise ConfigError(
        f"{missing} not set: register an application at https://www.discogs.com/settings/developers "
        "and export its consumer key and secret"
    )
