"""``newsvault save``: pages reached by their real host names through a proxy of the test's own
on 127.0.0.1 (which exercises ``[fetch] proxy``), read by each site's adapter, archived like a
collected article; deletion notices become ``gone`` checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import run_cli
from http_helpers import LoopbackServer, Reply
from newsvault.archive import write_atomic
from newsvault.compose import init_archive
from newsvault.config import CONFIG_NAME
from newsvault.preserve.checks import iter_checks
from newsvault.record import parse
from newsvault.save.adapters import pick, tidy_url
from newsvault.save.adapters.wechat import canonical as wechat_canonical
from newsvault.save.page import read_page

PAGES = Path(__file__).parent / "testdata" / "save"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PNG = _png()  # a real image, so that the media step keeps it
BIZ = "__biz=MzA5NjM2MTA0MA==&mid=2651234567&idx=1&sn=0a1b2c3d4e5f"
CANON = f"https://mp.weixin.qq.com/s?{BIZ}"


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture
def proxy():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def root(tmp_path: Path, proxy: LoopbackServer) -> Path:
    a = init_archive(tmp_path / "archive")
    a.config.proxy = proxy.base
    a.config.media.fetch = True
    write_atomic(a.root / CONFIG_NAME, a.config.dump())
    a.close()
    return tmp_path / "archive"


def _save(root: Path, *urls: str) -> list[dict]:
    proc = run_cli("-C", str(root), "save", "--json", *urls)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _shanghai(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_every_wechat_url_form_is_one_canonical_url() -> None:
    forms = [
        f"https://mp.weixin.qq.com/s?{BIZ}",
        f"http://mp.weixin.qq.com/s?{BIZ.replace('&', '&amp;')}#rd",
        f"https://mp.weixin.qq.com/s?{BIZ}&chksm=8b5f0a1e&scene=21#wechat_redirect",
        "mp.weixin.qq.com/s?sn=0a1b2c3d4e5f&idx=1&mid=2651234567&__biz=MzA5NjM2MTA0MA==",
    ]
    assert {wechat_canonical(tidy_url(f)) for f in forms} == {CANON}
    assert wechat_canonical("https://mp.weixin.qq.com/s/AbC-12_x") == "https://mp.weixin.qq.com/s/AbC-12_x"
    assert pick("https://mp.weixin.qq.com/s/AbC").name == "wechat"
    assert pick("https://example.org/s/AbC").name == ""


def test_wechat_article_saved_with_title_author_time_body_and_images(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://mp.weixin.qq.com/s/AbCdEf", Reply(200, _page("wechat-article.html"), HTML))
    proxy.route("http://mmbiz.qpic.cn/mmbiz_jpg/abc123/640", Reply(200, PNG, {"Content-Type": "image/png"}))
    [r] = _save(root, "http://mp.weixin.qq.com/s/AbCdEf")
    assert r["status"] == "new" and r["site"] == "wechat"
    assert r["title"] == "河南村镇银行储户的第三年" and r["author"] == "测试观察"
    assert r["canonical"] == CANON  # the page names its long form: /s/<id> and /s?__biz=… are one article
    assert r["published"] == 1717207380000 and _shanghai(r["published"]) == "2024-06-01 10:03"
    assert r["path"].startswith("articles/wechat/")
    record = parse((root / r["path"]).read_bytes())
    assert record.url == CANON and record.published == 1717207380000
    assert "三年前的夏天" in record.body and "他们至今仍在等待" in record.body
    assert "扫一扫" not in record.body and "msg_title" not in record.body  # no QR codes, no scripts
    assert "http://mmbiz.qpic.cn/mmbiz_jpg/abc123/640?wx_fmt=jpeg" in record.body  # data-src, not the placeholder
    assert proxy.hits["http://mmbiz.qpic.cn/mmbiz_jpg/abc123/640"] == 1  # the image is archived
    assert any(p.suffix == ".png" for p in (root / "media").rglob("*"))
    # the long form, &amp;-escaped and #rd, finds the same article
    proxy.route(f"http://mp.weixin.qq.com/s?{BIZ}", Reply(200, _page("wechat-article.html"), HTML))
    [again] = _save(root, f"http://mp.weixin.qq.com/s?{BIZ.replace('&', '&amp;')}#rd")
    assert again["status"] == "unchanged" and again["id"] == r["id"]


def test_wechat_picture_post(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://mp.weixin.qq.com/s/Pic", Reply(200, _page("wechat-picture.html"), HTML))
    proxy.route("http://mmbiz.qpic.cn/mmbiz_png/flower1/640", Reply(200, PNG, {"Content-Type": "image/png"}))
    [r] = _save(root, "http://mp.weixin.qq.com/s/Pic")
    assert (r["title"], r["author"], r["published"]) == ("一组图片：街头的花", "街头图记", 1714521600000)
    body = parse((root / r["path"]).read_bytes()).body
    assert "一组六张" in body and "分享到朋友圈" not in body
    assert proxy.hits["http://mmbiz.qpic.cn/mmbiz_png/flower1/640"] == 1


def test_save_edit_save_is_two_versions_and_a_deletion_notice_is_a_gone_check(root: Path, proxy: LoopbackServer) -> None:
    url = f"http://mp.weixin.qq.com/s?{BIZ}"
    page = _page("wechat-article.html")
    proxy.route(url, Reply(200, page, HTML))
    proxy.route("http://mmbiz.qpic.cn/mmbiz_jpg/abc123/640", Reply(200, PNG, {"Content-Type": "image/png"}))
    [first] = _save(root, url)
    proxy.route(url, Reply(200, page.replace("仍在等待一个答复".encode(), "已经得到了部分赔付".encode()), HTML))
    [second] = _save(root, url)
    assert (first["status"], second["status"]) == ("new", "revision") and first["id"] == second["id"]
    assert second["path"].startswith("revisions/wechat/")
    kept = {p: (root / p).read_bytes() for p in (first["path"], second["path"])}
    proxy.route(url, Reply(200, _page("wechat-deleted.html"), HTML))
    [gone] = _save(root, url)
    assert gone["status"] == "gone" and "该内容已被发布者删除" in gone["message"] and gone["id"] == first["id"]
    checks = [c for c in iter_checks(root) if c["id"] == first["id"]]
    assert [c["status"] for c in checks] == ["gone"]
    assert {p: (root / p).read_bytes() for p in kept} == kept  # the archived text is untouched
    assert len(list((root / "revisions").rglob("*.md"))) == 1


def test_a_deletion_notice_for_a_page_never_archived_is_a_message(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://mp.weixin.qq.com/s/Never", Reply(200, _page("wechat-deleted.html"), HTML))
    [r] = _save(root, "http://mp.weixin.qq.com/s/Never")
    assert r["status"] == "gone" and "never archived" in r["message"]
    assert not (root / "articles" / "wechat").exists() and list(iter_checks(root)) == []


def test_zhihu_column(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://zhuanlan.zhihu.com/p/123456", Reply(200, _page("zhihu-post.html"), HTML))
    [r] = _save(root, "http://zhuanlan.zhihu.com/p/123456?utm_source=wechat")
    assert (r["site"], r["title"], r["author"]) == ("zhihu", "如何看待一则被删除的新闻", "张三")
    assert r["canonical"] == "https://zhuanlan.zhihu.com/p/123456"
    assert r["published"] == int(datetime(2024, 3, 5, 8, 30, tzinfo=UTC).timestamp() * 1000)
    body = parse((root / r["path"]).read_bytes()).body
    assert "存档的意义" in body and "推荐阅读" not in body and "会员" not in body
    proxy.route("http://zhuanlan.zhihu.com/p/123456", Reply(404, "<html><body>你似乎来到了没有知识存在的荒原</body></html>".encode(), HTML))
    [gone] = _save(root, "http://zhuanlan.zhihu.com/p/123456")
    assert gone["status"] == "gone" and gone["id"] == r["id"]


def test_default_adapter_uses_og_and_json_ld(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://news.example.org/2024/report", Reply(200, _page("default-page.html"), HTML))
    [r] = _save(root, "http://news.example.org/2024/report")
    assert (r["site"], r["title"], r["author"]) == ("news.example.org", "一篇关于网络审查的报道", "李四")
    assert _shanghai(r["published"]) == "2024-02-01 10:00"
    body = parse((root / r["path"]).read_bytes()).body
    assert "没有存档，就没有记忆" in body and "隐私政策" not in body and "关于我们" not in body


def test_a_save_is_queued_for_the_search_index_and_the_next_search_finds_it(root: Path, proxy: LoopbackServer) -> None:
    """Like a collect pass, a save only queues its articles for the search index (loading the
    engine and committing a segment cost more than the save); the next search indexes them."""
    import sqlite3
    import subprocess
    import sys

    from newsvault.search.index import SEARCH_FILE

    def search(words: str) -> list[str]:
        proc = run_cli("-C", str(root), "search", "--json", words, check=True)
        return [h["id"] for h in json.loads(proc.stdout)["results"]]

    def pending() -> set[str]:
        db = sqlite3.connect(root / ".newsvault" / SEARCH_FILE)
        try:
            return {row[0] for row in db.execute("SELECT article_id FROM pending")}
        finally:
            db.close()

    assert search("网络审查") == []  # the index exists, empty
    proxy.route("http://news.example.org/2024/report", Reply(200, _page("default-page.html"), HTML))
    code = (
        "import sys\nfrom newsvault.cli import main\n"
        "try:\n    main(['-C', sys.argv[1], 'save', '--json', sys.argv[2]])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted(m for m in ('rjieba', 'opencc', 'tantivy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root), "http://news.example.org/2024/report"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    *answer, loaded = out.strip().splitlines()
    [r] = json.loads("\n".join(answer))
    assert r["status"] == "new" and loaded == "[]"
    assert pending() == {r["id"]}
    assert search("网络审查") == [r["id"]]
    assert pending() == set()


def test_refusals_are_one_line_each(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://files.example.org/a.zip", Reply(200, b"PK\x03\x04rest", {"Content-Type": "application/zip"}))
    proc = run_cli("-C", str(root), "save", "javascript:alert(1)", "file:///etc/passwd", "http://169.254.169.254/latest/",
                   "http://files.example.org/a.zip")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 4
    assert "only http(s)" in lines[0] and "only http(s)" in lines[1]
    assert "169.254.169.254 is a link-local address" in lines[2]
    assert "not an HTML page nor a kind of file kept (application/zip)" in lines[3]
    assert [r.path for r in proxy.requests] == ["http://files.example.org/a.zip"]  # nothing else even asked
    assert not (root / "articles").exists() or not any((root / "articles").rglob("*.md"))


# A small but well-formed PDF (one empty page), written here.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def test_a_pdf_and_a_png_are_kept_as_files_with_their_hash_a_record_the_warc_and_the_manifest(root: Path, proxy: LoopbackServer) -> None:
    import hashlib

    from newsvault.evidence import read_index
    from newsvault.evidence.manifest import iter_manifests

    proxy.route("http://files.example.org/report.pdf", Reply(200, PDF, {"Content-Type": "application/pdf"}))
    # a server that labels an image wrongly: the bytes say what it is
    proxy.route("http://files.example.org/get?id=7", Reply(200, PNG, {"Content-Type": "application/octet-stream",
                                                                      "Content-Disposition": "attachment; filename*=UTF-8''%E8%A1%97%E5%A4%B4.png"}))
    pdf, png = _save(root, "http://files.example.org/report.pdf", "http://files.example.org/get?id=7")
    for r, data, ext, title in ((pdf, PDF, "pdf", "report.pdf"), (png, PNG, "png", "街头.png")):
        sha = hashlib.sha256(data).hexdigest()
        assert r["status"] == "new" and r["sha256"] == sha and r["file"] == f"files/files.example.org/{sha}.{ext}"
        assert (root / r["file"]).read_bytes() == data
        record = parse((root / r["path"]).read_bytes())
        assert record.title == title and record.published is None  # the file gives no date: none is made up
        assert r["file"] in record.body and sha in record.body
    captures, _ = read_index(root)
    by_url = {c.url: c for c in captures}
    assert {"http://files.example.org/report.pdf", "http://files.example.org/get?id=7"} <= set(by_url)
    [manifest] = list(iter_manifests(root))
    files = {e.url: {f["path"]: f["sha256"] for f in e.files} for e in manifest.entries}
    assert files["http://files.example.org/report.pdf"][pdf["file"]] == pdf["sha256"]
    assert files["http://files.example.org/get?id=7"][png["file"]] == png["sha256"]
    assert pdf["path"] in files["http://files.example.org/report.pdf"]  # the record, from the same answer
    # the same file again: unchanged, one file; a changed file: a new version beside it
    [again] = _save(root, "http://files.example.org/report.pdf")
    assert again["status"] == "unchanged" and again["id"] == pdf["id"]
    proxy.route("http://files.example.org/report.pdf", Reply(200, PDF.replace(b"200 200", b"300 300"), {"Content-Type": "application/pdf"}))
    [edited] = _save(root, "http://files.example.org/report.pdf")
    assert edited["status"] == "revision" and edited["id"] == pdf["id"] and edited["file"] != pdf["file"]
    assert len(list((root / "files" / "files.example.org").glob("*.pdf"))) == 2


def test_the_site_copies_a_kept_file_once_and_its_page_links_the_copy_and_the_original(root: Path, proxy: LoopbackServer, tmp_path: Path) -> None:
    import hashlib

    import lxml.html

    proxy.route("http://files.example.org/report.pdf", Reply(200, PDF, {"Content-Type": "application/pdf"}))
    [pdf] = _save(root, "http://files.example.org/report.pdf")
    site = tmp_path / "site"
    first = json.loads(run_cli("-C", str(root), "build", "--site", str(site), "--json", check=True).stdout)["site"]
    copy = site / pdf["file"]
    assert copy.read_bytes() == PDF and hashlib.sha256(copy.read_bytes()).hexdigest() == pdf["sha256"]
    assert pdf["file"] in first["files"]
    [page] = site.glob(f"articles/*/{pdf['id']}.html")
    hrefs = [a.get("href") for a in lxml.html.fromstring(page.read_text(encoding="utf-8")).iter("a")]
    assert "http://files.example.org/report.pdf" in hrefs  # the original
    local = [h for h in hrefs if h and h.endswith(".pdf") and not h.startswith("http")]
    assert len(local) == 1 and (page.parent / local[0]).resolve() == copy.resolve()
    before = copy.stat()
    second = json.loads(run_cli("-C", str(root), "build", "--site", str(site), "--json", check=True).stdout)["site"]
    assert second["articles_rendered"] == 0 and second["removed"] == 0
    assert not any(f.startswith("files/") for f in second["files"])
    after = copy.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not copied again


def test_the_reader_server_serves_a_kept_file_and_its_page_links_it(root: Path, proxy: LoopbackServer) -> None:
    import httpx
    import lxml.html

    from search_helpers import live_server

    proxy.route("http://files.example.org/report.pdf", Reply(200, PDF, {"Content-Type": "application/pdf"}))
    [pdf] = _save(root, "http://files.example.org/report.pdf")
    (root / "files" / "evil").mkdir()
    (root / "files" / "evil" / ("0" * 64 + ".pdf")).symlink_to("/etc/passwd")
    with live_server(root) as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get(f"/articles/{pdf['id']}")
        assert page.status_code == 200
        hrefs = [a.get("href") for a in lxml.html.fromstring(page.text).iter("a")]
        assert f"/{pdf['file']}" in hrefs and "http://files.example.org/report.pdf" in hrefs
        got = client.get(f"/{pdf['file']}")
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in got.headers["cache-control"]
        for bad in ("/files/evil/" + "0" * 64 + ".pdf", f"/{pdf['file']}".replace(".pdf", ".exe"), "/files/x/..%2F..%2Fnewsvault.toml"):
            assert client.get(bad).status_code == 404, bad


def test_a_file_over_the_size_cap_is_refused_and_nothing_is_written(root: Path, proxy: LoopbackServer) -> None:
    from newsvault.compose import open_archive
    from newsvault.fetch import FetchPolicy
    from newsvault.save import save_urls

    proxy.route("http://files.example.org/big.pdf", Reply(200, PDF + b"%" * 5000, {"Content-Type": "application/pdf"}))
    archive = open_archive(root)
    [r] = save_urls(archive, ["http://files.example.org/big.pdf"], FetchPolicy(max_bytes=4096, retries=0))
    archive.close()
    assert r.status == "error" and "larger than the" in r.message and "cap" in r.message
    assert not (root / "files").exists() and not list((root / "articles").rglob("*.md"))


def test_urls_from_stdin_and_file(root: Path, proxy: LoopbackServer, tmp_path: Path) -> None:
    proxy.route("http://zhuanlan.zhihu.com/p/1", Reply(200, _page("zhihu-post.html"), HTML))
    listing = tmp_path / "urls.txt"
    listing.write_text("# one a line\nhttp://zhuanlan.zhihu.com/p/1\n", encoding="utf-8")
    proc = run_cli("-C", str(root), "save", "--from", str(listing))
    assert proc.returncode == 0 and proc.stdout.startswith("new") and "articles/zhihu/" in proc.stdout
    assert "2024-03-05 16:30" in proc.stdout  # shown in the archive's time zone (Asia/Shanghai)
    import subprocess
    import sys

    from conftest import REPO

    out = subprocess.run([sys.executable, "-m", "newsvault", "-C", str(root), "save", "-"], input="http://zhuanlan.zhihu.com/p/1\n",
                         capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("unchanged"), out.stderr
    assert run_cli("-C", str(root), "save").returncode == 2


@pytest.mark.parametrize(("name", "url", "site", "title", "author", "published", "text", "chrome", "image"), [
    ("matters-article.html", "https://matters.news/@writer/123-slug", "matters", "在审查之下写作", "写作者",
     "2024-04-10T12:00:00+00:00", "不会被删除的地方", "社区约章", "https://assets.matters.news/embed/abc.jpeg"),
    ("telegraph-article.html", "https://telegra.ph/Open-Letter-05-20", "telegraph", "一封公开信", "匿名作者",
     "2024-05-20T03:15:00+00:00", "关心此事的人", "Edit", "https://telegra.ph/file/abc123.jpg"),
    ("cdt-article.html", "https://chinadigitaltimes.net/chinese/712345.html", "cdt", "【404文库】一篇文章", "CDT编辑",
     "2024-01-15T09:20:00+00:00", "CDT 存档如下", "分享", None),
])
def test_adapter_reads_its_page(name: str, url: str, site: str, title: str, author: str, published: str, text: str, chrome: str, image: str | None) -> None:
    adapter = pick(url)
    assert adapter.name == site
    page = read_page(_page(name).decode(), url, adapter)
    assert (page.title, page.author) == (title, author)
    assert page.published == int(datetime.fromisoformat(published).timestamp() * 1000)
    assert text in page.body and chrome not in page.body and title not in page.body
    if image:
        assert f'src="{image}"' in page.body  # made absolute against the page URL


def test_matters_through_the_proxy_lands_in_its_folder(root: Path, proxy: LoopbackServer) -> None:
    proxy.route("http://matters.news/@writer/123-slug", Reply(200, _page("matters-article.html"), HTML))
    [r] = _save(root, "http://matters.news/@writer/123-slug")
    assert r["status"] == "new" and r["path"].startswith("articles/matters/")


def _bid(sid: str) -> str:
    """The base-62 form of a status id (seven digits a group, from the right), written apart
    from the adapter's decoder to check it."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    groups = []
    while sid:
        sid, group = sid[:-7], int(sid[-7:])
        text = ""
        while group:
            group, r = divmod(group, 62)
            text = alphabet[r] + text
        groups.append(text.rjust(4, "0") if sid else text)
    return "".join(reversed(groups))


