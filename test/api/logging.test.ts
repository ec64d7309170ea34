// Structured request logs, captured from the app's own pino logger: a request id on every line of a
// request (taken from x-request-id when sane, and echoed), the operation, the viewer, the duration
// and the outcome; unexpected errors with their stacks; no secret anywhere; levels that filter;
// WebSocket connections and operations, and server-sent event streams, logged from start to end.
import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { LogLevel } from "../../src/config.js";
import { createDb, dbPool, type Db } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createLogger } from "../../src/observability/logger.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

type Line = Record<string, unknown> & { level: string; msg: string };

/** An app whose log lines land in `lines`, as written: `raw` keeps the text, to search for secrets. */
async function loggedApi(database: TestDatabase, level: LogLevel = "info", db: Db = database.db) {
  const raw: string[] = [];
  const logger = createLogger({ level, destination: { write: (text: string) => void raw.push(text) } });
  const api = await createTestApi({ ...database, db }, { logger });
  return {
    api,
    raw,
    lines: () => raw.map((text) => JSON.parse(text) as Line),
    /** The lines written while `work` ran. */
    async during(work: () => Promise<unknown>): Promise<Line[]> {
      const from = raw.length;
      await work();
      return raw.slice(from).map((text) => JSON.parse(text) as Line);
    },
  };
}

function post(api: TestApi, body: Record<string, unknown>, headers: Record<string, string> = {}, token?: string | null) {
  return api.fetch(
    "/graphql",
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
      body: JSON.stringify(body),
    },
    token === undefined ? {} : { token },
  );
}

const completed = (lines: Line[]) => lines.filter((line) => line.msg === "request completed");

