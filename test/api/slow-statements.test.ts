// What bounds the time one request's statements may take: the statement timeout, which
// PostgreSQL enforces on every statement of the gateway's connections, answered STATEMENT_TIMEOUT;
// and the length of a search, whose cost grows with it. A statement is kept waiting here by a lock
// that a second connection holds, so the timeout fires on time, whatever the machine's speed.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse, type ExecutionResult } from "graphql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { MAX_SEARCH_LENGTH } from "../../src/domain/text.js";
import { createLogger } from "../../src/observability/logger.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser } from "../helpers/principals.js";

const TIMEOUT_MS = 300;
const JOBS = "query SlowJobs { jobs(first: 5) { totalCount edges { node { id name } } } }";
const CREATE = `mutation SlowCreate($template: String!) {
  createJob(input: { templateName: $template, name: "made while jobs were locked", inputs: [{ name: "dataset", value: "s3://data" }] }) {
    __typename
  }
}`;

type Answer = { status: number; body: ExecutionResult<Record<string, unknown>> };

/** A POST over real HTTP to the gateway's port (its fast lane answers a document from its second sight on). */
async function post(port: number, token: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

function send(api: TestApi, query: string, variables: Record<string, unknown> = {}) {
  return api.request(parse(query) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>, variables);
}

/**
 * Runs `during` while a second connection holds `lock` on `table` in a transaction, rolled back
 * after: every statement of the gateway's that reads or writes the table waits for it.
 */
async function whileLocked<T>(database: TestDatabase, table: string, lock: string, during: () => Promise<T>): Promise<T> {
  const holder: pg.PoolClient = await database.pool.connect();
  try {
    await holder.query("begin");
    await holder.query(`lock table ${table} in ${lock} mode`);
    return await during();
  } finally {
    await holder.query("rollback");
    holder.release();
  }
}

// Behind a transaction-mode pooler the gateway sets no timeout of its own (the role's applies).
describe.skipIf(Boolean(process.env.TEST_POOLER))("the statement timeout", () => {
  let database: TestDatabase;
  let db: Db;
  let api: TestApi;
  let port: number;
  let template: string;
  let jobId: string;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ url: database.url, statementTimeoutMs: TIMEOUT_MS });
    const logger = createLogger({ level: "info", destination: { write: (text: string) => void lines.push(text) } });
    api = await createTestApi({ ...database, db }, { limits: undefined, logger });
    port = (await api.app.start(0)).port;
    const made = await createTemplate(database.db);
    template = made.name;
    jobId = encodeGlobalId("Job", (await createJobs(database.db, made.id, 3))[0]!);
  });

  afterAll(async () => {
    await api.app.stop();
    await db.$disconnect();
  });

  it("cancels a read that runs past it and answers STATEMENT_TIMEOUT, through yoga and through the fast lane", async () => {
    const answers = await whileLocked(database, "jobs", "access exclusive", async () => {
      const started = performance.now();
      const inMemory = await send(api, JOBS);
      const first = await post(port, api.admin.secret, JOBS);
      const second = await post(port, api.admin.secret, JOBS);
      return { inMemory, first, second, ms: performance.now() - started };
    });
    for (const answer of [answers.inMemory, answers.first.body, answers.second.body]) {
      expect(answer.data).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors![0]).toMatchObject({ path: ["jobs"], extensions: { code: "STATEMENT_TIMEOUT" } });
      expect(answer.errors![0]!.message).toMatch(/statement timeout/);
    }
    expect(answers.first.status).toBe(200);
    expect(answers.second.status).toBe(200);
    // Three requests, each cut off at the timeout rather than left waiting for the lock.
    expect(answers.ms).toBeLessThan(3 * TIMEOUT_MS + 5_000);
    // Logged for the operator at warn, once a request (its request line names the operation); not
    // as a fault of the gateway's, with a stack.
    const logged = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(logged.filter((line) => line.level === "error")).toEqual([]);
    expect(logged.filter((line) => line.msg.includes("statement timeout"))).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ level: "warn" })));
    // The connections stay usable: the next read is answered.
    const after = await post(port, api.admin.secret, JOBS);
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data).toMatchObject({ jobs: { totalCount: 3 } });
  });

  it("leaves the fields that did not wait answered beside the one that timed out", async () => {
    const query = "query Partly($id: ID!) { viewer { __typename } job(id: $id) { name } }";
    const answer = await whileLocked(database, "jobs", "access exclusive", () => send(api, query, { id: jobId }));
    expect(answer.data).toEqual({ viewer: { __typename: "Viewer" }, job: null });
    expect(answer.errors).toMatchObject([{ path: ["job"], extensions: { code: "STATEMENT_TIMEOUT" } }]);
  });

  it("cancels a mutation that runs past it, which writes nothing", async () => {
    const counts = async () => (await database.pool.query<{ jobs: number; events: number }>("select (select count(*) from jobs)::int as jobs, (select count(*) from job_events)::int as events")).rows[0]!;
    const before = await counts();
    const answer = await whileLocked(database, "jobs", "share", () => post(port, api.admin.secret, CREATE, { template }));
    expect(answer.body.errors).toMatchObject([{ path: ["createJob"], extensions: { code: "STATEMENT_TIMEOUT" } }]);
    expect(await counts()).toEqual(before);
    // Once the lock is gone the same mutation goes through.
    const again = await post(port, api.admin.secret, CREATE, { template });
    expect(again.body.data).toEqual({ createJob: { __typename: "CreateJobPayload" } });
  });

  it("answers 503 when a request's token cannot be looked up in time", async () => {
    const user = await createTestUser(database.db, "USER");
    const answer = await whileLocked(database, "api_tokens", "access exclusive", () => post(port, user.secret, JOBS));
    expect(answer.status).toBe(503);
    expect(answer.body.errors).toMatchObject([{ extensions: { code: "STATEMENT_TIMEOUT" } }]);
    expect((await post(port, user.secret, JOBS)).body.errors).toBeUndefined();
  });

  it("is off with a timeout of 0: a read waits for the lock as long as it is held", async () => {
    const unlimited = createDb({ url: database.url, statementTimeoutMs: 0 });
    try {
      const answer = await whileLocked(database, "jobs", "access exclusive", async () => {
        const pending = unlimited.$queryRawUnsafe<Array<{ n: number }>>("select count(*)::int as n from jobs");
        await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
        return { pending };
      });
      expect(await answer.pending).toEqual([{ n: expect.any(Number) }]);
    } finally {
      await unlimited.$disconnect();
    }
  });
});

