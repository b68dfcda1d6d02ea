"""How a release's formats are printed, as Discogs prints them: "6 × Vinyl, LP, Album, Box Set, Limited Edition".

One rule for every page and feed (the `format` column carries its text). Each of Discogs' format entries
(name, quantity, descriptions) is its name, "n × " before it when there are several, then its descriptions;
entries follow each other in Discogs' order. A box listed disc by disc (six "Vinyl" entries of one each)
is one entry of six: the same name in a row with no other descriptions adds up, its descriptions said
once; an LP and a 7" single are two entries ("Vinyl, LP, Album, Vinyl, 7\", Single"), as on Discogs.
"""

from __future__ import annotations

from typing import Any


def _quantity(value: Any) -> int:
    """Discogs sends the quantity as text ("6"); anything unreadable or below one is one."""
    try:
        return max(1, int(str(value).strip()))
    except ValueError:
        return 1


def format_text(entries: list[dict[str, Any]]) -> str:
    """The printed formats of Discogs' `formats` entries ({"name", "qty", "descriptions"}); "" when none has a name."""
    merged: list[tuple[str, int, list[str]]] = []
    for entry in entries:
        name = str(entry.get("name") or "") if isinstance(entry, dict) else ""
        if not name:
            continue
        given = entry.get("descriptions")
        descriptions = [d for d in given if isinstance(d, str) and d] if isinstance(given, list) else []
        if merged and merged[-1][0] == name and set(descriptions) <= set(merged[-1][2]):
            # The same disc again (a box listed disc by disc); an LP beside a 7" stays two entries.
            _, n, said = merged[-1]
            merged[-1] = (name, n + _quantity(entry.get("qty")), said)
        else:
            merged.append((name, _quantity(entry.get("qty")), list(dict.fromkeys(descriptions))))
    return ", ".join(", ".join([f"{n} × {name}" if n > 1 else name, *said]) for name, n, said in merged)


def stored_text(names: list[str] | None, descriptions: list[str] | None) -> str:
    """The same text from a row stored before quantities were kept (format names and descriptions apart):
    the names in order, the same name in a row counted, then every description once."""
    entries: list[dict[str, Any]] = []
    for name in names or []:  # counted first: the descriptions, stored apart, belong to no one disc
        if entries and entries[-1]["name"] == name:
            entries[-1]["qty"] += 1
        else:
            entries.append({"name": name, "qty": 1})
    if entries:
        entries[-1] = {**entries[-1], "descriptions": list(descriptions or [])}
    return format_text(entries)
