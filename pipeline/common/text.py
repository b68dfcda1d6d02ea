"""One rule for text from outside (Discogs, users.yaml): what XML 1.0 cannot hold and UTF-8 cannot store is replaced.

XML 1.0 forbids the C0 controls but tab, newline and carriage return, U+FFFE, U+FFFF and the surrogates;
one of them in one title made a whole Atom feed malformed for every reader, and a lone surrogate (a JSON
escape allows one) cannot be written as UTF-8. U+FFFD shows the reader that something was there.
"""

from __future__ import annotations

import re

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def legal(text: str) -> str:
    """`text` with every character XML and UTF-8 cannot hold replaced by U+FFFD."""
    return _ILLEGAL.sub("\ufffd", text)
