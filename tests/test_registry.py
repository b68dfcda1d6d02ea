"""users.yaml: valid registries load; every kind of mistake is reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.accounts.registry import RegistryError, Visibility, find_user, load_users, parse_users
from pipeline.errors import SiteError

ROOT = Path(__file__).resolve().parent.parent


def problems_of(text: str) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        parse_users(text, "users.yaml")
    return caught.value.problems


def test_shipped_example_loads():
    users = load_users(ROOT / "users.yaml")
    assert users and all(u.visibility in Visibility for u in users)


def test_valid_registry_keeps_order_fields_and_lines():
    users = parse_users(
        "users:\n"
        "  - name: ann\n    discogs_username: Ann.Vinyl\n    visibility: public\n    display_name: Ann's Records\n"
        "  - name: bo-2\n    discogs_username: bo_2\n    visibility: private\n"
    )
    assert [(u.name, u.discogs_username, u.visibility, u.line) for u in users] == [
        ("ann", "Ann.Vinyl", Visibility.PUBLIC, 2), ("bo-2", "bo_2", Visibility.PRIVATE, 6)]
    assert users[0].label == "Ann's Records" and users[1].label == "bo-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "users.yaml:1: the file is empty"),
        ("# only a comment\n", "users.yaml:1: the file is empty"),
        ("users:\n\t- name: a\n", "use spaces"),
        ("users: []\n", "users.yaml:1: users: the list is empty"),
        ("people:\n  - name: a\n", "users.yaml:1: people: unknown top-level key"),
        ("users:\n  - name: ../x\n    discogs_username: a\n    visibility: public\n",
         "users.yaml:2: users[0].name: '../x' is not a URL slug"),
        ("users:\n  - name: Ann\n    discogs_username: a\n    visibility: public\n", "'Ann' is not a URL slug"),
        ("users:\n  - name: a\n    discogs_username: a\n    visibility: secret\n",
         "users.yaml:4: users[0].visibility: unknown visibility 'secret'"),  # maybe meant private: unnamed
        ("users:\n  - name: a\n    visibility: public\n", "users.yaml:2: users[0] ('a').discogs_username: missing"),
        ("users:\n  - name: a\n    discogs_username: a\n    visibility: public\n    colour: red\n",
         "users.yaml:5: users[0] ('a').colour: unknown field"),
        ("users:\n  - name: 12\n    discogs_username: a\n    visibility: public\n",
         "users.yaml:2: users[0].name: must be a string, got a number"),
        ("users:\n  - name: a\n    discogs_username: [x]\n    visibility: public\n",
         "users[0] ('a').discogs_username: must be a string, got a list"),
        ("users:\n  - name: a\n    discogs_username: a b\n    visibility: public\n", "'a b' is not a Discogs username"),
        ("users:\n  - name: a\n    name: b\n    discogs_username: a\n    visibility: public\n",
         "users.yaml:3: users[0].name: duplicate key (first on line 2)"),
        ("users:\n  - name: a\n    discogs_username: a\n    visibility: public\n    display_name: '  '\n",
         "display_name: is empty"),
        ("users:\n  - just-a-string\n", "users.yaml:2: users[0]: must be a mapping"),
        ("users: nobody\n", "users.yaml:1: users: must be a list"),
        ("users:\n  - name: a\n   discogs_username: a\n", "not valid YAML"),
        ("users:\n  - name: " + "a" * 65 + "\n    discogs_username: a\n    visibility: public\n",
         ".name: is 65 characters long; at most 64 are allowed"),
        ("users:\n  - name: a\n    discogs_username: a\n    visibility: public\n    display_name: " + "x" * 300
         + "\n", "users.yaml:5: users[0] ('a').display_name: is 300 characters long; at most 100"),
        ("users:\n  - name: a\n    discogs_username: a\n    visibility: public\n    display_name: \"A\\ud800B\"\n",
         "users.yaml:5: users[0] ('a').display_name: holds a lone surrogate (U+D800), which is not text"),
    ],
)
def test_each_mistake_names_file_line_and_field(text, expected):
    assert any(expected in p for p in problems_of(text)), problems_of(text)


def test_duplicate_names_point_at_the_first_definition():
    text = ("users:\n  - name: a\n    discogs_username: x\n    visibility: public\n"
            "  - name: a\n    discogs_username: y\n    visibility: unlisted\n")
    assert problems_of(text) == ["users.yaml:5: users[1].name: duplicate name (first defined on line 2)"]
    assert problems_of(text.replace("unlisted", "public")) == [
        "users.yaml:5: users[1] ('a').name: duplicate name 'a' (first defined on line 2)"]


def test_every_problem_is_reported_at_once_in_file_order():
    text = ("users:\n"
            "  - name: ok\n    discogs_username: fine\n    visibility: nope\n"
            "  - name: ../etc\n    visibility: public\n    extra: 1\n")
    found = problems_of(text)
    assert [p.split(":")[1] for p in found] == ["4", "5", "5", "7"]
    message = str(RegistryError(Path("users.yaml"), found))
    assert message.startswith("users.yaml: 4 problems:")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(RegistryError, match=r"nowhere\.yaml: file not found"):
        load_users(tmp_path / "nowhere.yaml")


def test_an_unknown_user_is_refused_without_naming_anyone_registered():
    """The error lands in build logs, which may be public while users.yaml is a secret."""
    users = parse_users("users:\n  - name: ann\n    discogs_username: a\n    visibility: public\n"
                        "  - name: secret-pia\n    discogs_username: pia-records\n    visibility: private\n"
                        "  - name: quiet-uli\n    discogs_username: uli\n    visibility: unlisted\n")
    with pytest.raises(SiteError) as caught:
        find_user(users, "bob", "users.yaml")
    message = str(caught.value)
    assert message == ("users.yaml: no user named 'bob' is registered; `discogs-site users validate` lists who is")
    for registered in ("ann", "secret-pia", "pia-records", "quiet-uli", "uli"):
        assert registered not in message


PRIVATE_ENTRIES = ("users:\n"
                   "  - name: ann\n    discogs_username: a\n    visibility: public\n    display_name: ''\n"
                   "  - name: secret-pia\n    discogs_username: pia records\n    visibility: private\n"
                   "    display_name: ''\n    colour: red\n"
                   "  - name: quiet-uli\n    discogs_username: uli\n    visibility: unlisted\n    display_name: ''\n"
                   "  - name: quiet-uli\n    discogs_username: uli2\n    visibility: unlisted\n"
                   "  - name: typo-tom\n    discogs_username: tom\n    visibility: privat\n"
                   "  - name: Secret-Sam\n    discogs_username: sam\n    visibility: private\n")


def test_findings_about_private_and_unlisted_entries_name_them_by_line_and_index_only():
    """A build prints these findings to its log; only a public entry's name may appear there."""
    found = problems_of(PRIVATE_ENTRIES)
    assert found == [
        "users.yaml:5: users[0] ('ann').display_name: is empty; omit it instead",
        "users.yaml:7: users[1].discogs_username: is not a Discogs username",
        "users.yaml:9: users[1].display_name: is empty; omit it instead",
        "users.yaml:10: users[1].colour: unknown field (expected name, discogs_username, visibility, display_name, "
        "publish)",
        "users.yaml:14: users[2].display_name: is empty; omit it instead",
        "users.yaml:15: users[3].name: duplicate name (first defined on line 11)",
        "users.yaml:20: users[4].visibility: unknown visibility 'privat' (expected public, unlisted or private)",
        "users.yaml:21: users[5].name: is not a URL slug: use a-z, 0-9 and '-', starting with a letter or digit",
    ]
    printed = str(RegistryError(Path("users.yaml"), found))
    for hidden in ("secret-pia", "pia records", "quiet-uli", "uli2", "typo-tom", "Secret-Sam"):
        assert hidden not in printed


