"""One home for Chinese text rules: newsvault.chinese, and the static site's JS agreeing with it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CORPUS
from newsvault import chinese
from newsvault.preserve.diff import tokenize as diff_tokens
from newsvault.publish.search_index import shard_of, terms
from newsvault.search.tokens import index_tokens, query_tokens

STATIC = Path(__file__).resolve().parents[1] / "src" / "newsvault" / "static"

SAMPLES = [
    "布林肯呼吁七国集团在加沙问题上以“一个声音”说话",
    "極限時刻：香港變局進入最關鍵一周",
    "臺灣選舉 觀察 2024年度 G7集團 COVID-19",
    "商業午餐 あんとれ とんかつ 豬排加漢堡排",  # kana runs
    "𨋢口 𠝹開嘅 香港粵語",  # plane-2 Han (Cantonese)
    "Ünïcödé Кириллица 和中文 mixed",
    "【麻辣总局】一个非常微妙的数字",
    "九龍城街上的大洞 🙂 emoji 之間",
]


def test_cjk_ranges_cover_kana_and_the_supplementary_planes_but_not_hangul():
    for ch in "あア中臺㐀豈𠀀𨋢𰀀":
        assert chinese.is_cjk(ch), ch
    for ch in "a한,，。 🙂1":
        assert not chinese.is_cjk(ch), ch


def test_fold_bigrams_and_words():
    assert chinese.fold("臺灣 ABC") == "台湾 abc"
    assert chinese.bigrams("七国集团，加沙") == ["七国", "国集", "集团", "加沙"]
    assert chinese.bigrams("𨋢口") == ["𨋢口"]
    assert "加沙" not in chinese.words("我周末参加沙龙")
    assert "加沙" in chinese.words("以色列在加沙的行动")


def test_every_user_of_cjk_agrees_on_the_ranges():
    # the search index, the static index and the diff tokenizer split the same characters
    for text in ["𨋢口", "あんとれ", "加沙"]:
        assert "".join(index_tokens(text).split()).replace(text[0], "", 1)  # indexed as CJK
        assert len(query_tokens(text)) == len(text) - 1
        assert terms(text) == set(chinese.bigrams(text))
        assert diff_tokens(text) == list(text)


def _corpus_titles(n: int = 400) -> list[str]:
    titles = []
    for path in sorted((CORPUS / "jekyll" / "_posts").glob("*"))[:n]:
        m = re.search(r"^title:\s*(.+)$", path.read_text(encoding="utf-8", errors="replace")[:2000], re.M)
        if m:
            titles.append(m.group(1).strip().strip("'\""))
    return titles


def test_the_static_sites_javascript_finds_the_same_terms_and_shards_as_python(tmp_path):
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    strings = SAMPLES + _corpus_titles()
    driver = tmp_path / "driver.js"
    driver.write_text(
        """
const fs = require("fs"), vm = require("vm");
global.window = global;
for (const f of process.argv.slice(2, 4)) vm.runInThisContext(fs.readFileSync(f, "utf8"), {filename: f});
const strings = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(strings.map(s => {
  const folded = NV.fold(s), ts = NV.queryTerms(folded);
  return {folded, terms: ts, shards: ts && ts.map(t => NV.shardOf(t, 4096))};
})));
""",
        encoding="utf-8",
    )
    proc = subprocess.run([node, str(driver), str(STATIC / "t2s.js"), str(STATIC / "search.js")], input=json.dumps(strings), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    compared = 0
    samples_compared: set[str] = set()
    for s, js in zip(strings, json.loads(proc.stdout), strict=True):
        folded = chinese.fold(s)
        if js["folded"] != folded:
            # OpenCC converts some phrases as a whole; the browser maps character by character.
            # Those differences must stay rare, and they are not tokenizer differences.
            continue
        if js["terms"] is None:  # a query with a one-character run: the browser asks for more
            continue
        assert set(js["terms"]) == terms(folded), s
        assert js["shards"] == [shard_of(t, 4096) for t in js["terms"]], s
        compared += 1
        if s in SAMPLES:
            samples_compared.add(s)
    assert samples_compared == set(SAMPLES)  # kana, plane-2 Han, Cyrillic: all really compared
    assert compared >= 0.6 * len(strings), f"only {compared} of {len(strings)} strings compared"
