"""Settings read from the environment, each with a documented default and a clear error when malformed."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.errors import ConfigError

REAL_API_URL = "https://api.discogs.com"
REAL_AUTHORIZE_URL = "https://www.discogs.com/oauth/authorize"
DEFAULT_RATE_LIMIT = "60/60"
PROJECT_URL = "https://github.com/discogs-site/discogs-site"


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


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def default_user_agent() -> str:
    return f"discogs-site/{__version__} +{PROJECT_URL}"


def api_url() -> str:
    """Base URL of the Discogs API (`DISCOGS_API_URL`); the fake server replaces it in tests."""
    return _env("DISCOGS_API_URL", REAL_API_URL).rstrip("/")


def authorize_url() -> str:
    """Where a person approves access (`DISCOGS_AUTHORIZE_URL`)."""
    explicit = os.environ.get("DISCOGS_AUTHORIZE_URL", "").strip()
    if explicit:
        return explicit
    if api_url() != REAL_API_URL:
        # The fake server serves its own approve page beside its API.
        return api_url() + "/oauth/authorize"
    return REAL_AUTHORIZE_URL


def rate_limit() -> RateLimit:
    return parse_rate_limit(_env("DISCOGS_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def state_dir() -> Path:
    """Where the pipeline keeps what it syncs (`DISCOGS_SITE_STATE`, default `./.state`)."""
    return Path(_env("DISCOGS_SITE_STATE", ".state"))


def cache_dir() -> Path:
    """Machine-wide cache (`DISCOGS_SITE_CACHE`, default `$XDG_CACHE_HOME/discogs-site`): downloads, budget."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "discogs-site"
    return Path(_env("DISCOGS_SITE_CACHE", str(default)))


def ratelimit_dir() -> Path:
    """Where the machine-wide request budget lives, shared by every process of this user account.

    Deliberately not under the project's state directory: two checkouts on one machine
    share one source IP and so one Discogs budget.
    """
    return Path(_env("DISCOGS_RATELIMIT_DIR", str(cache_dir())))


def npm_registry() -> str:
    """Where the site's third-party scripts come from (`DISCOGS_SITE_NPM_REGISTRY`, for a mirror)."""
    return _env("DISCOGS_SITE_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def vault_path() -> Path:
    return Path(_env("DISCOGS_SITE_VAULT", "vault.json"))


def users_path() -> Path:
    return Path(_env("DISCOGS_SITE_USERS", "users.yaml"))


def timeout_seconds() -> float:
    text = _env("DISCOGS_TIMEOUT", "30")
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise ConfigError(f"DISCOGS_TIMEOUT={text!r} is not a positive number of seconds")
    return value


def output_dir() -> Path:
    """Where the built site goes (`DISCOGS_SITE_OUTPUT`, default `./output`)."""
    return Path(_env("DISCOGS_SITE_OUTPUT", "output"))


def base_path() -> str:
    """The site's path on its host (`DISCOGS_SITE_BASE_PATH`, e.g. `/my-repo/` for a project page)."""
    value = _env("DISCOGS_SITE_BASE_PATH", "/")
    return "/" + value.strip("/") + "/" if value.strip("/") else "/"


def site_url() -> str:
    """The site's origin for the sitemap (`DISCOGS_SITE_URL`, e.g. `https://me.github.io`); optional."""
    return _env("DISCOGS_SITE_URL", "").rstrip("/")


def dagster_home(state: Path | None = None) -> Path:
    """DAGSTER_HOME, else `<state>/dagster` so runs and their history persist beside the state."""
    return Path(_env("DAGSTER_HOME", str((state or state_dir()) / "dagster")))
