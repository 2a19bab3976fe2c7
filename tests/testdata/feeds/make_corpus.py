"""Writes the feed conformance corpus: ``python3 tests/testdata/feeds/make_corpus.py``.

Every file is a small feed that exercises one variant found in the wild — a format version, a
way of writing titles (entities, CDATA, HTML, XHTML), dates, namespaces, relative links,
encodings and labels that lie. ``tests/test_parse_conformance.py`` reads them with both XML
paths and with feedparser. A file name containing ``__http-<charset>`` is served with that
charset in its Content-Type header. All links point at example.org (never fetched).
"""

from __future__ import annotations

import base64
import codecs
import html
import json
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).parent / "corpus"
SITE = "https://news.example.org"
FULL = 40  # items in a feed of ordinary size (outlets publish 20–50)

ZH = [
    ("布林肯呼吁七国集团在加沙问题上以“一个声音”说话", "<p>美国国务卿布林肯周二晚在东京举行的七国集团（G7）外长会议上呼吁各国团结一致。</p><p>他说，加沙的人道局势令人担忧。</p>"),
    ("香港立法会通过新法 反对派批评", "<p>香港立法会周四以大比数通过条例草案。</p><p>批评者认为新法将进一步压缩言论自由。</p>"),
    ("德国之声：欧洲议会选举结果揭晓", "<p>欧洲议会选举的初步结果显示，中间派仍然占多数。</p>"),
    ("台灣選舉：年輕選民關心什麼", "<p>在台北街頭，許多年輕人表示，住房與薪資是他們最關心的議題。</p>"),
    ("联合早报：新加坡公布年度财政预算", "<p>新加坡副总理兼财政部长在国会发表财政预算案声明。</p><p>预算案包括多项援助措施。</p>"),
    ("中国数字时代：一个非常微妙的数字", "<p>网民发现，官方公布的数据与地方统计存在明显出入。</p>"),
]
EN = [
    ("Don\u2019t say \u201cnews\u201d \u2013 it\u2019s a caf\u00e9 debate", "<p>The caf\u00e9 owners\u2019 association said it wouldn\u2019t comment \u2014 yet.</p>"),
    ("Q&A: what the new rules mean", "<p>Readers asked whether 3 < 5 and AT&T matter here.</p>"),
    ("Markets rally after \u201csurprise\u201d cut", "<p>Shares rose 2% \u2026 then fell.</p>"),
    ("Interview: the last editor", "<p>\u201cWe kept printing,\u201d she said.</p>"),
    ("Elections \u2013 a primer", "<p>Polls open at 8 a.m.</p>"),
]
KO = [("한국어 뉴스 기사입니다", "<p>대통령은 오늘 기자회견을 열었다. 서울 시민들은 환영했다.</p>"), ("국회 예산안 통과", "<p>국회는 본회의에서 내년도 예산안을 통과시켰다.</p>"), ("날씨: 전국에 비", "<p>기상청은 주말 동안 전국에 비가 내릴 것이라고 예보했다.</p>")]
JA = [("日本語のニュース記事です", "<p>首相は本日記者会見を開いた。東京の市民は歓迎した。</p>"), ("国会で予算が成立", "<p>参議院本会議で来年度予算が可決、成立した。</p>"), ("天気：全国で雨", "<p>気象庁は週末にかけて全国的に雨が降ると予報した。</p>")]

RFC822 = [
    "Tue, 07 Nov 2023 12:15:02 GMT", "Tue, 07 Nov 2023 20:15:02 +0800", "07 Nov 2023 12:15:02 GMT", "Tue, 7 Nov 2023 12:15 GMT",
    "Tue, 07 Nov 23 12:15:02 GMT", "Tue, 07 Nov 2023 07:15:02 EST", "tue, 07 nov 2023 12:15:02 gmt", "Tue, 07 Nov 2023 12:15:02 -0000",
    "Tue, 07 Nov 2023 12:15:02 Z", "Tue, 07 Nov 2023 12:15:02 PDT", "Tuesday, 07-Nov-23 12:15:02 GMT",
]  # fmt: skip
ISO = [
    "2023-11-07T12:15:02Z", "2023-11-07T20:15:02+08:00", "2023-11-07T12:15:02.123Z", "2023-11-07T12:15:02", "2023-11-07",
    "2023-11-07 12:15:02", "20231107T121502Z", "2023-11-07T12:15Z", "2023-11-07T12:15:02+0800",
]  # fmt: skip
INVALID = ["", "   ", "昨天下午", "not a date", "2023-13-45T99:00:00Z", "Tue, 31 Feb 2023 12:00:00 GMT", "0"]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def link(i: int, path: str = "a") -> str:
    return f"{SITE}/{path}/{i}.html"


