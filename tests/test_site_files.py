"""The built site as files: exports, sitemap and robots, hashed assets, atomic publishing, privacy changes."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline.defs import definitions
from pipeline.runs.build import build
from pipeline.site.exports import EXPORT_COLUMNS
from pipeline.site.publish import publish_site
from pipeline.site.vendor import CHART_JS, _matches, tarball


def _quiet_build(settings, instance, only=None):
    outcomes, published = build(settings, only, instance=instance, report=lambda _: None)
    assert published and all(o.ok for o in outcomes)


def test_exports_hold_one_row_per_instance_readable_by_spreadsheets(site, pipeline_world):
    settings, _, instance = site
    _quiet_build(settings, instance)
    folder = Path(settings.site.output_dir) / "u" / "al" / "collection"
    raw = (folder / "export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheet tools read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    items = pipeline_world.items("alice")
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert sorted(int(r["instance_id"]) for r in rows) == sorted(i["instance_id"] for i in items)
    by_instance = {i["instance_id"]: i["basic_information"] for i in items}
    for row in rows:
        info = by_instance[int(row["instance_id"])]
        assert row["title"] == info["title"] and int(row["release_id"]) == info["id"]
        assert row["formats"] == "; ".join(f["name"] for f in info["formats"])
        assert row["catno"] == "; ".join(lab["catno"] for lab in info["labels"] if lab.get("catno"))
    exported = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    assert [str(r["instance_id"]) for r in exported] == [r["instance_id"] for r in rows]
    for row in exported:  # lists stay JSON arrays, an unknown year is null
        info = by_instance[row["instance_id"]]
        assert row["formats"] == [f["name"] for f in info["formats"]] and isinstance(row["genres"], list)
        assert row["catno"] == [lab["catno"] for lab in info["labels"] if lab.get("catno")]
        assert row["year"] == (info["year"] or None)


def test_sitemap_robots_and_hashed_assets(site):
    settings, _, instance = site
    settings = settings.with_changes(base_path="/records/", site_url="https://example.org")
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert re.findall(r"<loc>(.*?)</loc>", sitemap) == [
        "https://example.org/records/", "https://example.org/records/u/al/collection/",
        "https://example.org/records/u/al/collection/all/"]
    assert "Sitemap: https://example.org/records/sitemap.xml" in (output / "robots.txt").read_text()
    names = {p.name for p in (output / "assets").iterdir()}
    chart = next(n for n in names if n.startswith("chart.umd.min-"))
    for page in output.rglob("*.html"):
        for ref in re.findall(r'(?:src|href)="([^"]*assets/[^"]+)"', page.read_text(encoding="utf-8")):
            assert ref.rsplit("/", 1)[1] in names, (page, ref)
    assert (output / "u/al/collection/index.html").read_text().count(chart) == 1
    bundle = (output / "assets" / chart).read_bytes()
    assert bundle.startswith(b"/*!") and f"Chart.js v{CHART_JS.version}".encode() in bundle[:200]


def _listed(output: Path) -> dict[str, bool]:
    """Whether al is on the index, in the site's feed and in the sitemap."""
    sitemap = output / "sitemap.xml"
    return {"index": 'href="/u/al/collection/"' in (output / "index.html").read_text(encoding="utf-8"),
            "feed": "<title>al: " in (output / "feed.xml").read_text(encoding="utf-8"),
            "sitemap": sitemap.is_file() and "/u/al/collection/" in sitemap.read_text(encoding="utf-8")}


def test_unreadable_staged_pages_keep_that_users_published_pages_and_publish_the_others(site):
    settings, _, instance = site
    settings = settings.with_changes(site_url="https://example.org")
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    assert _listed(output) == {"index": True, "feed": True, "sitemap": True}
    mine = {p.relative_to(output): p.read_bytes() for p in (output / "u" / "al").rglob("*") if p.is_file()}
    (settings.stores.pages_staging / "al" / "entry.json").write_text("{truncated", encoding="utf-8")
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("name: ob\n", "name: ob\n    display_name: Obi Renamed\n"))
    summary = publish_site(settings.stores.users(), settings.stores.pages_staging, output,
                           site_url="https://example.org")
    assert summary.warnings[0].startswith("user 'al': staged pages unreadable")
    # Her pages stand, so the index, the feed and the sitemap still lead to them (twice: a listing kept
    # from a publish that could not read her either).
    assert _listed(output) == {"index": True, "feed": True, "sitemap": True}
    publish_site(settings.stores.users(), settings.stores.pages_staging, output, site_url="https://example.org")
    assert _listed(output) == {"index": True, "feed": True, "sitemap": True}
    assert {p.relative_to(output): p.read_bytes() for p in (output / "u" / "al").rglob("*") if p.is_file()} == mine
    unlisted = next(p for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    assert "Obi Renamed" in (unlisted / "collection" / "index.html").read_text(encoding="utf-8")
    # The publish job as the UI and the schedule run it: comparing collectors does not trip over her either.
    job = definitions(settings).resolve_job_def("publish_site")
    assert job.execute_in_process(instance=instance, raise_on_error=False).success
    assert {p.relative_to(output): p.read_bytes() for p in (output / "u" / "al").rglob("*") if p.is_file()} == mine


def test_pages_that_cannot_be_written_are_reported_as_such_and_stay_listed(site):
    settings, _, instance = site
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    # Her collection's pages change, but her folder in the output cannot take them (here a file stands where
    # a directory must be; a full disk fails the same way): the output is at fault, not her data.
    shutil.rmtree(output / "u" / "al" / "collection" / "all")
    (output / "u" / "al" / "collection" / "all").write_text("in the way", encoding="utf-8")
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("name: al\n", "name: al\n    display_name: Al Renamed\n"))
    summary = publish_site(settings.stores.users(), settings.stores.pages_staging, output)
    problem = next(w for w in summary.warnings if "'al'" in w)
    assert "could not be written to the output" in problem and "unreadable" not in problem
    assert _listed(output)["index"] and "<title>Al Renamed: " in (output / "feed.xml").read_text(encoding="utf-8")


