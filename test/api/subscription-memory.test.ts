// What an idle graphql-ws subscription keeps on the gateway: the live heap of a process of its own
// (test/helpers/subscription-memory.ts: the gateway, and bare sockets opening the subscriptions,
// which keep nothing per subscription), after full collections, with 2,000 subscriptions to
// jobProgress open (10 to a socket) against none. The bound is generous (5.6 KB are kept now, 11.8
// KB when envelop wrapped each stream three times and a WeakMap entry, a Pothos request cache and a
// hidden class came with each context), so that it catches a regression of that size and not the
// noise of a run.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { measureInChild } from "../helpers/measured-child.js";

const SUBSCRIPTIONS = 2000;
const BOUND_BYTES = 8 * 1024;

type ChildReport = { perSubscription: number; listeners: number };

describe("memory of idle subscriptions", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  it(`keeps under ${BOUND_BYTES / 1024} KiB of live heap per idle jobProgress subscription over graphql-ws`, { timeout: 180_000 }, async () => {
    const report = await measureInChild<ChildReport>("subscription-memory.ts", { JOBGRAPH_TEST_DATABASE_URL: database.url, SUBSCRIPTIONS: String(SUBSCRIPTIONS), PER_SOCKET: "10", JOBS: "100" });
    // Every subscription was open, and listened for, when the heap was read.
    expect(report.listeners).toBe(SUBSCRIPTIONS);
    expect(report.perSubscription).toBeGreaterThan(0);
    expect(report.perSubscription).toBeLessThan(BOUND_BYTES);
  });
});
