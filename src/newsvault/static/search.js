/* Client-side search over the prebuilt index in search/ (see newsvault/publish/search_index.py).
   Loads index files with <script> tags, so it works from file:// as well as any static host. */
(function () {
  "use strict";
  var NV = window.NV = window.NV || {};
  var meta = NV.meta, terms = {}, docs = {}, loaded = {};
  var base = "search/";  // relative to search.html
  var PAGE = 50;

  var map = {};
  // By code point: a few hundred pairs are plane-2 characters (two UTF-16 units each).
  (function () { var p = Array.from(NV.t2sPairs || ""); for (var i = 0; i + 1 < p.length; i += 2) map[p[i]] = p[i + 1]; })();
  function fold(s) {
    var out = "";
    for (var c of s) out += map[c] || c;
    return out.toLowerCase();
  }
  // The CJK ranges of newsvault/chinese.py (CJK): kana, Han extension A, the unified block,
  // compatibility ideographs, and planes 2-3 (extensions B-H). A test runs this file in node
  // and checks that it finds the same terms as the Python index builder.
  var TOKEN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]+|[0-9a-z\u00c0-\u024f\u0400-\u04ff]+/gu;
  var CJK = /^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]/u;
  function queryTerms(q) {
    var out = [], m, seen = {};
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(q))) {
      var run = m[0];
      if (CJK.test(run)) {
        var chars = Array.from(run);  // code points: a plane-2 character is two UTF-16 units
        for (var i = 0; i + 1 < chars.length; i++) { var b = chars[i] + chars[i + 1]; if (!seen[b]) { seen[b] = 1; out.push(b); } }
        if (chars.length === 1) return null;  // a single character is not indexed
      } else if (run.length >= 2 || /^[0-9]+$/.test(run)) { if (!seen[run]) { seen[run] = 1; out.push(run); } }
    }
    return out;
  }
  var CRC = [];
  for (var n = 0; n < 256; n++) { var c = n; for (var k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1; CRC[n] = c >>> 0; }
  function shardOf(t, n) {  // CRC-32 of the UTF-16LE code units, as the index builder computes it
    var c = 0xFFFFFFFF;
    for (var i = 0; i < t.length; i++) {
      var u = t.charCodeAt(i);
      c = CRC[(c ^ (u & 255)) & 255] ^ (c >>> 8);
      c = CRC[(c ^ (u >>> 8)) & 255] ^ (c >>> 8);
    }
    return ((c ^ 0xFFFFFFFF) >>> 0) % n;
  }
  NV.fold = fold; NV.queryTerms = queryTerms; NV.shardOf = shardOf;
  if (typeof document === "undefined") return;  // loaded outside a page (the tokenizer test)
  NV.t = function (shard, obj) { for (var k in obj) (terms[k] = terms[k] || []).push(obj[k]); };
  NV.d = function (chunk, rows) { for (var i = 0; i < rows.length; i++) docs[rows[i][0]] = rows[i]; };
  function load(path) {
    if (loaded[path]) return loaded[path];
    return loaded[path] = new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = base + path + "?v=" + encodeURIComponent(meta.v);
      s.onload = s.onerror = function () { resolve(); };
      document.head.appendChild(s);
    });
  }
  function postings(term) {
    var segs = terms[term] || [], set = [];
    for (var i = 0; i < segs.length; i++) {
      var parts = segs[i].split(","), d = 0;
      for (var j = 0; j < parts.length; j++) { d += +parts[j]; set.push(d); }
    }
    if (segs.length > 1) set = Array.from(new Set(set)).sort(function (a, b) { return a - b; });
    return set;
  }
  function intersect(lists) {
    lists.sort(function (a, b) { return a.length - b.length; });
    var result = lists[0];
    for (var i = 1; i < lists.length && result.length; i++) {
      var other = new Set(lists[i]);
      result = result.filter(function (d) { return other.has(d); });
    }
    return result;
  }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  var status = document.getElementById("status"), list = document.getElementById("results"), more = document.getElementById("more");
  var hits = [], shown = 0;
  function showMore() {
    var page = hits.slice(shown, shown + PAGE);
    var chunks = {};
    page.forEach(function (d) { chunks[Math.floor(d / meta.chunk)] = 1; });
    return Promise.all(Object.keys(chunks).map(function (c) { return load("d/" + c + ".js"); })).then(function () {
      page.forEach(function (d) {
        var r = docs[d];
        if (!r) return;  // an article no longer in the archive
        var li = el("li");
        li.appendChild(el("time", null, r[3]));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "src", meta.sources[r[2]] || ""));
        var a = el("a", "t", r[4] || "(无标题)");
        a.href = "articles/" + r[1].substr(0, 2) + "/" + r[1] + ".html";
        li.appendChild(a);
        list.appendChild(li);
      });
      shown += page.length;
      more.textContent = "";
      if (shown < hits.length) {
        var b = el("button", null, "更多结果");
        b.type = "button";
        b.onclick = showMore;
        more.appendChild(b);
      }
    });
  }
  var generation = 0;
  function run(q) {
    var mine = ++generation;  // a newer query makes this one's late results irrelevant
    list.textContent = ""; more.textContent = ""; hits = []; shown = 0;
    var ts = queryTerms(fold(q));
    if (ts === null || !ts.length) { status.textContent = q ? "请输入至少两个字（或一个词）。" : "输入至少两个字。繁体、简体均可。"; return; }
    if (!meta) { status.textContent = "索引未找到：请先运行 newsvault build --site。"; return; }
    status.textContent = "搜索中…";
    var shards = {};
    ts.forEach(function (t) {
      shards["t/" + shardOf(t, meta.shards) + ".js"] = 1;
      (meta.gens || []).forEach(function (g) { shards["t/g" + g[0] + "-" + shardOf(t, g[1]) + ".js"] = 1; });
    });
    Promise.all(Object.keys(shards).map(function (f) { return load(f); })).then(function () {
      if (mine !== generation) return null;
      hits = intersect(ts.map(postings)).sort(function (a, b) { return b - a; });
      return showMore();
    }).then(function () {
      if (mine !== generation) return;
      // set last: tests and screen readers take the status as "results are in"
      status.textContent = "“" + q + "”：" + hits.length + " 条结果" + (hits.length ? "（新的在前）" : "") +
        (meta.full === false ? "。离线索引只收每篇文章的标题和开头约 " + meta.lead + " 字，结果可能不全；全文搜索请用阅读服务器或 newsvault search。" : "");
      document.title = q + " · 搜索";
    });
  }
  NV.search = run;
  var input = document.getElementById("q");
  var q = new URLSearchParams(location.search).get("q") || "";
  if (input && q) input.value = q;
  if (q) run(q);
  var form = input && input.form;
  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    var v = input.value.trim();
    try { history.replaceState(null, "", "?q=" + encodeURIComponent(v)); } catch (err) { /* file:// in some browsers */ }
    run(v);
  });
})();
