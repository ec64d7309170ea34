// Job logs: the holder appends batches of lines under its lease; anyone who may read the job pages
// them forwards and backwards; each job keeps its newest lines within its limits and counts the
// rest; bad input changes nothing; jobLog tails a job's lines live from another gateway instance,
// resumes from a cursor without gaps or duplicates, and ends with the job. Lines are not events.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { appendJobLog } from "../../src/domain/logs.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, pagesRead, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
/** A second gateway instance on the same database, with its own pool. */
let other: TestApi;
let otherDb: Db;
let onOther: Subscribers;
let node: TestNode;
let stranger: TestNode;
let templateId: string;

const LIMITS = { maxLines: 50, maxBytes: 2000 };

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database, { settings: { logLimits: LIMITS } });
  await api.app.start(0);
  otherDb = createDb({ url: database.url, pooled: database.pooled });
  other = await createTestApi({ ...database, db: otherDb }, { settings: { logLimits: LIMITS } });
  onOther = new Subscribers(`ws://127.0.0.1:${(await other.app.start(0)).port}/graphql`, other);
  node = await createTestNode(db);
  stranger = await createTestNode(db);
  templateId = (await createTemplate(db)).id;
});

afterAll(async () => {
  await onOther.stop();
  await api.app.stop();
  await other.app.stop();
  await otherDb.$disconnect();
});

type Held = { id: string; uuid: string; lease: string; task: string };

async function held(): Promise<Held> {
  const [uuid] = await createJobs(db, templateId, 1, { tasks: 1 });
  const id = encodeGlobalId("Job", uuid!);
  const acquired = await sendText(api, `mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await sendText(api, `mutation ($id: ID!, $t: String!) { startJob(id: $id, leaseToken: $t) { __typename } }`, { id, t: lease }, node.secret);
  const task = await db.task.findFirstOrThrow({ where: { jobId: uuid! } });
  return { id, uuid: uuid!, lease, task: encodeGlobalId("Task", task.id) };
}

type Line = { stream?: string; line: string; at?: string };
type Answer = Record<string, unknown> & { __typename: string };

async function append(job: Held, lines: Line[], options: { task?: string; lease?: string; as?: TestNode; through?: TestApi } = {}): Promise<Answer> {
  const answer = await sendText(
    options.through ?? api,
    `mutation ($input: AppendJobLogInput!) { appendJobLog(input: $input) {
       __typename ... on AppendJobLogPayload { accepted lastCursor logStats { lines bytes droppedLines droppedBytes } }
       ... on Error { message } ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { job: job.id, leaseToken: options.lease ?? job.lease, ...(options.task ? { task: options.task } : {}), lines: lines.map((l) => ({ stream: "STDOUT", ...l })) } },
    (options.as ?? node).secret,
  );
  return answer.appendJobLog as Answer;
}

const domainLines = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ stream: "STDOUT" as const, line: `line ${from + i}` }));
const numbered = (from: number, count: number, stream = "STDOUT") => Array.from({ length: count }, (_, i) => ({ stream, line: `line ${from + i}` }));