def test_switching_a_user_to_private_removes_their_pages(site):
    settings, _, instance = site
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    assert (output / "u" / "al").exists()
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("discogs_username: alice\n    visibility: public",
                                               "discogs_username: alice\n    visibility: private"))
    _quiet_build(settings, instance)
    assert not (output / "u" / "al").exists()
    for path in output.rglob("*"):
        if path.is_file():
            assert "alice" not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_tampered_vendored_download_is_refused(tmp_path):
    assert _matches(b"chart", "sha512-" + "A" * 86 + "==") is False
    cached = tmp_path / "npm" / CHART_JS.tarball
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the real tarball")
    data = tarball(CHART_JS, tmp_path)  # the bad copy is replaced by a verified download
    assert _matches(data, CHART_JS.integrity) and cached.read_bytes() == data


def test_releases_json_holds_the_table_exactly_even_for_awkward_text(site, pipeline_world):
    import polars as pl

    from pipeline.site.exports import RELEASE_COLUMNS

    settings, _, instance = site
    awkward = 'Quote " back\\slash \t tab\nnewline ü 坂本龍一 </script> \u2028'
    with pipeline_world.lock:
        pipeline_world.user("alice").items[7]["basic_information"]["title"] = awkward
        pipeline_world.version += 1
    _quiet_build(settings, instance)
    data = json.loads((Path(settings.site.output_dir) / "u/al/collection/releases.json").read_text(encoding="utf-8"))
    table = pl.read_parquet(Path(settings.stores.state_dir) / "stats" / "al.parquet")
    expected = table.sort(["added_at", "instance_id"], descending=True).select(list(RELEASE_COLUMNS)).rows()
    assert data["columns"] == list(RELEASE_COLUMNS)
    assert data["rows"] == [list(row) for row in expected]
    assert awkward in [row[3] for row in data["rows"]]


def test_without_a_site_url_there_is_no_sitemap_and_a_warning_says_why(site):
    settings, _, instance = site
    _quiet_build(settings.with_changes(site_url="https://example.org"), instance)
    output = Path(settings.site.output_dir)
    assert (output / "sitemap.xml").is_file()
    reports: list[str] = []
    outcomes, published = build(settings, instance=instance, report=reports.append)
    assert published and not (output / "sitemap.xml").exists()  # the stale one is gone too
    assert (output / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert "site: DISCOGS_SITE_URL is not set: sitemap.xml is left out (a sitemap needs absolute URLs)" in reports


def test_a_download_that_does_not_match_the_pinned_hash_is_refused_and_never_cached(tmp_path, monkeypatch):
    """A registry (or mirror) serving another file: refused, whatever the file holds. No real registry needed."""
    import http.server
    import tarfile
    import threading

    from pipeline.errors import SiteError

    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        payload = b"alert('not Chart.js')"
        member = tarfile.TarInfo(CHART_JS.member)
        member.size = len(payload)
        archive.addfile(member, io.BytesIO(payload))
    served: list[str] = []

    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(packed.getvalue())))
            self.end_headers()
            self.wfile.write(packed.getvalue())

        def log_message(self, *_: object) -> None:
            return

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry) as registry:
        threading.Thread(target=registry.serve_forever, daemon=True).start()
        monkeypatch.setenv("DISCOGS_SITE_NPM_REGISTRY", f"http://127.0.0.1:{registry.server_address[1]}")
        try:
            with pytest.raises(SiteError, match="does not match the pinned integrity of chart.js@"):
                tarball(CHART_JS, tmp_path)
        finally:
            registry.shutdown()
    assert served == [f"/chart.js/-/{CHART_JS.tarball}"]
    assert not (tmp_path / "npm" / CHART_JS.tarball).exists()


