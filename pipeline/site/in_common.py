"""What one public collector's pages say they have in common with the others: `taste.py`'s result for them,
each collector named by their label and directory, and only collectors still public."""

from __future__ import annotations

from typing import Any

from pipeline.accounts.registry import User
from pipeline.site.paths import user_dir


def in_common(user: User, taste: dict[str, Any] | None, public: dict[str, User]) -> dict[str, Any]:
    """What `user` has in common with the other public collectors (`taste.py`'s result), names resolved to
    each one's label and directory; empty for anyone but a public collector."""
    if not taste or user.name not in public:
        return {}

    def named(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """release -> {"names": [[label, directory], ...], "more": how many others besides}."""
        said = {}
        for release, entry in found.items():
            names = [[public[n].label, user_dir(public[n])] for n in entry["names"] if n in public]
            if names:
                said[release] = {"names": names, "more": entry["more"]}
        return said

    friends = taste["friends"].get(user.name, {})
    pairs = [{**pair, "label": public[pair["with"]].label, "dir": user_dir(public[pair["with"]])}
             for pair in taste["pairs"].get(user.name, []) if pair["with"] in public]
    return {"same": named(friends.get("same", {})), "master": named(friends.get("master", {})),
            "wanted": named(taste["wanted"].get(user.name, {})), "pairs": pairs}
