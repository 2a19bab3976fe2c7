"""``newsvault media backfill / ls / stats`` and the ``[media]`` config keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collect_helpers import local_archive
from http_helpers import LoopbackServer
from media_helpers import image
from newsvault.archive import Archive, write_atomic
from newsvault.config import CONFIG_NAME, Config
from newsvault.errors import ConfigError
from newsvault.evidence import read_index
from newsvault.media import backfill, open_store
from newsvault.record import Record

T0 = 1_750_000_000_000


def test_backfill_ls_and_stats_through_the_cli(tmp_path: Path, loopback: LoopbackServer, cli):
    picture = image("JPEG", (64, 48))
    loopback.static("/shot.jpg", picture, "image/jpeg")
    archive = local_archive(tmp_path / "a")  # [media] fetch stays off: backfill works regardless
    with archive.batch():
        archive.add(Record("截图", loopback.url("/a/1.html"), T0, f'<p>如图</p><img src="{loopback.url("/shot.jpg")}"><img src="{loopback.url("/gone.jpg")}">'), "cdt", seen=T0)
    archive.close()
    root = str(tmp_path / "a")
    out = cli("-C", root, "media", "backfill", "--timeout", "2", check=True)
    assert out.stdout.startswith("images: 1 fetched (1 new files") and "failed (http-error 1)" in out.stdout
    assert "gone.jpg: HTTP 404" in out.stderr
    listed = cli("-C", root, "media", "ls", "--failed", check=True).stdout
    assert "http-error" in listed and "gone.jpg" in listed and "shot.jpg" not in listed
    rows = json.loads(cli("-C", root, "media", "ls", "--json", check=True).stdout)
    kept = next(r for r in rows if r["status"] == "ok")
    assert (kept["width"], kept["height"], kept["type"]) == (64, 48, "image/jpeg")
    assert (tmp_path / "a" / "media" / kept["file"]).read_bytes() == picture
    stats = json.loads(cli("-C", root, "media", "stats", "--json", check=True).stdout)
    assert stats["statuses"] == {"http-error": 1, "ok": 1} and stats["bytes"] == len(picture)
    again = cli("-C", root, "media", "backfill", check=True).stdout
    assert again.startswith("images: 0 fetched") and "1 already kept" in again and "1 waiting to retry" in again
    # every image fetch is WARC evidence too, as collect's and recheck's are
    captures, problems = read_index(tmp_path / "a")
    assert not problems and {(c.url.rsplit("/", 1)[-1], c.status) for c in captures} == {("shot.jpg", 200), ("gone.jpg", 404)}


def test_backfill_of_an_unknown_source_is_one_line(tmp_path: Path, cli):
    local_archive(tmp_path / "a").close()
    proc = cli("-C", str(tmp_path / "a"), "media", "backfill", "--source", "nope")
    assert proc.returncode == 1 and proc.stderr.startswith("newsvault: error: no source 'nope' in this archive (known: ") and proc.stderr.count("\n") == 1


def test_media_config_keys_are_read_written_and_checked(tmp_path: Path):
    path = tmp_path / CONFIG_NAME
    write_atomic(path, '[media]\nfetch = true\ndir = "../archive-media"\npass_mb = 50\n')
    config = Config.load(path)
    assert (config.media.fetch, config.media.dir, config.media.pass_mb, config.media.max_image_mb) == (True, "../archive-media", 50, 10)
    write_atomic(path, config.dump())
    assert Config.load(path).media == config.media
    assert Config().media.fetch is False  # an archive from before [media] does not start fetching


@pytest.mark.parametrize(("text", "message"), [
    ("[media]\nfetch = 1\n", "media.fetch: expected true or false, got 1"),
    ("[media]\nfetc = true\n", "media.fetc: unknown key (did you mean 'fetch'?)"),
    ("[media]\npass_mb = -1\n", "media.pass_mb: expected a number of megabytes (0 for no limit), got -1"),
    ("[media]\nmax_image_mb = 0\n", "media.max_image_mb: expected at least 1 (megabytes per image)"),
    ("media = 3\n", "media: expected a table ([media]), got 3"),
])
def test_bad_media_config_is_named(tmp_path: Path, text: str, message: str):
    path = tmp_path / CONFIG_NAME
    write_atomic(path, text)
    with pytest.raises(ConfigError) as e:
        Config.load(path)
    assert str(e.value) == f"{path}: {message}"


def test_init_keeps_images_with_its_caps_written_and_no_media_opts_out(tmp_path: Path, cli):
    cli("init", str(tmp_path / "a"), check=True)
    text = (tmp_path / "a" / CONFIG_NAME).read_text()
    assert "[media]\nfetch = true\nmax_image_mb = 10\npass_mb = 200\n" in text  # the caps, where a user sees them
    media = Config.load(tmp_path / "a" / CONFIG_NAME).media
    assert (media.fetch, media.max_image_mb, media.pass_mb) == (True, 10, 200)
    cli("init", str(tmp_path / "b"), "--no-media", check=True)
    assert Config.load(tmp_path / "b" / CONFIG_NAME).media.fetch is False


def test_media_hosts_limits_what_is_fetched(tmp_path: Path, loopback: LoopbackServer):
    """``[media] hosts``: an image elsewhere is neither fetched nor noted (widening the list
    lets a later backfill fetch it)."""
    loopback.static("/a.png", image("PNG", (20, 10)), "image/png")
    archive = local_archive(tmp_path / "archive")
    write_atomic(archive.root / CONFIG_NAME, '[fetch]\nallow_private = true\n\n[media]\nfetch = true\nhosts = ["localhost"]\n')
    archive.close()
    archive = Archive.open(archive.root)
    body = f'<p>图</p><img src="{loopback.url("/a.png")}">'
    with archive.batch():
        archive.add(Record("有图", loopback.url("/p/1.html"), 1_750_000_000_000, body), "cdt", seen=1_750_000_000_000)
    report = backfill(archive)
    assert (report.seen, report.skipped, report.fetched, loopback.requests) == (1, 1, 0, [])
    assert "1 on hosts not in [media] hosts" in report.summary()
    with open_store(archive) as store:
        assert list(store.rows()) == []
    write_atomic(archive.root / CONFIG_NAME, '[fetch]\nallow_private = true\n\n[media]\nfetch = true\nhosts = ["127.0.0.1"]\n')
    archive.close()
    archive = Archive.open(archive.root)
    assert backfill(archive).fetched == 1
    archive.close()
