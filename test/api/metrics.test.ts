// GET /metrics: the Prometheus text that a scraper reads, after real traffic. Operations are
// labelled by name within bounds, errors by code; jobs and queues are counted from the database;
// reclaimed leases, open subscriptions (SSE and WebSocket) and pool connections are reported; a
// configured metrics token is required.
import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { MAX_OPERATION_NAME_LENGTH, MAX_OPERATION_NAMES } from "../../src/observability/operation-labels.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

type Sample = { name: string; labels: Record<string, string>; value: number };
type Scrape = { text: string; samples: Sample[]; types: Map<string, string> };

/** Parses the Prometheus text format strictly: a line that is not a comment or a sample fails the test. */
function parseMetrics(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[key!] = value!;
    // As Prometheus reads them (Go's ParseFloat): NaN and infinities in any case; prom-client writes "Nan".
    const special: Record<string, number> = { nan: NaN, "+inf": Infinity, "-inf": -Infinity };
    const value = special[sample[3]!.toLowerCase()] ?? Number(sample[3]);
    if (Number.isNaN(value) && sample[3]!.toLowerCase() !== "nan") throw new Error(`not a sample value: ${line}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { text, samples, types };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = scrape.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, expected]) => s.labels[key] === expected),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

async function scrape(api: TestApi, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await api.fetch("/metrics", { headers }, { token: null });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

/** Posts a raw document (the typed documents of test/gql would need codegen for each new one). */
async function post(api: TestApi, query: string, operationName?: string, token?: string | null) {
  const response = await api.fetch(
    "/graphql",
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query, operationName }),
    },
    token === undefined ? {} : { token },
  );
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
}

describe("GET /metrics", () => {
  let database: TestDatabase;
  /** Databases of their own for the tests that count every job in them. */
  let jobsDatabase: TestDatabase;
  let reclaimDatabase: TestDatabase;
  let api: TestApi;
  let templateId: string;

  beforeAll(async () => {
    [database, jobsDatabase, reclaimDatabase] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    api = await createTestApi(database);
    templateId = (await createTemplate(database.db)).id;
  });

  it("serves every metric family in the Prometheus text format, without an API token", async () => {
    await post(api, "query Warmup { viewer { name } }");
    const { types } = await scrape(api);
    for (const [family, type] of [
      ["graphql_envelop_request_duration", "histogram"],
      ["graphql_envelop_phase_parse", "histogram"],
      ["graphql_envelop_phase_validate", "histogram"],
      ["graphql_envelop_phase_execute", "histogram"],
      ["graphql_envelop_request", "counter"],
      ["graphql_yoga_http_duration", "histogram"],
      ["jobgraph_graphql_errors_total", "counter"],
      ["jobgraph_jobs", "gauge"],
      ["jobgraph_queue_depth", "gauge"],
      ["jobgraph_queue_oldest_age_seconds", "gauge"],
      ["jobgraph_leases_reclaimed_total", "counter"],
      ["jobgraph_schedule_ticks_total", "counter"],
      ["jobgraph_subscriptions_active", "gauge"],
      ["jobgraph_http_fast_lane_requests_total", "counter"],
      ["jobgraph_db_pool_connections", "gauge"],
      ["jobgraph_db_pool_waiting", "gauge"],
      ["jobgraph_db_pool_max_connections", "gauge"],
      ["jobgraph_cache_entries", "gauge"],
      ["jobgraph_cache_bytes", "gauge"],
      ["jobgraph_cache_max_bytes", "gauge"],
      ["process_cpu_user_seconds_total", "counter"],
      ["process_resident_memory_bytes", "gauge"],
      ["nodejs_eventloop_lag_seconds", "gauge"],
    ]) {
      expect(types.get(family!), family).toBe(type);
    }
  });

  it("times operations under their names, never their text or URL; anonymous and invalid ones under fixed labels", async () => {
    const marker = `marker${randomUUID().replaceAll("-", "")}`;
    for (let i = 0; i < 3; i++) expect((await post(api, `query ViewerProbe { ${marker}: viewer { name } }`)).status).toBe(200);
    expect((await post(api, "{ viewer { kind } }")).status).toBe(200);
    // A GET puts the document in the URL; neither becomes a label.
    const get = await api.fetch(`/graphql?query=${encodeURIComponent(`query GetProbe { ${marker}get: viewer { name } }`)}`, {
      headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1" },
    });
    expect(get.status).toBe(200);
    // Names that never validate: a document that does not, and a name the document does not hold.
    const garbage = `Garbage${randomUUID().replaceAll("-", "")}`;
    expect((await post(api, `query ${garbage} { noSuchField }`)).status).toBe(400);
    expect((await post(api, "query Real { viewer { name } }", `${garbage}2`)).body.errors).toHaveLength(1);

    const metrics = await scrape(api);
    const probe = { operationName: "ViewerProbe", operationType: "query" };
    expect(value(metrics, "graphql_envelop_request_duration_count", probe)).toBe(3);
    expect(value(metrics, "graphql_envelop_request", probe)).toBe(3);
    expect(value(metrics, "graphql_yoga_http_duration_count", { ...probe, method: "POST", statusCode: "200" })).toBe(3);
    expect(value(metrics, "graphql_envelop_request_duration_count", { operationName: "anonymous", operationType: "query" })).toBe(1);
    expect(value(metrics, "graphql_yoga_http_duration_count", { operationName: "GetProbe", method: "GET" })).toBe(1);
    expect(value(metrics, "graphql_yoga_http_duration_count", { operationName: "invalid", statusCode: "400" })).toBeGreaterThanOrEqual(1);
    expect(metrics.text).not.toContain(marker);
    expect(metrics.text).not.toContain(garbage);
    expect(metrics.text).not.toContain("jobgraph.test");
    expect(metrics.samples.filter((s) => "url" in s.labels)).toEqual([]);
  });

  it("admits a bounded number of operation names; the rest share the label 'other'", async () => {
    // A fresh app: the bound is per app, and this file's other tests have used names already.
    const fresh = await createTestApi(database);
    for (let i = 0; i < MAX_OPERATION_NAMES + 5; i++) expect((await post(fresh, `query Name${i} { viewer { kind } }`)).status).toBe(200);
    const metrics = await scrape(fresh);
    const names = new Set(metrics.samples.filter((s) => s.name === "graphql_envelop_request").map((s) => s.labels.operationName));
    expect(names.size).toBe(MAX_OPERATION_NAMES + 1);
    expect(value(metrics, "graphql_envelop_request", { operationName: `Name${MAX_OPERATION_NAMES - 1}` })).toBe(1);
    expect(value(metrics, "graphql_envelop_request", { operationName: "other" })).toBe(5);
  });

  it("reports a name too long for a label as 'other', and does not keep it", async () => {
    const fresh = await createTestApi(database);
    const longest = `N${"a".repeat(MAX_OPERATION_NAME_LENGTH - 1)}`;
    const tooLong = `${longest}b`;
    for (const name of [longest, tooLong]) expect((await post(fresh, `query ${name} { viewer { kind } }`)).status).toBe(200);
    const metrics = await scrape(fresh);
    expect(value(metrics, "graphql_envelop_request", { operationName: longest })).toBe(1);
    expect(value(metrics, "graphql_envelop_request", { operationName: "other" })).toBe(1);
    expect(metrics.text).not.toContain(tooLong);
  });

  it("counts errors by code, and not the expected errors of mutation results", async () => {
    const before = await scrape(api);
    const errors = (code: string, metrics: Awaited<ReturnType<typeof scrape>>) => value(metrics, "jobgraph_graphql_errors_total", { code }) ?? 0;

    expect((await post(api, "{ viewer { name } }", undefined, null)).status).toBe(401);
    expect((await post(api, "{ viewer { name ")).status).toBe(400);
    expect((await post(api, "{ viewer { nope } }")).status).toBe(400);
    const badJson = await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(badJson.status).toBe(400);
    const page = await post(api, "{ jobs(first: 1000) { totalCount } }");
    expect(page.body.errors?.[0]?.extensions?.code).toBe("PAGE_SIZE_EXCEEDED");
    // A user may not cancel someone else's job: a ForbiddenError member of the result, not an error.
    const [job] = (await createJobs(database.db, templateId, 1, { spec: () => ({ queue: "errors-test" }) })) as [string];
    const user = await createTestUser(database.db);
    const cancel = await post(api, `mutation { cancelJob(id: "${encodeGlobalId("Job", job)}") { __typename } }`, undefined, user.secret);
    expect(cancel.body).toEqual({ data: { cancelJob: { __typename: "ForbiddenError" } } });

    const after = await scrape(api);
    for (const code of ["UNAUTHENTICATED", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST", "PAGE_SIZE_EXCEEDED"]) {
      expect(errors(code, after) - errors(code, before), code).toBe(1);
    }
    expect(after.samples.filter((s) => s.name === "jobgraph_graphql_errors_total").map((s) => s.labels.code)).not.toContain("FORBIDDEN");
  });

  it("counts jobs by status, and claimable jobs and the age of the oldest per queue", async () => {
    const own = jobsDatabase;
    const fresh = await createTestApi(own);
    const template = await createTemplate(own.db);
    const statuses = ["QUEUED", "QUEUED", "QUEUED", "RUNNING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "CANCELLED"] as const;
    await createJobs(own.db, template.id, statuses.length, { spec: (i) => ({ status: statuses[i], queue: "cpu" }) });
    await createJobs(own.db, template.id, 2, { spec: () => ({ queue: "gpu" }) });
    // Not counted: a deleted job; counted as QUEUED but not claimable: one that may run only later.
    await createJobs(own.db, template.id, 1, { spec: () => ({ queue: "gpu", deletedAt: new Date() }) });
    const [later] = (await createJobs(own.db, template.id, 1, { spec: () => ({ queue: "gpu" }) })) as [string];
    await own.pool.query("update jobs set run_after = now() + interval '1 hour' where id = $1", [later]);
    // The oldest claimable job of cpu has waited an hour and a half.
    await own.pool.query(
      "update jobs set run_after = now() - interval '90 minutes' where id = (select id from jobs where queue = 'cpu' and status = 'QUEUED' limit 1)",
    );

    const metrics = await scrape(fresh);
    expect(Object.fromEntries(metrics.samples.filter((s) => s.name === "jobgraph_jobs").map((s) => [s.labels.status, s.value]))).toEqual({
      WAITING: 0,
      QUEUED: 6,
      ACQUIRED: 0,
      RUNNING: 2,
      SUCCEEDED: 1,
      FAILED: 1,
      CANCELLED: 2,
    });
    expect(value(metrics, "jobgraph_queue_depth", { queue: "cpu" })).toBe(3);
    expect(value(metrics, "jobgraph_queue_depth", { queue: "gpu" })).toBe(2);
    expect(value(metrics, "jobgraph_queue_oldest_age_seconds", { queue: "cpu" })).toBeGreaterThanOrEqual(90 * 60);
    expect(value(metrics, "jobgraph_queue_oldest_age_seconds", { queue: "cpu" })).toBeLessThan(90 * 60 + 60);
    expect(value(metrics, "jobgraph_queue_oldest_age_seconds", { queue: "gpu" })).toBeGreaterThanOrEqual(0);
    expect(value(metrics, "jobgraph_queue_oldest_age_seconds", { queue: "gpu" })).toBeLessThan(60);

    // Scraped again, the numbers follow the table.
    await own.pool.query("update jobs set status = 'ACQUIRED' where queue = 'gpu' and deleted_at is null and run_after <= now()");
    const again = await scrape(fresh);
    expect(value(again, "jobgraph_jobs", { status: "ACQUIRED" })).toBe(2);
    expect(value(again, "jobgraph_queue_depth", { queue: "gpu" })).toBeUndefined();
  });

  it("counts the leases the reclaimer takes back, on a listening server", async () => {
    const own = reclaimDatabase;
    const serving = await createTestApi(own, { reclaimIntervalMs: 50 });
    const address = await serving.app.start(0, "127.0.0.1");
    try {
      const node = await createTestNode(own.db);
      const template = await createTemplate(own.db);
      const [requeued, failed] = (await createJobs(own.db, template.id, 2)) as [string, string];
      const expire = (id: string, attempts: number) =>
        own.pool.query(
          `update jobs set status = 'RUNNING', node_id = $2, attempts = $3, max_attempts = 3, lease_token = gen_random_uuid(),
                  lease_expires_at = now() - interval '1 second' where id = $1`,
          [id, node.id, attempts],
        );
      await expire(requeued, 1);
      await expire(failed, 3);
      const reclaimed = async (outcome: string) => {
        const response = await fetch(`http://127.0.0.1:${address.port}/metrics`);
        return value(parseMetrics(await response.text()), "jobgraph_leases_reclaimed_total", { outcome });
      };
      // The two leases may run out in different passes of the reclaimer: wait for both.
      await expect.poll(async () => [await reclaimed("requeued"), await reclaimed("failed")], { timeout: 10_000 }).toEqual([1, 1]);
      const { rows } = await own.pool.query("select id, status from jobs where id = any($1) order by status", [[requeued, failed]]);
      expect(rows).toEqual([
        { id: requeued, status: "QUEUED" },
        { id: failed, status: "FAILED" },
      ]);
    } finally {
      await serving.app.stop();
    }
  });

  it("shows open subscriptions, over server-sent events and WebSocket, until they close", async () => {
    const serving = await createTestApi(database);
    const address = await serving.app.start(0, "127.0.0.1");
    const active = async (transport: string) => value(await scrape(serving), "jobgraph_subscriptions_active", { transport });
    try {
      expect(await active("http")).toBe(0);
      const sse = await subscribeSse(serving, "subscription { jobAvailable { claimable } }");
      await sse.next();
      expect(await active("http")).toBe(1);
      expect(await active("websocket")).toBe(0);

      const client = createClient({
        url: `ws://127.0.0.1:${address.port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${serving.admin.secret}` },
        retryAttempts: 0,
      });
      const iterator = client.iterate({ query: "subscription { jobAvailable { claimable } }" });
      await iterator.next();
      expect(await active("websocket")).toBe(1);

      await iterator.return?.();
      await expect.poll(() => active("websocket"), { timeout: 5000 }).toBe(0);
      await client.dispose();
      await sse.close();
      await expect.poll(() => active("http"), { timeout: 5000 }).toBe(0);
    } finally {
      await serving.app.stop();
    }
  });

  it("reports the connections of both database pools", async () => {
    const fresh = await createTestApi(database, { outputPoolSize: 3 });
    await post(fresh, "{ jobs(first: 1) { totalCount } }");
    const metrics = await scrape(fresh);
    expect(value(metrics, "jobgraph_db_pool_max_connections", { pool: "prisma" })).toBe(10);
    expect(value(metrics, "jobgraph_db_pool_max_connections", { pool: "outputs" })).toBe(3);
    // The test database's client has served every query of this file so far.
    expect(value(metrics, "jobgraph_db_pool_connections", { pool: "prisma", state: "total" })).toBeGreaterThanOrEqual(1);
    const idle = value(metrics, "jobgraph_db_pool_connections", { pool: "prisma", state: "idle" })!;
    expect(idle).toBeLessThanOrEqual(value(metrics, "jobgraph_db_pool_connections", { pool: "prisma", state: "total" })!);
    expect(value(metrics, "jobgraph_db_pool_connections", { pool: "outputs", state: "total" })).toBe(0);
    expect(value(metrics, "jobgraph_db_pool_waiting", { pool: "prisma" })).toBe(0);
  });

  it("requires the metrics token when one is configured, and only that token", async () => {
    const token = `scrape-${randomUUID()}`;
    const guarded = await createTestApi(database, { metricsToken: token });
    const attempt = (authorization?: string) =>
      guarded.fetch("/metrics", { headers: authorization ? { authorization } : {} }, { token: null });

    const none = await attempt();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="jobgraph-metrics"');
    expect(await none.text()).not.toContain("jobgraph_jobs");
    expect((await attempt(`Bearer ${token}x`)).status).toBe(401);
    // An API token, even an admin's, is not the metrics token.
    expect((await attempt(`Bearer ${guarded.admin.secret}`)).status).toBe(401);
    const allowed = await attempt(`Bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(parseMetrics(await allowed.text()).types.get("jobgraph_jobs")).toBe("gauge");
    // The token guards the metrics, not the API: GraphQL still wants an API token.
    expect((await post(guarded, "{ viewer { name } }", undefined, null)).status).toBe(401);
  });
});