def test_weibo_status_every_url_form_and_the_json_endpoint(root: Path, proxy: LoopbackServer) -> None:
    sid = "4404101091169383"
    api = f"http://m.weibo.cn/statuses/show?id={sid}"
    proxy.route(api, Reply(200, _page("weibo-status.json"), {"Content-Type": "application/json; charset=utf-8"}))
    proxy.route("http://wx1.sinaimg.cn/large/p1.jpg", Reply(200, PNG, {"Content-Type": "image/png"}))
    forms = [f"http://m.weibo.cn/status/{sid}", f"http://m.weibo.cn/detail/{sid}", f"http://m.weibo.cn/1234567890/{sid}",
             f"http://weibo.com/1234567890/{_bid(sid)}", f"http://weibointl.api.weibo.com/share/123.html?weibo_id={sid}"]
    results = _save(root, *forms)
    # fetched concurrently: whichever is read first is the new article, the others find it
    assert sorted(r["status"] for r in results) == ["new"] + ["unchanged"] * 4
    assert {r["id"] for r in results} == {results[0]["id"]}
    assert {r["canonical"] for r in results} == {f"https://m.weibo.cn/status/{sid}"}
    r = next(r for r in results if r["status"] == "new")
    assert (r["site"], r["title"], r["author"]) == ("weibo", "一条关于存档的微博", "存档者")
    assert _shanghai(r["published"]) == "2024-06-01 10:03"
    body = parse((root / r["path"]).read_bytes()).body
    assert "存档不是为了过去" in body and "http://wx1.sinaimg.cn/large/p1.jpg" in body
    assert proxy.hits["http://wx1.sinaimg.cn/large/p1.jpg"] == 1
    proxy.route(api, Reply(200, _page("weibo-deleted.json"), {"Content-Type": "application/json"}))
    [gone] = _save(root, f"http://m.weibo.cn/status/{sid}")
    assert gone["status"] == "gone" and "该微博已被删除" in gone["message"]
    assert parse((root / r["path"]).read_bytes()).body == body


