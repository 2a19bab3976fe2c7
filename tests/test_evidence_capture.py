"""WARC evidence: every exchange of collect, watch (and recheck) recorded, readable by warcio at its
offset with the exact bytes the server sent, verified by fsck, packaged as WACZ; a capture
killed mid-write leaves at most a truncated last record and the next pass starts a new file."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from collect_helpers import FeedServer, Item, Reply, corpus_records, page, rss20, watch_first_pass
from evidence_helpers import nv
from newsvault.config import CONFIG_NAME, Config
from newsvault.errors import ConfigError
from newsvault.evidence import WarcRecorder, read_index
from newsvault.evidence.verify import read_capture, verify_warcs
from newsvault.fetch import Fetcher, FetchPolicy


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """The warcio command line's own check (digests of every record)."""
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True)


PAGE_BYTES = page("测试文章", "<p>第一段文字。</p><p>第二段文字，足够长的正文内容，用来测试正文提取是否完整可靠。</p>" * 5).encode("utf-8")


def _serve_site(srv: FeedServer) -> tuple[str, str]:
    """A feed of two page-bodied articles, one reached through a redirect."""
    recs = corpus_records("cdt", 2)
    a, b = srv.url("/a/1.html"), srv.url("/a/2.html")
    srv.static("/a/1.html", PAGE_BYTES, "text/html; charset=utf-8", conditional=False)
    srv.static("/a/2.html", PAGE_BYTES.replace("测试文章".encode(), "第二篇".encode()), "text/html; charset=utf-8", conditional=False)
    srv.sequence("/moved", [Reply(301, b"", {"Location": b})])
    srv.static("/feed.xml", rss20([Item(recs[0].title, a, "", recs[0].published), Item(recs[1].title, srv.url("/moved"), "", recs[1].published)]))
    return a, b


