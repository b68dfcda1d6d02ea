"""The Discogs HTTP client: auth, the shared rate limit, retries with backoff, typed errors, call counters."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs

import requests
import tenacity
import urllib3
from requests_oauthlib import OAuth1

from pipeline import config
from pipeline.accounts.credentials import Consumer, Credentials, OAuthToken, PersonalToken
from pipeline.discogs.errors import (
    AuthError,
    DiscogsError,
    MalformedResponseError,
    NotFoundError,
    TransientError,
)
from pipeline.discogs.ratelimit import ServerBudget, SharedRateLimiter, shared_limiter
from pipeline.discogs.records import (
    CollectionField,
    CollectionPage,
    CollectionValue,
    Folder,
    Identity,
    Master,
    ShapeError,
    WantsPage,
)
from pipeline.errors import ConfigError

# Responses read moments ago outside a run (pipeline.runs.quick_refresh), for the run that follows in this process
# to use once instead of asking Discogs twice: (user, path, params) -> (when, body).
_HANDED: dict[tuple, tuple[float, Any]] = {}
HANDED_FOR_SECONDS = 60.0


def _key(user: str | None, path: str, params: dict[str, Any] | None) -> tuple:
    return user, path, tuple(sorted((params or {}).items()))


def hand_over(user: str | None, path: str, params: dict[str, Any] | None, body: Any) -> None:
    """Keep `body` (just read for `user`) for the next identical GET in this process, within a minute."""
    _HANDED[_key(user, path, params)] = (time.monotonic(), body)


def _take_handed(user: str | None, path: str, params: dict[str, Any] | None) -> Any:
    found = _HANDED.pop(_key(user, path, params), None)
    return found[1] if found and time.monotonic() - found[0] <= HANDED_FOR_SECONDS else None


T = TypeVar("T")


SORT_KEYS = ("label", "artist", "title", "catno", "format", "rating", "added", "year")
MAX_PER_PAGE = 100
ACCEPT = "application/vnd.discogs.v2.discogs+json"
MAX_RETRY_AFTER = 300.0  # seconds; Discogs' own window is 60 s
BODY_READ = 64 * 1024  # at most this much per read of a body; a read returns whatever has arrived


@dataclass
class CallStats:
    """What a client spent: callers diff two snapshots to report one step."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    limiter_wait_seconds: float = 0.0
    backoff_seconds: float = 0.0

    def snapshot(self) -> CallStats:
        return CallStats(**{f.name: getattr(self, f.name) for f in fields(self)})

    def since(self, earlier: CallStats) -> CallStats:
        return CallStats(**{f.name: getattr(self, f.name) - getattr(earlier, f.name) for f in fields(self)})


class _DiscogsTokenAuth(requests.auth.AuthBase):
    """`Authorization: Discogs token=…` for personal access tokens."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_DiscogsTokenAuth(<redacted>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Discogs token={self._token}"
        return request


class _Retryable(Exception):
    """One failed attempt worth repeating; never leaves this module."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None,
                 malformed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.malformed = malformed


def oauth1_auth(consumer: Consumer, token: str | None = None, secret: str | None = None,
                **extra: Any) -> OAuth1:
    """An HMAC-SHA1 OAuth 1.0a signer; HMAC keeps the secrets out of the Authorization header."""
    return OAuth1(consumer.key, consumer.secret, resource_owner_key=token, resource_owner_secret=secret,
                  signature_method="HMAC-SHA1", signature_type="AUTH_HEADER", **extra)


