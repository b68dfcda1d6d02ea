"""Deterministic, realistic generated worlds for the fake Discogs API (`--generate alice:1500,bob:300:private`).

A release and a master are pure functions of (seed, id), so two users who own the same release see
the same data, and a master is the same whichever collection led to it (the masters dump generator
relies on that too). Distributions follow real collections: a few artists and labels own much of a
shelf, vinyl dominates, masters are usually older than the pressing a collector owns, and the quirks
of real data (master_id 0, year 0, absent genre keys, `(2)` suffixes, `Various`, duplicate copies,
markup and any Unicode in titles) all occur.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from pipeline.fakes.discogs import vocabulary as vocab
from pipeline.fakes.discogs.world import World, default_fields

API = "https://api.discogs.com"
IMAGES = "https://i.discogs.com"
MASTER_BASE = 1_000_000
VARIOUS = {"name": "Various", "anv": "", "join": "", "role": "", "tracks": "", "id": 194, "resource_url": ""}
_FIRST_ADDED = datetime(2012, 3, 1, 12, 0, tzinfo=UTC)
_OFFSETS = (timezone(timedelta(hours=-7)), timezone(timedelta(hours=-8)), UTC,
            timezone(timedelta(hours=1)), timezone(timedelta(hours=9)))
SPEC_PATTERN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*):(\d+)(?::(public|private))?")


class SpecError(ValueError):
    """A --generate spec that cannot be read."""


@dataclass(frozen=True)
class UserSpec:
    username: str
    items: int
    public: bool = True


def parse_spec(spec: str) -> list[UserSpec]:
    """`alice:1500,bob:300:private` -> one UserSpec per user (collections are public by default)."""
    users = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        match = SPEC_PATTERN.fullmatch(part)
        if not match:
            raise SpecError(f"--generate: {part!r} is not USERNAME:ITEMS[:public|private]")
        count = int(match[2])
        if not 1 <= count <= 100_000:
            raise SpecError(f"--generate: {part!r}: a collection holds 1 to 100000 items")
        users.append(UserSpec(match[1], count, match[3] != "private"))
    if not users:
        raise SpecError("--generate: no users given")
    if len({u.username.lower() for u in users}) != len(users):
        raise SpecError(f"--generate: a username appears twice in {spec!r}")
    return users


def _weighted(rng: random.Random, table: dict[str, tuple[int, Any]]) -> str:
    names = list(table)
    return rng.choices(names, weights=[table[n][0] for n in names])[0]


@lru_cache(maxsize=8)
def _artist_pool(seed: int) -> tuple[tuple[str, int], ...]:
    """About 2,000 (name, id) artists, including namesakes told apart by Discogs' ` (2)` suffix."""
    rng = random.Random(f"{seed}:artists")
    names: list[str] = list(vocab.UNUSUAL_ARTISTS)
    for first in vocab.ARTIST_FIRST:
        names += [f"{first} {second}" for second in vocab.ARTIST_SECOND]
    names += [f"{first} {last}" for first in vocab.PERSON_FIRST for last in vocab.PERSON_LAST]
    rng.shuffle(names)
    pool = []
    for position, name in enumerate(names[:2000]):
        pool.append((name, 10_000 + position))
        if rng.random() < 0.04:  # a namesake: same name, different artist
            pool.append((f"{name} (2)", 900_000 + position))
    return tuple(pool)


