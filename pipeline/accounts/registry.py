"""users.yaml -> validated User records; every problem is reported at once with file, line and field."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from pipeline.errors import SiteError

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
# Discogs usernames: letters, digits, and . _ - (no slashes, so they are safe in URL paths).
DISCOGS_USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
REQUIRED_FIELDS = ("name", "discogs_username", "visibility")
# Every file and folder named after a user (`u/<name>-<20 hex>/`, `.<name>.<32 hex>.new`) stays far below
# the 255 bytes a file name may have; Discogs usernames and display names are kept to what a page can show.
MAX_LENGTH = {"name": 64, "discogs_username": 100, "display_name": 100}
OPTIONAL_FIELDS = ("display_name", "publish")
# What a person may choose to publish beyond genres and years (`publish:`); anything unnamed stays theirs.
PUBLISH_KEYS = {"folders": "true or false: folder names as a list filter",
                "private_folders": "a list of folder names or ids left out of every page",
                "fields": "a list of custom field names to publish",
                "value": "true or false: the collection's value over time",
                "wantlist": "true or false: a page of the wantlist"}
MAX_PUBLISHED = 50  # folders or fields named in one list: far more than Discogs accounts hold
# Code points no name may hold: C0 controls but tab, DEL and C1 controls, U+FFFE/U+FFFF (XML 1.0 forbids
# most of them, so one would make every Atom feed naming the person malformed; none is text anyone types)
# and lone surrogates (no page, card or feed could be written with one).
NOT_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"


@dataclass(frozen=True)
class Publishing:
    """What a person publishes beyond the defaults; everything here is off unless their entry names it."""

    folders: bool = False                       # folder names as a filter on the list
    private_folders: tuple[str | int, ...] = ()  # folder names (any case) or ids left out of everything
    fields: tuple[str, ...] = ()                # custom fields (by name, any case) whose values are published
    value: bool = False                         # the collection's value over time (a snapshot a day)
    wantlist: bool = False                      # the wantlist's own page and feed

    @property
    def key(self) -> str:
        """These choices as one stable text: pages staged under other choices are never published."""
        return json.dumps([self.folders, sorted(map(str, self.private_folders)), sorted(self.fields), self.value,
                           self.wantlist])

    @property
    def needs_folders(self) -> bool:
        """Whether folder names must be fetched (one request per refresh)."""
        return self.folders or bool(self.private_folders)


@dataclass(frozen=True)
class User:
    """One registered person."""

    name: str
    discogs_username: str
    visibility: Visibility
    display_name: str | None = None
    line: int = 0
    publish: Publishing = Publishing()

    @property
    def label(self) -> str:
        """What pages show: the display name, else the slug."""
        return self.display_name or self.name


class RegistryError(SiteError):
    """users.yaml is unusable; `problems` lists every finding, each `file:line: field: message`."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{path}: {len(problems)} {noun}:\n" + "\n".join(f"  {p}" for p in problems))


