"""Evidence that proves itself: a manifest per pass, a time-stamp token for it from a TSA (one
of the tests' own on 127.0.0.1), and ``verify`` walking record ↔ manifest ↔ WARC ↔ token ↔ TSA
chain offline, naming the first link that breaks."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from collect_helpers import Item, rss20
from evidence_helpers import nv
from newsvault.config import CONFIG_NAME, Config
from newsvault.evidence.manifest import manifest_paths, read_manifest
from tsa_helpers import LoopbackTSA

T0 = 1_700_000_000_000
FILLER = "<p>" + "记者从现场发回的报道称，当地局势仍在发展之中，更多细节有待核实。" * 8 + "</p>"


def item(n: int) -> Item:
    # links to a closed loopback port: the feed carries the whole body, nothing else is fetched
    return Item(f"第{n}篇报道", f"http://127.0.0.1:9/a/{n}", f"<p>第{n}篇报道的正文。</p>" + FILLER, T0 + n * 3600_000)


def configure(root: Path, tsa: LoopbackTSA, timeout: float = 5.0) -> None:
    path = root / CONFIG_NAME
    config = Config.load(path)
    config.evidence.timestamp_authorities = [tsa.url]
    config.evidence.timestamp_timeout = timeout
    root_pem = root / "trust" / "root.pem"
    root_pem.parent.mkdir(exist_ok=True)
    shutil.copy(tsa.root, root_pem)
    config.evidence.trust_roots = ["trust/root.pem"]
    path.write_text(config.dump(), encoding="utf-8")


@pytest.fixture
def tsa(tmp_path):
    with LoopbackTSA(tmp_path / "pki") as t:
        yield t


@pytest.fixture
def collected(root, srv, tsa):
    """An archive that collected two articles over loopback, timestamped by the test TSA."""
    configure(root, tsa)
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    r = nv(root, "collect")
    assert r.exit_code == 0, r.output
    return root


def verify(root: Path, *args: str) -> tuple[int, dict]:
    r = nv(root, "verify", *args, "--json")
    return r.exit_code, json.loads(r.stdout)


def broken_link(root: Path) -> str:
    code, data = verify(root, "--all")
    assert code == 1
    return next(f["broken"]["link"] for f in data["findings"] if not f["ok"])


def test_a_pass_writes_a_manifest_of_its_captures_and_files_and_a_token_for_it(collected, srv):
    (rel,) = manifest_paths(collected)
    assert rel.startswith("manifests/") and rel.split("/")[-1].startswith("collect-")
    m = read_manifest(collected, rel)
    assert m.header["kind"] == "collect" and m.header["captures"] == len(m.entries) == 1
    (entry,) = m.entries
    assert entry.url == srv.url("/feed.xml") and entry.status == 200 and entry.ip == "127.0.0.1"
    assert entry.warc.startswith("warc/") and entry.payload_digest.startswith("sha1:")
    paths = sorted(f["path"] for f in entry.files)
    assert len(paths) == 2 and all(p.startswith("articles/t/") for p in paths)
    assert (collected / (rel + ".tsr")).is_file()
    # no moment of processing: the header's times are the capture's own
    assert m.header["first_capture"] == entry.time


def test_openssl_accepts_the_stored_token_without_newsvault(collected, tsa):
    (rel,) = manifest_paths(collected)
    done = subprocess.run(["openssl", "ts", "-verify", "-data", str(collected / rel), "-in", str(collected / (rel + ".tsr")), "-CAfile", str(tsa.root)], capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr


def test_verify_all_holds_and_speaks_plainly(collected, srv):
    code, data = verify(collected, "--all")
    assert code == 0 and data["ok"] and data["checked"] == 2
    f = data["findings"][0]
    assert f["capture"]["url"] == srv.url("/feed.xml") and f["timestamp"]["tsa"] == "CN=newsvault test TSA"
    r = nv(collected, "verify", f["path"])
    assert r.exit_code == 0
    assert f"It was written from what {srv.url('/feed.xml')} sent (HTTP 200 from server address 127.0.0.1)" in r.output
    assert "timestamped by CN=newsvault test TSA" in r.output and "Every link holds." in r.output


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_changed_byte_breaks_the_link_it_is_in(collected, tmp_path):
    (rel,) = manifest_paths(collected)
    entry = read_manifest(collected, rel).entries[0]
    record = collected / entry.files[0]["path"]
    pristine = tmp_path / "pristine"
    shutil.copytree(collected, pristine, symlinks=True)

    def reset() -> None:
        shutil.rmtree(collected)
        shutil.copytree(pristine, collected, symlinks=True)

    _flip(record, record.stat().st_size - 3)
    assert broken_link(collected) == "record"
    r = nv(collected, "verify", entry.files[0]["path"])
    assert r.exit_code == 1 and "the record link is broken" in r.stderr and r.stderr.count("\n") == 1
    reset()

    warc = collected / entry.warc  # a byte of the feed's payload, inside the gzip member
    import gzip

    with open(warc, "rb") as f:
        f.seek(entry.offset)
        member = f.read(entry.length)
    body = bytearray(gzip.decompress(member))
    body[-10] ^= 0x01
    with open(warc, "r+b") as f:
        rest = warc.read_bytes()[entry.offset + entry.length :]
        f.seek(entry.offset)
        f.write(gzip.compress(bytes(body)) + rest)
        f.truncate()
    assert broken_link(collected) == "warc"
    reset()

    manifest = collected / rel
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('"kind": "collect"', '"kind": "collecT"'), encoding="utf-8")
    assert broken_link(collected) == "token"
    reset()

    _flip(collected / (rel + ".tsr"), -20 % (collected / (rel + ".tsr")).stat().st_size)
    assert broken_link(collected) in ("token", "tsa")
    reset()


def test_a_token_for_another_hash_is_refused(collected, tsa, tmp_path):
    from newsvault.evidence.timestamp import request_token

    (rel,) = manifest_paths(collected)
    _, other = request_token([tsa.url], b"some other manifest", 5)
    (collected / (rel + ".tsr")).write_bytes(other)
    code, data = verify(collected, "--all")
    assert code == 1
    assert data["findings"][0]["broken"]["link"] == "token" and "vouches for" in data["findings"][0]["broken"]["problem"]


def test_a_token_from_an_authority_outside_the_trust_roots_is_refused(collected, tmp_path):
    (rel,) = manifest_paths(collected)
    with LoopbackTSA(tmp_path / "other-pki", cn="stranger TSA") as stranger:
        from newsvault.evidence.timestamp import request_token

        _, token = request_token([stranger.url], (collected / rel).read_bytes(), 5)
    (collected / (rel + ".tsr")).write_bytes(token)
    assert broken_link(collected) == "tsa"


@pytest.mark.parametrize("mode", ["down", "slow", "garbage"])
def test_a_failing_tsa_never_fails_the_pass_and_the_next_pass_gets_the_token(root, srv, tsa, mode):
    configure(root, tsa, timeout=0.5)
    tsa.mode = mode
    tsa.delay = 3.0
    srv.static("/feed.xml", rss20([item(1)]))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    r = nv(root, "collect")
    assert r.exit_code == 0, r.output
    assert "timestamping failed, retried next pass" in r.stderr
    (first,) = manifest_paths(root)
    assert not (root / (first + ".tsr")).exists()
    stats = json.loads(nv(root, "stats", "--json").stdout)
    assert stats["evidence"]["timestamps"]["pending"] == 1 and stats["evidence"]["timestamps"]["last_error"]
    assert broken_link(root) == "token"  # authorities configured and no token yet: said so

    tsa.release.set()
    tsa.mode = "ok"
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    r = nv(root, "collect")
    assert r.exit_code == 0 and "timestamping failed" not in r.stderr
    paths = manifest_paths(root)
    assert len(paths) == 2 and all((root / (p + ".tsr")).is_file() for p in paths)
    assert json.loads(nv(root, "stats", "--json").stdout)["evidence"]["timestamps"]["pending"] == 0
    code, _ = verify(root, "--all")
    assert code == 0


def test_without_authorities_a_pass_still_writes_its_manifest_and_verify_says_not_timestamped(root, srv):
    srv.static("/feed.xml", rss20([item(1)]))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    assert nv(root, "collect").exit_code == 0
    (rel,) = manifest_paths(root)
    assert not (root / (rel + ".tsr")).exists()
    r = nv(root, "verify", "--all")
    assert r.exit_code == 0 and "not timestamped" in r.output


def test_verify_needs_a_target(root):
    r = nv(root, "verify")
    assert r.exit_code == 2


def test_every_capture_replays_from_the_wacz_through_its_own_index(root, srv, tmp_path):
    """The index keys are looked up as pywb does (its canonicalize when pywb is installed, else
    the surt package it uses), and each key leads to the record with the captured payload."""
    import io
    import zipfile

    from warcio.archiveiterator import ArchiveIterator

    from newsvault.evidence import read_index

    try:
        from pywb.utils.canonicalize import canonicalize as lookup_key
    except ImportError:
        from surt import surt as lookup_key
    srv.static("/feed/", rss20([item(1)]))
    srv.static("/other.xml", rss20([item(2)]))
    assert nv(root, "source", "add", "t", srv.url("/feed/"), srv.url("/other.xml")).exit_code == 0
    assert nv(root, "collect").exit_code == 0
    out = tmp_path / "x.wacz"
    assert nv(root, "export", "--wacz", str(out)).exit_code == 0
    captures, _ = read_index(root)
    assert len(captures) == 2
    with zipfile.ZipFile(out) as z:
        index: dict[str, list[dict]] = {}
        for line in z.read("indexes/index.cdxj").decode("utf-8").splitlines():
            key, _stamp, data = line.split(" ", 2)
            index.setdefault(key, []).append(json.loads(data))
        for c in captures:
            hits = index.get(lookup_key(c.url), [])
            assert hits, f"{c.url}: no index line under {lookup_key(c.url)}"
            hit = hits[0]
            warc = z.read(f"archive/{hit['filename']}")
            record = next(iter(ArchiveIterator(io.BytesIO(warc[int(hit["offset"]) : int(hit["offset"]) + int(hit["length"])]))))
            assert record.rec_headers.get_header("WARC-Target-URI") == c.url
            assert record.rec_headers.get_header("WARC-Payload-Digest") == c.digest == hit["digest"]


def test_a_signed_wacz_verifies_and_one_changed_byte_fails(collected, tmp_path):
    import zipfile

    key = tmp_path / "key.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True, capture_output=True)
    out = tmp_path / "signed.wacz"
    r = nv(collected, "export", "--wacz", str(out), "--sign", str(key))
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        signed = json.loads(z.read("datapackage-digest.json"))["signedData"]
    assert signed["hash"].startswith("sha256:") and signed["publicKey"] and signed["signature"]
    r = nv(collected, "verify", str(out))
    assert r.exit_code == 0 and "and signature" in r.output, r.output

    def tampered(member: str, change) -> Path:  # noqa: ANN001 - a small local helper
        copy = tmp_path / f"t-{member.replace('/', '_')}.wacz"
        with zipfile.ZipFile(out) as src, zipfile.ZipFile(copy, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                dst.writestr(info, change(data) if info.filename == member else data)
        return copy

    def flip(data: bytes) -> bytes:
        return data[:-5] + bytes([data[-5] ^ 1]) + data[-4:]

    for member in ("indexes/index.cdxj", "datapackage.json"):
        r = nv(collected, "verify", str(tampered(member, flip)))
        assert r.exit_code == 1 and "newsvault: error:" in r.stderr, (member, r.output)
    forged = tampered("datapackage-digest.json", lambda d: d.replace(b'"signature": "', b'"signature": "AAAA'))
    r = nv(collected, "verify", str(forged))
    assert r.exit_code == 1 and "signature does not hold" in r.stderr