# --- RSS 2.0 ------------------------------------------------------------------------------

RSS_NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
    'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:xhtml="http://www.w3.org/1999/xhtml"'
)


def rss(items: list[str], version: str = "2.0", encoding: str | None = "utf-8", channel_attrs: str = "", prolog: bool = True, title: str = "测试订阅") -> str:
    label = f' encoding="{encoding}"' if encoding else ""
    head = f'<?xml version="1.0"{label}?>\n' if prolog else ""
    return (
        f'{head}<rss version="{version}" {RSS_NS}><channel{channel_attrs}><title>{esc(title)}</title><link>{SITE}/</link>'
        f"<description>conformance</description>\n" + "\n".join(f"<item>{i}</item>" for i in items) + "\n</channel></rss>\n"
    )


def rss_item(i: int, title: str, body: str, date: str | None = None, how: str = "encoded") -> str:
    parts = [f"<title>{esc(title)}</title>", f"<link>{link(i)}</link>", f'<guid isPermaLink="true">{link(i)}</guid>']
    if date is not None:
        parts.append(f"<pubDate>{esc(date)}</pubDate>")
    if how == "encoded":
        parts.append(f"<description>{cdata(body[:60])}</description><content:encoded>{cdata(body)}</content:encoded>")
    elif how == "escaped":
        parts.append(f"<description>{esc(body)}</description>")
    elif how == "cdata":
        parts.append(f"<description>{cdata(body)}</description>")
    return "".join(parts)


def pool(n: int, texts: list[tuple[str, str]] | None = None) -> list[tuple[int, str, str]]:
    texts = texts or ZH + EN
    return [(i, *texts[i % len(texts)]) for i in range(n)]