class Catalog:
    """Every release and master the generated world can contain."""

    def __init__(self, seed: int = 42, *, images: bool = True) -> None:
        self.seed = seed
        self.images = images  # False: no release has an image, as for releases nobody has photographed yet
        self._artists = _artist_pool(seed)
        # Zipf-like: the first artists in the pool turn up on many records.
        self._artist_cumulative = list(itertools.accumulate(1 / (rank + 8) for rank in range(len(self._artists))))
        labels = list(vocab.LABEL_STEMS)
        self._labels = labels + [f"{name} (2)" for name in labels[:6]]
        self._label_cumulative = list(itertools.accumulate(1 / (rank + 3) for rank in range(len(self._labels))))
        self._masters: dict[int, dict[str, Any]] = {}

    def master_id_of(self, release_id: int) -> int:
        """About one release in seven has no master; otherwise about three pressings share one."""
        if release_id % 7 == 0:
            return 0
        return MASTER_BASE + release_id // 3

    def master_exists(self, master_id: int) -> bool:
        """About one master in fifty was deleted or merged and answers 404."""
        return master_id % 50 != 17

    def master(self, master_id: int) -> dict[str, Any] | None:
        """The `/masters/{id}` body (shared: treat it as read-only), or None for a deleted master."""
        if not self.master_exists(master_id):
            return None
        return self._master(master_id)

    def _master(self, master_id: int) -> dict[str, Any]:
        """The master, shared: callers copy what they hand out."""
        cached = self._masters.get(master_id)
        if cached is None:
            cached = self._masters[master_id] = self.make_master(master_id)
        return cached

    def make_master(self, master_id: int) -> dict[str, Any]:
        """A fresh copy of the master (existing or not), kept nowhere: dumps of millions stream through it."""
        rng = random.Random(f"{self.seed}:master:{master_id}")
        genre = _weighted(rng, vocab.GENRES)
        genres = [genre] + ([_weighted(rng, vocab.GENRES)] if rng.random() < 0.2 else [])
        genres = list(dict.fromkeys(genres))
        styles = rng.sample(vocab.GENRES[genre][1], k=rng.choice((1, 1, 2, 2, 3)))
        year = 0 if rng.random() < 0.02 else int(min(2025, max(1940, rng.gauss(1982, 16))))
        compilation = rng.random() < 0.05
        artists = [dict(VARIOUS)] if compilation else self._artists_for(rng)
        title = self._title(rng)
        main_release = max(1, (master_id - MASTER_BASE) * 3 + 1)
        return {
            "id": master_id, "title": title, "year": year, "genres": genres, "styles": styles,
            "artists": artists, "main_release": main_release,
            "main_release_url": f"{API}/releases/{main_release}",
            "most_recent_release": main_release + 2,
            "most_recent_release_url": f"{API}/releases/{main_release + 2}",
            "versions_url": f"{API}/masters/{master_id}/versions",
            "resource_url": f"{API}/masters/{master_id}",
            "uri": f"https://www.discogs.com/master/{master_id}",
            "images": [], "tracklist": [], "videos": [],
            "data_quality": rng.choice(("Correct", "Complete and Correct", "Needs Vote")),
            "num_for_sale": rng.randint(0, 300), "lowest_price": round(rng.uniform(1, 80), 2),
        }

    def release(self, release_id: int) -> dict[str, Any]:
        """`basic_information` of one release, as a collection item carries it."""
        rng = random.Random(f"{self.seed}:release:{release_id}")
        master_id = self.master_id_of(release_id)
        if master_id:
            master = self._master(master_id)  # deleted masters still shaped the release's data
            title, artists = master["title"], [dict(artist) for artist in master["artists"]]
            genres, styles = list(master["genres"]), list(master["styles"])
            base_year = master["year"] or 1985
            # Reissues: the pressing in the collection is often later than the original.
            year = base_year if rng.random() < 0.45 else min(2025, base_year + rng.randint(1, 40))
        else:
            title = self._title(rng)
            artists = [dict(VARIOUS)] if rng.random() < 0.08 else self._artists_for(rng)
            genre = _weighted(rng, vocab.GENRES)
            genres, styles = [genre], rng.sample(vocab.GENRES[genre][1], k=rng.choice((1, 2)))
            year = int(min(2025, max(1950, rng.gauss(1990, 15))))
        if rng.random() < 0.03:
            year = 0
        fmt_name = _weighted(rng, vocab.FORMATS)
        choices = vocab.FORMATS[fmt_name][1]
        fmt: dict[str, Any] = {"name": fmt_name, "qty": rng.choice(("1", "1", "1", "2")),
                               "descriptions": rng.sample(choices, k=min(len(choices), rng.choice((1, 2, 3))))}
        if rng.random() < 0.1:
            fmt["text"] = rng.choice(("180 Gram", "Red", "Clear", "Gatefold"))
        label_index = rng.choices(range(len(self._labels)), cum_weights=self._label_cumulative)[0]
        label_name = self._labels[label_index]
        catno = f"{''.join(w[0] for w in label_name.split()).upper()}-{rng.randint(1, 9999):04d}"
        image = "" if rng.random() < 0.1 or not self.images else f"{IMAGES}/fake/{release_id}"
        info: dict[str, Any] = {
            "id": release_id,
            "master_id": master_id,
            "master_url": f"{API}/masters/{master_id}" if master_id else None,
            "resource_url": f"{API}/releases/{release_id}",
            "thumb": f"{image}/thumb.jpg" if image else "",
            "cover_image": f"{image}/cover.jpg" if image else "",
            "title": title,
            "year": year,
            "formats": [fmt],
            "labels": [{"name": label_name, "catno": catno, "entity_type": "1", "entity_type_name": "Label",
                        "id": 500 + label_index, "resource_url": f"{API}/labels/{500 + label_index}"}],
            "artists": artists,
            "genres": genres,
            "styles": styles,
        }
        # Real data leaves these keys out altogether rather than sending empty lists.
        if rng.random() < 0.03:
            del info["genres"]
        if rng.random() < 0.08:
            del info["styles"]
        return info

    def _artists_for(self, rng: random.Random) -> list[dict[str, Any]]:
        count = 1 if rng.random() < 0.88 else 2
        picks = rng.choices(self._artists, cum_weights=self._artist_cumulative, k=count)
        artists = []
        for position, (name, artist_id) in enumerate(picks):
            artists.append({
                "name": name, "anv": "", "join": "&" if position < count - 1 else "", "role": "", "tracks": "",
                "id": artist_id, "resource_url": f"{API}/artists/{artist_id}",
            })
        return artists

    def _title(self, rng: random.Random) -> str:
        if rng.random() < 0.02:
            return rng.choice(vocab.UNUSUAL_TITLES)
        return " ".join(rng.sample(vocab.TITLE_WORDS, k=rng.choice((1, 2, 2, 3))))

    def item(self, rng: random.Random, release_id: int, instance_id: int, added: datetime) -> dict[str, Any]:
        """One collection instance of `release_id`."""
        item: dict[str, Any] = {
            "id": release_id,
            "instance_id": instance_id,
            "date_added": added.astimezone(rng.choice(_OFFSETS)).isoformat(timespec="seconds"),
            "rating": rng.choices((0, 1, 2, 3, 4, 5), weights=(70, 1, 2, 7, 10, 10))[0],
            "folder_id": 1 if rng.random() < 0.8 else rng.choice((2001, 2002)),
            "basic_information": self.release(release_id),
        }
        if rng.random() < 0.05:
            item["notes"] = [{"field_id": 3, "value": rng.choice(vocab.NOTE_TEXTS)}]
        # Conditions and a price paid, from their own generator so every other field stays as it was.
        extra = random.Random(f"{self.seed}:notes:{instance_id}")
        notes = []
        if extra.random() < 0.6:
            notes += [{"field_id": 1, "value": extra.choices(GRADES, weights=GRADE_WEIGHTS)[0]},
                      {"field_id": 2, "value": extra.choices(GRADES, weights=GRADE_WEIGHTS)[0]}]
        if extra.random() < 0.3:
            price = f"€{extra.randint(3, 60)}.{extra.choice(('00', '50'))}"
            notes.append({"field_id": PRICE_FIELD["id"], "value": price})
        if notes:
            item["notes"] = sorted([*item.get("notes", []), *notes], key=lambda n: n["field_id"])
        return item

    def wants(self, username: str, count: int, *, catalog_size: int | None = None) -> list[dict[str, Any]]:
        """`count` wanted releases of `username` (distinct, oldest first), from their own generator."""
        size = catalog_size or 3000
        rng = random.Random(f"{self.seed}:{username}:wants")
        ids = rng.sample(range(1, size + 1), k=min(count, size))
        # Spaced like the collection's additions (hours apart), so even a long wantlist stays in the past.
        return [_want(self, rng, release_id, _FIRST_ADDED + timedelta(hours=11 * position + rng.randint(0, 10)))
                for position, release_id in enumerate(ids)]

    def items(self, username: str, count: int, *, start: int = 0, catalog_size: int | None = None,
              first_added: datetime = _FIRST_ADDED) -> list[dict[str, Any]]:
        """`count` items for `username`, the `start`-th onwards; later items were added later."""
        size = catalog_size or max(3000, 4 * (start + count))
        items = []
        for position in range(start, start + count):
            rng = random.Random(f"{self.seed}:{username}:{position}")
            # A small share of records are second copies of one the collector already has.
            if position > 10 and rng.random() < 0.02:
                owner_rng = random.Random(f"{self.seed}:{username}:{rng.randrange(position)}")
                release_id = owner_rng.randint(1, size)
            else:
                release_id = rng.randint(1, size)
            instance_id = _instance_base(username) + position
            added = first_added + timedelta(hours=position * 7 + rng.randint(0, 6), minutes=rng.randint(0, 59))
            items.append(self.item(rng, release_id, instance_id, added))
        return items