def test_every_page_credits_discogs_has_an_icon_and_public_users_link_their_collection(site):
    settings, _, instance = site
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    pages = [p for p in output.rglob("*.html")]
    assert len(pages) >= 8
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert '<a href="https://www.discogs.com/">Data provided by Discogs</a>' in text, page
        assert "not affiliated with, sponsored or endorsed by Discogs" in text, page
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', text)
        assert icon, page
        target = output / icon[1].lstrip("/") if icon[1].startswith("/") else page.parent / icon[1]
        assert target.resolve().is_file(), page
    public = (output / "u" / "al" / "collection" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://www.discogs.com/user/alice/collection"' in public
    unlisted = next(p for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    assert not any("discogs.com/user/" in p.read_text(encoding="utf-8") for p in unlisted.rglob("*.html"))


def test_link_previews_describe_each_collection_in_one_line(site):
    settings, _, instance = site
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    rows = json.loads((output / "u" / "al" / "collection" / "releases.json").read_text(encoding="utf-8"))
    rows = [dict(zip(rows["columns"], r, strict=True)) for r in rows["rows"]]
    genres = Counter(g for r in rows for g in set(r["genres"]))
    top = sorted(genres, key=lambda g: (-genres[g], g))[:2]
    years = [r["original_year"] for r in rows if r["original_year"]]
    line = f"{len(rows):,} records · mostly {top[0]} &amp; {top[1]} · {min(years)}–{max(years)}"
    for page in ("collection/index.html", "collection/all/index.html"):
        text = (output / "u" / "al" / page).read_text(encoding="utf-8")
        assert f'<meta property="og:description" content="{line}">' in text, page
        assert f'<meta name="description" content="{line}">' in text
        title = re.search(r"<title>(.*?)</title>", text)[1]
        assert f'<meta property="og:title" content="{title}">' in text and "record collection" in title
        assert '<meta name="twitter:card" content="summary">' in text
    index = (output / "index.html").read_text(encoding="utf-8")
    assert '<meta property="og:description" content="1 record collection · 230 records">' in index


def test_atom_feeds_of_new_additions_per_collection_and_for_the_public_site(site):
    import xml.etree.ElementTree as ET
    from datetime import datetime

    settings, _, instance = site
    _quiet_build(settings, instance)
    output = Path(settings.site.output_dir)
    atom = "{http://www.w3.org/2005/Atom}"

    def releases(folder: Path) -> list[dict]:
        data = json.loads((folder / "releases.json").read_text(encoding="utf-8"))
        return [dict(zip(data["columns"], r, strict=True)) for r in data["rows"]]

    al = output / "u" / "al" / "collection"
    feed = ET.parse(al / "feed.xml").getroot()
    assert feed.tag == f"{atom}feed" and feed.find(f"{atom}id").text.startswith("urn:uuid:")
    assert feed.find(f"{atom}author/{atom}name").text and feed.find(f"{atom}title").text
    entries = feed.findall(f"{atom}entry")
    newest = sorted(releases(al), key=lambda r: datetime.fromisoformat(r["date_added"]), reverse=True)[:50]
    assert len(entries) == 50 and len({e.find(f"{atom}id").text for e in entries}) == 50
    assert [e.find(f"{atom}link").get("href") for e in entries] == [
        f"https://www.discogs.com/release/{r['release_id']}" for r in newest]
    assert all(e.find(f"{atom}updated").text and e.find(f"{atom}title").text for e in entries)
    dashboard = (al / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml"' in dashboard and 'href="feed.xml"' in dashboard
    # The site's feed: public collectors only; the unlisted one's items and folder appear nowhere in it.
    site_feed = (output / "feed.xml").read_text(encoding="utf-8")
    unlisted = next(p for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    ours = {f"https://www.discogs.com/release/{r['release_id']}" for r in releases(al)}
    links = [e.find(f"{atom}link").get("href") for e in ET.fromstring(site_feed).findall(f"{atom}entry")]
    assert len(links) == 50 and set(links) <= ours and unlisted.name not in site_feed
    assert 'href="/feed.xml"' in (output / "index.html").read_text(encoding="utf-8")


def test_the_index_lists_public_collectors_by_name_with_their_top_genres(site):
    settings, _, instance = site
    _quiet_build(settings, instance)
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("    visibility: unlisted", "    visibility: public").replace(
        "  - name: al\n", "  - name: al\n    display_name: Zoë Ahl\n"))
    output = Path(settings.site.output_dir)
    publish_site(settings.stores.users(), settings.stores.pages_staging, output)
    index = (output / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<li data-find="[^"]*"><a href="[^"]*">([^<]+)</a>', index) == ["ob", "Zoë Ahl"]
    for name in ("al", "ob"):
        stats = json.loads((output / "u" / name / "collection" / "stats.json").read_text(encoding="utf-8"))
        top = " · ".join(genre for genre, _ in stats["counts"]["genres"][:3])
        assert f'<div class="genres">{top}</div>' in index.replace("&amp;", "&")
    assert '<p role="status" aria-live="polite" id="people-count">2 collections</p>' in index
