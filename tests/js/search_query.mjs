// Runs the site's search.js outside a browser on an index given on stdin, and answers queries:
//   {"files": {"search-index/...": "text", ...}, "queries": [[text, filters, typing], ...]}
// prints [{"ids", "total", "everyWord", "unknown", "urls", "fetched"}, ...], one per query, each
// from a fresh script (an empty cache, as a first query). Used by tests/test_search_index.py.
import fs from "node:fs";
import vm from "node:vm";

const source = fs.readFileSync(new URL("../../theme/static/js/search.js", import.meta.url), "utf8");
const input = JSON.parse(fs.readFileSync(0, "utf8"));

async function ask([text, filters, typing]) {
  const fetched = [];
  const fetch = (address) => {
    const path = address.split("?")[0].replace(/^\//, "");
    fetched.push(path);
    if (!(path in input.files)) { return Promise.resolve({ ok: false, status: 404 }); }
    return Promise.resolve({ ok: true, json: () => Promise.resolve(JSON.parse(input.files[path])) });
  };
  const window = {};
  const document = { querySelectorAll: () => [] };
  vm.runInNewContext(source, { window, document, fetch, URLSearchParams, Set, Map, Promise, Array, Object, Math, String, JSON });
  const search = window.coopdirSearch;
  const result = await search.query(text, filters, { typing });
  const rows = await search.documents(result.meta, result.ids.slice(0, 10));
  return {
    ids: result.ids, scores: result.ids.map((id) => result.scores[id]), total: result.total,
    everyWord: result.everyWord, unknown: result.unknown, urls: rows.map((row) => row.url), fetched,
  };
}

const answers = [];
for (const one of input.queries) { answers.push(await ask(one)); }
process.stdout.write(JSON.stringify(answers));
