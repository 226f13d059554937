// Parse every ActivityPub document of a built site with Fedify's vocabulary (an independent,
// TypeScript implementation) and print what it understood, as JSON, for tests/test_fedify.py.
// Offline: JSON-LD contexts come from Fedify's preloaded copies; any other fetch is refused.
//
//   node tests/fedify_parse.mjs <built site folder>
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { getDocumentLoader } from "@fedify/fedify/runtime";
import { Object as APObject } from "@fedify/fedify/vocab";

globalThis.fetch = async (url) => {
  throw new Error(`offline: refused to fetch ${url}`);
};
const preloaded = getDocumentLoader();
const documentLoader = async (url) => preloaded(url); // preloaded contexts, else fetch (refused)
const options = { documentLoader, contextLoader: documentLoader };

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const str = (value) => (value == null ? null : String(value));

async function describe(object) {
  const seen = { type: object.constructor.name, id: str(object.id) };
  if ("preferredUsername" in object && object.inboxId) {
    const key = await object.getPublicKey(options);
    Object.assign(seen, {
      preferredUsername: str(object.preferredUsername),
      name: str(object.name),
      inbox: str(object.inboxId),
      outbox: str(object.outboxId),
      followers: str(object.followersId),
      featured: str(object.featuredId),
      featuredTags: str(object.featuredTagsId),
      discoverable: object.discoverable,
      keyId: str(key?.id),
      keyOwner: str(key?.ownerId),
      keyAlgorithm: key?.publicKey?.algorithm?.name ?? null,
    });
  }
  if (seen.type === "Note") {
    const tags = [];
    for await (const tag of object.getTags(options)) tags.push(str(tag.name));
    Object.assign(seen, {
      name: str(object.name),
      content: str(object.content),
      attributedTo: str(object.attributionId),
      published: object.published?.toString() ?? null,
      tags,
    });
  }
  if (seen.type === "Tombstone") seen.deleted = object.deleted?.toString() ?? null;
  if (seen.type === "OrderedCollectionPage") {
    seen.partOf = str(object.partOfId);
    seen.items = [];
    for await (const item of object.getItems(options)) {
      const inner = { type: item.constructor.name, id: str(item.id), actor: str(item.actorId) };
      inner.object = str(item.objectId);
      seen.items.push(inner);
    }
  }
  if ("totalItems" in object && seen.type !== "OrderedCollectionPage") {
    seen.totalItems = object.totalItems;
  }
  if (["Create", "Delete", "Announce"].includes(seen.type)) {
    seen.actor = str(object.actorId);
    seen.object = str(object.objectId);
  }
  return seen;
}

const site = process.argv[2];
const results = [];
for (const path of files(join(site, "ap")).sort()) {
  const json = JSON.parse(readFileSync(path, "utf-8"));
  try {
    const object = await APObject.fromJsonLd(json, options);
    results.push({ path: relative(site, path), ...(await describe(object)) });
  } catch (error) {
    results.push({ path: relative(site, path), error: String(error) });
  }
}
process.stdout.write(JSON.stringify(results, null, 1));
