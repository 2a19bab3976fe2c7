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
            for m in re.finditer(r"NV\.t\(\d+,(\{.*\})\);", path.read_text(encoding="utf-8")):
                gaps = json.loads(m.group(1)).get(term)
                if gaps:
                    n = 0
                    for g in gaps.split(","):
                        n += int(g)
                        docs.add(n)
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


def test_meta_says_when_long_articles_are_indexed_by_their_opening_only(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "a", xss=False)
    build_site(archive, tmp_path / "full")
    assert _meta(tmp_path / "full")["full"] is True  # a small archive: every article whole
    monkeypatch.setattr(SI, "TEXT_BUDGET", 1_000)  # as if the archive were very large
    build_site(archive, tmp_path / "clipped")
    meta = _meta(tmp_path / "clipped")
    assert meta["full"] is False and meta["lead"] == SI.MIN_LEAD
    from newsvault.publish.render import STATIC_DIR

    assert "结果可能不全" in (STATIC_DIR / "search.js").read_text(encoding="utf-8")  # what the page says then