async function page(job: Held, args: string): Promise<{ lines: string[]; seqs: number[]; pageInfo: Record<string, unknown> }> {
  const answer = await sendText(api, `query ($id: ID!) { job(id: $id) { log(${args}) { edges { cursor node { seq line stream } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, {
    id: job.id,
  });
  const log = (answer.job as unknown as { log: { edges: Array<{ node: { seq: number; line: string } }>; pageInfo: Record<string, unknown> } }).log;
  return { lines: log.edges.map((e) => e.node.line), seqs: log.edges.map((e) => e.node.seq), pageInfo: log.pageInfo };
}

describe("appendJobLog", () => {
  it("appends a batch in order, and pages forwards and backwards by cursor", async () => {
    const job = await held();
    const first = await append(job, [...numbered(1, 3), { stream: "STDERR", line: "oops", at: "2026-12-05T10:00:00.000Z" }]);
    expect(first).toMatchObject({ __typename: "AppendJobLogPayload", accepted: 4, logStats: { lines: 4, droppedLines: 0 } });
    await append(job, numbered(4, 3));
    const start = await page(job, "first: 3");
    expect(start.lines).toEqual(["line 1", "line 2", "line 3"]);
    expect(start.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const rest = await page(job, `first: 10, after: "${start.pageInfo.endCursor as string}"`);
    expect(rest.lines).toEqual(["oops", "line 4", "line 5", "line 6"]);
    const newest = await page(job, "last: 2");
    expect(newest.lines).toEqual(["line 5", "line 6"]);
    expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true });
    const before = await page(job, `last: 2, before: "${newest.pageInfo.startCursor as string}"`);
    expect(before.lines).toEqual(["oops", "line 4"]);
    const stderr = await sendText(api, `query ($id: ID!) { job(id: $id) { log(first: 10) { edges { node { stream at } } } } }`, { id: job.id });
    expect((stderr.job as unknown as { log: { edges: Array<{ node: { stream: string; at: string } }> } }).log.edges[3]!.node).toEqual({
      stream: "STDERR",
      at: "2026-12-05T10:00:00.000Z",
    });
  });

  it("keeps a task's lines apart, on the task and in the job's log", async () => {
    const job = await held();
    await append(job, numbered(1, 2));
    await append(job, [{ line: "task says hi" }], { task: job.task });
    const answer = await sendText(api, `query ($id: ID!) { node(id: $id) { ... on Task { log(first: 10) { edges { node { line task { id } } } } } } }`, { id: job.task });
    expect((answer.node as unknown as { log: { edges: unknown[] } }).log.edges).toEqual([{ node: { line: "task says hi", task: { id: job.task } } }]);
    expect((await page(job, "first: 10")).lines).toEqual(["line 1", "line 2", "task says hi"]);
  });

  it("drops the oldest lines past the job's limits, and counts them", async () => {
    const job = await held();
    await append(job, numbered(1, 30));
    const more = await append(job, numbered(31, 30));
    expect(more).toMatchObject({ logStats: { lines: 60, droppedLines: 10 } });
    const kept = await page(job, "first: 100");
    expect(kept.seqs[0]).toBe(11);
    expect(kept.lines).toHaveLength(50);
    // Bytes: 20 lines of 100 bytes pass the 2,000-byte limit with the lines already there.
    const big = await append(job, Array.from({ length: 20 }, (_, i) => ({ line: `${String(i).padStart(2, "0")}${"x".repeat(98)}` })));
    const stats = (big as unknown as { logStats: { bytes: number; droppedBytes: number; droppedLines: number } }).logStats;
    const after = await page(job, "first: 100");
    expect(after.lines).toHaveLength(20);
    expect(after.lines[0]!.startsWith("00")).toBe(true);
    expect(stats.droppedLines).toBe(60);
    expect(stats.bytes - stats.droppedBytes).toBe(2000);
  });

  // The lines an append drops are the oldest: found from the log's start in key order, they cost
  // what is dropped, not what is kept (the statement once read every line of the job each time).
  it("reads only the lines it drops when a long log is at its limits", async () => {
    const job = await held();
    const actor = { kind: "NODE", nodeId: node.id, name: node.name, tokenId: node.tokenId } as const;
    const limits = { maxLines: 5000, maxBytes: 10_000_000 };
    for (let batch = 0; batch < 5; batch++) {
      await appendJobLog(db, actor, { jobId: job.uuid, leaseToken: job.lease, lines: domainLines(batch * 1000 + 1, 1000) }, limits);
    }
    await database.pool.query("vacuum analyze job_log_lines");
    database.counter.reset();
    await appendJobLog(db, actor, { jobId: job.uuid, leaseToken: job.lease, lines: domainLines(5001, 1) }, limits);
    // 5,000 lines of about 10 bytes fill some 40 pages, each read had the whole log been read.
    expect(await pagesRead(database, "/* appendJobLog */")).toBeLessThan(40);
    expect((await page(job, "first: 1")).lines).toEqual(["line 2"]);
  });

  it("keeps the newest lines of a batch larger than the limits", async () => {
    const job = await held();
    const answer = await append(job, numbered(1, 80));
    expect(answer).toMatchObject({ accepted: 50, logStats: { lines: 50, droppedLines: 30 } });
    expect((await page(job, "first: 1")).lines).toEqual(["line 31"]);
  });

  it("refuses bad input with a typed error, writing nothing", async () => {
    const job = await held();
    const cases: Array<[string, () => Promise<Answer>, string]> = [
      ["an empty batch", () => append(job, []), "ValidationError"],
      ["a 65 KiB line", () => append(job, [{ line: "x".repeat(65 * 1024) }]), "ValidationError"],
      ["a NUL", () => append(job, [{ line: "a\u0000b" }]), "ValidationError"],
      ["a stranger's lease", () => append(job, numbered(1, 1), { as: stranger }), "LeaseLostError"],
      ["a wrong lease", () => append(job, numbered(1, 1), { lease: "00000000-0000-4000-8000-000000000000" }), "LeaseLostError"],
      ["another job's task", async () => append(job, numbered(1, 1), { task: (await held()).task }), "NotFoundError"],
    ];
    for (const [what, run, error] of cases) expect((await run()).__typename, what).toBe(error);
    // A list longer than the gateway takes anywhere is refused before any resolver runs.
    const tooMany = await append(job, numbered(1, 1001)).catch((e: Error) => e.message);
    expect(String(tooMany)).toContain("LIST_TOO_LONG");
    const user = await createTestUser(db);
    const byUser = await sendText(api, `mutation ($input: AppendJobLogInput!) { appendJobLog(input: $input) { __typename } }`, {
      input: { job: job.id, leaseToken: job.lease, lines: [{ stream: "STDOUT", line: "x" }] },
    }, user.secret);
    expect(byUser.appendJobLog!.__typename).toBe("ForbiddenError");
    await sendText(api, `mutation ($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: job.id });
    expect((await append(job, numbered(1, 1))).__typename).toBe("InvalidTransitionError");
    const badTime = await sendText(api, `mutation ($input: AppendJobLogInput!) { appendJobLog(input: $input) { __typename } }`, {
      input: { job: job.id, leaseToken: job.lease, lines: [{ stream: "STDOUT", line: "x", at: "yesterday" }] },
    }, node.secret).catch((e: Error) => e.message);
    expect(String(badTime)).toContain("DateTime");
    expect(await db.jobLogLine.count({ where: { jobId: job.uuid } })).toBe(0);
  });

  it("numbers the lines of concurrent appends to one job without gaps or repeats", async () => {
    const job = await held();
    await Promise.all(Array.from({ length: 8 }, (_, i) => append(job, numbered(i * 5, 5), { through: i % 2 ? other : api })));
    const rows = await db.jobLogLine.findMany({ where: { jobId: job.uuid }, orderBy: { seq: "asc" } });
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Each batch's lines stayed together, in order.
    for (let i = 0; i < 40; i += 5) expect(Number(rows[i]!.line.split(" ")[1]) % 5).toBe(0);
  });

  // The job's counters row is made by its first append and locked by the later ones, in the same
  // statement as the lines: a worker's batch costs one statement (and one commit) either way.
  it("appends in one statement, the job's first batch and a later one alike", async () => {
    const job = await held();
    for (const from of [1, 4]) {
      const before = database.counter.statements.length;
      expect(await append(job, numbered(from, 3))).toMatchObject({ __typename: "AppendJobLogPayload", logStats: { lines: from + 2 } });
      const sent = database.counter.statements.slice(before).filter((sql) => !/\/\* (authenticate|touchToken|announceLogs|wakeInstances) \*\//.test(sql));
      expect(sent, sent.join("\n\n")).toHaveLength(1);
    }
    expect((await page(job, "first: 10")).seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("answers NotFoundError, not an unexpected error, when the job is deleted for good while the append waits", async () => {
    const job = await held();
    await append(job, numbered(1, 2));
    // The deletion holds the job's log counters (their row goes with the job); the append waits
    // for them, then finds the job gone.
    const holder = await database.pool.connect();
    try {
      await holder.query("begin");
      await holder.query("select 1 from job_log_stats where job_id = $1 for update", [job.uuid]);
      const answer = append(job, numbered(3, 2));
      for (let tries = 0; ; tries++) {
        const { rows } = await database.pool.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
        if (rows[0]!.n > 0) break;
        if (tries > 200) throw new Error("the append never waited for the counters");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await holder.query("delete from jobs where id = $1", [job.uuid]);
      await holder.query("commit");
      expect(await answer).toMatchObject({ __typename: "NotFoundError" });
    } finally {
      holder.release();
    }
    expect(await db.jobLogLine.count({ where: { jobId: job.uuid } })).toBe(0);
  });

  it("writes no job events", async () => {
    const job = await held();
    const before = await db.jobEvent.count({ where: { jobId: job.uuid } });
    await append(job, numbered(1, 20));
    expect(await db.jobEvent.count({ where: { jobId: job.uuid } })).toBe(before);
  });
});

describe("jobLog", () => {
  const Tail = parse(`subscription ($job: ID!, $after: String) { jobLog(job: $job, after: $after) { cursor seq line } }`) as TypedDocumentNode<
    { jobLog: { cursor: string; seq: number; line: string } },
    { job: string; after?: string | null }
  >;

  it("replays, then tails lines appended through another instance, and ends with the job", async () => {
    const job = await held();
    await append(job, numbered(1, 3));
    const feed = onOther.subscribe(onOther.connect(), Tail, { job: job.id });
    expect((await feed.take(3)).map((m) => m.jobLog.line)).toEqual(["line 1", "line 2", "line 3"]);
    await append(job, numbered(4, 2));
    expect((await feed.take(2, 3000)).map((m) => m.jobLog.seq)).toEqual([4, 5]);
    await sendText(api, `mutation ($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: job.id });
    const ended = await feed.until(() => false, "the end").then(() => "", (e: Error) => e.message);
    expect(ended).toContain("ended (completed)");
  });

  // Workers of many jobs append at once: one NOTIFY names every job whose log grew in a burst,
  // and the other instance's tails of each of them hear of it.
  it("announces a burst of appends to many jobs in fewer NOTIFYs than appends, and every tail hears its own", async () => {
    const jobs = await Promise.all(Array.from({ length: 8 }, () => held()));
    const feeds = jobs.map((job) => onOther.subscribe(onOther.connect(), Tail, { job: job.id }));
    await Promise.all(feeds.map((feed) => feed.quiet(300)));
    database.counter.reset();
    await Promise.all(jobs.map((job, i) => append(job, [{ line: `burst ${i}` }])));
    const lines = await Promise.all(feeds.map(async (feed) => (await feed.take(1, 3000))[0]!.jobLog.line));
    expect(lines).toEqual(jobs.map((_, i) => `burst ${i}`));
    const announcements = database.counter.statements.filter((text) => text.includes("/* announceLogs */")).length;
    expect(announcements).toBeGreaterThanOrEqual(1);
    // One NOTIFY per 20 ms at most: fewer than the appends (8, one each, before), however a busy
    // machine spreads them.
    expect(announcements).toBeLessThan(jobs.length);
  });

  it("resumes from a cursor after a reconnection, without gaps or duplicates", async () => {
    const job = await held();
    await append(job, numbered(1, 4));
    const first = onOther.subscribe(onOther.connect(), Tail, { job: job.id });
    const seen = await first.take(4);
    first.stop();
    await append(job, numbered(5, 3));
    const again = onOther.subscribe(onOther.connect(), Tail, { job: job.id, after: seen[1]!.jobLog.cursor });
    expect((await again.take(5)).map((m) => m.jobLog.seq)).toEqual([3, 4, 5, 6, 7]);
    await again.quiet(500);
  });
});