@pytest.mark.parametrize("char", ["\\0", "\\a", "\\x1b", "\\n", "\\r", "\\x7f", "\\x85", "\\ufffe", "\\uffff"])
def test_control_characters_and_non_characters_are_refused_in_names(char):
    code = ord(yaml.safe_load(f'"{char}"'))
    entry = ("users:\n  - name: a\n    discogs_username: a\n    visibility: public\n"
             f'    display_name: "A{char}B"\n    publish:\n      private_folders: ["Sell{char}"]\n'
             f'      fields: ["Media{char}"]\n')
    kind = "a non-character" if code >= 0xFFFE else "a control character"
    assert problems_of(entry) == [
        f"users.yaml:5: users[0] ('a').display_name: holds {kind} (U+{code:04X}), which is not text",
        f"users.yaml:7: users[0] ('a').publish.private_folders: {'Sell' + chr(code)!r} holds {kind} "
        f"(U+{code:04X}), which is not text",
        f"users.yaml:8: users[0] ('a').publish.fields: {'Media' + chr(code)!r} holds {kind} (U+{code:04X}), "
        "which is not text",
    ]


def test_a_tab_in_a_display_name_is_text():
    users = parse_users('users:\n  - name: a\n    discogs_username: a\n    visibility: public\n'
                        '    display_name: "A\\tB"\n')
    assert users[0].display_name == "A\tB"


def test_publishing_choices_are_read_and_each_mistake_is_named_with_its_line():
    entry = "users:\n  - name: vera\n    discogs_username: v\n    visibility: public\n    publish:\n"
    vera = parse_users(entry + "      folders: true\n      private_folders: [To sell, 2001]\n"
                               "      fields: [Media Condition]\n")[0]
    assert (vera.publish.folders, vera.publish.private_folders, vera.publish.fields) == (
        True, ("To sell", 2001), ("Media Condition",))
    assert parse_users(entry.removesuffix("    publish:\n"))[0].publish.needs_folders is False  # nothing by default
    with pytest.raises(RegistryError) as raised:
        parse_users(entry + "      folders: sometimes\n      private_folders: [To sell, to SELL, All, 0]\n"
                            "      fields: Media Condition\n      trades: true\n")
    assert raised.value.problems == [
        "users.yaml:6: users[0] ('vera').publish.folders: must be true or false, got a str",
        "users.yaml:7: users[0] ('vera').publish.private_folders: 'to SELL' is named twice (first on line 7)",
        "users.yaml:7: users[0] ('vera').publish.private_folders: 'All' holds every record: use visibility: "
        "private to publish nothing",
        "users.yaml:7: users[0] ('vera').publish.private_folders: 0 is not a folder id (folder 0 is 'All': use "
        "visibility: private to publish nothing)",
        "users.yaml:8: users[0] ('vera').publish.fields: must be a list, got a str",
        "users.yaml:9: users[0] ('vera').publish.trades: unknown choice (expected folders: true or false: folder "
        "names as a list filter; private_folders: a list of folder names or ids left out of every page; fields: "
        "a list of custom field names to publish; value: true or false: the collection's value over time; "
        "wantlist: true or false: a page of the wantlist)",
    ]
