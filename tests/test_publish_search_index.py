"""The static search index: terms, shards, generations and their compaction, read back the way
static/search.js reads them (the browser tests run the real script)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from newsvault.publish import search_index as SI
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import make_archive, seed_id


def query(site: Path, q: str) -> list[str]:
    """Article ids matching ``q``, newest first: search.js's algorithm in Python."""
    meta = json.loads(re.search(r"NV\.meta=(.*);", (site / "search/meta.js").read_text()).group(1))
    folded = SI.fold(q)
    terms = SI.terms(folded)
    assert terms, q
    found: list[set[int]] = []
    for term in terms:
        files = [f"t/{SI.shard_of(term, meta['shards'])}.js"] + [f"t/g{g}-{SI.shard_of(term, n)}.js" for g, n in meta["gens"]]
        docs: set[int] = set()
        for name in files:
            path = site / "search" / name
            if not path.exists():
                continue
            for entries in SI.read_shard(path.read_text(encoding="utf-8")):
                postings = entries.get(term)
                if postings:
                    docs.update(d for d, _w in SI.decode(postings))
        found.append(docs)
    hits = sorted(set.intersection(*found), reverse=True)
    by_no = {}
    for path in (site / "search" / "d").glob("*.js"):
        for row in json.loads(re.search(r"NV\.d\(\d+,(.*)\);", path.read_text(encoding="utf-8")).group(1)):
            by_no[row[0]] = row[1]
    return [by_no[h] for h in hits if h in by_no]


def test_terms_are_folded_bigrams_and_words():
    assert SI.terms(SI.fold("台灣 G7峰會 Blinken")) == {"台湾", "g7", "峰会", "blinken"}
    assert SI.terms(SI.fold("加")) == set()  # single characters are not indexed
    assert SI.fold("臺灣發展") == "台湾发展"


def test_shards_match_the_browser_crc():
    # CRC-32 of UTF-16LE, as static/search.js computes it (values checked against zlib's CRC).
    import zlib

    assert SI.shard_of("加沙", 1 << 32) == zlib.crc32("加沙".encode("utf-16-le"))
    assert "0xEDB88320" in (Path(SI.__file__).parents[1] / "static" / "search.js").read_text()


def test_index_finds_articles_and_keeps_up_through_generations(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "a", xss=False)
    site = tmp_path / "site"
    build_site(archive, site)
    sid = seed_id(archive)
    assert sid in query(site, "加沙")
    assert sid in query(site, "一个声音")
    assert len(query(site, "台灣")) >= 1
    monkeypatch.setattr(SI, "MAX_GENERATIONS", 2)
    added = []
    for n in range(4):  # generation 1, 2, then compaction, then generation 1 again
        with archive.batch():
            r = archive.add(Record(f"高雄港第{n}号新闻", f"https://www.rfi.fr/cn/kh-{n}", 1_800_000_000_000 + n, "<p>港口</p>"), "rfi")
        added.append(r.article_id)
        build_site(archive, site)
        assert query(site, f"高雄港第{n}号") == [r.article_id]
    assert query(site, "高雄港") == added[::-1]  # newest first
    meta = (site / "search/meta.js").read_text()
    assert '"gens":[[1,' in meta  # compacted once, then a fresh generation
    assert not list((site / "search/t").glob("g2-*.js")) and not list((site / "search/t").glob("g3-*.js"))
    assert sid in query(site, "加沙")


