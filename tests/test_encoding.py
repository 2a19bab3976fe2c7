"""Bytes → text: BOMs, UTF-16/32 without a BOM, declared and detected charsets, labels that lie."""

from __future__ import annotations

import codecs

import pytest

from newsvault.encoding import declared_charset, decode, looks_binary
from newsvault.errors import RecordError

ZH = "<p>美国国务卿布林肯周二晚在东京举行的七国集团外长会议上呼吁各国团结一致。他说，加沙的人道局势令人担忧。</p>"
ZH_GBK = ZH + "<p>朱镕基与王珺谈喆：这些字在 GBK 里，不在 GB2312 里。</p>"
ZH_T = "<p>在台北街頭，許多年輕人表示，住房與薪資是他們最關心的議題。立法院今天三讀通過總預算案。</p>"
KO = "<p>대통령은 오늘 기자회견을 열었다. 서울 시민들은 환영했다. 국회는 본회의에서 내년도 예산안을 통과시켰다.</p>"
JA = "<p>首相は本日記者会見を開いた。東京の市民は歓迎した。気象庁は週末にかけて全国的に雨が降ると予報した。</p>"
EN = "<p>Don\u2019t say \u201cnews\u201d \u2013 the caf\u00e9 owners\u2019 association wouldn\u2019t comment \u2014 yet.</p>"


def xml(body: str, label: str | None = None) -> str:
    decl = f'<?xml version="1.0" encoding="{label}"?>' if label else '<?xml version="1.0"?>'
    return f"{decl}<rss><channel><title>t</title><item><description>{body}</description></item></channel></rss>"


@pytest.mark.parametrize(
    "bom,codec",
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")],
)
def test_a_byte_order_mark_decides(bom, codec):
    text, _ = decode(bom + xml(ZH).encode(codec))
    assert text == xml(ZH)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("body", [ZH, EN, KO], ids=["zh", "en", "ko"])
def test_utf16_and_utf32_without_a_bom_are_text_not_binary(codec, body):
    data = xml(body, "utf-16").encode(codec)
    assert not looks_binary(data)
    assert decode(data) == (xml(body, "utf-16"), codec)


@pytest.mark.parametrize(
    "body,label,codec,expect",
    [
        (ZH, "gb2312", "gb2312", "gb18030"),
        (ZH_GBK, "gb2312", "gbk", "gb18030"),  # says gb2312, uses GBK characters
        (ZH_GBK, "gbk", "gbk", "gb18030"),
        (ZH_GBK + "<p>𠀀</p>", "gb18030", "gb18030", "gb18030"),
        (ZH_T, "big5", "big5", "big5hkscs"),
        (KO, "euc-kr", "euc-kr", "euc_kr"),
        (JA, "shift_jis", "shift_jis", "shift_jis"),
        (EN, "windows-1252", "cp1252", "cp1252"),
        (EN, "iso-8859-1", "cp1252", "cp1252"),  # latin-1 labels mean Windows-1252, as in browsers
        (EN, "latin-1", "cp1252", "cp1252"),
        (EN, "us-ascii", "cp1252", "cp1252"),
    ],
)
def test_declared_charsets(body, label, codec, expect):
    text, enc = decode(xml(body, label).encode(codec))
    assert text == xml(body, label) and enc == expect


@pytest.mark.parametrize(
    "body,codec,expect",
    [(ZH_GBK, "gbk", "gb18030"), (ZH_T, "big5", "big5hkscs"), (KO, "euc-kr", "euc_kr"), (JA, "shift_jis", "shift_jis"), (EN, "cp1252", "cp1252")],
)
def test_undeclared_charsets_are_detected(body, codec, expect):
    text, enc = decode(xml(body).encode(codec))
    assert text == xml(body) and enc == expect


def test_latin1_bytes_that_windows_1252_leaves_unassigned_are_kept():
    data = xml("caf\u00e9 \x81 \x8d").encode("latin-1").replace(b"?>", b' encoding="iso-8859-1"?>', 1)
    assert decode(data)[0].endswith("caf\u00e9 \x81 \x8d</description></item></channel></rss>")


def test_the_http_charset_wins_over_a_wrong_prolog():
    data = xml(ZH_T, "gb2312").encode("big5")
    assert decode(data, "big5")[0] == xml(ZH_T, "gb2312")
    data = xml(ZH_GBK, "utf-8").encode("gbk")
    assert decode(data, "gbk")[0] == xml(ZH_GBK, "utf-8")


def test_utf8_wins_over_a_label_that_is_wrong():
    assert decode(xml(ZH, "big5").encode("utf-8"), "big5") == (xml(ZH, "big5"), "utf-8")


def test_a_stray_nul_is_not_binary_but_a_picture_is():
    assert not looks_binary(xml("一个\x00声音").encode())
    assert decode(xml("一个\x00声音").encode())[0] == xml("一个\x00声音")
    with pytest.raises(RecordError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(RecordError, match="binary"):
        decode(b"PK\x03\x04" + bytes(range(256)) * 8)


def test_declared_charset_reads_prologs_and_meta_tags():
    assert declared_charset(b'<?xml version="1.0" encoding="GB2312"?><rss/>') == "gb18030"
    assert declared_charset(b'<html><head><meta charset="big5"></head>') == "big5hkscs"
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-1"?>') == "cp1252"
    assert declared_charset(b'<?xml version="1.0" encoding="no-such-charset"?>') is None
    assert declared_charset(b"<rss/>") is None
