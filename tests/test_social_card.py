"""Each published collection's social card: a 1200×630 PNG drawn at publish time, named by the pages for
link previews when the site's URL is known, and drawn again only when what it shows changes."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from pipeline.runs.build import build
from pipeline.site.card import draw_card


def _card(output: Path, directory: str) -> Path:
    return output / "u" / directory / "collection" / "card.png"


def test_a_collection_card_is_published_and_named_for_link_previews(site):
    settings, _, instance = site
    settings = settings.with_changes(site_url="https://records.example.org")
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    output = Path(settings.site.output_dir)
    card = _card(output, "al")
    with Image.open(card) as image:
        assert image.format == "PNG" and image.size == (1200, 630)
        assert len(image.getcolors(1 << 16) or []) > 20, "a drawing, not a blank"
    dashboard = (output / "u" / "al" / "collection" / "index.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://records.example.org/u/al/collection/card.png">' in dashboard
    assert '<meta name="twitter:card" content="summary_large_image">' in dashboard
    # The unlisted user's card lives under their unguessable folder, the private user has none.
    unlisted = next(p.name for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    assert _card(output, unlisted).is_file()
    assert sorted(p.parent.parent.name for p in output.glob("u/*/collection/card.png")) == ["al", unlisted]


def test_without_the_sites_url_the_card_is_published_but_not_named(site):
    settings, _, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    output = Path(settings.site.output_dir)
    assert _card(output, "al").is_file()
    dashboard = (output / "u" / "al" / "collection" / "index.html").read_text(encoding="utf-8")
    assert "og:image" not in dashboard and '<meta name="twitter:card" content="summary">' in dashboard


def test_the_card_is_drawn_again_only_when_what_it_shows_changes(site):
    settings, _, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    cached = next((Path(settings.stores.pages_staging) / "al").glob("card-*.png"))
    first, drawn_at = _card(Path(settings.site.output_dir), "al").read_bytes(), cached.stat().st_mtime_ns
    build(settings, ["al"], instance=instance, report=lambda _: None)
    assert next((Path(settings.stores.pages_staging) / "al").glob("card-*.png")) == cached
    assert cached.stat().st_mtime_ns == drawn_at, "not drawn again"
    assert _card(Path(settings.site.output_dir), "al").read_bytes() == first
    # A new display name is a new card.
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("  - name: al\n", "  - name: al\n    display_name: Alice A.\n"))
    build(settings, ["al"], instance=instance, report=lambda _: None)
    assert _card(Path(settings.site.output_dir), "al").read_bytes() != first


def test_a_long_name_and_an_empty_collection_still_draw():
    stats = {"totals": {"items": 0, "earliest_year": None, "latest_year": None},
             "counts": {"genres": [], "artists": []}}
    with Image.open(io.BytesIO(draw_card("Ünïcödé " * 20, stats))) as image:
        assert image.size == (1200, 630)
