// A gateway whose database connections are all busy for longer than a request may wait says so,
// with a stable code and when to retry, instead of an unexpected error; and serves again after.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, dbPool, type Db } from "../../src/db/client.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestUser } from "../helpers/principals.js";

const QUERY = JSON.stringify({ query: "{ jobs(first: 1) { totalCount } }" });

describe("a gateway with no database connection free", () => {
  let database: TestDatabase;
  let small: Db;
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    small = createDb({ url: database.url, pooled: database.pooled, poolSize: 1, poolWaitMs: 300 });
    // Tokens remembered, as a gateway started by `npm start` does (JOBGRAPH_AUTH_CACHE_SECONDS):
    // a known token's request runs, and meets the busy pool in its fields.
    api = await createTestApi({ ...database, db: small }, { authCacheSeconds: 10 });
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

  it("answers 503 with Retry-After when nothing could run, and 200 with data when a field failed", async () => {
    // A token the gateway has not seen: authenticating it needs a connection, before anything runs.
    const stranger = await createTestUser(database.db);
    const post = (token: string, accept: string) =>
      fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept, authorization: `Bearer ${token}` }, body: QUERY });
    const held = await dbPool(small)!.connect();
    try {
      for (const accept of ["application/graphql-response+json", "application/json"]) {
        // No data to answer with: the GraphQL-over-HTTP spec requires a 4xx or 5xx status.
        const refused = await post(stranger.secret, accept);
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("5");
        const body = (await refused.json()) as { data?: unknown; errors: Array<{ extensions: Record<string, unknown> }> };
        expect(body).not.toHaveProperty("data");
        expect(body.errors[0]!.extensions).toEqual({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 5 });
        // The admin's token is known: the query ran, and its field's error leaves data (null).
        const ran = await post(api.admin.secret, accept);
        expect(ran.status).toBe(200);
        const answer = (await ran.json()) as { data?: unknown; errors: Array<{ path?: unknown; extensions: Record<string, unknown> }> };
        expect(answer).toHaveProperty("data", null);
        expect(answer.errors[0]).toMatchObject({ path: ["jobs", "totalCount"], extensions: { code: "SERVICE_UNAVAILABLE" } });
      }
    } finally {
      held.release();
    }
    const served = await post(stranger.secret, "application/graphql-response+json");
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ data: { jobs: { totalCount: 0 } } });

    // The error metric counts them under the code the clients were answered with.
    const metrics = await (await api.fetch("/metrics", {}, { token: null })).text();
    const counted = (code: string) => Number(metrics.match(new RegExp(`^jobgraph_graphql_errors_total\\{code="${code}"\\} (\\d+)$`, "m"))?.[1] ?? 0);
    expect(counted("SERVICE_UNAVAILABLE")).toBeGreaterThanOrEqual(4);
    expect(counted("INTERNAL_SERVER_ERROR")).toBe(0);
  });
});

describe("a burst of mutations in transactions", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { authCacheSeconds: 10 });
    await database.db.jobTemplate.create({ data: { name: "burst", version: 1, executorName: "shell", description: "" } });
  });

  it("runs every one, each waiting for its connection as long as a statement would: a thousand createJob at once answered Unexpected error", { timeout: 120_000 }, async () => {
    const body = JSON.stringify({ query: "mutation($i: CreateJobInput!) { createJob(input: $i) { __typename } }", variables: { i: { templateName: "burst", tasks: [{ name: "a" }] } } });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async () => (await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body })).json()),
    );
    const outcomes = new Map<string, number>();
    for (const answer of answers as Array<{ data?: { createJob: { __typename: string } }; errors?: Array<{ extensions: { code: string } }> }>) {
      const outcome = answer.errors?.[0]?.extensions.code ?? answer.data!.createJob.__typename;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ CreateJobPayload: 1000 });
    expect(await database.db.job.count()).toBe(1000);
  });
});