# What generated items hold in their custom fields: Discogs' grades (good ones likelier), and a price
# paid in a field of the owner's own, private like most such fields.
GRADES = default_fields()[0]["options"]
GRADE_WEIGHTS = (4, 20, 30, 20, 8, 6, 3, 1)
PRICE_FIELD = {"id": 4, "name": "Price paid", "type": "textarea", "lines": 1, "public": False, "position": 4}


def _want(catalog: Catalog, rng: random.Random, release_id: int, added: datetime) -> dict[str, Any]:
    want = {"id": release_id, "rating": 0, "date_added": added.isoformat(timespec="seconds"),
            "resource_url": f"{API}/users/wants/{release_id}", "basic_information": catalog.release(release_id)}
    if rng.random() < 0.2:
        want["notes"] = rng.choice(("Any pressing", "Original only", "Ask at the fair"))
    return want


def _instance_base(username: str) -> int:
    """Instance ids that never collide between users (stable across runs)."""
    digest = sum((i + 1) * ord(c) for i, c in enumerate(username.lower()))
    return 100_000_000 + (digest % 8_000) * 100_000


def generate_world(spec: str | list[UserSpec], seed: int = 42, *, catalog_size: int | None = None,
                   images: bool = True) -> World:
    """A world holding every user of `spec` and every master their releases point to.

    With `images` False no release has image URLs, so the site draws every cover itself: offline pages
    (the demo, screenshots) show covers without a request to Discogs' image host."""
    users = parse_spec(spec) if isinstance(spec, str) else spec
    catalog = Catalog(seed, images=images)
    world = World()
    world.catalog = catalog
    size = catalog_size or max(3000, 2 * sum(u.items for u in users))
    for user in users:
        world.add_user(user.username, collection_public=user.public,
                       profile={"name": user.username.title(), "location": "Somewhere"})
        world.user(user.username).folder_names.update({2001: "Shelf A", 2002: "Box in the attic"})
        world.user(user.username).fields.append(dict(PRICE_FIELD))
        world.add_wants(user.username, catalog.wants(user.username, max(5, user.items // 8), catalog_size=size))
        world.add_items(user.username, catalog.items(user.username, user.items, catalog_size=size))
    world.catalog_size = size
    add_masters_for(world)
    return world


def add_generated_items(world: World, username: str, count: int) -> list[dict[str, Any]]:
    """Append `count` newly bought records (added after everything already there) to a generated world."""
    catalog: Catalog = world.catalog
    existing = world.items(username)
    start = max((item["instance_id"] for item in existing), default=_instance_base(username) - 1)
    start = start - _instance_base(username) + 1
    new = catalog.items(username, count, start=start, catalog_size=world.catalog_size)
    latest = max((datetime.fromisoformat(i["date_added"]) for i in existing), default=_FIRST_ADDED)
    for offset, item in enumerate(new):
        # Always newer than what is there, so "newest first" pages put them on top.
        added = latest + timedelta(minutes=offset + 1)
        item["date_added"] = added.isoformat(timespec="seconds")
    world.add_items(username, new)
    add_masters_for(world)
    return new


def add_masters_for(world: World) -> None:
    catalog: Catalog = world.catalog
    with world.lock:
        for user in world.users.values():
            for item in user.items:
                master_id = item["basic_information"].get("master_id") or 0
                if master_id and master_id not in world.masters:
                    master = catalog.master(master_id)
                    if master is not None:
                        world.masters[master_id] = master
