"""The reader server over real HTTP on a free loopback port: pages, API, headers, bad input."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from conftest import run_cli
from newsvault.record import parse
from publish_helpers import TAIWAN_POST, make_archive, mark_deleted
from search_helpers import SEED_ID, live_server


@pytest.fixture(scope="module")
def client(server_url):
    with httpx.Client(base_url=server_url, timeout=30) as c:
        yield c


def assert_secure(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


def error_of(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"]["status"] == status
    assert "Traceback" not in r.text
    return body["error"]["message"]


def test_api_search(client):
    r = client.get("/api/search", params={"q": "七國集團 加沙", "limit": 3})
    assert r.status_code == 200
    assert_secure(r)
    data = r.json()
    assert data["results"][0]["id"] == SEED_ID
    assert "<mark>加沙</mark>" in data["results"][0]["title_html"]
    r = client.get("/api/search", params={"q": "香港", "source": "matters", "limit": 5, "offset": 1})
    assert r.status_code == 200 and r.json()["offset"] == 1
    assert {h["source"] for h in r.json()["results"]} == {"matters"}


def test_api_search_total_is_exact_and_offset_pages_through_it(client, corpus_archive):
    pages, offset, total = [], 0, None
    while True:
        data = client.get("/api/search", params={"q": "香港", "limit": 40, "offset": offset}).json()
        total = data["total"] if total is None else total
        assert data["total"] == total
        if not data["results"]:
            break
        pages.extend(h["id"] for h in data["results"])
        offset += len(data["results"])
    assert len(pages) == len(set(pages)) == total > 80  # three pages or more, every match once
    cli = run_cli("-C", str(corpus_archive), "search", "香港", "--limit", "1", "--json", check=True)
    assert json.loads(cli.stdout)["count"] == total  # the CLI counts the same matches


def test_api_articles_list_and_filters(client):
    data = client.get("/api/articles", params={"limit": 5}).json()
    assert len(data["articles"]) == 5 and data["total"] > 300
    pub = [a["published"] for a in data["articles"]]
    assert pub == sorted(pub, reverse=True)
    data = client.get("/api/articles", params={"source": "rfi"}).json()
    assert [a["id"] for a in data["articles"]] == [SEED_ID] and data["total"] == 1
    data = client.get("/api/articles", params={"since": "2023-11-07", "until": "2023-11-07"}).json()
    assert SEED_ID in [a["id"] for a in data["articles"]]
    page2 = client.get("/api/articles", params={"limit": 5, "offset": 5}).json()["articles"]
    assert not {a["id"] for a in page2} & {a["id"] for a in client.get("/api/articles", params={"limit": 5}).json()["articles"]}


def test_api_article_with_sanitised_body(client):
    r = client.get(f"/api/articles/{SEED_ID}")
    assert r.status_code == 200
    a = r.json()
    assert a["id"] == SEED_ID and a["source"] == "rfi" and a["rev"] == 0 and len(a["versions"]) == 1
    assert "七国集团" in a["body_html"]
    assert "<script" not in a["body_html"].lower() and "style=" not in a["body_html"] and "分享 :" not in a["body_html"]
    assert client.get(f"/api/articles/{SEED_ID[:6]}").json()["id"] == SEED_ID  # a unique prefix


@pytest.mark.parametrize(
    "path, params, status, message",
    [
        ("/api/search", {}, 400, "missing q"),
        ("/api/search", {"q": ""}, 400, "empty query"),
        ("/api/search", {"q": "   "}, 400, "empty query"),
        ("/api/search", {"q": "x" * 10_000}, 400, "too long"),
        ("/api/search", {"q": '"'}, 400, "nothing to search for"),
        ("/api/search", {"q": "-加沙"}, 400, "only exclude"),
        ("/api/search", {"q": "加沙", "since": "2023-02-30"}, 400, "not a date"),
        ("/api/search", {"q": "加沙", "limit": "abc"}, 400, "whole number"),
        ("/api/search", {"q": "加沙", "limit": "100000"}, 400, "between"),
        ("/api/articles", {"until": "soon"}, 400, "not a date"),
        ("/api/articles", {"offset": "-1"}, 400, "0 or more"),
        ("/api/articles", {"offset": "47861636067817458486168385908224557056"}, 400, "between 0 and"),
        ("/api/search", {"q": "加沙", "offset": str(2**64)}, 400, "between 0 and"),
        (f"/api/articles/{SEED_ID}", {"rev": str(2**70)}, 400, "between 0 and"),
        ("/api/articles/ffffffffffff", {}, 404, "no article"),
        ("/api/articles/not-an-id", {}, 404, "no article"),
        (f"/api/articles/{SEED_ID}", {"rev": "7"}, 404, "versions 0–0"),
        (f"/api/articles/{SEED_ID}", {"rev": "x"}, 400, "whole number"),
        ("/api/nothing", {}, 404, "no such page"),
    ],
)
def test_api_bad_input_is_a_clear_4xx(client, path, params, status, message):
    r = client.get(path, params=params)
    said = error_of(r, status)
    assert message in said
    assert "THH:MM" not in said  # no form the API then refuses is offered
    assert_secure(r)


@pytest.mark.parametrize("q", ['加沙 "一个声音', 'NEAR(加沙) AND OR NOT ^ * : {title}', '"" "" ""', "加沙 title:", "\x00加沙"])
def test_fts_syntax_and_unbalanced_quotes_never_break_search(client, q):
    r = client.get("/api/search", params={"q": q})
    assert r.status_code in (200, 400), r.text
    assert "fts5" not in r.text.lower() and "syntax error" not in r.text.lower()


def test_read_only(client):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = client.request(method, "/api/articles")
        assert r.status_code == 405
        assert "read-only" in r.json()["error"]["message"]
        assert_secure(r)


def test_html_pages_live(client):
    for path in ("/", "/?page=2", "/sources/rfi", "/days/", "/days/2023-11-07", f"/articles/{SEED_ID}", "/search?q=%E8%87%BA%E7%81%A3", "/search"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert_secure(r)
    page = client.get(f"/articles/{SEED_ID}").text
    assert "布林肯呼吁七国集团" in page and "<script>" not in page
    found = client.get("/search", params={"q": "七國集團 加沙"}).text
    assert f"/articles/{SEED_ID}" in found
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize("path", ["/nope", "/sources/nonesuch", "/days/2023-02-30", "/days/1999-01-01", "/articles/ffffffffffff", "/articles/../../etc/passwd", "/?page=99999", "/?page=x"])
def test_html_not_found_is_a_404_page(client, path):
    r = client.get(path)
    assert r.status_code == 404, path
    assert r.headers["content-type"].startswith("text/html")
    assert "Traceback" not in r.text
    assert_secure(r)


def test_bad_html_search_is_a_400_page(client):
    r = client.get("/search", params={"q": "x" * 10_000})
    assert r.status_code == 400 and "too long" in r.text


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    doc = client.get("/openapi.json").json()
    validate(doc)
    assert {"/api/articles", "/api/articles/{id}", "/api/search"} <= set(doc["paths"])


def test_feeds_live(client):
    import xml.etree.ElementTree as ET

    r = client.get("/feeds/rfi.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    assert_secure(r)
    root = ET.fromstring(r.content)
    ns = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{ns}entry")
    assert len(entries) == 1 and "七国集团" in entries[0].find(f"{ns}title").text
    assert entries[0].find(f"{ns}link").get("href").endswith(f"/articles/{SEED_ID}")
    assert client.get("/feeds/all.xml").status_code == 200
    assert client.get("/feeds/nonesuch.xml").status_code == 404


def test_a_running_server_shows_a_deletion_recorded_after_it_started(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    url = parse(TAIWAN_POST.read_bytes()).url
    aid = archive.resolve(url)[0].id
    with live_server(archive.root) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert "已删除" not in c.get(f"/articles/{aid}").text
        mark_deleted(archive, aid, url, 1_700_000_500_000)  # what `newsvault recheck` appends
        deadline = time.monotonic() + 30  # the server looks at checks/ at most once a second
        while "已删除" not in (page := c.get(f"/articles/{aid}").text) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "已删除" in page
        assert "已删除" in c.get("/sources/bbc").text


def test_a_running_server_follows_a_changed_config(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    aid = archive.resolve(parse(TAIWAN_POST.read_bytes()).url)[0].id
    with live_server(archive.root) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert "北京时间" in c.get(f"/articles/{aid}").text
        config = archive.root / "newsvault.toml"
        config.write_text(config.read_text(encoding="utf-8").replace("Asia/Shanghai", "Asia/Taipei"), encoding="utf-8")
        deadline = time.monotonic() + 30
        while "Asia/Taipei" not in (page := c.get(f"/articles/{aid}").text) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Asia/Taipei" in page


def test_a_handler_runs_alone_on_a_bare_request(corpus_archive):
    from types import SimpleNamespace

    from starlette.requests import Request

    from newsvault.serve.api import api_articles
    from newsvault.serve.readers import Readers

    app = SimpleNamespace(state=SimpleNamespace(readers=Readers(corpus_archive)))
    scope = {"type": "http", "method": "GET", "path": "/api/articles", "query_string": b"source=rfi", "headers": [], "app": app}
    response = api_articles(Request(scope))
    assert response.status_code == 200 and SEED_ID in bytes(response.body).decode()
