"""Replay through a running pywb: the collection is made from an exported WACZ alone (its WARC
files and its own ``indexes/index.cdxj``), pywb's ``wayback`` serves it on 127.0.0.1, and every
capture comes back through replay (``id_``: the archived bytes, not rewritten) byte for byte."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from collect_helpers import Item, rss20
from evidence_helpers import nv
from newsvault.evidence import read_index
from newsvault.evidence.captures import read_capture

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pywb") is None or shutil.which("wayback") is None,
                                reason="pywb is not installed (optional, not a declared dependency: its pins clash with this cryptography; `pip install pywb`): no wayback server to replay through")

T0 = 1_700_000_000_000
FILLER = "<p>" + "记者从现场发回的报道称，当地局势仍在发展之中，更多细节有待核实。" * 8 + "</p>"


# pywb's front end imports its HTTP proxy mode (wsgiprox -> certauth -> pyOpenSSL) at start-up;
# the pyOpenSSL installed beside this cryptography fails to import (``lib`` has no GEN_EMAIL). The
# proxy mode is not used here (no --proxy), so its module is stood in for before pywb loads.
WAYBACK = """
import sys, types
proxy = types.ModuleType("wsgiprox.wsgiprox")
proxy.WSGIProxMiddleware = None
sys.modules.setdefault("wsgiprox", types.ModuleType("wsgiprox"))
sys.modules["wsgiprox.wsgiprox"] = proxy
from gevent.monkey import patch_all
patch_all()
from gevent.pywsgi import WSGIServer
from pywb.apps.frontendapp import FrontEndApp
from pywb.utils.geventserver import RequestURIWSGIHandler
# what `wayback` runs (its FrontEndApp, in gevent), bound first so that the port it prints is live
server = WSGIServer(("127.0.0.1", 0), FrontEndApp(), handler_class=RequestURIWSGIHandler, log=None)
server.start()
print(server.server_port, flush=True)
server.serve_forever()
"""


def collection_from_wacz(wacz: Path, where: Path) -> None:
    """``where/collections/nv``: the WACZ's WARC files and its index, as they are in it."""
    coll = where / "collections" / "nv"
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    with zipfile.ZipFile(wacz) as z:
        for name in z.namelist():
            if name.startswith("archive/"):
                (coll / "archive" / Path(name).name).write_bytes(z.read(name))
        (coll / "indexes" / "index.cdxj").write_bytes(z.read("indexes/index.cdxj"))


def test_every_capture_replays_byte_exact_through_a_running_pywb(root, srv, tmp_path):
    items = [Item(f"第{n}篇报道", f"http://127.0.0.1:9/a/{n}", f"<p>第{n}篇报道的正文。</p>" + FILLER, T0 + n * 3600_000) for n in (1, 2)]
    srv.static("/feed/", rss20(items[:1]))
    srv.static("/other.xml?b=2&a=1", rss20(items[1:]))  # a query, kept in the order it was asked
    assert nv(root, "source", "add", "t", srv.url("/feed/"), srv.url("/other.xml?b=2&a=1")).exit_code == 0
    assert nv(root, "collect").exit_code == 0
    wacz = tmp_path / "x.wacz"
    assert nv(root, "export", "--wacz", str(wacz)).exit_code == 0
    captures, _ = read_index(root)
    assert len(captures) == 2
    where = tmp_path / "pywb"
    collection_from_wacz(wacz, where)
    proc = subprocess.Popen([sys.executable, "-c", WAYBACK], cwd=where, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        port = ""
        for line in proc.stdout:  # pywb's own notes, then the port once it listens
            if line.strip().isdigit():
                port = line.strip()
                break
        if not port:
            pytest.fail(f"pywb's wayback exited ({proc.wait()}) before listening")
        for c in captures:
            _, payload = read_capture(root, c)
            stamp = c.time.replace("-", "").replace(":", "").replace("T", "").rstrip("Z")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/nv/{stamp}id_/{c.url}", timeout=30) as answer:
                assert answer.status == 200
                assert answer.read() == payload, c.url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
