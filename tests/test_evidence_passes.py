"""Every pass that writes files writes a manifest of what it captured and wrote, as collect does:
``save`` (its pages and their images), ``media backfill`` (the images it stored); and ``verify``
holds for what they list."""

from __future__ import annotations

import json
from pathlib import Path

from collect_helpers import local_archive
from evidence_helpers import nv
from http_helpers import LoopbackServer, Reply
from media_helpers import image
from newsvault.archive import write_atomic
from newsvault.compose import init_archive
from newsvault.config import CONFIG_NAME
from newsvault.evidence.manifest import manifest_paths, read_manifest, sha256_file
from newsvault.record import Record

T0 = 1_750_000_000_000
PAGE = (Path(__file__).parent / "testdata" / "save" / "default-page.html").read_bytes()


def test_save_writes_a_manifest_of_the_page_it_archived(tmp_path: Path, loopback: LoopbackServer) -> None:
    a = init_archive(tmp_path / "archive")
    a.config.proxy = loopback.base  # the page is reached by its own host name, through a loopback proxy
    write_atomic(a.root / CONFIG_NAME, a.config.dump())
    a.close()
    root = tmp_path / "archive"
    url = "http://news.example.org/2024/report"
    loopback.route(url, Reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"}))
    r = nv(root, "save", "--json", url)
    assert r.exit_code == 0, r.output
    (saved,) = json.loads(r.stdout)
    (rel,) = manifest_paths(root)
    m = read_manifest(root, rel)
    assert m.header["kind"] == "save" and rel.split("/")[-1].startswith("save-")
    (entry,) = [e for e in m.entries if e.files]
    assert entry.url == url and entry.status == 200
    assert entry.files == [{"path": saved["path"], "sha256": sha256_file(root / saved["path"])}]
    v = nv(root, "verify", saved["path"])
    assert v.exit_code == 0 and "Every link holds" in v.output, v.output


def test_media_backfill_writes_a_manifest_of_the_images_it_stored(tmp_path: Path, loopback: LoopbackServer) -> None:
    picture = image("JPEG", (64, 48))
    loopback.static("/shot.jpg", picture, "image/jpeg")
    archive = local_archive(tmp_path / "a")
    with archive.batch():  # written without capture (as import does): only the images are the pass's
        archive.add(Record("截图", loopback.url("/a/1.html"), T0, f'<p>如图</p><img src="{loopback.url("/shot.jpg")}"><img src="{loopback.url("/gone.jpg")}">'), "cdt", seen=T0)
    archive.close()
    root = tmp_path / "a"
    assert manifest_paths(root) == []
    r = nv(root, "media", "backfill", "--timeout", "2")
    assert r.exit_code == 0, r.output
    (rel,) = manifest_paths(root)
    m = read_manifest(root, rel)
    assert m.header["kind"] == "backfill" and m.header["captures"] == 2  # the 404 is a capture too
    by_url = {e.url.rsplit("/", 1)[-1]: e for e in m.entries}
    assert by_url["gone.jpg"].status == 404 and by_url["gone.jpg"].files == []
    (stored,) = by_url["shot.jpg"].files
    assert stored["path"].startswith("media/") and (root / stored["path"]).read_bytes() == picture
    assert stored["sha256"] == sha256_file(root / stored["path"])
    v = nv(root, "verify", "--all")
    assert v.exit_code == 0, v.output
    # a second backfill stores nothing new: no manifest for it
    assert nv(root, "media", "backfill").exit_code == 0
    assert manifest_paths(root) == [rel]