def files_rss20() -> dict[str, str]:
    f: dict[str, str] = {}
    f["rss20-basic.xml"] = rss([rss_item(i, t, b, RFC822[0]) for i, t, b in pool(FULL)])
    f["rss20-description-escaped.xml"] = rss([rss_item(i, t, b, RFC822[1], how="escaped") for i, t, b in pool(FULL)])
    f["rss20-description-cdata.xml"] = rss([rss_item(i, t, b, RFC822[1], how="cdata") for i, t, b in pool(FULL)])
    f["rss20-description-plain-text.xml"] = rss(
        [f"<title>纯文本 {i}</title><link>{link(i)}</link><description>{esc(t)}\n\n第二段 a &lt; b</description>" for i, t, _ in pool(6)]
    )
    f["rss20-cdata-titles.xml"] = rss(
        [f"<title>{cdata(t)}</title><link>{link(i)}</link><description>{cdata(b)}</description>" for i, t, b in pool(FULL)]
        + [f"<title>{cdata('AT&T 与 <b>粗体</b> 标题')}</title><link>{link(90)}</link><description>x</description>"]
    )
    titles = [
        "AT&amp;amp;T settles", "It&amp;#8217;s &amp;#8220;news&amp;#8221; &amp;#8211; AT&amp;amp;T", "It&#8217;s a title with char refs",
        "&lt;b&gt;粗体&lt;/b&gt;标题", "Q&amp;amp;A session &amp;#38; more", "AT&amp;T plain ampersand", "5 &lt; 6 but no tags",
        "&amp;nbsp;spaced&amp;nbsp;title", "Unknown &amp;foo; entity",
    ]  # fmt: skip
    f["rss20-entity-titles.xml"] = rss([f"<title>{t}</title><link>{link(i)}</link><description>正文 {i}</description>" for i, t in enumerate(titles)])
    f["rss20-dates-rfc822.xml"] = rss([rss_item(i, f"日期 {d}", f"<p>{esc(d)}</p>", d) for i, d in enumerate(RFC822)])
    f["rss20-dates-iso.xml"] = rss([rss_item(i, f"ISO {d}", f"<p>{d}</p>", d) for i, d in enumerate(ISO)])
    f["rss20-dates-invalid.xml"] = rss([rss_item(i, f"无效日期 {i}", "<p>x</p>", d) for i, d in enumerate(INVALID)] + [rss_item(99, "没有日期", "<p>y</p>")])
    f["rss20-dc-date.xml"] = rss(
        [f"<title>{esc(t)}</title><link>{link(i)}</link><dc:date>{ISO[i % len(ISO)]}</dc:date><dc:creator>记者 {i}</dc:creator><dc:subject>主题</dc:subject>"
         f"<description>{cdata(b)}</description>" for i, t, b in pool(FULL)]
        + [f"<title>both</title><link>{link(50)}</link><pubDate>{RFC822[0]}</pubDate><dc:date>2020-01-01T00:00:00Z</dc:date>"]
    )  # fmt: skip
    f["rss20-dcterms.xml"] = rss(
        [f"<title>created</title><link>{link(1)}</link><dcterms:created>2019-01-02T03:04:05Z</dcterms:created>",
         f"<title>issued</title><link>{link(2)}</link><dcterms:issued>2019-02-02T03:04:05Z</dcterms:issued>",
         f"<title>modified</title><link>{link(3)}</link><dcterms:modified>2019-03-02T03:04:05Z</dcterms:modified>",
         f"<title>all three</title><link>{link(4)}</link><dcterms:modified>2019-03-02T03:04:05Z</dcterms:modified><dcterms:created>2019-01-02T03:04:05Z</dcterms:created><dcterms:issued>2019-02-02T03:04:05Z</dcterms:issued>",
         f"<title>pubDate and modified</title><link>{link(5)}</link><pubDate>{RFC822[0]}</pubDate><dcterms:modified>2019-03-02T03:04:05Z</dcterms:modified>"]
    )  # fmt: skip
    f["rss20-dc-title.xml"] = rss(
        [f"<dc:title>只有 dc:title {i}</dc:title><link>{link(i)}</link><description>{cdata(b)}</description>" for i, _, b in pool(3)]
        + [f"<title>title first</title><dc:title>dc title second</dc:title><link>{link(9)}</link>"]
    )
    f["rss20-media.xml"] = rss(
        [f"<title>{esc(t)}</title><link>{link(i)}</link><description>短摘要</description><media:group><media:description>{esc(b)}</media:description>"
         f'<media:thumbnail url="{SITE}/t{i}.jpg"/></media:group>' for i, t, b in pool(4)]
        + [f'<title>媒体</title><link>{link(20)}</link><media:content url="{SITE}/v.mp4"><media:description>视频说明文字</media:description></media:content>',
           f"<media:title>只有 media:title</media:title><link>{link(21)}</link><description>x</description>",
           f"<title>t</title><link>{link(22)}</link><media:group><media:title>group title</media:title></media:group><description>y</description>"]
    )  # fmt: skip
    f["rss20-itunes.xml"] = rss(
        [f"<title>{esc(t)}</title><link>{link(i)}</link><itunes:summary>{esc(b)}</itunes:summary><itunes:duration>12:00</itunes:duration>" for i, t, b in pool(4)]
    )
    f["rss20-body-elements.xml"] = rss(
        [f'<title>body</title><link>{link(1)}</link><body xmlns="http://www.w3.org/1999/xhtml"><p>xhtml body 正文</p></body>',
         f"<title>xhtml:body</title><link>{link(2)}</link><xhtml:body><xhtml:p>前缀 xhtml 正文</xhtml:p></xhtml:body>",
         f"<title>fullitem</title><link>{link(3)}</link><fullitem>{esc('<p>fullitem 全文</p>')}</fullitem>",
         f"<title>dc:description</title><link>{link(4)}</link><dc:description>只有 dc:description 的正文</dc:description>"]
    )  # fmt: skip
    f["rss20-relative-links.xml"] = rss(
        [f"<title>rel {i}</title><link>/zh/{i}.html</link><description>x</description>" for i in range(4)]
        + ["<title>dot</title><link>../up.html</link><description>y</description>", "<title>query</title><link>?p=1&amp;q=2</link><description>z</description>"]
    )
    f["rss20-xml-base.xml"] = rss(
        [f"<title>base {i}</title><link>{i}.html</link><description>x</description>" for i in range(3)]
        + ['<title>item base</title><link xml:base="https://other.example.org/dir/">x.html</link><description>y</description>'],
        channel_attrs=' xml:base="https://news.example.org/base/"',
    )
    f["rss20-guid-links.xml"] = rss(
        [f"<title>guid {i}</title><guid>{link(i, 'g')}</guid><description>x</description>" for i in range(3)]
        + [f'<title>not permalink</title><guid isPermaLink="false">{link(9, "g")}</guid><description>y</description>',
           '<title>guid not url</title><guid>urn:uuid:1234</guid><description>z</description>',
           f'<title>enclosure only</title><enclosure url="{SITE}/a.mp3" type="audio/mpeg" length="1"/><description>w</description>']
    )  # fmt: skip
    f["rss20-bad-item-link.xml"] = rss(
        [rss_item(i, t, b, RFC822[0]) for i, t, b in pool(3)]
        + ["<title>bad link</title><link>http://e[x.org/1</link><description>坏链接</description>"]
        + [rss_item(i, t, b, RFC822[0]) for i, t, b in pool(6)[3:]]
    )
    f["rss20-wordpress.xml"] = rss(
        [f"<title>{esc(t)}</title><link>{link(i)}</link><comments>{link(i)}#comments</comments><dc:creator>{cdata('编辑')}</dc:creator>"
         f"<pubDate>{RFC822[0]}</pubDate><category>{cdata('新闻')}</category><category>{cdata('国际')}</category>"
         f'<guid isPermaLink="false">{SITE}/?p={i}</guid><description>{cdata(b[:40] + " [&#8230;]")}</description>'
         f"<content:encoded>{cdata(b)}</content:encoded><wfw:commentRss>{link(i)}/feed/</wfw:commentRss><slash:comments>{i}</slash:comments>"
         for i, t, b in pool(FULL)]
    )  # fmt: skip
    f["rss20-no-titles.xml"] = rss([f"<link>{link(i)}</link><description>{cdata(b)}</description>" for i, _, b in pool(4)] + ["<description>无题无链接的正文</description>"])
    f["rss20-whitespace.xml"] = rss(
        [f"<title>\n   {esc(t)}  \n</title><link>\n  {link(i)}\n</link><pubDate>  {RFC822[0]}  </pubDate><description>\n{cdata(b)}\n</description>" for i, t, b in pool(4)]
    )
    f["rss20-c1-charrefs.xml"] = rss(
        ["<title>Don&#146;t &#147;quote&#148; me</title><link>" + link(1) + "</link><description>It&#146;s &#150; fine</description>",
         "<title>Euro &#128; sign</title><link>" + link(2) + "</link><description>x</description>"]
    )  # fmt: skip
    f["rss20-unescaped-markup.xml"] = rss(
        [f"<title>markup {i}</title><link>{link(i)}</link><description><p>正文 <b>粗体</b></p></description>" for i in range(3)]
        + [f"<title><b>bold</b> title</title><link>{link(9)}</link><description>x</description>"]
    )
    f["rss20-unknown-namespace.xml"] = rss(
        [f'<title>{esc(t)}</title><link>{link(i)}</link><x:rating xmlns:x="https://example.org/ns">5</x:rating><description>{cdata(b)}</description>' for i, t, b in pool(4)]
    )
    f["rss20-duplicate-elements.xml"] = rss(
        [f"<title>first</title><title>second</title><link>{link(1)}</link>",
         f"<title>two links</title><link>{link(2)}</link><link>{link(3)}</link>",
         f"<title>two dates</title><link>{link(4)}</link><pubDate>{RFC822[0]}</pubDate><pubDate>Wed, 08 Nov 2023 12:15:02 GMT</pubDate>"]
    )  # fmt: skip
    f["rss20-no-prolog.xml"] = rss([rss_item(i, t, b, RFC822[2]) for i, t, b in pool(4)], prolog=False)
    return f