def _meta(site: Path) -> dict:
    text = (site / "search" / "meta.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("NV.meta=") + len("NV.meta="):].rstrip().rstrip(";"))


def _weights(site: Path, term: str) -> dict[int, int]:
    """docno -> weight of one term, over every segment and generation."""
    meta = _meta(site)
    out: dict[int, int] = {}
    for name in [f"t/{SI.shard_of(term, meta['shards'])}.js"] + [f"t/g{g}-{SI.shard_of(term, n)}.js" for g, n in meta["gens"]]:
        path = site / "search" / name
        for entries in SI.read_shard(path.read_text(encoding="utf-8") if path.exists() else ""):
            out.update(SI.decode(entries.get(term, "")))
    return out


def _docno(site: Path, article_id: str) -> int:
    for path in (site / "search" / "d").glob("*.js"):
        for row in json.loads(re.search(r"NV\.d\(\d+,(.*)\);", path.read_text(encoding="utf-8")).group(1)):
            if row[1] == article_id:
                return row[0]
    raise AssertionError(article_id)


def test_postings_round_trip_in_python_and_in_the_browser_script(tmp_path):
    import shutil
    import subprocess

    import numpy as np

    # (gap, weight): every digit count from 1 to 9, both sides of each boundary
    pairs = [(0, 0), (1, 7), (3, 4), (4, 0), (127, 1), (128, 2), (4095, 3), (4096, 5), (2**17 - 1, 6), (2**17, 6),
             (2**27 + 1, 7), (2**37, 1), (2**42 - 1, 2)]
    values = [gap * 8 + w for gap, w in pairs]
    text, ends = SI.encode_postings(np.array(values))
    assert ends.tolist()[-1] == len(text) and text.isascii() and '"' not in text and "\\" not in text
    # values are gap * 8 + weight: documents accumulate the gaps
    docs, doc = [], 0
    for v in values:
        doc += v >> 3
        docs.append((doc, v & 7))
    assert SI.decode(text) == docs
    node = shutil.which("node")
    if not node:
        return
    from newsvault.publish.render import STATIC_DIR

    driver = tmp_path / "d.js"
    driver.write_text("global.window = global; require('vm').runInThisContext(require('fs').readFileSync(process.argv[2], 'utf8'));"
                      "process.stdout.write(JSON.stringify(NV.decode(process.argv[3])));", encoding="utf-8")
    out = subprocess.run([node, str(driver), str(STATIC_DIR / "search.js"), text], capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout) == [list(d) for d in docs], out.stderr


def test_browser_and_builder_fold_and_cut_terms_alike(tmp_path):
    """static/search.js folds queries and cuts them into terms exactly as the builder does
    documents (character-level folding on both sides: no phrase rule can make them differ)."""
    import shutil
    import subprocess

    from newsvault.publish.render import STATIC_DIR
    from publish_helpers import CORPUS, parse

    node = shutil.which("node")
    if not node:
        import pytest

        pytest.skip("node is not installed")
    strings = ["臺灣發展 G7峰會 Blinken", "乾隆皇帝與乾燥天氣", "著名的著作", "後來的皇后", "𨋢𠝹 ひらがな カタカナ", "Москва 2024年",
               "藉由髮型", "豬排加漢堡排加沙拉"]
    strings += [parse(p.read_bytes()).title for p in sorted((CORPUS / "cdt" / "articles").iterdir())]
    driver = tmp_path / "d.js"
    driver.write_text("global.window = global; const fs = require('fs'), vm = require('vm');"
                      "for (const f of process.argv.slice(2)) vm.runInThisContext(fs.readFileSync(f, 'utf8'));"
                      "const xs = JSON.parse(fs.readFileSync(0, 'utf8'));"
                      "process.stdout.write(JSON.stringify(xs.map(s => [NV.fold(s), NV.queryTerms(NV.fold(s))])));", encoding="utf-8")
    out = subprocess.run([node, str(driver), str(STATIC_DIR / "t2s.js"), str(STATIC_DIR / "search.js")],
                         input=json.dumps(strings), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for s, (folded, js_terms) in zip(strings, json.loads(out.stdout), strict=True):
        assert folded == SI.fold(s), s
        if js_terms is not None:  # None: a one-character run, which the page refuses
            assert set(js_terms) == SI.terms(folded), s


def test_every_article_is_found_by_a_word_from_the_end_of_its_text(tmp_path):
    """Full text, at a size where worker processes build the index in segments."""
    from newsvault.archive import Archive
    from newsvault.text import html_to_text
    from publish_helpers import CORPUS, parse

    bases = [parse(p.read_bytes()) for p in sorted((CORPUS / "cdt" / "articles").iterdir())]
    bases = [r for r in bases if r.published is not None and len(html_to_text(r.body)) > 3000]
    archive = Archive.init(tmp_path / "a", name="大档案")
    n = 2400
    with archive.batch():
        for i in range(n):
            base = bases[i % len(bases)]
            # every 50th article is long (over 20,000 characters, as some reports and transcripts are)
            body = base.body * (1 + 22_000 // len(html_to_text(base.body))) if i % 50 == 0 else base.body
            # a word of its own at the very end of every article
            tail = "".join(chr(0x4E00 + (i * 7 + k * 131) % 20000) for k in range(3))
            archive.add(Record(f"{base.title}（{i}）", f"https://example.test/a/{i}", base.published + i * 1000,
                               f"{body}<p>结尾{tail}</p>"), "cdt")
    site = tmp_path / "site"
    build_site(archive, site, workers=2)
    assert _meta(site)["n"] == n and _meta(site)["clipped"] == 0
    docnos = {a.id: _docno(site, a.id) for a in archive.catalog.list_articles()}
    missing = []
    for a in archive.catalog.list_articles():
        text = html_to_text(archive.read(a.latest_path).body)
        word = SI.fold(re.findall(r"[\u4e00-\u9fff]{2}", text[-2:])[-1])
        if docnos[a.id] not in _weights(site, word):
            missing.append((a.id, word))
        if len(missing) > 5:
            break
    assert missing == []
    # each article's text is kept for snippets, escaped so that it cannot end the script
    one = archive.catalog.list_articles()[0]
    kept = (site / SI.text_path(docnos[one.id])).read_text(encoding="utf-8")
    assert kept.startswith(f'NV.xz({docnos[one.id]},"') and "<" not in kept
    packed = re.fullmatch(r'NV\.xz\(\d+,"([A-Za-z0-9+/=]+)"\);\n', kept)
    # packed (raw deflate, base 64): the whole text, its last word included
    assert packed and html_to_text(archive.read(one.latest_path).body).strip()[-3:] in SI.unpack(packed.group(1))


def test_weights_rank_a_title_above_a_word_inside_another(tmp_path):
    """加沙 in a title weighs more than 加沙 inside 加沙拉 in the body of a newer article."""
    archive = make_archive(tmp_path / "a", xss=False)
    with archive.batch():
        gaza = archive.add(Record("加沙停火谈判重启", "https://www.rfi.fr/cn/g", 1_900_000_000_000, "<p>谈判在开罗重启。</p>"), "rfi")
        salad = archive.add(Record("周末菜单", "https://www.rfi.fr/cn/m", 1_900_000_100_000, "<p>豬排加漢堡排加沙拉</p>"), "rfi")
    site = tmp_path / "site"
    build_site(archive, site)
    weights = _weights(site, "加沙")
    g, s = weights[_docno(site, gaza.article_id)], weights[_docno(site, salad.article_id)]
    assert g & 4 and not s & 4  # the title flag
    rank = _meta(site)["rank"]
    assert rank["impact"][g & 3] + rank["title"] > rank["impact"][s & 3]
    assert _weights(site, "沙拉")[_docno(site, salad.article_id)] & 3 >= 1  # found in the body, Traditional folded


def test_meta_says_how_many_long_articles_are_clipped(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "a", xss=False)
    build_site(archive, tmp_path / "full")
    meta = _meta(tmp_path / "full")
    assert meta["full"] is True and meta["clipped"] == 0  # every article whole
    monkeypatch.setattr(SI, "MAX_TEXT", 300)  # as if the articles were very long
    build_site(archive, tmp_path / "clipped")
    meta = _meta(tmp_path / "clipped")
    assert meta["full"] is False and meta["lead"] == 300 and meta["clipped"] >= 5
    sid = seed_id(archive)
    assert sid in query(tmp_path / "full", "人道主义援助")  # near the end of the seed article
    assert sid not in query(tmp_path / "clipped", "人道主义援助")
    from newsvault.publish.render import STATIC_DIR

    assert "只有前" in (STATIC_DIR / "search.js").read_text(encoding="utf-8")  # what the page says then
