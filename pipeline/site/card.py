"""A collection's social card: the 1200×630 PNG a link preview shows, drawn at publish time with Pillow.

It says whose collection it is, how many records, the top genres as bars and the span of years, on
tiles in the colours the pages draw covers in; nothing is fetched, and no date that changes daily is
drawn, so an unchanged collection keeps an unchanged card (it is cached by what it shows).
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from pipeline.common.atomic import write_atomically
from pipeline.site.dashboard import describe
from pipeline.site.names import possessive
from pipeline.site.staging import staged_lock

WIDTH, HEIGHT = 1200, 630
BACKGROUND, INK, MUTED, BAR = (20, 21, 23), (236, 236, 236), (168, 173, 180), (86, 180, 233)
CARD = "card.png"


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu where the system has it (most Linux hosts), else the font Pillow carries."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        if (Path(folder) / name).is_file():
            return ImageFont.truetype(str(Path(folder) / name), size)
    return ImageFont.load_default(size)


def _colour(seed: str, lightness: float, saturation: float) -> tuple[int, int, int]:
    hue = int(hashlib.sha1(seed.encode()).hexdigest()[:6], 16) % 360
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text`, cut with an ellipsis where it would run past `width` pixels.

    The longest prefix that fits is found by halving (about 15 measurements for 20,000 characters): a
    character at a time measured a long hostile genre once per character, 36 s for one card.
    """
    if draw.textlength(text, font=font) <= width:
        return text
    fits, too_long = 0, len(text)  # the prefix of `fits` characters fits with its ellipsis; `too_long` does not
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if draw.textlength(text[:middle] + "…", font=font) <= width:
            fits = middle
        else:
            too_long = middle
    return text[:fits].rstrip() + "…"


def draw_card(label: str, stats: dict[str, Any]) -> bytes:
    """The card as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    # A wall of sleeves on the right, each in the colours of one of the top artists.
    artists = [name for name, _ in stats["counts"].get("artists", [])][:16] or [label]
    for i in range(16):
        x, y = 760 + (i % 4) * 110, 55 + (i // 4) * 135
        seed = artists[i % len(artists)] + str(i)
        draw.rounded_rectangle((x, y, x + 100, y + 100), radius=6, fill=_colour(seed, 0.3, 0.45))
        draw.ellipse((x + 22, y + 14, x + 94, y + 86), fill=(18, 18, 18))  # a record half out of its sleeve
        draw.ellipse((x + 46, y + 38, x + 70, y + 62), fill=_colour(seed + "·", 0.58, 0.6))
    draw.text((60, 60), _fit(draw, possessive(label), _font(44, True), 660), font=_font(44, True), fill=INK)
    draw.text((60, 115), "record collection", font=_font(44, True), fill=INK)
    draw.text((60, 185), _fit(draw, describe(stats), _font(23), 670), font=_font(23), fill=MUTED)
    genres = stats["counts"].get("genres", [])[:5]
    top = max((n for _, n in genres), default=1)
    for row, (name, n) in enumerate(genres):
        y = 260 + row * 58
        draw.text((60, y), _fit(draw, name, _font(24), 230), font=_font(24), fill=INK)
        length = max(8, round(360 * n / top))
        draw.rounded_rectangle((300, y + 4, 300 + length, y + 30), radius=5, fill=BAR)
        draw.text((310 + length, y + 2), f"{n:,}", font=_font(22), fill=MUTED)
    draw.text((60, HEIGHT - 50), "Data provided by Discogs", font=_font(18), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def card_for(label: str, stats: dict[str, Any], staging: Path, name: str) -> bytes:
    """The card for this label and these stats, drawn again only when what it shows changed.

    It is kept beside the user's staged data and looked at under their lock: a re-render swapping that
    directory meanwhile only means the card is drawn again next time.
    """
    shown = {"label": label, "totals": {k: stats["totals"].get(k) for k in ("items", "earliest_year", "latest_year")},
             "genres": stats["counts"].get("genres", [])[:5], "artists": stats["counts"].get("artists", [])[:16]}
    key = hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]
    cache = staging / name
    cached = cache / f"card-{key}.png"
    with staged_lock(staging, name):
        if cached.is_file():
            return cached.read_bytes()
    data = draw_card(label, stats)
    with staged_lock(staging, name):
        if cache.is_dir():
            for old in cache.glob("card-*.png"):
                old.unlink()
            write_atomically(cached, data)
    return data
