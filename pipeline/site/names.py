"""How pages, feeds and cards name what belongs to a collector: one rule for the possessive of a display name."""

from __future__ import annotations


def possessive(name: str) -> str:
    """`Alice` -> `Alice's`, `Chris Evans` -> `Chris Evans'`: a name ending in "s" takes the apostrophe alone."""
    return f"{name}'" if name[-1:] in ("s", "S") else f"{name}'s"