def files_rss09() -> dict[str, str]:
    f: dict[str, str] = {}
    netscape = '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
    body = "\n".join(f"<item><title>Caf&eacute; {i} &mdash; news</title><link>{link(i)}</link><description>Na&iuml;ve &amp; caf&eacute; {i}</description></item>" for i in range(4))
    f["rss091-netscape-doctype.xml"] = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n{netscape}<rss version="0.91"><channel><title>n</title><link>{SITE}/</link><description>d</description><language>en</language>\n{body}\n</channel></rss>\n'
    f["rss091-userland.xml"] = rss([f"<title>{esc(t)}</title><link>{link(i)}</link><description>{esc(b)}</description>" for i, t, b in pool(FULL)], version="0.91")
    f["rss092.xml"] = rss(
        [f'<title>{esc(t)}</title><link>{link(i)}</link><description>{esc(b)}</description><category domain="x">分类</category><enclosure url="{SITE}/{i}.mp3" length="1" type="audio/mpeg"/>' for i, t, b in pool(FULL)]
        + ["<description>0.92 allows items with only a description</description>"],
        version="0.92",
    )
    f["rss093.xml"] = rss([f"<title>{esc(t)}</title><link>{link(i)}</link><description>{esc(b)}</description>" for i, t, b in pool(3)], version="0.93")
    f["rss094.xml"] = rss([f"<title>{esc(t)}</title><link>{link(i)}</link><description>{esc(b)}</description>" for i, t, b in pool(3)], version="0.94")
    return f


