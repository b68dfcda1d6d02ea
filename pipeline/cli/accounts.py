"""Commands about people and their tokens: connect, disconnect, rotate-key, keygen, users validate."""

from __future__ import annotations

import argparse
import getpass
import sys

from pipeline.cli.tables import print_table


def _users(args: argparse.Namespace):
    from pipeline.accounts.registry import load_users

    return load_users(args.users)


def _user(args: argparse.Namespace):
    from pipeline.accounts.registry import find_user

    return find_user(_users(args), args.name, args.users)


def _vault(args: argparse.Namespace):
    from pipeline.accounts.vault import Vault

    return Vault.open(args.vault)


def cmd_connect(args: argparse.Namespace) -> int:
    from pipeline.accounts.credentials import consumer_from_env
    from pipeline.discogs.oauth import connect_oauth, connect_personal

    user = _user(args)
    vault = _vault(args)
    if args.personal_token:
        if sys.stdin.isatty():
            token = getpass.getpass(f"Personal access token for {user.discogs_username} (not echoed): ")
        else:
            token = sys.stdin.readline()
        identity = connect_personal(user, vault, token)
    else:
        consumer = consumer_from_env()
        ask = input if args.paste else None
        identity = connect_oauth(user, vault, consumer, ask=ask, open_browser=not args.no_browser,
                                 callback_port=args.callback_port)
    print(f"Connected {user.name!r} as Discogs user {identity.username}; tokens stored in {vault.path}")
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    user = _user(args)
    vault = _vault(args)
    if vault.remove(user.name):
        print(f"Removed the tokens of {user.name!r} from {vault.path}")
    else:
        print(f"{user.name!r} had no tokens in {vault.path}; nothing changed")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from pipeline.accounts.vault import NEW_KEY_ENV, keys_from_env

    vault = _vault(args)
    new_keys = keys_from_env(NEW_KEY_ENV)
    count = vault.rotate(new_keys)
    print(f"Re-encrypted {count} entr{'y' if count == 1 else 'ies'} in {vault.path} under {NEW_KEY_ENV}.\n"
          f"Set DISCOGS_SITE_KEY to that key now (and in your CI secrets); the old key no longer opens the vault.")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from pipeline.accounts.vault import generate_key

    print(generate_key())
    return 0


def cmd_users_validate(args: argparse.Namespace) -> int:
    users = _users(args)
    print(f"{args.users}: {len(users)} user{'s' if len(users) != 1 else ''} OK")
    print_table(("user", "visibility", "Discogs account"),
                [(u.name, u.visibility.value, u.discogs_username) for u in users])
    return 0
