"""What changed, in real headless Chromium at phone and desktop widths, from file://: a version
page's diff (inline on a phone, side by side on a desktop), the changes page, the health page;
screenshots for the README (written to docs/screenshots/ only with NEWSVAULT_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from newsvault.archive import Archive
from newsvault.health import record_outcome
from newsvault.publish.render import article_path
from newsvault.publish.site import build_site
from publish_helpers import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
README_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DEMO_RECORDS = Path(__file__).resolve().parents[1] / "src" / "newsvault" / "demo" / "records"
EDITED = "8c1dd8ea78fe"  # 4 versions; v3 replaced 删除 by 禁止分享（如图）
WIDTHS = ((390, 844, "phone"), (1280, 800, "desktop"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("changes")
    run_cli("init", str(root / "a"), check=True)
    run_cli("-C", str(root / "a"), "import", str(DEMO_RECORDS), check=True)
    archive = Archive.open(root / "a")
    now = int(time.time() * 1000)
    record_outcome(archive, [("cdt", now - 3_600_000, True, None, 3, 1), ("cdt", now, False, "https://chinadigitaltimes.net/feed: HTTP 503", 0, 0),
                             ("matters", now, True, None, 0, 0)])
    (archive.root / "checks").mkdir(exist_ok=True)
    (archive.root / "checks" / "cdt.jsonl").write_text(
        f'{{"id": "{EDITED}", "url": "https://chinadigitaltimes.net/x", "checked": {now}, "status": "gone", "http": 404}}\n', encoding="utf-8")
    build_site(archive, root / "site")
    yield archive, root / "site"
    archive.close()


def _open(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    return context, page


def _visible_text(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.textContent)")


def _one_line(page, selector: str) -> bool:
    """Every element matching ``selector`` is laid out on one line (no date broken in two)."""
    return page.eval_on_selector_all(
        selector, "els => els.every(e => e.getClientRects().length <= 1 && e.getBoundingClientRect().height < 1.6 * parseFloat(getComputedStyle(e).lineHeight || 20))")


@pytest.mark.parametrize(("width", "height", "label"), WIDTHS)
def test_a_version_page_marks_inserted_and_deleted_characters(site, browser, width, height, label):
    _archive, root = site
    context, page = _open(browser, width, height)
    page.goto((root / article_path(EDITED)).as_uri(), wait_until="load")
    page.click("details.changes summary")
    assert "删除" in _visible_text(page, "details.changes del")
    assert "禁止分享（如图）" in _visible_text(page, "details.changes ins")
    inline = page.is_visible(".dl .both")
    sides = page.is_visible(".dl .old") and page.is_visible(".dl .new")
    if label == "phone":
        assert inline and not sides  # one column: deletions and insertions in one paragraph
    else:
        assert sides and not inline
        old, new = page.query_selector(".dl .old").bounding_box(), page.query_selector(".dl .new").bounding_box()
        assert old["x"] + old["width"] <= new["x"] and abs(old["y"] - new["y"]) < 2  # next to each other
    assert _visible_text(page, ".vlist .delta") == ["+152 −0", "+14 −0", "+8 −2"]
    assert _one_line(page, ".vlist .when")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_the_changes_and_health_pages_read_on_a_phone_and_a_desktop(site, browser, tmp_path):
    _archive, root = site
    shots_dir = README_SHOTS if os.environ.get("NEWSVAULT_SCREENSHOTS") == "1" else tmp_path
    shots_dir.mkdir(parents=True, exist_ok=True)
    for width, height, label in WIDTHS:
        context, page = _open(browser, width, height)
        page.goto((root / article_path(EDITED, 2)).as_uri(), wait_until="load")
        assert "CDT编者按：本文已被删除。" in _visible_text(page, ".diff ins")
        page.screenshot(path=str(shots_dir / f"diff-{label}.png"))

        page.goto((root / "changes.html").as_uri(), wait_until="load")
        entries = page.query_selector_all(".changelist li")
        assert entries[0].get_attribute("class") == "deleted"  # the deletion is the newest change
        edits = [e for e in entries if e.get_attribute("class").startswith("edit")]
        minor = [e for e in edits if "minor" in e.get_attribute("class")]
        assert len(edits) == 7 and 0 < len(minor) < 7
        # Minor changes are hidden until the reader asks for them (CSS only, no script).
        assert not any(e.is_visible() for e in minor) and all(e.is_visible() for e in edits if e not in minor)
        page.click('label[for="show-minor"]')
        assert all(e.is_visible() for e in minor)
        page.click('label[for="show-minor"]')
        assert _one_line(page, ".changelist time")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots_dir / f"changes-{label}.png"))
        page.click('.changelist li.edit:not(.minor) >> nth=0 >> a:has-text("和改动")')
        assert page.query_selector(".changes") is not None  # the link leads to the version's diff

        page.goto((root / "health.html").as_uri(), wait_until="load")
        rows = page.query_selector_all("table.health tbody tr")
        assert [r.get_attribute("class") for r in rows][:2] == ["failing", "ok"]
        assert "HTTP 503" in rows[0].inner_text()
        assert _one_line(page, "table.health .when")
        page.screenshot(path=str(shots_dir / f"health-{label}.png"))
        context.close()
    for name in ("diff", "changes", "health"):
        for _w, _h, label in WIDTHS:
            assert (shots_dir / f"{name}-{label}.png").stat().st_size < 400_000
