"""fsck verifies kept images against their names; fsck --repair fetches them again."""

from __future__ import annotations

from pathlib import Path

from collect_helpers import local_archive, no_dns
from http_helpers import LoopbackServer
from media_helpers import enable_media, image
from newsvault.compose import open_archive
from newsvault.fetch import FetchPolicy
from newsvault.media import backfill, open_store
from newsvault.preserve.fsck import fsck
from newsvault.record import Record

T0 = 1_750_000_000_000


def test_fsck_reports_missing_and_corrupt_images_and_repair_fetches_them(tmp_path: Path, loopback: LoopbackServer, cli):
    one, two = image("PNG", (30, 20)), image("JPEG", (50, 40))
    loopback.static("/one.png", one, "image/png")
    loopback.static("/two.jpg", two, "image/jpeg")
    archive = local_archive(tmp_path / "a")
    enable_media(archive.root)
    archive.close()
    archive = open_archive(archive.root)  # with its search index, so that fsck has only media to say
    try:
        with archive.batch():
            archive.add(Record("图", loopback.url("/a/1.html"), T0, f'<img src="{loopback.url("/one.png")}"><img src="{loopback.url("/two.jpg")}">'), "cdt", seen=T0)
        assert backfill(archive, policy=FetchPolicy(timeout=2, resolver=no_dns), now=T0).fetched == 2
        assert fsck(archive).clean
        with open_store(archive) as store:
            files = {Path(r.url).name: store.dir / (r.rel or "") for r in store.rows()}
        files["one.png"].unlink()
        files["two.jpg"].write_bytes(b"\xff\xd8\xff damaged")
        report = fsck(archive)
        assert sorted((p.kind, Path(p.path or "").name) for p in report.problems) == [
            ("media-corrupt", files["two.jpg"].name), ("media-missing", files["one.png"].name)]
        out = cli("-C", str(archive.root), "fsck")
        assert out.returncode == 1 and "media-missing" in out.stdout and "media-corrupt" in out.stdout
        repaired = fsck(archive, repair=True)
        assert repaired.clean and "fetched 2 of 2 images again" in repaired.actions
        assert files["one.png"].read_bytes() == one and files["two.jpg"].read_bytes() == two
    finally:
        archive.close()