def test_each_adapter_fetches_with_its_own_user_agent(root: Path, proxy: LoopbackServer) -> None:
    from newsvault.fetch import USER_AGENT
    from newsvault.save.adapters.wechat import MOBILE_WECHAT
    from newsvault.save.adapters.zhihu import DESKTOP_CHROME

    article = _page("wechat-article.html")
    # WeChat gives its own app the post; any other client a page asking to open it in WeChat
    proxy.route(f"http://mp.weixin.qq.com/s?{BIZ}", lambda req: Reply(200, article, HTML) if "MicroMessenger/" in req.headers.get("User-Agent", "")
                else Reply(200, "<html><body><p>请在微信客户端打开链接</p></body></html>".encode(), HTML))
    proxy.route("http://zhuanlan.zhihu.com/p/123456", Reply(200, _page("zhihu-post.html"), HTML))
    proxy.route("http://news.example.org/2024/report", Reply(200, _page("default-page.html"), HTML))
    wechat, zhihu, other = _save(root, f"http://mp.weixin.qq.com/s?{BIZ}", "http://zhuanlan.zhihu.com/p/123456", "http://news.example.org/2024/report")
    assert wechat["status"] == "new" and wechat["title"] == "河南村镇银行储户的第三年"
    seen = {r.path: r.headers.get("User-Agent") for r in proxy.requests}
    assert seen["http://mp.weixin.qq.com/s"] == MOBILE_WECHAT
    assert seen["http://zhuanlan.zhihu.com/p/123456"] == DESKTOP_CHROME
    assert seen["http://news.example.org/2024/report"] == USER_AGENT  # any other site: newsvault's own
    assert (zhihu["status"], other["status"]) == ("new", "new")


