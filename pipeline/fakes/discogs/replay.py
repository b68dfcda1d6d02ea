"""Load a replayed world from a directory in Discogs' own response format (`fake-discogs --data DIR`).

    DIR/users/<discogs_username>/collection/*.json   collection pages ({"pagination", "releases"}) or
                                                     bare arrays of items, served in file-name order,
                                                     de-duplicated by instance_id
    DIR/users/<discogs_username>.json                optional profile (`/users/{username}`)
    DIR/users/<discogs_username>/folders.json        optional `/collection/folders` response (folder names)
    DIR/users/<discogs_username>/fields.json         optional `/collection/fields` response (else Discogs'
                                                     three default fields)
    DIR/users/<discogs_username>/value.json          optional `/collection/value` response (else estimated)
    DIR/users/<discogs_username>/wants/*.json        optional `/wants` pages ({"pagination", "wants"}) or bare
                                                     arrays of wants, served in file-name order
    DIR/masters/<master_id>.json                     `/masters/{id}` responses; others answer 404

Each user authenticates with the personal token `fake-token-<discogs_username>`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.fakes.discogs.world import World


class ReplayError(ValueError):
    """A file in the replay directory is not what Discogs would have sent; names the file."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReplayError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def _items_in(path: Path) -> list[dict[str, Any]]:
    data = _read_json(path)
    items = data.get("releases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ReplayError(f"{path}: expected a collection page with 'releases' or a JSON array of items")
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("instance_id"), int) \
                or not isinstance(item.get("id"), int) or not isinstance(item.get("basic_information"), dict):
            raise ReplayError(f"{path}: item #{position} lacks an integer 'id', 'instance_id' or "
                              "'basic_information'")
    return items


VALUE_KEYS = ("minimum", "median", "maximum")


def _named_list(path: Path, key: str) -> list[dict[str, Any]]:
    """`{key: [{"id": int, "name": str, ...}, ...]}` from a file, or a ReplayError naming it."""
    data = _read_json(path)
    entries = data.get(key) if isinstance(data, dict) else None
    named = isinstance(entries, list) and all(
        isinstance(e, dict) and isinstance(e.get("id"), int) and isinstance(e.get("name"), str) for e in entries)
    if not named:
        raise ReplayError(f'{path}: expected {{"{key}": [{{"id": <int>, "name": <text>, ...}}, ...]}}')
    return entries


def _owner_extras(world: World, user_dir: Path) -> None:
    """Folder names and custom fields, when the directory holds the owner's responses for them."""
    user = world.user(user_dir.name)
    if (user_dir / "folders.json").is_file():
        folders = _named_list(user_dir / "folders.json", "folders")
        user.folder_names.update({f["id"]: f["name"] for f in folders if f["id"] > 1})
    if (user_dir / "fields.json").is_file():
        user.fields = _named_list(user_dir / "fields.json", "fields")
    wants: list[dict[str, Any]] = []
    for page in sorted((user_dir / "wants").glob("*.json")):
        data = _read_json(page)
        found = data.get("wants") if isinstance(data, dict) else data
        if not isinstance(found, list) or not all(
                isinstance(w, dict) and isinstance(w.get("id"), int) and isinstance(w.get("basic_information"), dict)
                for w in found):
            raise ReplayError(f"{page}: expected a wantlist page with 'wants' (each with an integer 'id' and "
                              "'basic_information') or a JSON array of them")
        wants += found
    world.add_wants(user_dir.name, wants)
    if (user_dir / "value.json").is_file():
        value = _read_json(user_dir / "value.json")
        if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in VALUE_KEYS):
            shape = ", ".join(f'"{k}": <text>' for k in VALUE_KEYS)
            raise ReplayError(f"{user_dir / 'value.json'}: expected {{{shape}}}")
        user.value = {k: value[k] for k in VALUE_KEYS}


def load_world(directory: Path | str) -> World:
    root = Path(directory)
    if not root.is_dir():
        raise ReplayError(f"{root}: not a directory")
    users_dir = root / "users"
    world = World()
    user_dirs = sorted(p for p in users_dir.iterdir() if p.is_dir()) if users_dir.is_dir() else []
    if not user_dirs:
        raise ReplayError(f"{root}: holds no users/<discogs_username>/collection/ directory")
    for user_dir in user_dirs:
        profile_path = users_dir / f"{user_dir.name}.json"
        profile = _read_json(profile_path) if profile_path.is_file() else {}
        if not isinstance(profile, dict):
            raise ReplayError(f"{profile_path}: expected a JSON object")
        world.add_user(user_dir.name, profile=profile)
        items: list[dict[str, Any]] = []
        seen: set[int] = set()
        for page in sorted((user_dir / "collection").glob("*.json")):
            for item in _items_in(page):
                if item["instance_id"] not in seen:
                    seen.add(item["instance_id"])
                    items.append(item)
        world.add_items(user_dir.name, items)
        _owner_extras(world, user_dir)
    masters_dir = root / "masters"
    for path in sorted(masters_dir.glob("*.json")) if masters_dir.is_dir() else []:
        master = _read_json(path)
        if not isinstance(master, dict):
            raise ReplayError(f"{path}: expected a /masters/{{id}} object")
        try:
            master_id = int(master.get("id", path.stem))
        except (TypeError, ValueError):
            raise ReplayError(f"{path}: the master has no integer 'id'") from None
        world.masters[master_id] = master
    return world
