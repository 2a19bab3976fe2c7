/* Client-side search over the prebuilt index in search/ (see newsvault/publish/search_index.py).
   Loads index files with <script> tags, so it works from file:// as well as any static host. */
(function () {
  "use strict";
  var NV = window.NV = window.NV || {};
  var meta = NV.meta, terms = {}, docs = {}, texts = {}, loaded = {}, failed = {}, unpacking = [];
  var base = "search/";  // relative to search.html

  var map = {};
  // By code point: a few hundred pairs are plane-2 characters (two UTF-16 units each).
  (function () { var p = Array.from(NV.t2sPairs || ""); for (var i = 0; i + 1 < p.length; i += 2) map[p[i]] = p[i + 1]; })();
  function fold(s) {
    var out = "";
    for (var c of s) out += map[c] || c;
    return out.toLowerCase();
  }
  // Folded like fold(), but every character keeps its length in UTF-16 units, so that a match
  // found in the folded text is at the same offsets in the text shown.
  function foldAligned(s) {
    var out = "";
    for (var c of s) {
      var f = (map[c] || c).toLowerCase();
      out += f.length === c.length ? f : c;
    }
    return out;
  }
  // The CJK ranges of newsvault/chinese.py (CJK): kana, Han extension A, the unified block,
  // compatibility ideographs, and planes 2-3 (extensions B-H). A test runs this file in node
  // and checks that it finds the same terms as the Python index builder.
  var TOKEN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]+|[0-9a-z\u00c0-\u024f\u0400-\u04ff]+/gu;
  var CJK = /^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}]/u;
  function runs(q) {  // the query's runs of CJK characters and its words, as typed (folded)
    var out = [], m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(q))) out.push(m[0]);
    return out;
  }
  function queryTerms(q) {
    var out = [], seen = {}, rs = runs(q);
    for (var r = 0; r < rs.length; r++) {
      var run = rs[r];
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
  // Postings: base-32 numbers gap * 8 + weight; the last digit of a number is 0-9a-v, the
  // others A-Z w-z - _ (search_index.encode_postings).
  var DIGIT = {}, TERMINAL = "0123456789abcdefghijklmnopqrstuv", CONTINUE = "ABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_";
  for (var d = 0; d < 32; d++) { DIGIT[TERMINAL.charCodeAt(d)] = d; DIGIT[CONTINUE.charCodeAt(d)] = 32 + d; }
  function decode(s, into) {  // into: Map docno -> weight (a later segment's weight wins)
    var acc = 0, doc = 0;
    for (var i = 0; i < s.length; i++) {
      var v = DIGIT[s.charCodeAt(i)];
      if (v >= 32) acc = acc * 32 + v - 32;
      else { acc = acc * 32 + v; doc += Math.floor(acc / 8); into.set(doc, acc % 8); acc = 0; }
    }
    return into;
  }
  NV.fold = fold; NV.queryTerms = queryTerms; NV.shardOf = shardOf;
  NV.decode = function (s) { return Array.from(decode(s, new Map())); };
  if (typeof document === "undefined") return;  // loaded outside a page (the tokenizer test)
  var rank = (meta && meta.rank) || {impact: [0.5, 0.9, 1.3, 1.7], title: 2, page: 20};
  var PAGE = rank.page;
  // Shards and texts are packed (raw deflate in base 64, search_index.pack): unpacked with
  // DecompressionStream, which needs no fetch() and so works from file://. A line keeps its
  // place (the order its script ran in) while it unpacks, so that a later segment still wins.
  function unpack(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).text();
  }
  var segments = [];
  function later(promise) { unpacking.push(promise.catch(function () { failed["(unpack)"] = 1; })); }
  NV.tz = function (shard, packed) {
    var seg = segments[segments.length] = {};
    later(unpack(packed).then(function (text) { seg.objs = text.split("\n").map(JSON.parse); })
      .finally(function () { seg.objs = seg.objs || []; }));
  };
  function settle() {  // every segment unpacked so far, merged into terms in the order they ran
    return Promise.all(unpacking).then(function () {
      while (segments.length && segments[0].objs) {
        segments.shift().objs.forEach(function (obj) { for (var k in obj) (terms[k] = terms[k] || []).push(obj[k]); });
      }
    });
  }
  NV.d = function (chunk, rows) { for (var i = 0; i < rows.length; i++) docs[rows[i][0]] = rows[i]; };
  NV.xz = function (docno, packed) { later(unpack(packed).then(function (text) { texts[docno] = text; })); };
  function load(path) {
    if (loaded[path]) return loaded[path];
    return loaded[path] = new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = base + path + "?v=" + encodeURIComponent(meta.v);
      s.onload = function () { resolve(); };
      s.onerror = function () { failed[path] = 1; resolve(); };
      document.head.appendChild(s);
    });
  }
  function postings(term) {
    var segs = terms[term] || [], out = new Map();
    for (var i = 0; i < segs.length; i++) decode(segs[i], out);
    return out;
  }
  // Documents holding every term, scored BM25-like: idf from the term's posting count, the body
  // weight bucket and a title bonus from each posting (search_index.RANK has the numbers).
  function score(ts) {
    var lists = ts.map(postings).sort(function (a, b) { return a.size - b.size; });
    var N = Math.max(meta.n, 1), idf = lists.map(function (p) { return Math.log(1 + (N - p.size + 0.5) / (p.size + 0.5)); });
    var out = [];
    lists[0].forEach(function (w0, d) {
      var s = 0;
      for (var i = 0; i < lists.length; i++) {
        var w = i ? lists[i].get(d) : w0;
        if (w === undefined) return;
        s += idf[i] * (rank.impact[w & 3] + (w & 4 ? rank.title : 0));
      }
      out.push({d: d, s: s});
    });
    return out;
  }
  function sortHits(hits, order) {
    return hits.sort(order === "newest" ? function (a, b) { return b.d - a.d; }
                                        : function (a, b) { return b.s - a.s || b.d - a.d; });
  }
  function indexOfAll(hay, needle, from, to, spans) {
    for (var i = hay.indexOf(needle, from); i >= 0 && i < to; i = hay.indexOf(needle, i + 1)) spans.push([i, i + needle.length]);
  }
  // Where the query matches in folded text: its runs as typed; a CJK run not found whole is
  // marked by its two-character pieces (what the index matched).
  function matches(folded, query, from, to) {
    var spans = [];
    runs(query).forEach(function (run) {
      var before = spans.length;
      indexOfAll(folded, run, from, to, spans);
      if (spans.length === before && CJK.test(run)) (queryTerms(run) || []).forEach(function (b) { indexOfAll(folded, b, from, to, spans); });
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    spans.forEach(function (s) {
      var last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]); else merged.push([s[0], s[1]]);
    });
    return merged;
  }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  // Archive text is hostile: it only ever becomes text nodes, the matches <mark> elements.
  function marked(parent, text, spans, offset) {
    var pos = 0;
    spans.forEach(function (s) {
      var a = s[0] - offset, b = s[1] - offset;
      if (a > pos) parent.appendChild(document.createTextNode(text.slice(pos, a)));
      parent.appendChild(el("mark", null, text.slice(a, b)));
      pos = b;
    });
    if (pos < text.length) parent.appendChild(document.createTextNode(text.slice(pos)));
    return parent;
  }
  var WINDOW = 150, BEFORE = 40;
  function snippet(text, query) {
    var folded = foldAligned(text), first = matches(folded, query, 0, folded.length)[0];
    var start = first ? Math.max(0, first[0] - BEFORE) : 0, end = Math.min(text.length, start + WINDOW);
    if (start > 0 && /[\udc00-\udfff]/.test(text[start])) start++;  // never split a surrogate pair
    if (end < text.length && /[\udc00-\udfff]/.test(text[end])) end++;
    var p = el("p", "snippet");
    if (start > 0) p.appendChild(document.createTextNode("…"));
    marked(p, text.slice(start, end), matches(folded, query, start, end).filter(function (s) { return s[1] <= end; }), start);
    if (end < text.length) p.appendChild(document.createTextNode("…"));
    return p;
  }
  // Exact phrases: among the hits shown, those holding every run of the query as typed (not
  // only its two-character pieces somewhere) come first.
  function phraseFirst(page, query) {
    var rs = runs(query).filter(function (r) { return Array.from(r).length > 2; });
    if (!rs.length) return page;
    var whole = page.map(function (h) {
      var r = docs[h.d], f = foldAligned((r ? r[4] : "") + "\n" + (texts[h.d] || ""));
      return rs.every(function (run) { return f.indexOf(run) >= 0; }) ? 1 : 0;
    });
    return page.map(function (h, i) { return [h, whole[i], i]; })
      .sort(function (a, b) { return b[1] - a[1] || a[2] - b[2]; }).map(function (x) { return x[0]; });
  }
  var status = document.getElementById("status"), list = document.getElementById("results"), more = document.getElementById("more");
  var orderSelect = document.getElementById("order");
  var state = {q: "", order: "relevance", hits: [], shown: 0};
  function item(d, query) {
    var r = docs[d];
    if (!r) return null;  // an article no longer in the archive
    var li = el("li");
    li.appendChild(el("time", null, r[3]));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "src", meta.sources[r[2]] || ""));
    var title = r[4] || "(无标题)", a = el("a", "t");
    marked(a, title, matches(foldAligned(title), query, 0, title.length), 0);
    a.href = "articles/" + r[1].substr(0, 2) + "/" + r[1] + ".html";
    li.appendChild(a);
    if (texts[d] != null) li.appendChild(snippet(texts[d], query));
    return li;
  }
  function showMore() {
    var page = state.hits.slice(state.shown, state.shown + PAGE), query = state.q, chunks = {}, files = [];
    page.forEach(function (h) {
      chunks[Math.floor(h.d / meta.chunk)] = 1;
      files.push("x/" + Math.floor(h.d / meta.files) + "/" + h.d + ".js");
    });
    Object.keys(chunks).forEach(function (c) { files.push("d/" + c + ".js"); });
    var mine = generation;
    return Promise.all(files.map(load)).then(settle).then(function () {
      if (mine !== generation) return;
      if (state.order !== "newest") page = phraseFirst(page, query);
      page.forEach(function (h) { var li = item(h.d, query); if (li) list.appendChild(li); });
      state.shown += page.length;
      more.textContent = "";
      if (state.shown < state.hits.length) {
        var b = el("button", null, "更多结果");
        b.type = "button";
        b.onclick = showMore;
        more.appendChild(b);
      }
    });
  }
  function partial() {  // why the results may be incomplete, if they may
    var notes = [];
    if (meta.clipped) notes.push("有 " + meta.clipped + " 篇文章长于 " + meta.lead + " 字，只有前 " + meta.lead + " 字可以搜到");
    if (Object.keys(failed).length) notes.push(Object.keys(failed).length + " 个索引文件未能加载，结果可能不全");
    return notes.length ? "（" + notes.join("；") + "；全文搜索请用阅读服务器或 newsvault search。）" : "";
  }
  var generation = 0;
  function run(q) {
    var mine = ++generation;  // a newer query makes this one's late results irrelevant
    list.textContent = ""; more.textContent = "";
    var query = fold(q), ts = queryTerms(query);
    state.q = query; state.hits = []; state.shown = 0;
    if (ts === null || !ts.length) { status.textContent = q ? "请输入至少两个字（或一个词）。" : "输入至少两个字。繁体、简体均可。"; return; }
    if (!meta) { status.textContent = "索引未找到：请先运行 newsvault build --site。"; return; }
    status.textContent = "搜索中…";
    var shards = {};
    ts.forEach(function (t) {
      shards["t/" + shardOf(t, meta.shards) + ".js"] = 1;
      (meta.gens || []).forEach(function (g) { shards["t/g" + g[0] + "-" + shardOf(t, g[1]) + ".js"] = 1; });
    });
    Promise.all(Object.keys(shards).map(load)).then(settle).then(function () {
      if (mine !== generation) return null;
      state.hits = sortHits(score(ts), state.order);
      return showMore();
    }).then(function () {
      if (mine !== generation) return;
      // set last: tests and screen readers take the status as "results are in"
      status.textContent = "“" + q + "”：" + state.hits.length + " 条结果" +
        (state.hits.length ? (state.order === "newest" ? "（新的在前）" : "（按相关度）") : "") + partial();
      document.title = q + " · 搜索";
    });
  }
  NV.search = run;
  var input = document.getElementById("q");
  var params = new URLSearchParams(location.search), q = params.get("q") || "";
  state.order = params.get("order") === "newest" ? "newest" : "relevance";
  if (orderSelect) orderSelect.value = state.order;
  if (input && q) input.value = q;
  function remember(v) {  // the query and the order stay in the address, as the server's page does
    try { history.replaceState(null, "", "?q=" + encodeURIComponent(v) + (state.order === "newest" ? "&order=newest" : "")); } catch (err) { /* file:// in some browsers */ }
  }
  if (q) run(q);
  var form = input && input.form;
  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    var v = input.value.trim();
    remember(v);
    run(v);
  });
  if (orderSelect) orderSelect.addEventListener("change", function () {
    state.order = orderSelect.value === "newest" ? "newest" : "relevance";
    var v = input ? input.value.trim() : "";
    remember(v);
    if (v) run(v);
  });
})();