describe("request logs", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  it("puts the request id on every line of a request and echoes it; takes a sane incoming one", async () => {
    // At debug, yoga's own lines of the request are written too.
    const { api, during } = await loggedApi(database, "debug");
    let response!: Response;
    const lines = await during(async () => {
      response = await post(api, { query: "query WhoAmI { viewer { name } }" }, { "x-request-id": "lb-7f3a.2024:abc" });
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("lb-7f3a.2024:abc");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).toBe("lb-7f3a.2024:abc");

    // Anything that does not look like an id is replaced, never echoed.
    for (const insane of ["has spaces", "x".repeat(200), "<script>", "-leading-dash"]) {
      const other = await post(api, { query: "{ viewer { name } }" }, { "x-request-id": insane });
      const id = other.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // Without one, each request gets its own.
    const first = (await post(api, { query: "{ viewer { name } }" })).headers.get("x-request-id");
    const second = (await post(api, { query: "{ viewer { name } }" })).headers.get("x-request-id");
    expect(first).not.toBe(second);
  });

  it("closes each request with its operation, viewer, status, duration and outcome", async () => {
    const { api, during } = await loggedApi(database);
    const user = await createTestUser(database.db);
    const ok = completed(await during(() => post(api, { query: "query Mine { viewer { name } }" }, {}, user.secret)));
    expect(ok).toEqual([
      expect.objectContaining({
        level: "info",
        requestId: expect.any(String),
        method: "POST",
        path: "/graphql",
        status: 200,
        operationName: "Mine",
        operationType: "query",
        viewer: { kind: "USER", id: user.id, name: user.name },
        durationMs: expect.any(Number),
        outcome: "ok",
      }),
    ]);
    expect(ok[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok[0]).not.toHaveProperty("errors");

    const node = await createTestNode(database.db);
    const anonymous = completed(await during(() => post(api, { query: "{ viewer { kind } }" }, {}, node.secret)));
    expect(anonymous[0]).toMatchObject({ operationName: "anonymous", operationType: "query", viewer: { kind: "NODE", id: node.id, name: node.name } });

    const tooBig = completed(await during(() => post(api, { query: "query Big { jobs(first: 1000) { totalCount } }" })));
    expect(tooBig[0]).toMatchObject({ operationName: "Big", status: 200, outcome: "errors", errors: ["PAGE_SIZE_EXCEEDED"] });

    const unauthenticated = completed(await during(() => post(api, { query: "{ viewer { name } }" }, {}, null)));
    expect(unauthenticated[0]).toMatchObject({ status: 401, viewer: null, outcome: "errors", errors: ["UNAUTHENTICATED"] });

    const invalid = completed(await during(() => post(api, { query: "query Bad { viewer { nope } }" })));
    expect(invalid[0]).toMatchObject({ operationName: "Bad", status: 400, outcome: "errors", errors: ["GRAPHQL_VALIDATION_FAILED"] });

    // A GET request's query string (the document and its variables) is not logged.
    const get = completed(
      await during(() =>
        api.fetch(`/graphql?query=${encodeURIComponent("query ByGet { viewer { name } }")}`, {
          headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1" },
        }),
      ),
    );
    expect(get[0]).toMatchObject({ method: "GET", path: "/graphql", operationName: "ByGet", outcome: "ok" });
  });

  it("logs an unexpected error with its stack at error level, and expected mutation errors not at all", async () => {
    // The database fails a progress report the way a driver does, quoting a value of the request
    // in its message: an unexpected error, which must be logged without that value.
    const secret = `jgsecret-${randomUUID()}`;
    let armed = false;
    const failing = new Proxy(database.db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key !== "$queryRaw" || typeof value !== "function") return value;
        // Statements come as template strings, or as one Prisma.sql statement.
        return (strings: TemplateStringsArray | { sql: string }, ...values: unknown[]) =>
          armed && ("sql" in strings ? strings.sql : strings.join("")).includes("update jobs j set")
            ? Promise.reject(new Error(`invalid input syntax for type uuid: "${secret}"`))
            : (value as (...args: unknown[]) => unknown).call(target, strings, ...values);
      },
    });
    const { api, during } = await loggedApi(database, "info", failing);
    const node = await createTestNode(database.db);
    const template = await createTemplate(database.db);
    const [job] = (await createJobs(database.db, template.id, 1)) as [string];
    await database.pool.query(
      "update jobs set status = 'RUNNING', node_id = $2, attempts = 1, lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 hour' where id = $1",
      [job, node.id],
    );
    const report = (leaseToken: string) =>
      post(
        api,
        {
          query: "mutation Report($id: ID!, $leaseToken: String!) { reportJobProgress(id: $id, leaseToken: $leaseToken, progress: 0.5) { __typename } }",
          variables: { id: encodeGlobalId("Job", job), leaseToken },
        },
        {},
        node.secret,
      );

    // A well-formed token that is not the lease's: LeaseLostError, an answer rather than an error.
    let answer!: Response;
    const expected = await during(async () => (answer = await report(randomUUID())));
    expect(await answer.json()).toEqual({ data: { reportJobProgress: { __typename: "LeaseLostError" } } });
    expect(expected.filter((line) => line.level === "error")).toEqual([]);
    expect(completed(expected)[0]).toMatchObject({ operationName: "Report", operationType: "mutation", outcome: "ok" });

    // The failing query: masked for the client, logged with its stack, without the secret.
    armed = true;
    const unexpected = await during(async () => (answer = await report(secret)));
    const body = (await answer.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors).toEqual([expect.objectContaining({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } })]);
    const errors = unexpected.filter((line) => line.level === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        msg: "unexpected error",
        requestId: completed(unexpected)[0]!.requestId,
        operationName: "Report",
        err: expect.objectContaining({ message: expect.stringContaining("[redacted]"), stack: expect.stringMatching(/\n\s+at /) }),
      }),
    ]);
    expect(completed(unexpected)[0]).toMatchObject({ outcome: "errors", errors: ["INTERNAL_SERVER_ERROR"] });
    expect(JSON.stringify(unexpected)).not.toContain(secret);
  });

  it("logs requests the database could not serve with their clients' code, and says so at warn once, not at error each", async () => {
    const small = createDb({ url: database.url, pooled: database.pooled, poolSize: 1, poolWaitMs: 300 });
    try {
      const { api, during } = await loggedApi(database, "info", small);
      const held = await dbPool(small)!.connect();
      try {
        const answers: Response[] = [];
        const lines = await during(async () => {
          for (let i = 0; i < 4; i++) answers.push(await post(api, { query: "query Busy { jobs(first: 1) { totalCount } }" }));
        });
        for (const answer of answers) {
          const body = (await answer.json()) as { errors: Array<{ extensions: { code: string } }> };
          expect(body.errors.map((error) => error.extensions.code)).toEqual(["SERVICE_UNAVAILABLE"]);
        }
        expect(completed(lines).map((line) => [line.outcome, line.errors])).toEqual(Array(4).fill(["errors", ["SERVICE_UNAVAILABLE"]]));
        // The pool's wait ran out for each: one line says so (the next comes 5 s later at the soonest).
        expect(lines.filter((line) => line.level === "error")).toEqual([]);
        const said = lines.filter((line) => line.level === "warn");
        expect(said).toEqual([
          expect.objectContaining({ msg: "the database could not be used: requests are answered SERVICE_UNAVAILABLE", failedRequests: 1, err: expect.objectContaining({ message: expect.any(String) }) }),
        ]);
        expect((said[0]!.err as { stack?: string }).stack ?? "").toBe("");
      } finally {
        held.release();
      }
    } finally {
      await small.$disconnect();
    }
  });

  it("never logs a token or a secret variable, at any level, over HTTP and WebSocket", async () => {
    const { api, raw } = await loggedApi(database, "trace");
    const user = await createTestUser(database.db);
    const [job] = (await createJobs(database.db, (await createTemplate(database.db, "secrets")).id, 1)) as [string];
    // Shaped as a lease token is, so that the refusal is the ordinary one (the test above covers errors).
    const leaseToken = randomUUID();
    const mutation =
      "mutation Secrets($id: ID!, $leaseToken: String!, $detail: JSON) { reportJobProgress(id: $id, leaseToken: $leaseToken, progress: 0.1, detail: $detail) { __typename } }";
    const variables = { id: encodeGlobalId("Job", job), leaseToken, detail: { deep: { token: `nested-${leaseToken}` } } };
    const reported = await post(api, { query: mutation, variables }, {}, user.secret);
    expect(await reported.json()).toEqual({ data: { reportJobProgress: { __typename: "ForbiddenError" } } });
    // A secret in a GET's query string.
    const query = "query SecretSearch($leaseToken: String) { jobs(filter: { search: $leaseToken }) { totalCount } }";
    const get = await api.fetch(`/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ leaseToken }))}`, {
      headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1", authorization: `Bearer ${user.secret}` },
    });
    expect(get.status).toBe(200);
    // A refused token, and a token in a malformed header.
    expect((await post(api, { query: "{ viewer { name } }" }, { authorization: `Bearer ${user.secret}x` })).status).toBe(401);
    expect((await post(api, { query: "{ viewer { name } }" }, { authorization: `Token ${user.secret}` })).status).toBe(401);

    const address = await api.app.start(0, "127.0.0.1");
    try {
      const client = createClient({
        url: `ws://127.0.0.1:${address.port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${user.secret}` },
        retryAttempts: 0,
      });
      for await (const result of client.iterate({ query: mutation, variables })) {
        expect(result).toEqual({ data: { reportJobProgress: { __typename: "ForbiddenError" } } });
      }
      await client.dispose();
      await expect.poll(() => raw.some((text) => text.includes('"websocket closed"'))).toBe(true);
    } finally {
      await api.app.stop();
    }

    const text = raw.join("");
    expect(text).toContain('"operationName":"Secrets"');
    expect(text).toContain('"operationName":"SecretSearch"');
    for (const secret of [user.secret, leaseToken, user.secret.slice(4)]) expect(text).not.toContain(secret);
  });

  it("writes only the lines at or above its level", async () => {
    const quiet = await loggedApi(database, "warn");
    await post(quiet.api, { query: "{ viewer { name } }" });
    await post(quiet.api, { query: "{ viewer { name } }" }, {}, null);
    expect(quiet.lines()).toEqual([]);

    const info = await loggedApi(database, "info");
    await info.api.fetch("/health");
    await post(info.api, { query: "{ viewer { name } }" });
    expect(info.lines().map((line) => [line.level, line.path])).toEqual([["info", "/graphql"]]);

    // Probes and scrapes come every few seconds: they are debug lines.
    const debug = await loggedApi(database, "debug");
    await debug.api.fetch("/health");
    await debug.api.fetch("/ready");
    expect(completed(debug.lines()).map((line) => [line.level, line.path, line.status])).toEqual([
      ["debug", "/health", 200],
      ["debug", "/ready", 200],
    ]);
  });

  describe("streams", () => {
    let logged: Awaited<ReturnType<typeof loggedApi>>;
    let url: string;

    beforeAll(async () => {
      logged = await loggedApi(database);
      const address = await logged.api.app.start(0, "127.0.0.1");
      url = `ws://127.0.0.1:${address.port}/graphql`;
    });

    afterAll(async () => {
      await logged.api.app.stop();
    });

    it("logs a WebSocket connection and each of its operations from start to end", async () => {
      const user = await createTestUser(database.db);
      const from = logged.raw.length;
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${user.secret}` },
        retryAttempts: 0,
        // One socket for every operation, rather than one each.
        lazy: false,
      });
      for await (const result of client.iterate({ query: "query OverWs { viewer { name } }" })) expect(result).toHaveProperty("data");
      const subscription = client.iterate({ query: "subscription Watching { jobAvailable { claimable } }" });
      await subscription.next();
      await subscription.return?.();
      await expect(client.iterate({ query: "query Refused { nope }" }).next()).rejects.toEqual([
        expect.objectContaining({ message: expect.stringContaining('Cannot query field "nope"') }),
      ]);
      await client.dispose();
      await expect.poll(() => logged.raw.slice(from).some((text) => text.includes('"websocket closed"'))).toBe(true);

      const lines = logged.raw.slice(from).map((text) => JSON.parse(text) as Line);
      const viewer = { kind: "USER", id: user.id, name: user.name };
      const connectionId = lines[0]!.connectionId;
      expect(connectionId).toEqual(expect.any(String));
      for (const line of lines) expect(line.connectionId).toBe(connectionId);
      const summary = lines.map((line) => [line.msg, line.operationName ?? null]);
      expect(summary).toEqual([
        ["websocket connected", null],
        ["operation started", "OverWs"],
        ["operation completed", "OverWs"],
        ["operation started", "Watching"],
        ["operation completed", "Watching"],
        ["operation completed", "Refused"],
        ["websocket closed", null],
      ]);
      expect(lines[0]).toMatchObject({ viewer });
      const overWs = lines.filter((line) => line.operationName === "OverWs");
      expect(overWs[0]!.requestId).toEqual(expect.any(String));
      expect(overWs[1]).toMatchObject({ requestId: overWs[0]!.requestId, operationType: "query", viewer, outcome: "ok", durationMs: expect.any(Number) });
      expect(lines.find((line) => line.operationName === "Watching" && line.msg === "operation completed")).toMatchObject({
        operationType: "subscription",
        outcome: "ok",
      });
      expect(lines.find((line) => line.operationName === "Refused")).toMatchObject({ outcome: "errors", errors: ["GRAPHQL_VALIDATION_FAILED"] });
      expect(new Set(lines.filter((line) => line.requestId).map((line) => line.requestId)).size).toBe(3);
    });

    it("logs a client's error as the request's outcome, not as an unexpected error, over HTTP and WebSocket", async () => {
      const user = await createTestUser(database.db);
      const bad = { query: "query BadVariable($n: Int) { jobs(first: $n) { totalCount } }", variables: { n: "many" } };
      const from = logged.raw.length;
      // Twice over HTTP: the first sight of a document goes through yoga, the second takes the fast lane.
      for (let i = 0; i < 2; i++) {
        const answer = await fetch(url.replace(/^ws/, "http"), {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${user.secret}` },
          body: JSON.stringify(bad),
        });
        expect(answer.status).toBe(400);
        expect(((await answer.json()) as { errors: Array<{ extensions: unknown }> }).errors).toEqual([expect.objectContaining({ extensions: { code: "BAD_USER_INPUT" } })]);
      }
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${user.secret}` }, retryAttempts: 0 });
      const overSocket = await client.iterate(bad).next();
      expect(overSocket.value).toEqual({ errors: [expect.objectContaining({ extensions: { code: "BAD_USER_INPUT" } })] });
      await client.dispose();
      await expect.poll(() => logged.raw.slice(from).some((text) => text.includes('"websocket closed"'))).toBe(true);

      const lines = logged.raw.slice(from).map((text) => JSON.parse(text) as Line);
      expect(lines.filter((line) => line.level === "error" || line.msg === "unexpected error")).toEqual([]);
      const outcomes = lines.filter((line) => line.operationName === "BadVariable" && (line.msg === "request completed" || line.msg === "operation completed"));
      expect(outcomes.map((line) => [line.outcome, line.errors])).toEqual([
        ["errors", ["BAD_USER_INPUT"]],
        ["errors", ["BAD_USER_INPUT"]],
        ["errors", ["BAD_USER_INPUT"]],
      ]);
    });

    it("logs a refused WebSocket", async () => {
      const from = logged.raw.length;
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: {}, retryAttempts: 0 });
      await expect(client.iterate({ query: "{ viewer { name } }" }).next()).rejects.toMatchObject({ code: 4403 });
      await client.dispose();
      // This socket's lines, the ones that carry the connection id of the refusal.
      const lines = () => {
        const all = logged.raw.slice(from).map((text) => JSON.parse(text) as Line);
        const refused = all.find((line) => line.msg === "websocket refused");
        return all.filter((line) => refused && line.connectionId === refused.connectionId);
      };
      await expect.poll(() => lines().map((line) => line.msg)).toEqual(["websocket refused", "websocket closed"]);
      expect(lines()[1]).toMatchObject({ code: 4403 });
    });

    it("logs a subscription over server-sent events when it starts and when it ends", async () => {
      const from = logged.raw.length;
      const sse = await subscribeSse(logged.api, "subscription Available { jobAvailable { claimable } }");
      await sse.next();
      await sse.close();
      const lines = () => logged.raw.slice(from).map((text) => JSON.parse(text) as Line);
      await expect.poll(() => lines().map((line) => line.msg)).toEqual(["subscription started", "request completed", "subscription ended"]);
      const [started, response, ended] = lines() as [Line, Line, Line];
      expect(started.requestId).toEqual(expect.any(String));
      for (const line of [response, ended]) expect(line.requestId).toBe(started.requestId);
      expect(response).toMatchObject({ status: 200, outcome: "streaming", operationName: "Available" });
      expect(ended).toMatchObject({ operationName: "Available", operationType: "subscription", outcome: "ok", durationMs: expect.any(Number) });
    });
  });
});