def rdf(items: list[str], encoding: str = "utf-8") -> str:
    about = "".join(f'<rdf:li rdf:resource="{link(i)}"/>' for i in range(len(items)))
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        f'{RSS_NS}><channel rdf:about="{SITE}/"><title>RDF 订阅</title><link>{SITE}/</link><description>d</description><items><rdf:Seq>{about}</rdf:Seq></items></channel>\n'
        + "\n".join(items)
        + "\n</rdf:RDF>\n"
    )


def files_rdf() -> dict[str, str]:
    f: dict[str, str] = {}
    f["rss10-basic.xml"] = rdf(
        [f'<item rdf:about="{link(i)}"><title>{esc(t)}</title><link>{link(i)}</link><dc:date>{ISO[i % 3]}</dc:date><dc:creator>记者</dc:creator>'
         f"<description>{esc(b[:30])}</description><content:encoded>{cdata(b)}</content:encoded></item>" for i, t, b in pool(FULL)]
    )  # fmt: skip
    f["rss10-about-links.xml"] = rdf([f'<item rdf:about="{link(i, "about")}"><title>{esc(t)}</title><description>{esc(b)}</description></item>' for i, t, b in pool(2)])
    f["rss10-dcterms.xml"] = rdf([f'<item rdf:about="{link(i)}"><title>{esc(t)}</title><link>{link(i)}</link><dcterms:issued>{ISO[0]}</dcterms:issued></item>' for i, t, _ in pool(3)])
    f["rss10-entities.xml"] = rdf(
        [f'<item rdf:about="{link(1)}"><title>It&amp;#8217;s AT&amp;amp;T</title><link>{link(1)}</link><description>&lt;p&gt;escaped&lt;/p&gt;</description></item>',
         f'<item rdf:about="{link(2)}"><title>{cdata("Q&A <i>x</i>")}</title><link>{link(2)}</link></item>']
    )  # fmt: skip
    return f


# --- Atom ---------------------------------------------------------------------------------


def atom(entries: list[str], encoding: str = "utf-8", feed_attrs: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"{feed_attrs}>'
        f'<title>Atom 订阅</title><id>urn:feed</id><updated>2023-11-07T12:15:02Z</updated><link href="{SITE}/"/>\n'
        + "\n".join(f"<entry>{e}</entry>" for e in entries)
        + "\n</feed>\n"
    )


def atom_entry(i: int, title: str, body: str, kind: str = "html", date: str = "2023-11-07T12:15:02Z") -> str:
    content = f'<content type="html">{esc(body)}</content>' if kind == "html" else f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{body}</div></content>'
    return f'<title>{esc(title)}</title><link rel="alternate" href="{link(i)}"/><id>{link(i)}</id><updated>{date}</updated>{content}'