def test_pages_of_one_site_are_fetched_at_most_two_at_a_time(archive) -> None:
    """Saving a list of one site's pages: at most PAGES_PER_HOST requests to it at once (each
    answer waits a moment for a third, which a looser limit would send), all of them archived."""
    import threading

    from newsvault.fetch import FetchPolicy
    from newsvault.save import save_urls
    from newsvault.save.saving import PAGES_PER_HOST

    lock = threading.Lock()
    in_flight, most = 0, 0
    crowded = threading.Event()  # more requests at once than the limit

    def answer(n: int):
        def route(h) -> None:
            nonlocal in_flight, most
            with lock:
                in_flight += 1
                most = max(most, in_flight)
                if in_flight > PAGES_PER_HOST:
                    crowded.set()
            crowded.wait(0.1)  # room for a request beyond the limit to arrive
            with lock:
                in_flight -= 1
            text = f"存档的第 {n} 篇报道，一段足够长的正文。" * 12
            page = f"<html><head><title>第 {n} 篇</title></head><body><article><h1>第 {n} 篇</h1><p>{text}</p></article></body></html>"
            h.send(Reply(200, page.encode(), HTML))
        return route

    archive.config.allow_private = True  # the pages are on 127.0.0.1
    with LoopbackServer() as srv:
        for n in range(6):
            srv.serve(f"/a/{n}", answer(n))
        results = save_urls(archive, [srv.url(f"/a/{n}") for n in range(6)], FetchPolicy(retries=0, timeout=5))
    assert [r.status for r in results] == ["new"] * 6
    assert most == PAGES_PER_HOST and not crowded.is_set()
