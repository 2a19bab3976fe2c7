"""``allow_private`` names what it allows, and every hop is held to it.

A loopback or LAN feed needs permission to be fetched at all; with ``allow_private = true`` that
permission opened every redirect and item link of the source to every private address, so a
feed's ``302 Location: http://169.254.169.254/latest/meta-data/`` was followed and archived. A
list (``["127.0.0.1"]``) allows those addresses and networks only, checked on every connection.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from collect_helpers import FeedServer, Item, no_dns, page, rss20
from conftest import REPO
from newsvault.archive import Archive
from newsvault.collect import collect
from newsvault.config import CONFIG_NAME, Config, Source
from newsvault.errors import ConfigError
from newsvault.fetch import FetchPolicy

QUICK = FetchPolicy(timeout=1.0, deadline=3.0, retries=0, backoff=0.05, resolver=no_dns)
PUBLISHED = 1_699_359_302_000
SECRET = "<p>" + "AccessKeyId 机密" * 50 + "</p>"


def articles(archive: Archive) -> dict[str, str]:
    return {a.url: archive.read(a.path).body for a in archive.catalog.list_articles()}


def test_a_listed_network_allows_the_feed_and_refuses_another_private_address_on_every_hop(tmp_path):
    """127.0.0.2 stands for the metadata service here: private, and not in the list."""
    with FeedServer() as feed_host, FeedServer("127.0.0.2") as inside:
        inside.static("/latest/meta-data/", page("meta-data", SECRET), content_type="text/html")
        feed_host.redirect("/story", inside.url("/latest/meta-data/"))
        feed_host.redirect("/moved.xml", inside.url("/latest/meta-data/"))
        feed_host.static("/f.xml", rss20([
            Item("跳转到内部", feed_host.url("/story"), "", PUBLISHED, teaser="<p>摘要一。</p>"),
            Item("直接链接内部", inside.url("/latest/meta-data/"), "", PUBLISHED, teaser="<p>摘要二。</p>"),
        ], content_encoded=False))
        archive = Archive.init(tmp_path / "a")
        sources = [Source("s", "s", [feed_host.url("/f.xml"), feed_host.url("/moved.xml")], allow_private=("127.0.0.1",))]
        rep = collect(archive, sources, QUICK).sources[0]
        assert inside.hits["/latest/meta-data/"] == 0  # never even connected to
        assert rep.new == 2, rep.as_dict()  # the teasers, from the allowed feed
        assert all("机密" not in body for body in articles(archive).values())
        refusals = [m for m in rep.warnings + rep.errors if "127.0.0.2 is a loopback address, outside allow_private (127.0.0.1/32)" in m]
        assert len(refusals) == 3, rep.as_dict()  # the page redirect, the item link, the feed redirect
        archive.close()


def test_true_still_means_every_private_address(tmp_path):
    with FeedServer() as feed_host, FeedServer("127.0.0.2") as inside:
        inside.static("/p", page("内部页面", "<p>" + "内部正文" * 50 + "</p>"), content_type="text/html")
        feed_host.static("/f.xml", rss20([Item("链接", inside.url("/p"), "", PUBLISHED, teaser="<p>摘要。</p>")], content_encoded=False))
        archive = Archive.init(tmp_path / "a")
        rep = collect(archive, [Source("s", "s", [feed_host.url("/f.xml")], allow_private=True)], QUICK).sources[0]
        assert inside.hits["/p"] == 1 and rep.new == 1, rep.as_dict()
        archive.close()


CHILD = textwrap.dedent('''
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from newsvault.archive import Archive
    from newsvault.collect import collect
    from newsvault.config import Source
    from newsvault.fetch import FetchPolicy

    hits = []
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            host = self.server.server_address[0]
            hits.append((host, self.path))
            if host == "169.254.169.254":
                body = b"<html><body><p>" + b"AccessKeyId SECRET " * 50 + b"</p></body></html>"
                self.send_response(200); self.send_header("Content-Type", "text/html")
            elif self.path == "/f.xml":
                body = FEED.encode()
                self.send_response(200); self.send_header("Content-Type", "application/rss+xml")
            else:  # every other path of the feed's host redirects to the metadata service
                body = b""
                self.send_response(302); self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)

    servers = [ThreadingHTTPServer((h, 80), H) for h in ("127.0.0.1", "169.254.169.254")]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://127.0.0.1/</link>'
            '<item><title>a</title><link>http://127.0.0.1/story</link><description>teaser</description></item>'
            '<item><title>b</title><link>http://169.254.169.254/latest/meta-data/</link><description>teaser</description></item>'
            '</channel></rss>')
    archive = Archive.init(sys.argv[1])
    rep = collect(archive, [Source("s", "s", ["http://127.0.0.1/f.xml", "http://127.0.0.1/moved.xml"], allow_private=("127.0.0.1",))],
                  FetchPolicy(timeout=2, deadline=4, retries=0)).sources[0]
    bodies = [archive.read(a.path).body for a in archive.catalog.list_articles()]
    print(json.dumps({"hits": hits, "report": rep.as_dict(), "bodies": bodies}))
''')


def test_169_254_169_254_behind_a_loopback_feed_is_never_fetched(tmp_path):
    """The real metadata address, on the loopback device of a network namespace of the test's own."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace here (needs unshare -n, as root)")
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && ip addr add 169.254.169.254/32 dev lo && exec "$0" "$1" "$2"',
         sys.executable, str(script), str(tmp_path / "a")],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert not [h for h in out["hits"] if h[0] == "169.254.169.254"], out["hits"]
    assert out["report"]["new"] == 2 and all("SECRET" not in b for b in out["bodies"]), out
    assert any("169.254.169.254 is a link-local address, outside allow_private (127.0.0.1/32)" in m
               for m in out["report"]["warnings"] + out["report"]["errors"]), out["report"]


@pytest.mark.parametrize("value, message", [
    ('["localhost"]', "'localhost' is not an IP address or network (host names are not accepted"),
    ('"yes"', "expected true, false or a list of addresses and networks"),
    ("[1]", "expected true, false or a list of addresses and networks"),
])
def test_a_bad_allow_private_is_refused_with_the_key(tmp_path, value, message):
    path = tmp_path / CONFIG_NAME
    path.write_text(f"[fetch]\nallow_private = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        Config.load(path)
    assert "fetch.allow_private" in str(e.value) and message in str(e.value)


def test_a_list_round_trips_through_the_config_file(tmp_path):
    path = tmp_path / CONFIG_NAME
    path.write_text('[fetch]\nallow_private = ["127.0.0.1", "10.0.0.0/8"]\n\n[[sources]]\nslug = "s"\nname = "s"\n'
                    'feeds = ["http://192.168.1.5/f.xml"]\nallow_private = ["192.168.1.5"]\n', encoding="utf-8")
    config = Config.load(path)
    assert config.allow_private == ("127.0.0.1", "10.0.0.0/8") and config.sources[0].allow_private == ("192.168.1.5",)
    path.write_text(config.dump(), encoding="utf-8")
    again = Config.load(path)
    assert again.allow_private == config.allow_private and again.sources[0].allow_private == ("192.168.1.5",)
