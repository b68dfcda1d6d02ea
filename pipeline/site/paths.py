"""Where a user's pages live: `u/<name>/` when public, an unguessable `u/<name>-<suffix>/` when unlisted."""

from __future__ import annotations

import hashlib
import hmac

from pipeline import config
from pipeline.accounts.registry import User, Visibility
from pipeline.errors import ConfigError

SECRET_ENV = "DISCOGS_SITE_URL_SECRET"


def url_secret() -> bytes:
    """The HMAC secret behind unlisted paths: DISCOGS_SITE_URL_SECRET, else the vault key.

    Falling back to the vault key keeps a fresh set-up to one secret; set the dedicated variable
    before rotating the vault key, or unlisted links change with it.
    """
    env = config.environment()
    secret = env.url_secret or env.site_key.split(",")[0].strip()
    if not secret:
        raise ConfigError(f"{SECRET_ENV} (or DISCOGS_SITE_KEY) must be set to give unlisted users a private URL")
    return secret.encode()


def page_path(user: User) -> str:
    """The user's dashboard under the site's root, e.g. `u/vera/collection/`."""
    return f"u/{user_dir(user)}/collection/"


def user_dir(user: User) -> str:
    """The directory under `u/` for a published user; private users have none."""
    if user.visibility is Visibility.PRIVATE:
        raise ValueError(f"user {user.name!r} is private and has no pages")
    if user.visibility is Visibility.UNLISTED:
        suffix = hmac.new(url_secret(), f"unlisted:{user.name}".encode(), hashlib.sha256).hexdigest()[:20]
        return f"{user.name}-{suffix}"
    return user.name
