"""The fake's Discogs endpoints as plain functions: (world, caller, request) -> status, JSON body, headers.

Shapes, sort keys, pagination links and error messages follow ../shared/discogs-api.md. Access rules
follow Discogs: the owner sees every folder with notes and images; anyone else sees only folder 0,
only of a public collection, without folder ids or image URLs and with only the public fields' notes.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pipeline.fakes.discogs.world import FakeUser, World

SORT_KEYS = ("label", "artist", "title", "catno", "format", "rating", "added", "year")
NOT_FOUND = "The requested resource was not found."
NO_PERMISSION = "You don't have permission to access this resource."
MUST_AUTHENTICATE = "You must authenticate to access this resource."


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, **headers: str) -> Answer:
    return Answer(status, {"message": message}, dict(headers))


def _sort_value(item: dict[str, Any], key: str) -> Any:
    info = item["basic_information"]
    labels, artists, formats = info.get("labels") or [{}], info.get("artists") or [{}], info.get("formats") or [{}]
    return {
        "label": lambda: (labels[0].get("name") or "").lower(),
        "artist": lambda: (artists[0].get("name") or "").lower(),
        "title": lambda: (info.get("title") or "").lower(),
        "catno": lambda: (labels[0].get("catno") or "").lower(),
        "format": lambda: (formats[0].get("name") or "").lower(),
        "rating": lambda: item.get("rating") or 0,
        "added": lambda: _utc(item.get("date_added") or ""),
        "year": lambda: info.get("year") or 0,
    }[key]()


def _utc(stamp: str) -> str:
    """date_added carries the owner's offset; order by the instant, not the text."""
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).isoformat()
    except ValueError:
        return stamp


