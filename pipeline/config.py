"""The one place environment variables are read: each with its documented default and a clear error when malformed."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline import __version__
from pipeline.errors import ConfigError

REAL_API_URL = "https://api.discogs.com"
REAL_AUTHORIZE_URL = "https://www.discogs.com/oauth/authorize"
DEFAULT_RATE_LIMIT = "60/60"


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` calls in any moving window of `seconds`."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"

    @property
    def seconds_per_request(self) -> float:
        return self.seconds / self.requests


def parse_rate_limit(text: str, source: str = "DISCOGS_RATE_LIMIT") -> RateLimit:
    """Parse `N/S` (N requests per S seconds), e.g. `60/60` or `60/2`."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ConfigError(
            f"{source}={text!r} is not a rate limit: expected REQUESTS/SECONDS such as 60/60"
        )
    return RateLimit(int(match[1]), float(match[2]))


class Environment(BaseSettings):
    """Every environment variable the pipeline reads, with its default; README's settings table mirrors it.

    Read afresh by `environment()` so that a variable set by the demo or a test is seen by the next call.
    Empty values count as unset.
    """

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True, str_strip_whitespace=True,
                                      case_sensitive=True)

    api_url: str = Field(REAL_API_URL, validation_alias="DISCOGS_API_URL", description="API base")
    authorize_url: str = Field("", validation_alias="DISCOGS_AUTHORIZE_URL",
                               description="where people approve access (default: Discogs', or the fake's)")
    rate_limit: str = Field(DEFAULT_RATE_LIMIT, validation_alias="DISCOGS_RATE_LIMIT",
                            description="requests/seconds the client allows itself")
    timeout: str = Field("30", validation_alias="DISCOGS_TIMEOUT",
                         description="seconds one read of an answer may wait (the socket timeout)")
    request_deadline: str = Field("120", validation_alias="DISCOGS_REQUEST_DEADLINE",
                                  description="seconds one HTTP call may take in all, its body included")
    retry_budget: str = Field("600", validation_alias="DISCOGS_RETRY_BUDGET",
                              description="seconds one client may sleep before retries (Retry-After, backoff), "
                                          "summed over all its requests")
    build_jobs: str = Field("", validation_alias="DISCOGS_SITE_JOBS",
                            description="users `build` refreshes at once (default: the CPU count, at most 4)")
    consumer_key: str = Field("", validation_alias="DISCOGS_CONSUMER_KEY", repr=False)
    consumer_secret: str = Field("", validation_alias="DISCOGS_CONSUMER_SECRET", repr=False)
    dump_url: str = Field("", validation_alias="DISCOGS_DUMP_URL",
                          description="where monthly masters dumps are published ({year}, {date})")
    site_key: str = Field("", validation_alias="DISCOGS_SITE_KEY", repr=False,
                          description="vault key(s), comma-separated")
    site_new_key: str = Field("", validation_alias="DISCOGS_SITE_NEW_KEY", repr=False,
                              description="the key rotate-key moves to")
    url_secret: str = Field("", validation_alias="DISCOGS_SITE_URL_SECRET", repr=False,
                            description="HMAC secret behind unlisted paths (default: the vault key)")
    users: str = Field("users.yaml", validation_alias="DISCOGS_SITE_USERS")
    vault: str = Field("vault.json", validation_alias="DISCOGS_SITE_VAULT")
    state: str = Field(".state", validation_alias="DISCOGS_SITE_STATE")
    output: str = Field("output", validation_alias="DISCOGS_SITE_OUTPUT")
    base_path: str = Field("/", validation_alias="DISCOGS_SITE_BASE_PATH")
    site_url: str = Field("", validation_alias="DISCOGS_SITE_URL")
    contact: str = Field("", validation_alias="DISCOGS_SITE_CONTACT",
                         description="who runs this deployment, for the User-Agent (default: the site's URL)")
    cache: str = Field("", validation_alias="DISCOGS_SITE_CACHE",
                       description="machine-wide cache (default: $XDG_CACHE_HOME/discogs-site)")
    xdg_cache_home: str = Field("", validation_alias="XDG_CACHE_HOME")
    ratelimit_dir: str = Field("", validation_alias="DISCOGS_RATELIMIT_DIR",
                               description="where the request window lives (default: the cache)")
    ratelimit_postgres: str = Field("", validation_alias="DISCOGS_RATELIMIT_POSTGRES", repr=False,
                                    description="a PostgreSQL conninfo or URL: the request window lives there, "
                                                "shared by every host behind one egress IP")
    npm_registry: str = Field("https://registry.npmjs.org", validation_alias="DISCOGS_SITE_NPM_REGISTRY")
    dagster_home: str = Field("", validation_alias="DAGSTER_HOME",
                              description="Dagster's storage (default: <state>/dagster)")


