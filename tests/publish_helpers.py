"""Shared pieces of the publish tests: a small real archive, the XSS payload set, Chromium."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from newsvault.archive import Archive
from newsvault.record import Record, parse

TESTDATA = Path(__file__).parent / "testdata" / "publish"
CORPUS = Path(__file__).resolve().parent / "corpus"
SEED = CORPUS / "seed" / "000_e886f203c780aee1.txt"
TAIWAN_POST = CORPUS / "jekyll" / "_posts" / "2020-07-15-中国加强对香港控制，台湾看到了威胁.md"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
XSS_HOST = "xss.example.test"
SEEN_BASE = 1_700_000_000_000


def xss_payloads() -> list[str]:
    lines = (TESTDATA / "xss-payloads.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _corpus_records(folder: str, limit: int) -> list[Record]:
    out = []
    for path in sorted((CORPUS / folder).iterdir()):
        if len(out) >= limit:
            break
        rec = parse(path.read_bytes())
        if rec.published is not None and rec.url:
            out.append(rec)
    return out


def make_archive(root: Path, *, xss: bool = True, extra: int = 0) -> Archive:
    """A small real archive: the seed (2 versions, deleted at the source), the 台湾 post, a few
    CDT and Jekyll records, and (``xss``) one record per XSS payload under source ``xss``."""
    archive = Archive.init(root, name="测试镜像")
    with archive.batch():
        seed = parse(SEED.read_bytes())
        archive.add(seed, "rfi", seen=SEEN_BASE)
        archive.add(parse(TAIWAN_POST.read_bytes()), "bbc", seen=SEEN_BASE)
        for rec in _corpus_records("cdt/articles", 8 + extra):
            archive.add(rec, "cdt", seen=SEEN_BASE)
        for rec in _corpus_records("jekyll/_posts", 6):
            archive.add(rec, "bbc", seen=SEEN_BASE)
        if xss:
            for n, payload in enumerate(xss_payloads()):
                archive.add(
                    Record(f"XSS payload {n}", f"https://{XSS_HOST}/a/{n}", seed.published + n * 1000, f"<p>payload {n}</p>{payload}"),
                    "xss",
                    seen=SEEN_BASE,
                )
    # A later version of the seed article (an edit at the source).
    with archive.batch():
        edited = replace(seed, body=seed.body.replace("布林肯", "美国国务卿布林肯", 1), variant="canonical", front_matter=None)
        archive.add(edited, "rfi", seen=SEEN_BASE + 3_600_000)
    return archive


def seed_id(archive: Archive) -> str:
    return archive.resolve(parse(SEED.read_bytes()).url)[0].id


def mark_deleted(archive: Archive, article_id: str, url: str, when: int) -> None:
    """Record a 'gone' re-check the way preserve/checks.py stores them."""
    checks = archive.root / "checks"
    checks.mkdir(exist_ok=True)
    with open(checks / "rfi.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": article_id, "url": url, "checked": when, "status": "gone", "http": 404}) + "\n")


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module's pages."""
    with chromium() as b:
        yield b


HREF = re.compile(r"""\b(?:href|src)="([^"]*)\"""")


def links_of(html: str) -> list[str]:
    return HREF.findall(html)
