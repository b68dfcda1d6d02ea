"""Typed Discogs errors: each names the user and the call, none carries a token or secret."""

from __future__ import annotations

from pipeline.errors import SiteError


class DiscogsError(SiteError):
    """A Discogs call failed. `status` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, status: int | None = None, path: str = "", user: str | None = None):
        super().__init__(message)
        self.status = status
        self.path = path
        self.user = user


class AuthError(DiscogsError):
    """401/403: the token is bad or revoked, or the account may not read this resource."""


class NotFoundError(DiscogsError):
    """404: the resource does not exist (a deleted or merged master, an unknown user)."""


class TransientError(DiscogsError):
    """Retries ran out on 429s, 5xx, timeouts or dropped connections; trying later may work."""


class MalformedResponseError(TransientError):
    """The body was not the JSON Discogs documents, even after retrying."""
