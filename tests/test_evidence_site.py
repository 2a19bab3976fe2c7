"""The site's "verify this copy" pages: an article a manifest lists links one, and what it shows
(the record's sha256, the manifest line, the token) is what the published files hold."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC
from pathlib import Path
from urllib.parse import unquote, urljoin

import lxml.html
import pytest

from collect_helpers import Item, rss20
from evidence_helpers import nv
from newsvault.config import CONFIG_NAME, Config
from newsvault.evidence.manifest import manifest_paths
from newsvault.evidence.timestamp import check_token, load_roots
from tsa_helpers import LoopbackTSA

T0 = 1_700_000_000_000
FILLER = "<p>" + "记者从现场发回的报道称，当地局势仍在发展之中，更多细节有待核实。" * 8 + "</p>"


@pytest.fixture
def tsa(tmp_path):
    with LoopbackTSA(tmp_path / "pki") as t:
        yield t


def stamped(root: Path, tsa: LoopbackTSA) -> None:
    path = root / CONFIG_NAME
    config = Config.load(path)
    config.evidence.timestamp_authorities = [tsa.url]
    path.write_text(config.dump(), encoding="utf-8")


def items(n: int) -> list[Item]:
    # links to a closed loopback port: the feed carries the whole body (long enough that the
    # collector does not go for the page), nothing else is fetched
    return [Item(f"第{k}篇报道", f"http://127.0.0.1:9/a/{k}", f"<p>第{k}篇报道的正文。</p>" + FILLER, T0 + k * 3600_000) for k in range(1, n + 1)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def follow(page: Path, href: str) -> Path:
    return Path(unquote(urljoin(page.as_uri(), href).removeprefix("file://")))


def test_article_page_links_a_verify_page_whose_hashes_are_the_files(root, srv, tsa, tmp_path):
    stamped(root, tsa)
    srv.static("/feed.xml", rss20(items(2)))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    assert nv(root, "collect").exit_code == 0, "collect failed"
    (manifest,) = manifest_paths(root)
    site = tmp_path / "site"
    r = nv(root, "build", "--site", str(site))
    assert r.exit_code == 0, r.output
    articles = sorted((site / "articles").rglob("*.html"))
    assert len(articles) == 2
    for page in articles:
        doc = lxml.html.parse(str(page)).getroot()
        (link,) = doc.cssselect("a.verify")
        verify = follow(page, link.get("href"))
        vdoc = lxml.html.parse(str(verify)).getroot()
        (listing,) = vdoc.cssselect("section.listing")
        rel = listing.get("data-path")
        shown = listing.cssselect("code.sha256")[0].text
        # the sha256 shown is the archive file's, and the published copy's
        assert shown == sha(root / rel) == sha(follow(verify, listing.cssselect("a.record")[0].get("href")))
        assert listing.cssselect("code.listed")[0].text == shown
        # the line shown is the manifest's own line that lists the file, byte for byte
        line = listing.cssselect("pre.line")[0].text
        assert line in (root / manifest).read_text(encoding="utf-8").splitlines()
        assert {"path": rel, "sha256": shown} in json.loads(line)["files"]
        copy = follow(verify, listing.cssselect("a.manifest")[0].get("href"))
        assert copy.read_bytes() == (root / manifest).read_bytes()
        assert listing.cssselect("code.manifest-sha256")[0].text == sha(copy)
        token = follow(verify, listing.cssselect("a.token")[0].get("href"))
        assert token.read_bytes() == (root / (manifest + ".tsr")).read_bytes()
        # the authority and time it names are what the token, checked against the TSA's root, says
        facts = check_token(token.read_bytes(), (root / manifest).read_bytes(), load_roots([tsa.root]))
        assert listing.cssselect("bdi.tsa")[0].text == facts.tsa
        assert listing.cssselect("time.stamped")[0].text == facts.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert "另一份内容" not in listing.cssselect("span.stamp")[0].text_content()
        commands = listing.cssselect("pre.cmd")[0].text_content()
        assert f"sha256sum {rel}" in commands and f"newsvault verify {rel}" in commands
        assert f"openssl ts -verify -data {manifest} -in {manifest}.tsr" in commands


def test_the_printed_commands_run_as_shown_on_the_published_files(root, srv, tsa, tmp_path):
    """In a folder of the site's evidence/ files, sha256sum and openssl ts -verify check the copy
    without newsvault."""
    stamped(root, tsa)
    srv.static("/feed.xml", rss20(items(1)))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    assert nv(root, "collect").exit_code == 0
    site = tmp_path / "site"
    assert nv(root, "build", "--site", str(site)).exit_code == 0
    (verify,) = (site / "verify").rglob("*.html")
    listing = lxml.html.parse(str(verify)).getroot().cssselect("section.listing")[0]
    rel, listed = listing.get("data-path"), listing.cssselect("code.listed")[0].text
    (manifest,) = manifest_paths(root)
    here = site / "evidence"
    summed = subprocess.run(["sha256sum", rel], cwd=here, capture_output=True, text=True, check=True)
    assert summed.stdout.split()[0] == listed
    shutil.copy(tsa.root, here / "ROOT.pem")
    done = subprocess.run(["openssl", "ts", "-verify", "-data", manifest, "-in", manifest + ".tsr", "-CAfile", "ROOT.pem"],
                          cwd=here, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr


def test_a_changed_record_file_shows_the_mismatch_after_a_rebuild(root, srv, tmp_path):
    srv.static("/feed.xml", rss20(items(1)))
    assert nv(root, "source", "add", "t", srv.url("/feed.xml")).exit_code == 0
    assert nv(root, "collect").exit_code == 0
    (manifest,) = manifest_paths(root)
    rel = json.loads((root / manifest).read_text(encoding="utf-8").splitlines()[1])["files"][0]["path"]
    site = tmp_path / "site"
    assert nv(root, "build", "--site", str(site)).exit_code == 0
    (verify,) = (site / "verify").rglob("*.html")
    assert "✓" in verify.read_text(encoding="utf-8") and "未加时间戳" in verify.read_text(encoding="utf-8")
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write("\n改动\n")
    assert nv(root, "build", "--site", str(site)).exit_code == 0  # the rebuild notices the file changed
    listing = lxml.html.parse(str(verify)).getroot().cssselect("section.listing")[0]
    assert listing.cssselect("code.sha256")[0].text == sha(root / rel) != listing.cssselect("code.listed")[0].text
    assert "与清单所列不同" in listing.text_content()
