"""The fake Discogs API's data: users, their collection items, masters, and the credentials it accepts.

Everything is held in Discogs' own JSON shapes so the server can serve it as it is. The world is
mutable while the server runs (tests add, remove and re-rate items, revoke tokens) and every mutation
takes the world's lock, so the server's threads always see a consistent collection.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FAKE_CONSUMER_KEY = "fake-consumer-key"
FAKE_CONSUMER_SECRET = "fake-consumer-secret"
TOKEN_LIFETIME_SECONDS = 15 * 60  # request tokens and verifiers, as on Discogs


def personal_token_for(username: str) -> str:
    """The personal token a replayed or generated world accepts for `username`."""
    return f"fake-token-{username}"


def default_fields() -> list[dict[str, Any]]:
    """The custom fields every Discogs account starts with, in `/collection/fields`' shape."""
    grades = ["Mint (M)", "Near Mint (NM or M-)", "Very Good Plus (VG+)", "Very Good (VG)", "Good Plus (G+)",
              "Good (G)", "Fair (F)", "Poor (P)"]
    return [
        {"id": 1, "name": "Media Condition", "type": "dropdown", "options": grades, "public": True, "position": 1},
        {"id": 2, "name": "Sleeve Condition", "type": "dropdown",
         "options": [*grades, "Generic", "No Cover"], "public": True, "position": 2},
        {"id": 3, "name": "Notes", "type": "textarea", "lines": 3, "public": False, "position": 3},
    ]


@dataclass
class FakeUser:
    username: str
    id: int
    collection_public: bool = True
    items: list[dict[str, Any]] = field(default_factory=list)
    folder_names: dict[int, str] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    fields: list[dict[str, Any]] = field(default_factory=default_fields)  # `/collection/fields`, in order
    currency: str = "$"  # what `/collection/value` formats its figures in
    value: dict[str, str] | None = None  # a replayed `/collection/value`; else estimated from the items
    wants: list[dict[str, Any]] = field(default_factory=list)  # `/wants` entries, in the order Discogs sends
    wantlist_public: bool = True


@dataclass
class RequestToken:
    secret: str
    callback: str
    created: float
    username: str | None = None
    verifier: str | None = None


class World:
    """What the fake server knows. Usernames are matched case-insensitively, like Discogs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, FakeUser] = {}
        self.masters: dict[int, dict[str, Any]] = {}
        self.consumers: dict[str, str] = {FAKE_CONSUMER_KEY: FAKE_CONSUMER_SECRET}
        self.personal_tokens: dict[str, str] = {}
        self.access_tokens: dict[str, tuple[str, str]] = {}  # token -> (secret, username)
        self.request_tokens: dict[str, RequestToken] = {}
        self.nonces: set[tuple[str, str, str]] = set()
        # Set by the generator so tests can add more generated items later.
        self.catalog = None
        self.catalog_size: int | None = None
        self.version = 0  # bumped by every change to a collection, so cached sort orders expire

    # -- users and collections -------------------------------------------------------------------

    def add_user(self, username: str, *, collection_public: bool = True, personal_token: bool = True,
                 profile: dict[str, Any] | None = None) -> FakeUser:
        with self.lock:
            user = FakeUser(username, id=1000 + len(self.users), collection_public=collection_public,
                            profile=dict(profile or {}))
            self.users[username.lower()] = user
            if personal_token:
                self.personal_tokens[personal_token_for(username)] = username
            return user

    def user(self, username: str) -> FakeUser | None:
        return self.users.get(username.lower())

    def items(self, username: str) -> list[dict[str, Any]]:
        """A snapshot of the user's items, safe to read without the lock."""
        with self.lock:
            user = self.users[username.lower()]
            return list(user.items)

    def add_items(self, username: str, items: list[dict[str, Any]]) -> None:
        with self.lock:
            user = self.users[username.lower()]
            known = {item["instance_id"] for item in user.items}
            user.items.extend(item for item in items if item["instance_id"] not in known)
            self.version += 1

    def remove_items(self, username: str, instance_ids: set[int]) -> int:
        with self.lock:
            user = self.users[username.lower()]
            before = len(user.items)
            user.items = [item for item in user.items if item["instance_id"] not in instance_ids]
            self.version += 1
            return before - len(user.items)

    def add_wants(self, username: str, wants: list[dict[str, Any]]) -> None:
        with self.lock:
            user = self.users[username.lower()]
            known = {want["id"] for want in user.wants}
            user.wants.extend(want for want in wants if want["id"] not in known)

    def remove_wants(self, username: str, release_ids: set[int]) -> None:
        with self.lock:
            user = self.users[username.lower()]
            user.wants = [want for want in user.wants if want["id"] not in release_ids]

    def update_item(self, username: str, instance_id: int, **changes: Any) -> None:
        """Change `rating` or `folder_id` of one instance, as the owner would on the website."""
        with self.lock:
            user = self.users[username.lower()]
            for position, item in enumerate(user.items):
                if item["instance_id"] == instance_id:
                    changed = copy.deepcopy(item)
                    changed.update(changes)
                    user.items[position] = changed
                    self.version += 1
                    return
            raise KeyError(f"{username} has no instance {instance_id}")

    def release(self, release_id: int) -> dict[str, Any] | None:
        """A release's basic information as some collection holds it."""
        with self.lock:
            for user in self.users.values():
                for item in user.items:
                    if item["id"] == release_id:
                        return item["basic_information"]
        return None

    # -- credentials -----------------------------------------------------------------------------

    def store_request_token(self, token: str, secret: str, callback: str) -> None:
        with self.lock:
            self.request_tokens[token] = RequestToken(secret, callback, time.time())

    def live_request_token(self, token: str) -> RequestToken | None:
        with self.lock:
            found = self.request_tokens.get(token)
            if found and time.time() - found.created > TOKEN_LIFETIME_SECONDS:
                del self.request_tokens[token]
                return None
            return found

    def authorize(self, token: str, username: str) -> str:
        """The person signed in as `username` approved `token`; returns the verifier."""
        with self.lock:
            found = self.live_request_token(token)
            if found is None:
                raise KeyError("unknown or expired request token")
            if self.user(username) is None:
                raise LookupError(f"no Discogs user {username!r}")
            found.username = self.user(username).username
            found.verifier = secrets.token_hex(8)
            return found.verifier

    def revoke(self, username: str) -> int:
        """The person revoked this app (and their personal token): later requests get 401."""
        with self.lock:
            lowered = username.lower()
            doomed = [t for t, (_, owner) in self.access_tokens.items() if owner.lower() == lowered]
            for token in doomed:
                del self.access_tokens[token]
            personal = [t for t, owner in self.personal_tokens.items() if owner.lower() == lowered]
            for token in personal:
                del self.personal_tokens[token]
            return len(doomed) + len(personal)

    def remember_nonce(self, client_key: str, timestamp: str, nonce: str) -> bool:
        """False when this nonce was seen before (a replayed request)."""
        with self.lock:
            key = (client_key, timestamp, nonce)
            if key in self.nonces:
                return False
            self.nonces.add(key)
            return True
