// Memory stays bounded under valid but huge documents: distinct documents close to the body limit,
// of every shape that passes the limits on a document (test/helpers/large-documents.ts), sent to
// the real app over HTTP. The document cache holds no more than its budget and evicts the oldest
// (which the fast lane then no longer serves), and the heap of a process that was sent such
// documents grows by no more than the budget, nor more than the cache says it holds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { largeDocuments } from "../helpers/large-documents.js";
import { measureInChild } from "../helpers/measured-child.js";

const MiB = 1024 ** 2;
/** Near the default body limit (1 MiB), as JSON. */
const LENGTH = 900_000;

type Usage = { entries: number; bytes: number; maxBytes: number };
type ChildReport = { heapGrowth: number; documents: Usage; costs: Usage };

/** test/helpers/document-memory.ts, run in a process of its own. V8's compilation cache would keep each compiled query's source a while after the query is gone. */
const runChild = (env: Record<string, string>) => measureInChild<ChildReport>("document-memory.ts", env, ["--no-compilation-cache"]);

describe("memory under large documents", () => {
  let database: TestDatabase;
  let api: TestApi;
  let graphqlUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { limits: { ...defaultLimits, documentCacheBytes: 8 * MiB } });
    const { port } = await api.app.start(0);
    graphqlUrl = `http://127.0.0.1:${port}/graphql`;
  });

  afterAll(async () => {
    await api.app.stop();
  });

  async function post(query: string): Promise<void> {
    const response = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.admin.secret}` },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { errors?: unknown };
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
  }

  async function metrics(): Promise<(name: string, labels?: string) => number> {
    const text = await (await api.fetch("/metrics", {}, { token: null })).text();
    return (name, labels = "") => Number(new RegExp(`^${name}${labels.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
  }

  it("keeps each cache within its budget, evicting the oldest documents", async () => {
    const documents = largeDocuments(12, LENGTH, "cache");
    // Each twice: the second time, the fast lane serves the document the cache holds.
    for (const query of documents) {
      await post(query);
      await post(query);
    }
    const after = await metrics();
    for (const cache of ["documents", "costs", "select_lists"]) {
      const labels = `{cache="${cache}"}`;
      expect(after("jobgraph_cache_bytes", labels), cache).toBeLessThanOrEqual(after("jobgraph_cache_max_bytes", labels));
    }
    expect(after("jobgraph_cache_max_bytes", '{cache="documents"}')).toBe(8 * MiB);
    // Each of these documents is estimated at 3.4 to 5.3 MiB: two fit in 8 MiB at most.
    expect(after("jobgraph_cache_entries", '{cache="documents"}')).toBeLessThanOrEqual(2);
    expect(after("jobgraph_cache_bytes", '{cache="documents"}')).toBeGreaterThan(3 * MiB);

    // The newest is still known (the lane serves it), the oldest was evicted (yoga parses it again).
    const lane = () => metrics().then((read) => read("jobgraph_http_fast_lane_requests_total"));
    const served = await lane();
    await post(documents.at(-1)!);
    expect(await lane()).toBe(served + 1);
    await post(documents[0]!);
    expect(await lane()).toBe(served + 1);
  });

  it("keeps a process's heap within the document cache's budget and its estimate", async () => {
    const budget = 16 * MiB;
    const report = await runChild({ JOBGRAPH_TEST_DATABASE_URL: database.url, JOBGRAPH_DOCUMENT_CACHE_BYTES: String(budget), DOCUMENTS: "40" });
    // 40 documents of 900 KB: the caches of yoga and of the lane kept all of them, and the heap
    // grew by 290 MB. The cache's estimate is above what the heap holds; the slack allows for the
    // noise of a heap that runs a server.
    expect(report.documents.maxBytes).toBe(budget);
    expect(report.documents.bytes).toBeLessThanOrEqual(budget);
    expect(report.costs.bytes).toBeLessThanOrEqual(report.costs.maxBytes);
    expect(report.heapGrowth).toBeLessThan(budget);
    expect(report.heapGrowth).toBeLessThan(report.documents.bytes + report.costs.bytes + 2 * MiB);
  }, 120_000);
});
