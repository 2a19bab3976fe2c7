"""The collector against feeds that point where they should not, items that break parsers, and
a pass stopped by SIGTERM. Every server listens on 127.0.0.1/127.0.0.2; names are never resolved
(the ``no_dns`` resolver), so real outlet URLs in the corpus are never looked up or fetched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from collect_helpers import FeedServer, Item, Reply, allow_private, corpus_records, local_archive, no_dns, page, rss20
from newsvault.archive import Archive
from newsvault.collect import collect
from newsvault.config import CONFIG_NAME, Source
from newsvault.fetch import FetchPolicy, address_problem
from newsvault.urls import canonical_url

REPO = Path(__file__).resolve().parents[2]
QUICK = FetchPolicy(timeout=1.0, deadline=3.0, retries=0, backoff=0.05, resolver=no_dns)


@pytest.fixture(scope="module")
def recs():
    return corpus_records("cdt", 6)


def assert_readable(root: Path) -> None:
    fresh = Archive.open(root)
    try:
        files = {fresh.rel(p) for p in fresh.record_files()}
        assert set(fresh.catalog.paths()) == files
        for rel in files:
            fresh.read(rel)
    finally:
        fresh.close()


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------


def test_a_teaser_linking_to_a_loopback_admin_page_is_not_fetched(srv, archive, tmp_path, recs):
    srv.static("/admin/", page("管理后台", "<p>" + "机密" * 200 + "</p>"), content_type="text/html")
    feed = tmp_path / "feeds" / "f.xml"
    feed.parent.mkdir()
    feed.write_text(rss20([Item("看这里", srv.url("/admin/"), "", recs[0].published, teaser="<p>一句摘要。</p>")], content_encoded=False))
    s = collect(archive, [Source("s", "s", [feed.as_uri()])], QUICK).sources[0]
    assert srv.hits["/admin/"] == 0
    assert s.new == 1 and any("refused: 127.0.0.1 is a loopback address; set allow_private" in w for w in s.warnings), s.as_dict()
    stored = archive.read(archive.catalog.lookup_url(canonical_url(srv.url("/admin/"))).path)
    assert "一句摘要" in stored.body and "机密" not in stored.body


def test_a_feed_on_a_private_address_fails_clearly_unless_allowed(srv, archive, recs):
    srv.static("/f.xml", rss20([Item.of(recs[0])]))
    s = collect(archive, [Source("s", "s", [srv.url("/f.xml")])], QUICK).sources[0]
    assert s.failed and srv.hits["/f.xml"] == 0
    assert s.reason == (f"{srv.url('/f.xml')}: refused: 127.0.0.1 is a loopback address; set allow_private = [\"127.0.0.1\"] (the hosts or "
                        "networks to allow) under [fetch] in newsvault.toml, or on the source, to fetch from private networks")
    assert not list((archive.root / "articles").rglob("*.md"))
    # Allowed on this source only.
    s = collect(archive, [Source("s", "s", [srv.url("/f.xml")], allow_private=True)], QUICK).sources[0]
    assert s.new == 1 and not s.failed


def test_allow_private_in_the_config_file_and_a_source_that_opts_out(srv, tmp_path, recs):
    srv.static("/a.xml", rss20([Item.of(recs[0])]))
    srv.static("/b.xml", rss20([Item.of(recs[1])]))
    root = tmp_path / "archive"
    Archive.init(root).close()
    allow_private(root)
    text = (root / CONFIG_NAME).read_text(encoding="utf-8")
    assert "[fetch]" in text and "allow_private = true" in text
    a = Archive.open(root)
    try:
        assert a.config.allow_private
        sources = [Source("a", "a", [srv.url("/a.xml")]), Source("b", "b", [srv.url("/b.xml")], allow_private=False)]
        ra, rb = collect(a, sources, QUICK).sources
        assert ra.new == 1 and rb.failed and "refused" in rb.reason and srv.hits["/b.xml"] == 0
    finally:
        a.close()


def test_a_redirect_from_an_allowed_page_to_an_internal_address_is_not_followed(archive, tmp_path, recs):
    """The "outside" server on 127.0.0.2 counts as public for this test; it redirects an
    article page to the "inside" one on 127.0.0.1."""
    with FeedServer() as inside, FeedServer("127.0.0.2") as outside:
        inside.static("/admin/", page("内部", "<p>" + "机密" * 200 + "</p>"), content_type="text/html")
        outside.redirect("/story.html", inside.url("/admin/"))
        outside.static("/f.xml", rss20([Item("文章", outside.url("/story.html"), "", recs[0].published, teaser="<p>摘要。</p>")], content_encoded=False))
        policy = FetchPolicy(timeout=1.0, deadline=3.0, retries=0, resolver=no_dns,
                             address_check=lambda ip: None if ip == "127.0.0.2" else address_problem(ip))
        archive.config.allow_private = False
        s = collect(archive, [Source("s", "s", [outside.url("/f.xml")])], policy).sources[0]
        assert outside.hits["/story.html"] == 1 and inside.hits["/admin/"] == 0
        assert s.new == 1 and any("refused: 127.0.0.1 is a loopback address" in w for w in s.warnings), s.as_dict()


def test_file_links_are_followed_only_inside_a_local_feed_s_own_folder(srv, archive, tmp_path, recs):
    feeds = tmp_path / "feeds"
    (feeds / "pages").mkdir(parents=True)
    secret = tmp_path / "secret.html"
    secret.write_text(page("机密", "<p>" + "机密" * 200 + "</p>"), encoding="utf-8")
    (feeds / "pages" / "1.html").write_text(page(recs[0].title, recs[0].body), encoding="utf-8")
    local = feeds / "local.xml"
    local.write_text(rss20([
        Item(recs[0].title, "pages/1.html", "", recs[0].published, teaser="阅读全文"),
        Item("出界", secret.as_uri(), "", recs[1].published, teaser="阅读全文"),
        Item("出界2", "pages/../../secret.html", "", recs[2].published, teaser="阅读全文"),
    ], content_encoded=False), encoding="utf-8")
    srv.static("/web.xml", rss20([Item("网上的", secret.as_uri(), "", recs[3].published, teaser="阅读全文")], content_encoded=False))
    sources = [Source("local", "local", [local.as_uri()], body="page", selector="div.post-content"),
               Source("web", "web", [srv.url("/web.xml")], body="page", selector="div.post-content", allow_private=True)]
    local_rep, web_rep = collect(archive, sources, QUICK).sources
    assert local_rep.new >= 1 and web_rep.new <= 1
    for a in archive.catalog.list_articles():
        assert "机密" not in archive.read(a.path).body
        assert "secret.html" not in a.url
    assert archive.catalog.lookup_url(canonical_url((feeds / "pages" / "1.html").as_uri())) is not None
    assert_readable(archive.root)


# ---------------------------------------------------------------------------------------------
# A failing item, through the CLI
# ---------------------------------------------------------------------------------------------


def test_cli_json_names_the_item_that_failed_and_archives_the_rest(srv, tmp_path, recs):
    items = []
    for n, r in enumerate(recs[:4]):
        srv.static(f"/p/{n}.html", f"<html><body><div class=post-content>{r.body}</div></body></html>", content_type="text/html")
        items.append(Item(r.title, srv.url(f"/p/{n}.html"), "", r.published, teaser="阅读全文"))
    srv.sequence("/p/2.html", [Reply(500, b"oops")])  # one page fails; its item alone is lost this pass
    srv.static("/f.xml", rss20(items, content_encoded=False))
    root = tmp_path / "archive"
    local_archive(root).close()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    nv = [sys.executable, "-m", "newsvault", "-C", str(root)]
    subprocess.run([*nv, "source", "add", "s", srv.url("/f.xml"), "--body", "page", "--selector", "div.post-content"],
                   check=True, capture_output=True, env=env)
    proc = subprocess.run([*nv, "collect", "--json", "--retries", "0"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3, proc.stderr
    s = json.loads(proc.stdout)["sources"][0]
    assert s["new"] == 3 and [f["link"] for f in s["failed_items"]] == [srv.url("/p/2.html")]
    assert "HTTP 500" in s["failed_items"][0]["reason"]
    assert_readable(root)


# ---------------------------------------------------------------------------------------------
# SIGTERM
# ---------------------------------------------------------------------------------------------

_STOPPABLE = """
import faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1, all_threads=True)  # stacks, should it ever hang
from newsvault.archive import Archive
from newsvault.collect import collect
from newsvault.fetch import FetchPolicy