def files_atom10() -> dict[str, str]:
    f: dict[str, str] = {}
    f["atom10-basic.xml"] = atom([atom_entry(i, t, b) for i, t, b in pool(FULL)])
    f["atom10-xhtml-content.xml"] = atom(
        [atom_entry(i, t, b, kind="xhtml") for i, t, b in pool(20, ZH)]
        + [f'<title>escaped in xhtml</title><link href="{link(30)}"/><id>urn:30</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">History of the &lt;blink&gt; tag</div></content>',
           f'<title>escaped img</title><link href="{link(31)}"/><id>urn:31</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">&lt;img src=x onerror=alert(1)&gt; and <b>bold</b> &amp; more</div></content>',
           f'<title>xhtml summary</title><link href="{link(32)}"/><id>urn:32</id><summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>摘要 &lt;p&gt; 不是标签</p></div></summary>',
           f'<title>two divs</title><link href="{link(33)}"/><id>urn:33</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div><div xmlns="http://www.w3.org/1999/xhtml">b</div></content>']
    )  # fmt: skip
    titles = [
        ("html", "Q&amp;amp;A session"), ("html", "&amp;#38; ampersand"), ("html", "It&amp;#8217;s &amp;#8220;news&amp;#8221; &amp;#8211; AT&amp;amp;T"),
        ("html", "&lt;b&gt;粗体&lt;/b&gt;标题"), ("html", "plain html title"), ("text", "A &amp;amp; B &lt;b&gt; stays"), ("text", "纯文本 a &lt; b"),
        ("xhtml", '<div xmlns="http://www.w3.org/1999/xhtml">XHTML <b>title</b> &amp;amp; more</div>'), ("html", "&amp;nbsp;spaced"),
    ]  # fmt: skip
    f["atom10-titles.xml"] = atom(
        [f'<title type="{k}">{t}</title><link href="{link(i)}"/><id>urn:t{i}</id><updated>2023-11-07T12:15:02Z</updated><summary>正文 {i}</summary>' for i, (k, t) in enumerate(titles)]
    )
    f["atom10-text-bodies.xml"] = atom(
        [f'<title>text {i}</title><link href="{link(i)}"/><id>urn:b{i}</id><content type="text">{esc(t)}\n\n第二段 a &lt; b &amp; c</content>' for i, t, _ in pool(4)]
        + [f'<title>text summary</title><link href="{link(9)}"/><id>urn:b9</id><summary>&lt;p&gt;not markup&lt;/p&gt;</summary>']
    )
    f["atom10-no-link.xml"] = atom(
        [f"<title>http id {i}</title><id>{link(i, 'id')}</id><content type=\"html\">{esc(b)}</content>" for i, _, b in pool(3)]
        + ["<title>tag id</title><id>tag:example.org,2023:1</id><content>x</content>", "<title>urn id</title><id>urn:uuid:1</id><content>y</content>",
           f'<title>self link only</title><id>{link(7, "id")}</id><link rel="self" href="{SITE}/self"/><content>z</content>']
    )  # fmt: skip
    f["atom10-no-title.xml"] = atom(
        [f'<link href="{link(i)}"/><id>urn:n{i}</id><content type="html">{esc(b)}</content>' for i, _, b in pool(3)]
        + [f'<title></title><link href="{link(8)}"/><id>urn:n8</id><summary>空标题的摘要正文</summary>', '<id>urn:n9</id><content>无标题无链接的正文</content>']
    )
    f["atom10-xml-base.xml"] = atom(
        [f'<title>base {i}</title><link href="{i}.html"/><id>urn:x{i}</id><content>x</content>' for i in range(3)]
        + ['<title>entry base</title><link href="e.html" xml:base="https://other.example.org/entry/"/><id>urn:x8</id><content>y</content>',
           '<title>relative base</title><link href="r.html" xml:base="sub/"/><id>urn:x9</id><content>z</content>']
        , feed_attrs=' xml:base="https://news.example.org/zh/"',
    )  # fmt: skip
    f["atom10-base64.xml"] = atom(
        [f'<title>base64 {i}</title><link href="{link(i)}"/><id>urn:64{i}</id><content type="text/html" mode="base64">{base64.b64encode(b.encode()).decode()}</content>' for i, _, b in pool(3)]
        + [f'<title>octet</title><link href="{link(9)}"/><id>urn:649</id><content type="application/octet-stream">{base64.b64encode(b"binary").decode()}</content><summary>摘要</summary>']
    )
    f["atom10-two-updated.xml"] = atom(
        [f'<title>two updated</title><link href="{link(1)}"/><id>urn:u1</id><updated>2020-01-02T00:00:00Z</updated><updated>2021-01-02T00:00:00Z</updated><content>x</content>']
    )
    f["atom10-dates.xml"] = atom(
        [f'<title>{d}</title><link href="{link(i)}"/><id>urn:d{i}</id><published>{d}</published><content>x</content>' for i, d in enumerate(ISO + RFC822[:3])]
        + [f'<title>updated only</title><link href="{link(40)}"/><id>urn:d40</id><updated>{ISO[1]}</updated><content>x</content>',
           f'<title>both</title><link href="{link(41)}"/><id>urn:d41</id><updated>{ISO[1]}</updated><published>2020-01-01T00:00:00Z</published><content>x</content>']
        + [f'<title>invalid {i}</title><link href="{link(50 + i)}"/><id>urn:di{i}</id><published>{esc(d)}</published><content>x</content>' for i, d in enumerate(INVALID)]
    )  # fmt: skip
    f["atom10-content-src.xml"] = atom([f'<title>src</title><link href="{link(1)}"/><id>urn:s1</id><content src="{SITE}/full.html" type="text/html"/><summary>外部内容的摘要</summary>'])
    f["atom10-media.xml"] = atom(
        [f'<title>{esc(t)}</title><link href="{link(i)}"/><id>urn:m{i}</id><media:group><media:description>{esc(b)}</media:description></media:group>' for i, t, b in pool(3)]
        + [f'<media:title>media title only</media:title><link href="{link(9)}"/><id>urn:m9</id><summary>s</summary>']
    )
    f["atom10-links.xml"] = atom(
        [f'<title>links</title><link rel="self" href="{SITE}/self"/><link rel="enclosure" href="{SITE}/a.mp3"/><link rel="alternate" type="text/html" href="{link(1)}"/><id>urn:l1</id><content>x</content>',
         f'<title>two alternates</title><link href="{link(2)}"/><link rel="alternate" type="application/pdf" href="{SITE}/2.pdf"/><id>urn:l2</id><content>y</content>',
         '<title>bad link</title><link href="http://e[x.org/1"/><id>urn:l3</id><content>坏链接</content>',
         f'<title>after bad</title><link href="{link(4)}"/><id>urn:l4</id><content>z</content>']
    )  # fmt: skip
    f["atom10-authors-categories.xml"] = atom(
        [f'<title>{esc(t)}</title><link href="{link(i)}"/><id>urn:a{i}</id><author><name>作者 {i}</name><email>a@example.org</email></author>'
         f'<category term="新闻"/><category term="x" label="国际"/><content type="html">{esc(b)}</content>' for i, t, b in pool(20)]
    )  # fmt: skip
    return f


