// Verify signed HTTP requests with Fedify's verifyRequest, for tests/test_signatures.py.
// Reads {"documents": {url: json}, "requests": [{method, url, headers, body}]} on stdin and
// prints, for each request, the id of the key that verified it, or null. Offline: the key's
// actor comes from "documents", contexts from Fedify's preloaded copies; nothing is fetched.
import { getDocumentLoader } from "@fedify/fedify/runtime";
import { verifyRequest } from "@fedify/fedify/sig";

globalThis.fetch = async (url) => {
  throw new Error(`offline: refused to fetch ${url}`);
};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { documents, requests } = JSON.parse(input);
const preloaded = getDocumentLoader();
const documentLoader = async (url) => {
  const bare = url.split("#")[0];
  if (bare in documents) {
    return { contextUrl: null, documentUrl: bare, document: documents[bare] };
  }
  return preloaded(url);
};
const results = [];
for (const { method, url, headers, body } of requests) {
  const request = new Request(url, { method, headers, body: body ?? undefined });
  const key = await verifyRequest(request, { documentLoader, contextLoader: documentLoader });
  results.push(key?.id?.href ?? null);
}
process.stdout.write(JSON.stringify(results));