def test_config_key_is_validated_and_new_archives_capture(tmp_path, root):
    text = (root / CONFIG_NAME).read_text(encoding="utf-8")
    assert "[capture]" in text and "warc = true" in text
    assert Config.load(root / CONFIG_NAME).warc is True
    old = tmp_path / "old.toml"
    old.write_text('[archive]\nname = "x"\n', encoding="utf-8")
    assert Config.load(old).warc is False  # an existing archive does not start capturing unasked
    old.write_text('[capture]\nwarc = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"capture\.warc: expected true or false, got 'yes'"):
        Config.load(old)
    old.write_text("[capture]\nwarcs = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"capture\.warcs: unknown key \(did you mean 'warc'\?\)"):
        Config.load(old)


def test_collect_records_every_exchange_replayable_byte_for_byte(root, srv):
    a, b = _serve_site(srv)
    assert nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page").exit_code == 0
    r = nv(root, "collect")
    assert r.exit_code == 0, r.output
    captures, problems = read_index(root)
    assert not problems
    urls = [c.url for c in captures]
    # the feed, the first page, the redirect hop and the page it led to
    assert srv.url("/feed.xml") in urls and a in urls and srv.url("/moved") in urls and b in urls
    assert {c.status for c in captures if c.url == srv.url("/moved")} == {301}
    files = sorted({c.file for c in captures})
    for f in files:
        check = warcio_check(root / f)
        assert check.returncode == 0, check.stdout + check.stderr
    page_capture = next(c for c in captures if c.url == a)
    record, payload = read_capture(root, page_capture)
    assert record.rec_type == "response" and payload == PAGE_BYTES  # exactly what the server sent
    assert record.rec_headers.get_header("WARC-Payload-Digest") == page_capture.digest
    assert record.http_headers.get_statuscode() == "200"
    # a day-and-number name under warc/YYYY/MM/DD
    assert all(Path(f).name.startswith("newsvault-") and f.count("/") == 4 for f in files)
    assert verify_warcs(root).problems == []
    fsck = nv(root, "fsck", "--json")
    assert not [p for p in json.loads(fsck.output)["problems"] if p["kind"] == "warc"], fsck.output


def test_show_evidence_lists_the_captures_behind_a_version(root, srv):
    a, _ = _serve_site(srv)
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page")
    assert nv(root, "collect").exit_code == 0
    article_id = next(x["id"] for x in json.loads(nv(root, "ls", "--json").output) if x["url"] == a)
    r = nv(root, "show", article_id, "--evidence")
    assert r.exit_code == 0, r.output
    assert "version 0" in r.output and f"200  {a}" in r.output and ".warc.gz @ " in r.output and "sha1:" in r.output
    data = json.loads(nv(root, "show", article_id, "--evidence", "--json").output)
    urls = {c["url"] for c in data[0]["captures"]}
    assert a in urls and srv.url("/feed.xml") in urls


def _member_starts(data: bytes) -> list[int]:
    """Where each gzip member of a WARC file starts."""
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        d = zlib.decompressobj(wbits=31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return starts


def test_fsck_reports_a_record_cut_mid_member_and_the_next_pass_starts_a_new_file(root, srv):
    recs = corpus_records("cdt", 2)
    srv.static("/feed.xml", rss20([Item.of(recs[0])]))
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "feed")
    assert nv(root, "collect").exit_code == 0
    (name,) = list((root / "warc").rglob("*.warc.gz"))
    data = name.read_bytes()
    last = _member_starts(data)[-1]
    cut = data[: last + (len(data) - last) // 2]  # what a kill -9 in the middle of a write leaves
    name.write_bytes(cut)
    r = nv(root, "fsck", "--json")
    assert r.exit_code == 1
    (problem,) = [p for p in json.loads(r.output)["problems"] if p["kind"] == "warc"]
    assert problem["path"].endswith(name.name) and f"truncated record at offset {last}" in problem["detail"]
    assert "DAMAGED   warc" in nv(root, "fsck").output
    srv.static("/feed.xml", rss20([Item.of(r) for r in recs]))
    assert nv(root, "collect").exit_code == 0
    files = sorted(p.name for p in (root / "warc").rglob("*.warc.gz"))
    assert len(files) == 2 and name.name in files  # a new file; the damaged one untouched
    (new,) = [f for f in files if f != name.name]
    assert name.read_bytes() == cut
    assert warcio_check(root / "warc" / name.parent.relative_to(root / "warc") / new).returncode == 0
    again = [p for p in json.loads(nv(root, "fsck", "--json").output)["problems"] if p["kind"] == "warc"]
    assert again == [problem]  # still the one cut record, nothing new


_WRITER = """
import sys, time
from newsvault.evidence import WarcRecorder
from newsvault.fetch.client import Exchange
rec = WarcRecorder(sys.argv[1])
body = bytes(range(256)) * 4096  # 1 MB a record: a kill lands mid-write often
n = 0
while True:
    rec(Exchange("http://127.0.0.1:9/x" + str(n), time.time(), [("Host", "127.0.0.1")], 200, "OK", "HTTP/1.1", [("Content-Type", "application/octet-stream")], body))
    n += 1
"""


def test_kill_during_capture_leaves_only_a_truncated_last_record(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], env=env)
    try:
        index = tmp_path / "warc" / "index.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not index.exists() or index.read_text().count("\n") < 3):
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    captures, _ = read_index(tmp_path)
    assert len(captures) >= 3
    for c in captures:  # every indexed record is whole
        record, payload = read_capture(tmp_path, c)
        assert len(payload) == 256 * 4096
    # whatever fsck finds is in the one file, at its end
    problems = verify_warcs(tmp_path).problems or []
    assert len(problems) <= 1
    assert all("truncated" in what for _, what in problems)
    (name,) = list((tmp_path / "warc").rglob("*.warc.gz"))
    with gzip.open(name) as g:  # the complete members before the end read cleanly
        try:
            while g.read(1 << 20):
                pass
        except EOFError:
            assert problems  # only a truncated end can stop gzip, and fsck has said so


def test_wacz_package_structure(root, srv, tmp_path):
    _serve_site(srv)
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page")
    assert nv(root, "collect").exit_code == 0
    out = tmp_path / "captures.wacz"
    r = nv(root, "export", "--wacz", str(out))
    assert r.exit_code == 0, r.output
    captures, _ = read_index(root)
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdxj", "pages/pages.jsonl"} <= names
        warcs = [n for n in names if n.startswith("archive/") and n.endswith(".warc.gz")]
        assert warcs and all(z.getinfo(n).compress_type == zipfile.ZIP_STORED for n in warcs)
        package = json.loads(z.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
        import hashlib

        listed = {res["path"]: res for res in package["resources"]}
        assert set(listed) == names - {"datapackage.json", "datapackage-digest.json"}
        for path, res in listed.items():
            data = z.read(path)
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res["bytes"] == len(data)
        digest = json.loads(z.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()
        lines = z.read("indexes/index.cdxj").decode().splitlines()
        assert len(lines) == len(captures) and lines == sorted(lines)
        key, stamp, fields = lines[0].split(" ", 2)
        assert key.startswith("1,0,0,127:") and len(stamp) == 14  # SURT as pywb keys it: even an address is reversed
        entry = json.loads(fields)
        # the offset in the CDXJ line finds the record inside the packaged WARC
        import io

        from warcio.archiveiterator import ArchiveIterator

        blob = z.read("archive/" + entry["filename"])
        record = next(iter(ArchiveIterator(io.BytesIO(blob[int(entry["offset"]):]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()]
        assert pages[0]["format"] == "json-pages-1.0" and len(pages) >= 3


def test_recheck_exchanges_are_captured_too(root, srv):
    a, _ = _serve_site(srv)
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page")
    assert nv(root, "collect").exit_code == 0
    before = len(read_index(root)[0])
    r = nv(root, "recheck", "--delay", "0", "--json")
    assert r.exit_code == 0, r.output
    captures = read_index(root)[0]
    assert len(captures) > before and a in {c.url for c in captures[before:]}
    assert len({c.file for c in captures}) == 2  # the recheck run wrote its own file
    assert verify_warcs(root).problems == []


def test_watch_captures_like_collect(root, srv):
    a, b = _serve_site(srv)
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page", "--interval", "60")
    first, _out, err, code = watch_first_pass(root)
    assert "2 new" in first.splitlines()[-1], first
    assert code == 0, err
    captures, problems = read_index(root)
    assert not problems
    assert {srv.url("/feed.xml"), a, srv.url("/moved"), b} <= {c.url for c in captures}
    for f in sorted({c.file for c in captures}):
        check = warcio_check(root / f)
        assert check.returncode == 0, check.stdout + check.stderr
    record, payload = read_capture(root, next(c for c in captures if c.url == a))
    assert record.rec_type == "response" and payload == PAGE_BYTES
    assert verify_warcs(root).problems == []


def test_response_records_name_the_address_that_answered(tmp_path, srv):
    srv.static("/x", b"payload", "text/plain", conditional=False)
    srv.sequence("/hop", [Reply(302, b"", {"Location": srv.url("/x")})])

    async def fetch(recorder: WarcRecorder) -> None:
        async with Fetcher(FetchPolicy(allow_private=True, capture=recorder)) as f:
            await f.get(srv.url("/hop"))

    with WarcRecorder(tmp_path) as recorder:
        asyncio.run(fetch(recorder))
    captures, _ = read_index(tmp_path)
    assert [c.status for c in captures] == [302, 200]
    for c in captures:  # the redirect hop and the page it led to, each from its connection
        record, _ = read_capture(tmp_path, c)
        assert record.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert warcio_check(tmp_path / captures[0].file).returncode == 0
