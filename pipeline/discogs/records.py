"""Typed records for what the client returns, parsed defensively from Discogs' JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.common.text import legal


class ShapeError(ValueError):
    """A response parsed as JSON but lacks what Discogs documents."""


@dataclass(frozen=True)
class Identity:
    id: int
    username: str
    resource_url: str = ""
    consumer_name: str = ""

    @classmethod
    def parse(cls, data: Any) -> Identity:
        if not isinstance(data, dict) or not isinstance(data.get("username"), str):
            raise ShapeError("identity response lacks 'username'")
        return cls(int(data.get("id") or 0), data["username"], str(data.get("resource_url") or ""),
                   str(data.get("consumer_name") or ""))


@dataclass(frozen=True)
class Folder:
    id: int
    name: str
    count: int

    @classmethod
    def parse(cls, data: Any) -> Folder:
        if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(
            data.get("count"), int
        ):
            raise ShapeError("folder lacks an integer 'id' or 'count'")
        return cls(data["id"], repaired(str(data.get("name", ""))), data["count"])


@dataclass(frozen=True)
class CollectionField:
    """One custom field of a collection (Media Condition, Notes, the owner's own); `options` for dropdowns."""

    id: int
    name: str
    type: str  # "dropdown" or "textarea"
    options: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> CollectionField:
        if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("name"), str):
            raise ShapeError("field lacks an integer 'id' or a 'name'")
        options = data.get("options") if isinstance(data.get("options"), list) else []
        # Options repaired like the items' values (rows.py), so the list's filter still finds them.
        return cls(data["id"], data["name"], str(data.get("type") or "textarea"),
                   tuple(repaired(o) for o in options if isinstance(o, str)))


@dataclass(frozen=True)
class CollectionValue:
    """Discogs' estimate of a collection's worth, as it formats it in the owner's currency ("$1,234.56")."""

    minimum: str
    median: str
    maximum: str

    @classmethod
    def parse(cls, data: Any) -> CollectionValue:
        figures = ("minimum", "median", "maximum")
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in figures):
            raise ShapeError("collection value lacks 'minimum', 'median' or 'maximum'")
        return cls(data["minimum"], data["median"], data["maximum"])


def _paginated(data: Any, key: str, what: str) -> tuple[list[int], list[dict[str, Any]]]:
    """(page, pages, per_page, items) and the `key` list of a paginated response, or a ShapeError."""
    if not isinstance(data, dict):
        raise ShapeError(f"{what} is not a JSON object")
    pagination, entries = data.get("pagination"), data.get(key)
    if not isinstance(pagination, dict) or not isinstance(entries, list):
        raise ShapeError(f"{what} lacks 'pagination' or '{key}'")
    try:
        numbers = [int(pagination[k]) for k in ("page", "pages", "per_page", "items")]
    except (KeyError, TypeError, ValueError):
        raise ShapeError(f"{what} has incomplete 'pagination'") from None
    return numbers, entries


@dataclass(frozen=True)
class CollectionPage:
    """One page of a folder's releases; `items` is the folder's total, as Discogs counts it."""

    page: int
    pages: int
    per_page: int
    items: int
    releases: list[dict[str, Any]] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> CollectionPage:
        numbers, releases = _paginated(data, "releases", "collection page")
        return cls(*numbers, releases=releases)


@dataclass(frozen=True)
class WantsPage:
    """One page of a wantlist; `items` is the wantlist's size, as Discogs counts it."""

    page: int
    pages: int
    per_page: int
    items: int
    wants: list[dict[str, Any]] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> WantsPage:
        numbers, wants = _paginated(data, "wants", "wantlist page")
        return cls(*numbers, wants=wants)


@dataclass(frozen=True)
class Master:
    """What enrichment keeps of a master release."""

    id: int
    title: str
    year: int
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    main_release: int | None = None

    @classmethod
    def parse(cls, data: Any) -> Master:
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise ShapeError("master lacks an integer 'id'")
        year = data.get("year")
        return cls(
            id=data["id"],
            title=repaired(str(data.get("title") or "")),
            year=year if isinstance(year, int) and year > 0 else 0,
            genres=_strings(data.get("genres")),
            styles=_strings(data.get("styles")),
            main_release=data.get("main_release") if isinstance(data.get("main_release"), int) else None,
        )


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(repaired(v) for v in value if isinstance(v, str) and v)


def repaired(text: str) -> str:
    """Text every published file can hold: a lone UTF-16 surrogate (JSON escapes allow one) or a character
    XML forbids (a control character in a title) becomes U+FFFD."""
    return legal(text)
