"""The README's first command: ``newsvault demo`` works offline on a fresh folder, and twice."""

import json
import re
from pathlib import Path

from newsvault.collect.demo import DEMO_IMAGE


def test_demo_builds_a_searchable_archive_and_site_offline(tmp_path, cli):
    out = cli("demo", str(tmp_path / "demo"), check=True).stdout
    assert "$ newsvault -C" in out and "collect" in out
    archive = tmp_path / "demo" / "archive"
    assert (tmp_path / "demo" / "site" / "index.html").is_file()
    assert (archive / "README.md").is_file() and list((archive / "lists").glob("*.md"))
    stats = json.loads(cli("-C", str(archive), "stats", "--json", check=True).stdout)
    assert {"rfi", "cdt", "yeeyan"} <= set(stats["sources"])
    hits = json.loads(cli("-C", str(archive), "search", "七国集团 加沙", "--json", check=True).stdout)
    assert hits["results"][0]["id"] == "5be844d2d106"
    _shows_the_archived_image(archive, tmp_path / "demo" / "site", cli)
    # A second run continues the same archive: nothing new, nothing lost.
    again = cli("demo", str(tmp_path / "demo"), check=True).stdout
    assert "seen 37: imported 0, revisions 0, unchanged 37, rejected 0" in again
    again_stats = json.loads(cli("-C", str(archive), "stats", "--json", check=True).stdout)
    assert again_stats.pop("health").keys() == stats.pop("health").keys()  # pass times differ: the demo collected again
    assert again_stats == stats


def _shows_the_archived_image(archive: Path, site: Path, cli) -> None:
    """The demo's own article keeps its loopback image; its site page shows the archive's copy;
    the outlets' images (on other hosts) were not fetched, so only that one file is kept."""
    kept = [p for p in (archive / "media").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in kept] == [DEMO_IMAGE.read_bytes()]
    listed = json.loads(cli("-C", str(archive), "ls", "--source", "newsvault", "--json", check=True).stdout)
    (article,) = listed
    page = next(site.glob(f"articles/*/{article['id']}.html"))
    (src,) = re.findall(r'<img src="([^"]+)"', page.read_text())
    assert src.startswith("../../media/") and (page.parent / src).resolve().read_bytes() == DEMO_IMAGE.read_bytes()


def test_demo_refuses_a_non_empty_folder(tmp_path, cli):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    proc = cli("demo", str(tmp_path / "x"))
    assert proc.returncode == 1 and "not empty" in proc.stderr