def files_atom03() -> dict[str, str]:
    entries = [
        f'<title>{esc(t)}</title><link rel="alternate" type="text/html" href="{link(i)}"/><id>urn:03-{i}</id><issued>2023-11-07T20:15:02+08:00</issued>'
        f'<modified>2023-11-08T12:15:02Z</modified><content type="text/html" mode="escaped">{esc(b)}</content>'
        for i, t, b in pool(20)
    ]
    entries.append(f'<title>base64</title><link rel="alternate" href="{link(8)}"/><id>urn:03-8</id><created>2023-01-01T00:00:00Z</created><content type="text/html" mode="base64">{base64.b64encode("<p>base64 正文</p>".encode()).decode()}</content>')
    entries.append(f'<title>xml mode</title><link rel="alternate" href="{link(9)}"/><id>urn:03-9</id><content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>xml 正文</p></div></content>')
    return {
        "atom03.xml": '<?xml version="1.0" encoding="utf-8"?>\n<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title>'
        f'<link rel="alternate" href="{SITE}/"/><modified>2023-11-07T12:15:02Z</modified>\n' + "\n".join(f"<entry>{e}</entry>" for e in entries) + "\n</feed>\n"
    }


def files_json() -> dict[str, str]:
    def item(i: int, t: str, b: str) -> dict[str, object]:
        return {"id": str(i), "url": link(i), "title": t, "content_html": b, "date_published": ISO[1]}

    one = {"version": "https://jsonfeed.org/version/1", "title": "JSON 1.0", "items": [item(i, t, b) for i, t, b in pool(FULL)]}
    eleven = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON 1.1",
        "items": [item(i, t, b) for i, t, b in pool(4)]
        + [{"id": "t", "url": "/rel/t.html", "title": "text & <b>", "content_text": "第一段\n\n第二段 <不是标签>", "date_modified": "2023-11-07T12:15:02Z", "authors": [{"name": "甲"}]},
           {"id": "s", "external_url": link(40), "summary": "只有摘要", "tags": ["新闻"]},
           {"id": "bad", "url": "http://e[x.org/1", "title": "bad link"}, "not an object",
           {"id": "after", "url": link(41), "title": "after the bad ones", "content_html": "<p>ok</p>"}],
    }  # fmt: skip
    return {"json10.json": json.dumps(one, ensure_ascii=False, indent=1), "json11.json": json.dumps(eleven, ensure_ascii=False, indent=1)}