describe("the length of a search", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db);
    await createJobs(database.db, template.id, 2);
  });

  const longest = "a".repeat(MAX_SEARCH_LENGTH);
  const tooLong = "a".repeat(MAX_SEARCH_LENGTH + 1);

  it.each([
    ["a page of jobs", "query($s: String) { jobs(filter: { search: $s }) { totalCount } }", "jobs"],
    ["a page of users", "query($s: String) { users(filter: { nameContains: $s }) { totalCount } }", "users"],
  ])("refuses %s searched for more than the longest name, and takes the longest", async (_what, query, field) => {
    const refused = await send(api, query, { s: tooLong });
    // jobs is non-null, so its error nulls the whole answer; users is not.
    expect(refused.data ?? { [field]: null }).toEqual({ [field]: null });
    expect(refused.errors).toMatchObject([{ path: [field], extensions: { code: "BAD_USER_INPUT", maxLength: MAX_SEARCH_LENGTH } }]);
    expect(refused.errors![0]!.message).toMatch(`${MAX_SEARCH_LENGTH + 1} characters long; a search may be at most ${MAX_SEARCH_LENGTH}`);
    const taken = await send(api, query, { s: longest });
    expect(taken.errors).toBeUndefined();
    expect(taken.data).toEqual({ [field]: { totalCount: 0 } });
  });

  it("refuses a bulk action whose filter searches for more, and changes nothing", async () => {
    const answer = await send(api, "mutation($s: String) { cancelJobs(filter: { search: $s }) { __typename } }", { s: tooLong });
    expect(answer.errors).toMatchObject([{ path: ["cancelJobs"], extensions: { code: "BAD_USER_INPUT" } }]);
    expect((await database.pool.query("select 1 from jobs where status = 'CANCELLED'")).rowCount).toBe(0);
  });
});