class DiscogsClient:
    """Calls Discogs on behalf of one registered user (or of the app alone, for the OAuth handshake)."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        user: str | None = None,
        consumer: Consumer | None = None,
        api_url: str | None = None,
        rate: config.RateLimit | None = None,
        limiter: SharedRateLimiter | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry_budget: float | None = None,
        max_attempts: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        user_agent: str | None = None,
    ) -> None:
        self.user = user
        self.api_url = (api_url or config.api_url()).rstrip("/")
        self.rate = rate or config.rate_limit()
        self.limiter = limiter or shared_limiter(self.rate, config.ratelimit_dir(), self.api_url,
                                                config.environment().ratelimit_postgres)
        self.timeout = timeout or config.timeout_seconds()
        self.deadline = deadline or config.request_deadline_seconds()
        # Shared by every request of this client: a server answering each one `Retry-After: 300` would
        # otherwise hold a single request for 25 minutes, and a step of many requests for hours.
        self.retry_budget = retry_budget or config.retry_budget_seconds()
        self.retry_waited = 0.0
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stats = CallStats()
        self.consumer = consumer
        self._auth = self._auth_for(credentials, consumer)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent or config.default_user_agent(), "Accept": ACCEPT})

    def __repr__(self) -> str:
        return f"DiscogsClient(user={self.user!r}, api_url={self.api_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> DiscogsClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- what the pipeline needs ------------------------------------------------------------------

    def identity(self) -> Identity:
        return self._parse(Identity.parse, self.get_json("/oauth/identity"), "/oauth/identity")

    def folders(self, username: str) -> list[Folder]:
        return self._listed(f"/users/{username}/collection/folders", "folders", Folder.parse)

    def collection_fields(self, username: str) -> list[CollectionField]:
        """The custom fields of the collection (all of them with the owner's token)."""
        return self._listed(f"/users/{username}/collection/fields", "fields", CollectionField.parse)

    def _listed(self, path: str, key: str, parse: Callable[[Any], T]) -> list[T]:
        """A response of the shape `{key: [entry, ...]}`, each entry parsed."""
        data = self.get_json(path)
        entries = data.get(key) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise MalformedResponseError(f"{self._who()}GET {path}: response lacks '{key}'", path=path,
                                         user=self.user)
        return [self._parse(parse, entry, path) for entry in entries]

    def collection_value(self, username: str) -> CollectionValue:
        """The collection's estimated value (owner only)."""
        path = f"/users/{username}/collection/value"
        return self._parse(CollectionValue.parse, self.get_json(path), path)

    def wants_page(self, username: str, page: int = 1, *, per_page: int = MAX_PER_PAGE) -> WantsPage:
        """One page of the wantlist (Discogs documents no sort order for it: none is asked)."""
        path = f"/users/{username}/wants"
        params = {"page": page, "per_page": min(per_page, MAX_PER_PAGE)}
        return self._parse(WantsPage.parse, self.get_json(path, params=params), path)

    def folder(self, username: str, folder_id: int = 0) -> Folder:
        path = f"/users/{username}/collection/folders/{folder_id}"
        return self._parse(Folder.parse, self.get_json(path), path)

    def collection_page(self, username: str, page: int = 1, *, per_page: int = MAX_PER_PAGE,
                        folder_id: int = 0, sort: str = "added", sort_order: str = "desc") -> CollectionPage:
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
        if sort_order not in ("asc", "desc"):
            raise ValueError(f"sort_order must be 'asc' or 'desc', not {sort_order!r}")
        path = f"/users/{username}/collection/folders/{folder_id}/releases"
        params = {"page": page, "per_page": min(per_page, MAX_PER_PAGE), "sort": sort, "sort_order": sort_order}
        return self._parse(CollectionPage.parse, self.get_json(path, params=params), path)

    def master(self, master_id: int) -> Master:
        path = f"/masters/{master_id}"
        return self._parse(Master.parse, self.get_json(path), path)

    def release(self, release_id: int) -> dict[str, Any]:
        path = f"/releases/{release_id}"
        data = self.get_json(path)
        if not isinstance(data, dict):
            raise MalformedResponseError(f"{self._who()}GET {path}: not a JSON object", path=path, user=self.user)
        return data

    # -- OAuth handshake (used by pipeline.discogs.oauth) -----------------------------------------

    def post_form(self, path: str, auth: OAuth1, method: str = "POST") -> dict[str, str]:
        """A form-encoded OAuth endpoint (request_token, access_token) answered by a form body."""
        # Discogs asks for the form Content-Type; on a bodiless GET oauthlib would refuse to sign with it.
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if method != "GET" else None
        response = self._call(method, path, auth=auth, headers=headers)
        fields_ = {k: v[0] for k, v in parse_qs(response.text, keep_blank_values=True).items()}
        if not fields_.get("oauth_token"):
            raise MalformedResponseError(f"{method} {path}: the answer holds no oauth_token", path=path)
        return fields_

    # -- the one place that talks HTTP ------------------------------------------------------------

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        handed = _take_handed(self.user, path, params)
        if handed is not None:
            return handed
        return self._call("GET", path, params=params, want_json=True)

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, auth: Any = None,
              headers: dict[str, str] | None = None, want_json: bool = False) -> Any:
        url = self.api_url + path
        use_auth = auth if auth is not None else self._auth
        where = f"{self._who()}{method} {path}"

        def attempt() -> Any:
            self.stats.limiter_wait_seconds += self.limiter.acquire()
            self.stats.requests += 1
            booked = time.monotonic()  # the server stamps the request somewhere between now and its answer
            try:
                # Streamed, so that the body is read here against the deadline (see _read_body).
                response = self.session.request(method, url, params=params, auth=use_auth, headers=headers,
                                                timeout=min(self.timeout, self.deadline), stream=True)
            except requests.Timeout:
                raise _Retryable(f"no answer within {min(self.timeout, self.deadline):g} s") from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise _Retryable(f"connection failed ({type(exc).__name__})") from None
            with response:
                self._read_body(response, booked + self.deadline, where, path)
            self.limiter.note_round_trip(time.monotonic() - booked)
            return self._check(method, path, response, want_json)

        def wait(state: tenacity.RetryCallState) -> float:
            sleep = self._wait(state)
            left = self.retry_budget - self.retry_waited
            error = state.outcome.exception() if state.outcome else None
            if left <= 0 or (getattr(error, "retry_after", None) or 0.0) > left:
                raise TransientError(f"{where}: gave up after {state.attempt_number} attempts; last: {error}; this "
                                     f"client has slept {self.retry_waited:.1f} s before retries, and "
                                     f"{self.retry_budget:g} s is all it may (DISCOGS_RETRY_BUDGET)",
                                     status=getattr(error, "status", None), path=path, user=self.user)
            return min(sleep, left)  # backoff may be cut short; a Retry-After never is (it is a floor)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            before_sleep=self._count_retry,
        )
        try:
            return retrying(attempt)
        except tenacity.RetryError as exc:
            last = exc.last_attempt.exception()
            kind = MalformedResponseError if getattr(last, "malformed", False) else TransientError
            raise kind(
                f"{self._who()}{method} {path}: gave up after {self.max_attempts} attempts; last: {last}",
                status=getattr(last, "status", None), path=path, user=self.user,
            ) from None

    def _read_body(self, response: requests.Response, deadline: float, where: str, path: str) -> None:
        """Read the whole body by the monotonic `deadline`, leaving it where `response.content` finds it.

        The timeout bounds each read of the socket, not the answer: a body trickled a byte at a time keeps
        every read short and the call going for ever. Each read returns what has arrived (read1), so the
        deadline is looked at as the bytes come, and it is passed by at most one read's timeout. Not retried:
        a server this slow would be as slow again, each attempt for the whole deadline; the next run tries.
        """
        chunks = []
        try:
            while chunk := response.raw.read1(BODY_READ, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TransientError(f"{where}: the answer took more than {self.deadline:g} s "
                                         f"(DISCOGS_REQUEST_DEADLINE), its body still arriving; try again later",
                                         status=response.status_code, path=path, user=self.user)
        except urllib3.exceptions.ReadTimeoutError:
            raise _Retryable(f"no answer within {min(self.timeout, self.deadline):g} s") from None
        except urllib3.exceptions.DecodeError:
            raise _Retryable("the body could not be decoded", malformed=True) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # cut short: IncompleteRead, reset, ...
            raise _Retryable(f"connection failed ({type(exc).__name__})") from None
        # What requests' own `content` does once it has read the body through.
        response._content = b"".join(chunks)
        response._content_consumed = True

    def _check(self, method: str, path: str, response: requests.Response, want_json: bool) -> Any:
        status = response.status_code
        budget = ServerBudget.from_headers(response.headers)
        self.limiter.observe(budget)
        where = f"{self._who()}{method} {path}"
        if status == 429 or status >= 500:
            retry_after = _retry_after(response)
            if status == 429:
                self.stats.rate_limited += 1
                if budget.remaining is None:
                    self.limiter.exhaust()
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                # A proxy's `Retry-After: 86400` must not hang a build for a day; the next run tries again.
                raise TransientError(f"{where}: HTTP {status} asking to wait {retry_after:.0f} s (Retry-After), "
                                     f"more than the {MAX_RETRY_AFTER:.0f} s this client waits; try again later",
                                     status=status, path=path, user=self.user)
            raise _Retryable("HTTP 429 (rate limited)" if status == 429 else f"HTTP {status}", status=status,
                             retry_after=retry_after)
        if status in (401, 403):
            hint = (f"; run `discogs-site connect {self.user}` again" if self.user and status == 401 else "")
            raise AuthError(f"{where}: HTTP {status}: {_message(response)}{hint}", status=status, path=path,
                            user=self.user)
        if status == 404:
            raise NotFoundError(f"{where}: HTTP 404: {_message(response)}", status=404, path=path, user=self.user)
        if status >= 400:
            raise DiscogsError(f"{where}: HTTP {status}: {_message(response)}", status=status, path=path,
                               user=self.user)
        if not want_json:
            return response
        try:
            return response.json()
        except ValueError:
            raise _Retryable("the body is not valid JSON", status=status, malformed=True) from None

    def _parse(self, parser, data: Any, path: str):
        try:
            return parser(data)
        except ShapeError as exc:
            raise MalformedResponseError(f"{self._who()}GET {path}: {exc}", path=path, user=self.user) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        # Full jitter keeps many retrying clients from synchronising; Retry-After is a floor.
        backoff = tenacity.wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        return max(backoff, retry_after) if retry_after else backoff

    def _count_retry(self, state: tenacity.RetryCallState) -> None:
        slept = state.next_action.sleep if state.next_action else 0.0
        self.stats.retries += 1
        self.stats.backoff_seconds += slept
        self.retry_waited += slept

    def _who(self) -> str:
        return f"user {self.user!r}: " if self.user else ""

    @staticmethod
    def _auth_for(credentials: Credentials | None, consumer: Consumer | None) -> Any:
        if credentials is None:
            return None
        if isinstance(credentials, PersonalToken):
            return _DiscogsTokenAuth(credentials.token)
        if isinstance(credentials, OAuthToken):
            if consumer is None:
                raise ConfigError("OAuth tokens need the application's DISCOGS_CONSUMER_KEY and "
                                  "DISCOGS_CONSUMER_SECRET to sign requests")
            return oauth1_auth(consumer, credentials.token, credentials.secret)
        raise TypeError(f"unsupported credentials {type(credentials).__name__}")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _message(response: requests.Response) -> str:
    """Discogs' own `{"message": …}`, cut short; never echoes request headers."""
    try:
        data = response.json()
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return data["message"][:200]
    except ValueError:
        pass
    return (response.reason or "error")[:200]
