// A gateway whose database connections are all busy for longer than a request may wait says so,
// with a stable code and when to retry, instead of an unexpected error; and serves again after.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, dbPool, type Db } from "../../src/db/client.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const QUERY = JSON.stringify({ query: "{ jobs(first: 1) { totalCount } }" });

describe("a gateway with no database connection free", () => {
  let database: TestDatabase;
  let small: Db;
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    small = createDb({ url: database.url, pooled: database.pooled, poolSize: 1, poolWaitMs: 300 });
    api = await createTestApi({ ...database, db: small });
    port = (await api.app.start(0)).port;
  });
  afterAll(async () => {
    await api.app.stop();
    await small.$disconnect();
  });

  /** The query over a real connection, where known documents take the fast lane, and through yoga. */
  async function ask(): Promise<Array<{ errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown }>> {
    const headers = { "content-type": "application/json", authorization: `Bearer ${api.admin.secret}` };
    const overHttp = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers, body: QUERY });
    const inMemory = await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: QUERY });
    for (const response of [overHttp, inMemory]) expect(response.status).toBeLessThan(500);
    return [await overHttp.json(), await inMemory.json()];
  }

  it("answers SERVICE_UNAVAILABLE with a retry delay while every connection stays busy, then serves again", async () => {
    // Twice first: the second time, the document is known and takes the fast lane.
    for (const answer of [...(await ask()), ...(await ask())]) expect(answer).toMatchObject({ data: { jobs: { totalCount: 0 } } });

    const held = await dbPool(small)!.connect();
    try {
      for (const answer of await ask()) {
        expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: expect.any(Number) });
        expect(answer.errors?.[0]?.message).toMatch(/busy/);
      }
    } finally {
      held.release();
    }
    for (const answer of await ask()) expect(answer).toMatchObject({ data: { jobs: { totalCount: 0 } } });
  });
});