def environment() -> Environment:
    """The settings as the environment holds them now (read again whenever a variable changes)."""
    return _environment(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_PREFIXES))))


_PREFIXES = ("DISCOGS_", "DAGSTER_", "XDG_")


@functools.lru_cache(maxsize=8)
def _environment(_variables: tuple[tuple[str, str], ...]) -> Environment:
    # Parsing costs milliseconds and every step asks many times: parse once per distinct environment.
    return Environment()


def export(name: str, value: str) -> None:
    """Set a variable for this process and the processes it starts (the demo's key, Dagster's home)."""
    os.environ[name] = value


def default_user_agent() -> str:
    """`discogs-site/<version> +<contact>`: Discogs asks every client to say what it is and who runs it.

    The contact is DISCOGS_SITE_CONTACT (a URL or e-mail address of whoever runs this deployment), else
    the site's URL (DISCOGS_SITE_URL); with neither, the name and version alone.
    """
    env = environment()
    contact = env.contact or env.site_url
    return f"discogs-site/{__version__}" + (f" +{contact}" if contact else "")


def api_url() -> str:
    """Base URL of the Discogs API (`DISCOGS_API_URL`); the fake server replaces it in tests."""
    return environment().api_url.rstrip("/")


def authorize_url() -> str:
    """Where a person approves access (`DISCOGS_AUTHORIZE_URL`)."""
    explicit = environment().authorize_url
    if explicit:
        return explicit
    if api_url() != REAL_API_URL:
        # The fake server serves its own approve page beside its API.
        return api_url() + "/oauth/authorize"
    return REAL_AUTHORIZE_URL


def rate_limit() -> RateLimit:
    return parse_rate_limit(environment().rate_limit)


def state_dir() -> Path:
    """Where the pipeline keeps what it syncs (`DISCOGS_SITE_STATE`, default `./.state`)."""
    return Path(environment().state)


def cache_dir() -> Path:
    """Machine-wide cache (`DISCOGS_SITE_CACHE`, default `$XDG_CACHE_HOME/discogs-site`): downloads, budget."""
    env = environment()
    return Path(env.cache or Path(env.xdg_cache_home or Path.home() / ".cache") / "discogs-site")


def ratelimit_dir() -> Path:
    """Where the machine-wide request budget lives, shared by every process of this user account.

    Deliberately not under the project's state directory: two checkouts on one machine
    share one source IP and so one Discogs budget.
    """
    return Path(environment().ratelimit_dir or cache_dir())


def npm_registry() -> str:
    """Where the site's third-party scripts come from (`DISCOGS_SITE_NPM_REGISTRY`, for a mirror)."""
    return environment().npm_registry.rstrip("/")


def vault_path() -> Path:
    return Path(environment().vault)


def users_path() -> Path:
    return Path(environment().users)


def build_jobs() -> int:
    """How many users `discogs-site build` keeps in flight: each a worker process, so at most one per CPU helps."""
    text = environment().build_jobs
    if not text:
        return max(1, min(4, os.cpu_count() or 1))
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"DISCOGS_SITE_JOBS={text!r} is not a whole number of at least 1")
    return int(text)


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}={text!r} is not a positive number of seconds")
    return value


def timeout_seconds() -> float:
    """How long one read of an answer may wait (`DISCOGS_TIMEOUT`): the socket's timeout."""
    return _seconds("DISCOGS_TIMEOUT", environment().timeout)


def request_deadline_seconds() -> float:
    """How long one HTTP call may take in all (`DISCOGS_REQUEST_DEADLINE`): a body trickled a byte at a time
    never lets a read time out."""
    return _seconds("DISCOGS_REQUEST_DEADLINE", environment().request_deadline)


def retry_budget_seconds() -> float:
    """How long one client may sleep before retrying, over all its requests (`DISCOGS_RETRY_BUDGET`)."""
    return _seconds("DISCOGS_RETRY_BUDGET", environment().retry_budget)


def output_dir() -> Path:
    """Where the built site goes (`DISCOGS_SITE_OUTPUT`, default `./output`)."""
    return Path(environment().output)


def base_path() -> str:
    """The site's path on its host (`DISCOGS_SITE_BASE_PATH`, e.g. `/my-repo/` for a project page)."""
    value = environment().base_path
    return "/" + value.strip("/") + "/" if value.strip("/") else "/"


def site_url() -> str:
    """The site's origin for the sitemap (`DISCOGS_SITE_URL`, e.g. `https://me.github.io`); optional."""
    return environment().site_url.rstrip("/")


def dagster_home(state: Path | None = None) -> Path:
    """DAGSTER_HOME, else `<state>/dagster` so runs and their history persist beside the state."""
    return Path(environment().dagster_home or (state or state_dir()) / "dagster")