def load_users(path: Path | str) -> list[User]:
    """Read and validate the registry; raises RegistryError naming every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(path, [f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(path, [f"{path}: cannot be read: {exc}"]) from None
    return list(_parsed(text, str(path)))


@functools.lru_cache(maxsize=4)
def _parsed(text: str, path: str) -> tuple[User, ...]:
    # Every step reads the registry; with thousands of users, parsing it each time grows with the square.
    return tuple(parse_users(text, path))


def parse_users(text: str, path: Path | str = "users.yaml") -> list[User]:
    path = Path(path)
    found: list[tuple[int, str]] = []
    problems: list[str] = []  # the same findings, kept in file order for the error

    def problem(line: int, where: str, message: str) -> None:
        found.append((line, f"{path}:{line}: {where}: {message}" if where else f"{path}:{line}: {message}"))
        problems[:] = [text for _, text in sorted(found, key=lambda f: f[0])]

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        hint = " (YAML does not allow tabs for indentation; use spaces)" if "\t" in text else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise RegistryError(path, [f"{path}:{line}: not valid YAML: {reason}{hint}"]) from None

    if root is None:
        raise RegistryError(path, [f"{path}:1: the file is empty; expected a 'users:' list"])
    if not isinstance(root, yaml.MappingNode):
        raise RegistryError(path, [f"{path}:{_line(root)}: expected a mapping with a 'users:' list"])

    top = _mapping(root, "", problem)
    for key, (key_node, _) in top.items():
        if key != "users":
            problem(_line(key_node), key, "unknown top-level key (expected only 'users')")
    if "users" not in top:
        problem(_line(root), "users", "missing: expected a 'users:' list")
        raise RegistryError(path, problems)

    users_node = top["users"][1]
    if not isinstance(users_node, yaml.SequenceNode):
        problem(_line(users_node), "users", "must be a list of users")
        raise RegistryError(path, problems)
    if not users_node.value:
        problem(_line(users_node), "users", "the list is empty; register at least one user")

    users: list[User] = []
    first_line_of: dict[str, int] = {}
    for index, entry in enumerate(users_node.value):
        where = f"users[{index}]"
        if not isinstance(entry, yaml.MappingNode):
            problem(_line(entry), where, "must be a mapping with name, discogs_username and visibility")
            continue
        fields = _mapping(entry, where, problem)
        name_node = fields["name"][1] if "name" in fields else None
        visibility_node = fields["visibility"][1] if "visibility" in fields else None
        # Build logs are public and users.yaml may be a secret: only a public entry is named in findings
        # (one with a mistyped or missing visibility may be meant private). The others go by line and index.
        public = isinstance(visibility_node, yaml.ScalarNode) and visibility_node.value == Visibility.PUBLIC.value
        if (public and isinstance(name_node, yaml.ScalarNode) and name_node.tag == "tag:yaml.org,2002:str"
                and NAME_PATTERN.fullmatch(name_node.value)):
            where = f"users[{index}] ({name_node.value!r})"  # every finding about this entry names the user
        values: dict[str, str] = {}
        publishing = Publishing()
        for key, (key_node, value_node) in fields.items():
            if key not in REQUIRED_FIELDS + OPTIONAL_FIELDS:
                known = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
                problem(_line(key_node), f"{where}.{key}", f"unknown field (expected {known})")
                continue
            if key == "publish":
                publishing = _publishing(value_node, f"{where}.publish", problem)
                continue
            if not isinstance(value_node, yaml.ScalarNode) or value_node.tag != "tag:yaml.org,2002:str":
                problem(_line(value_node), f"{where}.{key}", f"must be a string, got {_kind(value_node)}")
                continue
            if len(value_node.value) > MAX_LENGTH.get(key, len(value_node.value)):
                problem(_line(value_node), f"{where}.{key}", f"is {len(value_node.value)} characters long; at most "
                        f"{MAX_LENGTH[key]} are allowed")
                continue
            if (bad := NOT_TEXT.search(value_node.value)) is not None:
                problem(_line(value_node), f"{where}.{key}", f"holds {_not_text(bad[0])}, which is not text")
                continue
            values[key] = value_node.value
        for key in REQUIRED_FIELDS:
            if key not in fields:
                problem(_line(entry), f"{where}.{key}", "missing")

        name = values.get("name")
        if name is not None:
            name_line = _line(fields["name"][1])
            if not NAME_PATTERN.fullmatch(name):
                problem(name_line, f"{where}.name", f"{_quoted(name, public)}is not a URL slug: use a-z, 0-9 "
                        "and '-', starting with a letter or digit")
            elif name in first_line_of:
                problem(name_line, f"{where}.name", f"duplicate name {_quoted(name, public)}(first defined on "
                        f"line {first_line_of[name]})")
            else:
                first_line_of[name] = name_line
        username = values.get("discogs_username")
        if username is not None and not DISCOGS_USERNAME_PATTERN.fullmatch(username):
            problem(_line(fields["discogs_username"][1]), f"{where}.discogs_username",
                    f"{_quoted(username, public)}is not a Discogs username")
        visibility = values.get("visibility")
        if visibility is not None and visibility not in {v.value for v in Visibility}:
            problem(_line(fields["visibility"][1]), f"{where}.visibility",
                    f"unknown visibility {visibility!r} (expected public, unlisted or private)")
        display = values.get("display_name")
        if display is not None and not display.strip():
            problem(_line(fields["display_name"][1]), f"{where}.display_name", "is empty; omit it instead")

        if problems:
            continue
        users.append(User(name=name, discogs_username=username, visibility=Visibility(visibility),
                          display_name=display, line=_line(entry), publish=publishing))

    if problems:
        raise RegistryError(path, problems)
    return users


def _publishing(node: yaml.Node, where: str, problem) -> Publishing:
    """A `publish:` mapping; each problem is reported with its line, and nothing is published on error."""
    if not isinstance(node, yaml.MappingNode):
        problem(_line(node), where, f"must be a mapping of {', '.join(PUBLISH_KEYS)}, got {_kind(node)}")
        return Publishing()
    chosen: dict[str, object] = {}
    for key, (key_node, value_node) in _mapping(node, where, problem).items():
        label = f"{where}.{key}"
        if key not in PUBLISH_KEYS:
            problem(_line(key_node), label, "unknown choice (expected " + "; ".join(
                f"{k}: {meaning}" for k, meaning in PUBLISH_KEYS.items()) + ")")
        elif key in ("folders", "value", "wantlist"):
            if not (isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:bool"):
                problem(_line(value_node), label, f"must be true or false, got {_kind(value_node)}")
            else:
                chosen[key] = value_node.value.lower() in ("true", "yes", "on")
        else:
            chosen[key] = _names(value_node, label, problem, ids=key == "private_folders")
    return Publishing(**chosen)


def _names(node: yaml.Node, where: str, problem, *, ids: bool) -> tuple:
    """A list of names (and, for folders, ids); duplicates, empty names and the 'All' folder refused."""
    if not isinstance(node, yaml.SequenceNode):
        problem(_line(node), where, f"must be a list, got {_kind(node)}")
        return ()
    if len(node.value) > MAX_PUBLISHED:
        problem(_line(node), where, f"names {len(node.value)}; at most {MAX_PUBLISHED} are allowed")
        return ()
    found: list[str | int] = []
    seen: dict[str | int, int] = {}
    for item in node.value:
        scalar = isinstance(item, yaml.ScalarNode)
        if ids and scalar and item.tag == "tag:yaml.org,2002:int":
            value: str | int = int(item.value)
            if value <= 0:
                problem(_line(item), where, f"{value} is not a folder id (folder 0 is 'All': use visibility: "
                        "private to publish nothing)")
                continue
        elif scalar and item.tag == "tag:yaml.org,2002:str":
            value = item.value.strip()
            if (bad := NOT_TEXT.search(item.value)) is not None:
                problem(_line(item), where, f"{item.value!r} holds {_not_text(bad[0])}, which is not text")
                continue
            if not value or len(value) > MAX_LENGTH["display_name"]:
                problem(_line(item), where, f"{item.value!r} is not a name (empty or too long)")
                continue
            if ids and value.casefold() == "all":
                problem(_line(item), where, "'All' holds every record: use visibility: private to publish nothing")
                continue
        else:
            expected = "a folder name or id" if ids else "a field name"
            problem(_line(item), where, f"must hold {expected}, got {_kind(item)}")
            continue
        key = value.casefold() if isinstance(value, str) else value
        if key in seen:
            problem(_line(item), where, f"{value!r} is named twice (first on line {seen[key]})")
            continue
        seen[key] = _line(item)
        found.append(value)
    return tuple(found)


def find_user(users: list[User], name: str, path: Path | str = "users.yaml") -> User:
    """The registered user called `name`, or an error pointing at `users validate`.

    The error never lists who is registered: it lands in build logs, which may be public while
    users.yaml is a secret; the operator lists the registry privately.
    """
    for user in users:
        if user.name == name:
            return user
    raise SiteError(f"{path}: no user named {name!r} is registered; `discogs-site users validate` lists who is")


def _quoted(value: str, public: bool) -> str:
    """A public entry's value quoted for a finding, followed by a space; nothing for any other entry's."""
    return f"{value!r} " if public else ""


def _not_text(char: str) -> str:
    code = ord(char)
    kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a non-character" if code >= 0xFFFE \
        else "a control character"
    return f"{kind} (U+{code:04X})"


def _mapping(node: yaml.MappingNode, where: str, problem) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Keys of a mapping node; duplicates are reported instead of silently overwritten."""
    seen: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
        label = f"{where}.{key}" if where else key
        if key in seen:
            problem(_line(key_node), label, f"duplicate key (first on line {_line(seen[key][0])})")
            continue
        seen[key] = (key_node, value_node)
    return seen


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"null": "nothing", "int": "a number", "float": "a number", "bool": "a boolean"}.get(
        tag, f"a {tag}"
    )
