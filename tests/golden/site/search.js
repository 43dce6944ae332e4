// Site search without a server: reads the static index that `publisher build` writes
// (publisher/site/search.py describes the files) and shows the matching articles.
// No dependencies; terms() must tokenise exactly as search.py's terms() does.
"use strict";
(function () {
  const HAN = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  const TOKEN = new RegExp(`[${HAN}]+|(?:(?![${HAN}])[\\p{L}\\p{N}])+`, "gu");
  const IS_HAN = new RegExp(`^[${HAN}]`, "u");
  const PAGE = 20;
  const form = document.getElementById("search");
  const out = document.getElementById("results");
  const base = new URL(form.dataset.index, location.href);
  const cache = new Map();

  function terms(text) {
    const found = new Set();
    for (const run of text.normalize("NFKC").toLowerCase().match(TOKEN) || []) {
      const chars = Array.from(run);
      if (!IS_HAN.test(run)) found.add(run);
      else for (let i = 0; i + 1 < chars.length; i++) found.add(chars[i] + chars[i + 1]);
    }
    return [...found];
  }

  function fnv1a(term) {
    let value = 0x811c9dc5;
    for (const char of term) value = Math.imul(value ^ char.codePointAt(0), 0x01000193) >>> 0;
    return value;
  }

  function load(path) {
    if (!cache.has(path)) {
      cache.set(path, fetch(new URL(path, base)).then((answer) => {
        if (!answer.ok) throw new Error(`${answer.status} ${path}`);
        return answer.json();
      }));
    }
    return cache.get(path);
  }

  // A term's ids in one segment's parts: the first id, then the gaps to the next.
  async function segment(folder, parts, term) {
    const part = await load(`${folder}/${parts}/${fnv1a(term) % parts}.json`);
    const gaps = Object.hasOwn(part, term) ? part[term] : [];
    let id = 0;
    return gaps.map((gap, i) => (id = i ? id + gap : gap));
  }

  // The base segment's ids are all below the recent segment's, which only some indexes have.
  async function postings(meta, term) {
    const lists = [segment("terms", meta.parts, term)];
    if (meta.recent) lists.push(segment("recent", meta.recent.parts, term));
    return (await Promise.all(lists)).flat();
  }

  // Ids of the articles holding every term, newest (highest id) first.
  async function find(meta, words) {
    const lists = await Promise.all(words.map((term) => postings(meta, term)));
    lists.sort((a, b) => a.length - b.length);
    let ids = lists[0];
    for (const other of lists.slice(1)) {
      const keep = new Set(other);
      ids = ids.filter((id) => keep.has(id));
    }
    return ids.reverse();
  }

  // The text in the other script, and for each of its characters the span of `text` it came from.
  function twin(text, edits) {
    let result = "", from = [], at = 0;
    const copy = (start, end, span) => {
      for (let i = start; i < end; i++) from.push(span || [i, i + 1]);
    };
    for (const [start, end, replacement] of edits) {
      result += text.slice(at, start) + replacement;
      copy(at, start);
      for (let i = 0; i < replacement.length; i++) from.push([start, end]);
      at = end;
    }
    result += text.slice(at);
    copy(at, text.length);
    return [result, from];
  }

  // Spans of `text` where a term matches, in this script or (through the edits) the other.
  function marks(text, edits, words) {
    const [other, from] = twin(text, edits);
    const spans = [];
    for (const [haystack, map] of [[text.toLowerCase(), null], [other.toLowerCase(), from]]) {
      for (const term of words) {
        for (let at = haystack.indexOf(term); at >= 0; at = haystack.indexOf(term, at + 1)) {
          const end = at + term.length;
          spans.push(map ? [map[at][0], map[end - 1][1]] : [at, end]);
        }
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    return spans.reduce((merged, span) => {
      const last = merged[merged.length - 1];
      if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
      else merged.push([...span]);
      return merged;
    }, []);
  }

  function marked(element, text, spans, start, end) {
    let at = start;
    for (const [from, to] of spans) {
      if (to <= start || from >= end) continue;
      element.append(text.slice(at, Math.max(from, at)));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(Math.max(from, start), Math.min(to, end));
      element.append(mark);
      at = Math.min(to, end);
    }
    element.append(text.slice(at, end));
    return element;
  }

  function result(doc, words) {
    const [path, title, source, date, body, titleEdits, bodyEdits] = doc;
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = new URL(`../${form.dataset.script}/${path}`, base);
    marked(link, title, marks(title, titleEdits, words), 0, title.length);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` · ${source} · ${date}`;
    const spans = marks(body, bodyEdits, words);
    const start = Math.max(0, (spans.length ? spans[0][0] : 0) - 30);
    const end = Math.min(body.length, start + 120);
    const snippet = marked(document.createElement("p"), body, spans, start, end);
    snippet.className = "summary";
    if (start > 0) snippet.prepend("…");
    if (end < body.length) snippet.append("…");
    item.append(link, meta, snippet);
    return item;
  }

  async function show(meta, words, ids, from) {
    const chunks = ids.slice(from, from + PAGE).map((id) => [Math.floor(id / meta.chunk), id % meta.chunk]);
    const docs = await Promise.all(
      chunks.map(([n, i]) => load(`${form.dataset.script}/docs/${n}.json`).then((d) => d[i])),
    );
    const list = out.querySelector("ol") || out.appendChild(document.createElement("ol"));
    list.className = "entries";
    list.append(...docs.map((doc) => result(doc, words)));
    out.querySelector("button")?.remove();
    if (from + PAGE < ids.length) {
      const more = document.createElement("button");
      more.textContent = form.dataset.more;
      more.addEventListener("click", () => show(meta, words, ids, from + PAGE));
      out.append(more);
    }
  }

  async function search(query) {
    out.replaceChildren();
    out.dataset.state = "busy";
    const words = terms(query);
    const status = out.appendChild(document.createElement("p"));
    if (!words.length) {
      status.textContent = query.trim() ? form.dataset.short : "";
      out.dataset.state = "empty";
      return;
    }
    const meta = await load("meta.json");
    const ids = await find(meta, words);
    status.textContent = form.dataset.count.replace("{count}", ids.length);
    if (ids.length) await show(meta, words, ids, 0);
    out.dataset.state = "done";
  }

  const query = new URLSearchParams(location.search).get("q") || "";
  form.elements.q.value = query;
  search(query).catch((error) => {
    out.dataset.state = "error";
    out.textContent = `${form.dataset.failed} (${error.message})`;
  });
})();