class FakeApi:
    """Routes a request to the endpoint that serves it."""

    ROUTES = [
        (re.compile(r"/oauth/identity"), "identity"),
        (re.compile(r"/users/(?P<user>[^/]+)"), "profile"),
        (re.compile(r"/users/(?P<user>[^/]+)/collection/folders"), "folders"),
        (re.compile(r"/users/(?P<user>[^/]+)/collection/fields"), "fields"),
        (re.compile(r"/users/(?P<user>[^/]+)/collection/value"), "value"),
        (re.compile(r"/users/(?P<user>[^/]+)/wants"), "wants"),
        (re.compile(r"/users/(?P<user>[^/]+)/collection/folders/(?P<folder>-?\d+)"), "folder"),
        (re.compile(r"/users/(?P<user>[^/]+)/collection/folders/(?P<folder>-?\d+)/releases"), "releases"),
        (re.compile(r"/masters/(?P<id>\d+)"), "master"),
        (re.compile(r"/releases/(?P<id>\d+)"), "release"),
    ]

    def __init__(self, world: World) -> None:
        self.world = world
        self._orders: dict[tuple, tuple[int, list[dict[str, Any]]]] = {}
        self._orders_lock = threading.Lock()

    def handle(self, path: str, query: dict[str, str], caller: str | None, base_url: str) -> Answer:
        for pattern, name in self.ROUTES:
            match = pattern.fullmatch(path.rstrip("/") or "/")
            if match:
                return getattr(self, name)(caller=caller, query=query, base_url=base_url, **match.groupdict())
        return error(404, NOT_FOUND)

    # -- endpoints -------------------------------------------------------------------------------

    def identity(self, caller: str | None, base_url: str, **_: Any) -> Answer:
        if caller is None:
            return error(401, MUST_AUTHENTICATE, **{"WWW-Authenticate": 'OAuth realm="https://api.discogs.com"'})
        user = self.world.user(caller)
        return Answer(200, {"id": user.id, "username": user.username,
                            "resource_url": f"{base_url}/users/{user.username}", "consumer_name": "discogs-site"})

    def profile(self, user: str, base_url: str, **_: Any) -> Answer:
        found = self.world.user(user)
        if found is None:
            return error(404, "User does not exist or may have been deleted.")
        body = {"id": found.id, "username": found.username, "resource_url": f"{base_url}/users/{found.username}",
                "uri": f"https://www.discogs.com/user/{found.username}", "num_collection": len(found.items),
                "avatar_url": "", **found.profile}
        return Answer(200, body)

    def folders(self, user: str, caller: str | None, base_url: str, **_: Any) -> Answer:
        found, denied = self._collection_owner(user, caller, folder=0)
        if denied:
            return denied
        folders = self._folders(found, base_url)
        if not self._is_owner(found, caller):
            folders = folders[:1]
        return Answer(200, {"folders": folders})

    def fields(self, user: str, caller: str | None, **_: Any) -> Answer:
        """The owner's custom fields; anyone else sees the public ones of a public collection."""
        found, denied = self._collection_owner(user, caller, folder=0)
        if denied:
            return denied
        with self.world.lock:
            fields = copy.deepcopy(found.fields)
        if not self._is_owner(found, caller):
            fields = [f for f in fields if f.get("public")]
        return Answer(200, {"fields": fields})

    def value(self, user: str, caller: str | None, **_: Any) -> Answer:
        """The collection's estimated value, owner only, as strings in the owner's currency (as Discogs)."""
        found = self.world.user(user)
        if found is None:
            return error(404, "User does not exist or may have been deleted.")
        if not self._is_owner(found, caller):
            return error(403, NO_PERMISSION)
        with self.world.lock:
            if found.value is not None:
                return Answer(200, dict(found.value))
            items = len(found.items)
        return Answer(200, {name: f"{found.currency}{items * each:,.2f}"
                            for name, each in (("minimum", 2.1), ("median", 6.4), ("maximum", 19.8))})

    def wants(self, user: str, caller: str | None, query: dict[str, str], base_url: str, **_: Any) -> Answer:
        """The wantlist, paginated like a folder, in the order it is stored (Discogs documents no sort);
        a private one needs the owner's token, and only the owner sees notes."""
        found = self.world.user(user)
        if found is None:
            return error(404, "User does not exist or may have been deleted.")
        owner = self._is_owner(found, caller)
        if not owner and not found.wantlist_public:
            return error(403, NO_PERMISSION)
        try:
            per_page = min(100, max(1, int(query.get("per_page", 50))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            return error(400, "Invalid page or per_page.")
        with self.world.lock:
            wants = list(found.wants)
        pages = max(1, -(-len(wants) // per_page))
        chunk = [copy.deepcopy(w) for w in wants[(page - 1) * per_page: page * per_page]]
        if not owner:
            for want in chunk:
                want.pop("notes", None)
        path = f"{base_url}/users/{found.username}/wants"
        urls = {}
        if page > 1:
            urls.update(first=f"{path}?{urlencode({'page': 1, 'per_page': per_page})}",
                        prev=f"{path}?{urlencode({'page': min(page - 1, pages), 'per_page': per_page})}")
        if page < pages:
            urls.update(next=f"{path}?{urlencode({'page': page + 1, 'per_page': per_page})}",
                        last=f"{path}?{urlencode({'page': pages, 'per_page': per_page})}")
        return Answer(200, {"pagination": {"page": page, "pages": pages, "per_page": per_page, "items": len(wants),
                                           "urls": urls}, "wants": chunk})

    def folder(self, user: str, folder: str, caller: str | None, base_url: str, **_: Any) -> Answer:
        found, denied = self._collection_owner(user, caller, folder=int(folder))
        if denied:
            return denied
        for entry in self._folders(found, base_url):
            if entry["id"] == int(folder):
                return Answer(200, entry)
        return error(404, "Folder not found.")

    def releases(self, user: str, folder: str, caller: str | None, query: dict[str, str], base_url: str,
                 **_: Any) -> Answer:
        found, denied = self._collection_owner(user, caller, folder=int(folder))
        if denied:
            return denied
        sort = query.get("sort", "added")
        order = query.get("sort_order", "asc")
        if sort not in SORT_KEYS:
            sort = "added"
        if order not in ("asc", "desc"):
            order = "asc"
        try:
            per_page = min(100, max(1, int(query.get("per_page", 50))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            return error(400, "Invalid page or per_page.")
        items = self._ordered(found, int(folder), sort, order)
        total = len(items)
        pages = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        if not self._is_owner(found, caller):
            public = {f["id"] for f in found.fields if f.get("public")}
            chunk = [_as_seen_by_others(item, public) for item in chunk]
        path = f"{base_url}/users/{found.username}/collection/folders/{folder}/releases"

        def link(number: int) -> str:
            return f"{path}?{urlencode({'page': number, 'per_page': per_page, 'sort': sort, 'sort_order': order})}"

        urls = {}
        if page > 1:
            urls.update(first=link(1), prev=link(min(page - 1, pages)))
        if page < pages:
            urls.update(next=link(page + 1), last=link(pages))
        body = {"pagination": {"page": page, "pages": pages, "per_page": per_page, "items": total, "urls": urls},
                "releases": chunk}
        headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in urls.items())} if urls else {}
        return Answer(200, body, headers)

    def master(self, id: str, **_: Any) -> Answer:
        found = self.world.masters.get(int(id))
        return Answer(200, found) if found else error(404, "Master Release not found.")

    def release(self, id: str, **_: Any) -> Answer:
        info = self.world.release(int(id))
        if info is None:
            return error(404, "Release not found.")
        body = {key: value for key, value in info.items() if key not in ("thumb", "cover_image")}
        body.update(released=str(info.get("year") or ""), uri=f"https://www.discogs.com/release/{id}")
        return Answer(200, body)

    # -- helpers ---------------------------------------------------------------------------------

    def _collection_owner(self, user: str, caller: str | None, folder: int) -> tuple[FakeUser | None, Answer | None]:
        found = self.world.user(user)
        if found is None:
            return None, error(404, "User does not exist or may have been deleted.")
        if self._is_owner(found, caller):
            return found, None
        if folder != 0 or not found.collection_public:
            return None, error(403, NO_PERMISSION)
        return found, None

    @staticmethod
    def _is_owner(user: FakeUser, caller: str | None) -> bool:
        return caller is not None and caller.lower() == user.username.lower()

    def _folders(self, user: FakeUser, base_url: str) -> list[dict[str, Any]]:
        with self.world.lock:
            counts: dict[int, int] = {}
            for item in user.items:
                counts[item.get("folder_id", 1)] = counts.get(item.get("folder_id", 1), 0) + 1
            names = {0: "All", 1: "Uncategorized", **user.folder_names}
            ids = sorted(set(names) | set(counts))
            total = len(user.items)
        url = f"{base_url}/users/{user.username}/collection/folders"
        return [{"id": i, "name": names.get(i, f"Folder {i}"), "count": total if i == 0 else counts.get(i, 0),
                 "resource_url": f"{url}/{i}"} for i in ids]

    def _ordered(self, user: FakeUser, folder: int, sort: str, order: str) -> list[dict[str, Any]]:
        """The folder's items in the requested order, cached until the world changes."""
        key = (user.username.lower(), folder, sort, order)
        with self._orders_lock:
            cached = self._orders.get(key)
            if cached and cached[0] == self.world.version:
                return cached[1]
        with self.world.lock:
            version = self.world.version
            items = [i for i in user.items if folder == 0 or i.get("folder_id", 1) == folder]
        # Ties fall back to instance_id so pages never overlap or skip between calls.
        ordered = sorted(items, key=lambda i: (_sort_value(i, sort), i["instance_id"]), reverse=order == "desc")
        with self._orders_lock:
            self._orders[key] = (version, ordered)
        return ordered


def _as_seen_by_others(item: dict[str, Any], public_fields: set[int]) -> dict[str, Any]:
    """What a non-owner gets: no folder id, the public fields' notes only, no image URLs."""
    seen = {k: v for k, v in item.items() if k not in ("folder_id", "notes")}
    notes = [n for n in item.get("notes") or [] if n.get("field_id") in public_fields]
    if notes:
        seen["notes"] = notes
    info = copy.copy(item["basic_information"])
    info["thumb"], info["cover_image"] = "", ""
    seen["basic_information"] = info
    return seen