# --- Encodings ----------------------------------------------------------------------------


def files_encodings() -> dict[str, bytes]:
    f: dict[str, bytes] = {}

    def doc(texts: list[tuple[str, str]], label: str | None, n: int = FULL) -> str:
        return rss([rss_item(i, t, b, RFC822[0]) for i, t, b in pool(n, texts)], encoding=label, title=texts[0][0][:6])

    zh_s = ZH[:3] + ZH[4:]  # Simplified only
    zh_t = [ZH[3], ("臺灣新聞：立法院三讀通過預算", "<p>立法院今天三讀通過總預算案，國防經費增加。</p>"), ("香港記者協會發表聲明", "<p>記協對新聞自由狀況表示關注。</p>")]
    f["enc-utf8.xml"] = doc(ZH, "utf-8").encode("utf-8")
    f["enc-utf8-bom.xml"] = codecs.BOM_UTF8 + doc(ZH, "utf-8").encode("utf-8")
    for name, codec, bom in [("utf16le", "utf-16-le", codecs.BOM_UTF16_LE), ("utf16be", "utf-16-be", codecs.BOM_UTF16_BE)]:
        f[f"enc-{name}-bom.xml"] = bom + doc(ZH, "utf-16").encode(codec)
        f[f"enc-{name}-nobom.xml"] = doc(ZH, "utf-16").encode(codec)
    f["enc-utf32le-nobom.xml"] = doc(ZH, "utf-32", 6).encode("utf-32-le")
    f["enc-gb2312.xml"] = doc(zh_s, "gb2312").encode("gb2312")
    gbk_only = zh_s + [("朱镕基与王珺谈喆", "<p>这些字（镕、珺、喆）在 GBK 里，不在 GB2312 里。</p>")]
    f["enc-gb2312-label-gbk-bytes.xml"] = doc(gbk_only, "gb2312").encode("gbk")
    f["enc-gbk.xml"] = doc(gbk_only, "gbk").encode("gbk")
    f["enc-gb18030.xml"] = doc(gbk_only + [("罕用字 𠀀 与 €", "<p>GB18030 四字节字符。</p>")], "gb18030").encode("gb18030")
    f["enc-gbk-undeclared.xml"] = doc(gbk_only, None, 1).encode("gbk")
    f["enc-big5.xml"] = doc(zh_t, "big5").encode("big5")
    f["enc-big5-undeclared.xml"] = doc(zh_t, None, 1).encode("big5")
    f["enc-euc-kr.xml"] = doc(KO, "euc-kr").encode("euc-kr")
    f["enc-euc-kr-undeclared.xml"] = doc(KO, None, 1).encode("euc-kr")
    f["enc-shift-jis.xml"] = doc(JA, "shift_jis").encode("shift_jis")
    f["enc-latin1-label-cp1252-bytes.xml"] = doc(EN, "iso-8859-1").encode("cp1252")
    f["enc-cp1252-undeclared.xml"] = doc(EN, None).encode("cp1252")
    f["enc-windows-1252.xml"] = doc(EN, "windows-1252").encode("cp1252")
    # The XML prolog says one thing, the HTTP header another: the header is right.
    f["enc-prolog-utf8-bytes-gbk__http-gbk.xml"] = doc(gbk_only, "utf-8").encode("gbk")
    f["enc-prolog-big5-bytes-utf8__http-utf-8.xml"] = doc(zh_t, "big5").encode("utf-8")
    f["enc-prolog-gb2312-bytes-big5__http-big5.xml"] = doc(zh_t, "gb2312").encode("big5")
    f["enc-stray-nul.xml"] = doc(ZH, "utf-8", 6).encode("utf-8").replace("一个声音".encode(), "一个\0声音".encode())
    return f


GROUPS: list[Callable[[], dict[str, str]]] = [files_rss20, files_rss09, files_rdf, files_atom10, files_atom03, files_json]


def build() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for group in GROUPS:
        for name, text in group().items():
            enc = "iso-8859-1" if "ISO-8859-1" in text[:60] else "utf-8"
            out[name] = text.encode(enc, "xmlcharrefreplace")
    out.update(files_encodings())
    return out


def main() -> None:
    OUT.mkdir(exist_ok=True)
    files = build()
    for old in OUT.iterdir():
        if old.name not in files:
            old.unlink()
    for name, data in sorted(files.items()):
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files)} files to {OUT}")


if __name__ == "__main__":
    main()
