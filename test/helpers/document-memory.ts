// Run by test/api/document-memory.test.ts as a process of its own, under `node --expose-gc
// --no-compilation-cache`: builds the app on the database named by JOBGRAPH_TEST_DATABASE_URL with
// a document cache of JOBGRAPH_DOCUMENT_CACHE_BYTES, sends it DOCUMENTS distinct large documents
// over HTTP, and prints one JSON line: how much the heap grew, and what the caches say they hold.
// V8's compilation cache would keep the source of each compiled query's code for a while after the
// query is gone (it ages out over later collections), hence the flag.
import { defaultLimits } from "../../src/config.js";
import { buildApp } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { createTestUser } from "./principals.js";
import { largeDocuments } from "./large-documents.js";

const url = process.env.JOBGRAPH_TEST_DATABASE_URL!;
const budget = Number(process.env.JOBGRAPH_DOCUMENT_CACHE_BYTES);
const count = Number(process.env.DOCUMENTS);
const gc = (globalThis as { gc?: () => void }).gc!;

/** The heap in use once the last requests' sockets and buffers are let go and collected. */
async function heapUsed(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const db = createDb({ url, poolSize: 2 });
const app = buildApp({
  db,
  databaseUrl: url,
  settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 120 },
  limits: { ...defaultLimits, documentCacheBytes: budget },
});
const admin = await createTestUser(db, "ADMIN");
const { port } = await app.start(0);

async function post(query: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.secret}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (response.status !== 200 || body.errors) throw new Error(`refused: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

// Everything loaded and warmed up (every shape once, small) before the first measurement.
for (const query of largeDocuments(3, 10_000, "warm")) await post(query);
const before = await heapUsed();
for (const query of largeDocuments(count, 900_000, "big")) await post(query);
const after = await heapUsed();
const usage = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const gauge = (name: string, cache: string) => Number(new RegExp(`^${name}\\{cache="${cache}"\\} (\\S+)$`, "m").exec(usage)?.[1]);
const cache = (name: string) => ({
  entries: gauge("jobgraph_cache_entries", name),
  bytes: gauge("jobgraph_cache_bytes", name),
  maxBytes: gauge("jobgraph_cache_max_bytes", name),
});
console.log(
  JSON.stringify({
    heapGrowth: after - before,
    documents: cache("documents"),
    costs: cache("costs"),
  }),
);
await app.stop();
await db.$disconnect();