def stop(signum, frame):  # what the CLI does: a signal becomes an exception
    raise SystemExit(128 + signum)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
archive = Archive.open(sys.argv[1])
collect(archive, policy=FetchPolicy(timeout=5, retries=0))
"""


def _marked_processes(mark: str) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if mark.encode() in (d / "environ").read_bytes():
                found.append(int(d.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize(
    "sig, to_group, extra_delay",
    [
        (signal.SIGTERM, False, 0.0),  # a service manager stopping the collector
        (signal.SIGTERM, False, 0.3),
        (signal.SIGTERM, True, 0.1),  # ... or its whole process group
        (signal.SIGINT, True, 0.1),  # Ctrl-C in a terminal reaches the workers too
    ],
)
def test_a_signal_stops_the_pass_without_temp_files_or_stray_workers(srv, tmp_path, recs, sig, to_group, extra_delay):
    bodies = [r.body for r in recs]
    n_sources, n_items = 20, 120  # >= 16 sources: parsing and cleaning run in worker processes
    for s in range(n_sources):
        items = [Item(f"来源{s}第{n}篇", srv.url(f"/a/{s}/{n}.html"), bodies[n % len(bodies)] + f"<p>{s}-{n}</p>", 1_600_000_000_000 + n * 60_000) for n in range(n_items)]
        srv.static(f"/f{s}.xml", rss20(items))
    root = tmp_path / "archive"
    a = local_archive(root)
    a.config.sources = [Source(f"s{s}", f"s{s}", [srv.url(f"/f{s}.xml")]) for s in range(n_sources)]
    a.close()
    from newsvault.archive import write_atomic

    write_atomic(root / CONFIG_NAME, a.config.dump())
    mark = f"NEWSVAULT_TEST_MARK={uuid.uuid4().hex}"
    key, value = mark.split("=")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), key: value}
    proc = subprocess.Popen([sys.executable, "-c", _STOPPABLE, str(root)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(root.joinpath("articles").rglob("*.md")) or any(root.rglob(".nv-*")):
                break
            time.sleep(0.01)
        time.sleep(extra_delay)
        assert proc.poll() is None, "the pass ended before it could be stopped"
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the pass did not stop: " + proc.communicate()[1]) from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err, err
    assert not list(root.rglob(".nv-*")), "temp files left behind"
    for _ in range(100):  # the fork server notices its parent is gone within moments
        if not _marked_processes(mark):
            break
        time.sleep(0.05)
    assert _marked_processes(mark) == [], "worker processes outlived the pass"
    assert_readable(root)


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[fetch]\nallow_private = "yes"\n', "fetch.allow_private: expected true, false or a list of addresses and networks"),
        ('[[sources]]\nslug = "s"\nname = "s"\nfeeds = ["http://10.0.0.1/f.xml"]\nallow_private = 1\n', "sources[1].allow_private: expected true, false or a list"),
    ],
)
def test_allow_private_must_be_a_boolean_or_a_list_of_networks(tmp_path, toml, message):
    from newsvault.config import Config
    from newsvault.errors import ConfigError

    path = tmp_path / CONFIG_NAME
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        Config.load(path)
    assert message in str(e.value)


def test_allow_private_round_trips_through_the_config_file(tmp_path):
    from newsvault.config import Config

    path = tmp_path / CONFIG_NAME
    path.write_text('[fetch]\nallow_private = true\n\n[[sources]]\nslug = "s"\nname = "s"\nfeeds = ["http://10.0.0.1/f.xml"]\nallow_private = false\n', encoding="utf-8")
    config = Config.load(path)
    assert config.allow_private and config.sources[0].allow_private is False
    path.write_text(config.dump(), encoding="utf-8")
    again = Config.load(path)
    assert again.allow_private and again.sources[0].allow_private is False
