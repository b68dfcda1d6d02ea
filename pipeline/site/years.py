"""How a record's years read wherever a page or feed prints them: the original year, or this pressing's with the
original said to be unknown, never a pressing's year passed off as the original's.

list.js writes the same words for the list's rows and its larger view.
"""

from __future__ import annotations


def years_text(original: int | None, pressing: int | None) -> str:
    """"1971", "1971 (this pressing 2019)", "2019 pressing · original year unknown" or "year unknown"."""
    if original:
        return f"{original} (this pressing {pressing})" if pressing and pressing != original else str(original)
    return f"{pressing} pressing · original year unknown" if pressing else "year unknown"
