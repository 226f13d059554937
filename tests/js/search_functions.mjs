// Runs the site's search.js outside a browser and applies its word functions to stdin's JSON:
//   {"stop": [...], "texts": [...], "pairs": [[a, b, limit], ...]}
// prints {"words": [[...], ...], "distances": [...]}. Used by tests/test_search_agreement.py.
import fs from "node:fs";
import vm from "node:vm";

const source = fs.readFileSync(new URL("../../theme/static/js/search.js", import.meta.url), "utf8");
const window = {};
const document = { querySelectorAll: () => [] };
vm.runInNewContext(source, { window, document, fetch: () => Promise.reject(new Error("no fetch")), URLSearchParams, Set, Map, Promise, Array, Object, Math, String, JSON });
const search = window.coopdirSearch;
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const meta = { stop: input.stop };
process.stdout.write(JSON.stringify({
  words: input.texts.map((text) => search.words(meta, text)),
  distances: input.pairs.map(([a, b, limit]) => Math.min(search.editDistance(a, b, limit), limit + 1)),
}));
