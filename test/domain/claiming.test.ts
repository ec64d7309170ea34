// Claiming and reclaiming work: many claimers on several gateway instances never take a job twice
// nor lose one, acquireNextJob picks the right job, and an expired lease is taken back exactly once
// and fences off the node that held it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { acquireNextJob, reclaimExpiredLeases, type ClaimFilter } from "../../src/domain/claiming.js";
import { LeaseLostError } from "../../src/domain/errors.js";
import { appendJobLog, DEFAULT_LOG_LIMITS } from "../../src/domain/logs.js";
import type { NodePrincipal } from "../../src/domain/principal.js";
import { finishTask, reportTaskProgress, startTask } from "../../src/domain/task-lifecycle.js";
import {
  acquireJob,
  finishJob,
  releaseJob,
  renewJobLease,
  reportJobProgress,
  startJob,
} from "../../src/domain/transitions.js";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, pagesRead, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

const AcquireNext = graphql(`
  mutation AcquireNextForClaiming($filter: AcquireFilter) {
    acquireNextJob(filter: $filter) {
      __typename
      ... on AcquireJobPayload { job { id status attemptCount attempts { number outcome } } lease { token expiresAt } }
      ... on Error { message }
    }
  }
`);

const Start = graphql(`
  mutation StartForClaiming($id: ID!, $leaseToken: String!) {
    startJob(id: $id, leaseToken: $leaseToken) {
      __typename
      ... on LeasePayload { job { status } lease { token } }
      ... on Error { message }
    }
  }
`);

const ReportProgress = graphql(`
  mutation ReportProgressForClaiming($id: ID!, $leaseToken: String!, $progress: Float!) {
    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {
      __typename
      ... on LeasePayload { job { progress } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const asNode = (node: TestNode): NodePrincipal => ({ kind: "NODE", nodeId: node.id, name: node.name, tokenId: node.tokenId });

/** A moment `seconds` from now: the clock reclaimExpiredLeases is run at. */
const after = (seconds: number) => new Date(Date.now() + seconds * 1000);

const lease = { leaseSeconds: 30 };

describe("claiming", () => {
  let database: TestDatabase;
  let db: Db;
  let trainId: string;
  let renderId: string;
  let worker: NodePrincipal;
  let otherWorker: NodePrincipal;
  /** One Prisma client (and pool) per gateway instance, as separate processes would have. */
  const instanceDbs: Db[] = [];
  let apis: TestApi[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    trainId = (await createTemplate(db, "train")).id;
    const render = await createTemplate(db, "render");
    await db.jobTemplate.update({ where: { id: render.id }, data: { executorName: "docker" } });
    renderId = render.id;
    worker = asNode(await createTestNode(db));
    otherWorker = asNode(await createTestNode(db));
    // createTestApi builds its app on database.db; handing each call its own client makes two
    // instances that share nothing but the database, with the default pool of 10 connections each.
    instanceDbs.push(createDb({ url: database.url, pooled: database.pooled }), createDb({ url: database.url, pooled: database.pooled }));
    apis = await Promise.all(instanceDbs.map((instanceDb) => createTestApi({ ...database, db: instanceDb })));
  });

  afterAll(async () => {
    await Promise.all(instanceDbs.map((instanceDb) => instanceDb.$disconnect()));
  });

  // acquireNextJob and reclaimExpiredLeases act on every job in the database, so each test starts
  // from none (events keep their rows, with job_id set to null).
  beforeEach(async () => {
    await db.job.deleteMany();
    await db.queue.deleteMany();
  });

  async function drain(actor: NodePrincipal, filter: ClaimFilter = {}) {
    const taken: string[] = [];
    for (let job = await acquireNextJob(db, actor, filter, lease); job; job = await acquireNextJob(db, actor, filter, lease)) {
      taken.push(job.id);
    }
    return taken;
  }

  async function takeNext(actor: NodePrincipal, filter: ClaimFilter = {}) {
    return (await acquireNextJob(db, actor, filter, lease))?.id ?? null;
  }

  const leaseExpiredEvents = (jobId: string) => db.jobEvent.findMany({ where: { jobId, kind: "LEASE_EXPIRED" }, orderBy: { id: "asc" } });

  describe("32 claimers on two gateway instances", () => {
    it("acquire each of 500 jobs exactly once and lose none", async () => {
      const ids = await createJobs(db, trainId, 500);
      const nodes = await Promise.all(Array.from({ length: 32 }, () => createTestNode(db)));

      type Acquisition = { jobId: string; nodeId: string; token: string };
      // Each claimer asks until it is told there is nothing left; 32 claimers share the two
      // instances' 20 connections, so many claims contend for the same head of the queue at once.
      async function claimUntilEmpty(api: TestApi, node: TestNode): Promise<Acquisition[]> {
        const taken: Acquisition[] = [];
        for (;;) {
          const result = await api.request(AcquireNext, {}, { token: node.secret });
          expect(result.errors).toBeUndefined();
          const payload = result.data?.acquireNextJob;
          if (payload?.__typename !== "AcquireJobPayload") throw new Error(`acquireNextJob answered ${JSON.stringify(payload)}`);
          if (!payload.job) return taken;
          expect(payload.job).toMatchObject({ status: "ACQUIRED", attemptCount: 1, attempts: [{ number: 1, outcome: null }] });
          taken.push({ jobId: decodeGlobalId(payload.job.id).id, nodeId: node.id, token: payload.lease!.token });
        }
      }

      const acquisitions = (await Promise.all(nodes.map((node, i) => claimUntilEmpty(apis[i % 2]!, node)))).flat();

      expect(acquisitions).toHaveLength(500);
      expect(new Set(acquisitions.map((a) => a.jobId))).toEqual(new Set(ids));

      const rows = await db.job.findMany({ select: { id: true, status: true, attempts: true, nodeId: true, leaseToken: true } });
      expect(rows).toHaveLength(500);
      expect(new Set(rows.map((r) => r.leaseToken)).size).toBe(500);
      const byJob = new Map(acquisitions.map((a) => [a.jobId, a]));
      for (const row of rows) {
        const acquisition = byJob.get(row.id)!;
        expect(row).toEqual({ id: row.id, status: "ACQUIRED", attempts: 1, nodeId: acquisition.nodeId, leaseToken: acquisition.token });
      }

      const acquired = await db.jobEvent.groupBy({
        by: ["jobId", "actorNodeId"],
        where: { kind: "ACQUIRED", jobId: { in: ids } },
        _count: { _all: true },
      });
      expect(acquired).toHaveLength(500);
      for (const group of acquired) {
        expect(group._count._all).toBe(1);
        expect(group.actorNodeId).toBe(byJob.get(group.jobId!)!.nodeId);
      }
    });
  });

  describe("acquireNextJob", () => {
    it("takes the highest priority first, then the oldest", async () => {
      const ids = await createJobs(db, trainId, 6, { spec: (i) => ({ priority: [0, 5, 10, 5, 0, 10][i] }) });
      expect(await drain(worker)).toEqual([ids[2], ids[5], ids[1], ids[3], ids[0], ids[4]]);
    });

    it("leaves a job whose runAfter is still to come, and a soft-deleted one", async () => {
      const [deleted, later] = await createJobs(db, trainId, 2, { spec: (i) => (i === 0 ? { deletedAt: new Date() } : {}) });
      await db.job.update({ where: { id: later! }, data: { runAfter: after(3600) } });
      expect(await takeNext(worker)).toBeNull();

      await db.job.update({ where: { id: later! }, data: { runAfter: after(-1) } });
      expect(await drain(worker)).toEqual([later]);
      expect(await db.job.findUniqueOrThrow({ where: { id: deleted! } })).toMatchObject({ status: "QUEUED", attempts: 0 });
    });

    it("takes only from the queues asked for", async () => {
      const [inDefault, inGpu] = await createJobs(db, trainId, 2, {
        spec: (i) => (i === 0 ? { priority: 10 } : { queue: "gpu" }),
      });
      expect(await takeNext(worker, { queues: ["cpu"] })).toBeNull();
      expect(await takeNext(worker, { queues: ["gpu"] })).toBe(inGpu);
      expect(await takeNext(worker, { queues: ["gpu"] })).toBeNull();
      expect(await takeNext(worker, { queues: ["cpu", "default"] })).toBe(inDefault);
    });

    it("takes only jobs of the template or executor asked for", async () => {
      const [train] = await createJobs(db, trainId, 1, { spec: () => ({ priority: 10 }) });
      const [render1, render2] = await createJobs(db, renderId, 2);
      expect(await takeNext(worker, { executorName: "docker" })).toBe(render1);
      expect(await takeNext(worker, { templateName: "train", executorName: "docker" })).toBeNull();
      expect(await takeNext(worker, { templateName: "render" })).toBe(render2);
      expect(await takeNext(worker, { templateName: "render" })).toBeNull();
      expect(await takeNext(worker, { executorName: "python" })).toBe(train);
    });

    it("takes only jobs carrying every tag asked for", async () => {
      const [gpu, gpuFast, untagged] = await createJobs(db, trainId, 3, {
        spec: (i) => [{ tags: ["gpu"], priority: 10 }, { tags: ["gpu", "fast"] }, {}][i]!,
      });
      expect(await takeNext(worker, { tags: ["fast", "gpu"] })).toBe(gpuFast);
      expect(await takeNext(worker, { tags: ["fast"] })).toBeNull();
      expect(await takeNext(worker, { tags: ["gpu"] })).toBe(gpu);
      expect(await takeNext(worker)).toBe(untagged);
    });

    it("gives a node that lists executors only jobs whose template runs on one of them", async () => {
      const dockerNode = await createTestNode(db);
      await db.workerNode.update({ where: { id: dockerNode.id }, data: { executors: ["docker", "bash"] } });
      const [train] = await createJobs(db, trainId, 1, { spec: () => ({ priority: 10 }) });
      const [render] = await createJobs(db, renderId, 1);

      expect(await takeNext(asNode(dockerNode))).toBe(render);
      expect(await takeNext(asNode(dockerNode))).toBeNull();
      expect(await takeNext(asNode(dockerNode), { executorName: "python" })).toBeNull();
      expect(await takeNext(worker)).toBe(train);
    });

    it("gives a node that declares its size only jobs whose every task fits in it", async () => {
      const small = await createTestNode(db);
      await db.workerNode.update({ where: { id: small.id }, data: { cpu: 4, memory: 8192 } });
      const [big, fits] = (await createJobs(db, trainId, 2, { spec: (i) => ({ priority: 10 - i }) })) as [string, string];
      await db.task.createMany({
        data: [
          { jobId: big, name: "huge", qsequence: 0, cpu: 16 },
          { jobId: fits, name: "small", qsequence: 0, cpu: 4, memory: 8192 },
        ],
      });
      expect(await takeNext(asNode(small))).toBe(fits);
      expect(await takeNext(asNode(small))).toBeNull();
      // A node that declares no size takes anything.
      expect(await takeNext(worker)).toBe(big);
    });
  });

  describe("acquireNextJob's plan", () => {
    // The plans PostgreSQL makes for the claim statement over a deep queue: an index walked in the
    // order claims take jobs, never every waiting job read and sorted, which made a claim cost
    // 260 ms with 100,000 jobs waiting.
    it("walks a claim-ordered index, whatever the queues asked for", async () => {
      await createJobs(db, trainId, 3000, { spec: (i) => ({ queue: i % 3 ? "deep" : "other", priority: i % 2 }) });
      // Queues an admin steered: a paused one and a limited one, which the claim checks too.
      await db.queue.createMany({ data: [{ name: "elsewhere", paused: true }, { name: "other", concurrencyLimit: 1000 }] });
      await database.pool.query("analyze jobs; analyze queues");
      for (const filter of [{}, { queues: ["deep"] }, { queues: ["deep", "other"] }]) {
        database.counter.reset();
        await acquireNextJob(db, worker, filter, lease);
        const at = database.counter.statements.findIndex((s) => s.includes("/* acquireNextJob */"));
        const { rows } = await database.pool.query({
          text: `explain (format json) ${database.counter.statements[at]}`,
          values: database.counter.parameters[at],
        });
        const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
        expect(plan, JSON.stringify(filter)).toMatch(/"Index Name":"jobs_claim(able|_order)_idx"/);
        expect(plan, JSON.stringify(filter)).not.toMatch(/"Node Type":"Sort"/);
        expect(plan, JSON.stringify(filter)).not.toMatch(/"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"jobs"/);
      }
    });

    it("finds expired leases among the held jobs only, however many others the table keeps", async () => {
      await createJobs(db, trainId, 3000);
      const [held] = (await createJobs(db, trainId, 1, { spec: () => ({ priority: 10 }) })) as [string];
      expect((await acquireNextJob(db, worker, {}, lease))?.id).toBe(held);
      await database.pool.query("analyze jobs");
      database.counter.reset();
      await reclaimExpiredLeases(db, after(lease.leaseSeconds + 1));
      const at = database.counter.statements.findIndex((s) => s.includes("/* reclaimExpiredLeases */"));
      const { rows } = await database.pool.query({
        text: `explain (format json) ${database.counter.statements[at]}`,
        values: database.counter.parameters[at],
      });
      const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
      expect(plan).toMatch(/"Index Name":"jobs_status_idx"/);
      expect(plan).not.toMatch(/"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"jobs"/);
    });
    // The gateways prepare the claim and PostgreSQL plans it once per connection, as long as the
    // plan it made for any node costs no more than those it made for one. Each ANALYZE makes it
    // plan again; when the claim's estimated cost followed the statistics of held jobs (counted per
    // queue, inline), the new plan came out dearer than the first ones and every claim after it
    // was planned afresh, which cost more than the claim.
    it("keeps one plan for the claim when the statistics of held jobs change", async () => {
      await createJobs(db, trainId, 3000, { tasks: 2, spec: (i) => ({ queue: `q${i % 50}` }) });
      await database.pool.query("analyze jobs; analyze tasks");
      database.counter.reset();
      await acquireNextJob(db, worker, {}, lease);
      const at = database.counter.statements.findIndex((s) => s.includes("/* acquireNextJob */"));
      const claim = { name: "claim", text: database.counter.statements[at]!, values: database.counter.parameters[at]! };
      const client = await database.pool.connect();
      try {
        const claimAndUndo = async () => {
          await client.query("begin");
          await client.query(claim);
          await client.query("rollback");
        };
        const plans = async () =>
          (await client.query<{ generic: string; custom: string }>("select generic_plans as generic, custom_plans as custom from pg_prepared_statements where name = 'claim'")).rows[0]!;
        for (let i = 0; i < 8; i++) await claimAndUndo();
        expect(Number((await plans()).generic)).toBeGreaterThan(0);
        const custom = (await plans()).custom;
        // Queues steered by an admin, and many jobs held, then ANALYZE, as autovacuum runs it.
        await db.queue.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ name: `q${i}`, concurrencyLimit: 100 })) });
        await database.pool.query("update jobs set status = 'RUNNING', node_id = $1 where number % 3 = 0", [worker.nodeId]);
        await database.pool.query("analyze jobs; analyze queues");
        for (let i = 0; i < 8; i++) await claimAndUndo();
        expect((await plans()).custom).toBe(custom);
      } finally {
        client.release();
      }
    });

    // Jobs waiting for their dependencies are not in the claim's indexes at all (they are WAITING,
    // not QUEUED): however many wait, and at whatever priority, a claim reads none of them.
    it("reads none of the jobs waiting for dependencies, however many wait ahead of the queued ones", async () => {
      const measure = async () => {
        database.counter.reset();
        const taken = await acquireNextJob(db, worker, {}, lease);
        return { taken, blocks: await pagesRead(database, "/* acquireNextJob */") };
      };
      await createJobs(db, trainId, 20);
      await database.pool.query("vacuum analyze jobs");
      const plain = await measure();
      await createJobs(db, trainId, 5000, { spec: () => ({ status: "WAITING", priority: 10 }) });
      await database.pool.query("vacuum analyze jobs");
      const behindWaiting = await measure();
      expect(behindWaiting.taken?.status).toBe("ACQUIRED");
      // A few pages more for the indexes of a table 5,000 rows larger (11 more in one run, where a
      // quarter more was once the bound and too tight); walking the waiting jobs costs hundreds.
      expect(behindWaiting.blocks, `pages read: ${plain.blocks} before, ${behindWaiting.blocks} with the waiting jobs`).toBeLessThanOrEqual(plain.blocks + 30);
    });

    // A holder's statements find its job by its key. Beside the key they test the job's status
    // (RUNNING, held), and where the key came from elsewhere in the statement (a task's job) the
    // planner, told by the table's statistics that few jobs run, walked jobs_status_idx instead:
    // every running job, and every dead entry a finished one left, read on each task change.
    it("finds a held job by its key in every statement its holder sends, however few jobs the statistics say run", async () => {
      await createJobs(db, trainId, 3000, { tasks: 2, spec: (i) => ({ status: i % 3 ? "SUCCEEDED" : "QUEUED" }) });
      const [jobId] = (await createJobs(db, trainId, 1, { tasks: 2, spec: () => ({ priority: 10 }) })) as [string];
      const [first, second] = await db.task.findMany({ where: { jobId }, orderBy: { qsequence: "asc" }, select: { id: true } });
      // Statistics taken while no job ran, as they often are.
      await database.pool.query("analyze jobs; analyze tasks; analyze job_events");
      const acquired = await acquireNextJob(db, worker, {}, lease);
      expect(acquired?.id).toBe(jobId);
      const token = acquired!.leaseToken!;
      database.counter.reset();
      await startJob(db, worker, jobId, token, lease);
      await startTask(db, worker, first!.id, token);
      await reportTaskProgress(db, worker, first!.id, token, 0.5);
      await finishTask(db, worker, first!.id, token, { success: true });
      await startTask(db, worker, second!.id, token);
      await finishTask(db, worker, second!.id, token, { success: true, output: "done" });
      await reportJobProgress(db, worker, jobId, { leaseToken: token, progress: 0.9 }, lease);
      await renewJobLease(db, worker, jobId, token, lease);
      await appendJobLog(db, worker, { jobId, leaseToken: token, lines: [{ stream: "STDOUT", line: "hello" }] }, DEFAULT_LOG_LIMITS);
      await finishJob(db, worker, jobId, { leaseToken: token });
      const explained = database.counter.statements
        .map((text, at) => ({ text, values: database.counter.parameters[at] }))
        .filter(({ text }) => /^\s*(\/\*[^*]*\*\/\s*)?(with|select|insert|update|delete)\b/i.test(text) && /\bjobs\b/.test(text));
      expect(explained.length).toBeGreaterThanOrEqual(10);
      for (const { text, values } of explained) {
        const { rows } = await database.pool.query({ text: `explain (format json) ${text}`, values });
        const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
        expect(plan, text).not.toMatch(/"Index Name":"jobs_status_idx"/);
        expect(plan, text).not.toMatch(/"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"(jobs|tasks)"/);
      }
    });
  });

  describe("the writes a held job takes most", () => {
    // Progress reports and lease renewals are most of a job's writes. PostgreSQL updates a row in
    // place, writing no index entries (a HOT update), only when no index covers a changed column
    // (BRIN indexes excepted, since PostgreSQL 16) and the page has room.
    async function changedColumns(jobId: string, write: () => Promise<unknown>): Promise<string[]> {
      const read = async () =>
        (await database.pool.query<{ row: Record<string, unknown> }>("select to_jsonb(j) as row from jobs j where id = $1", [jobId])).rows[0]!.row;
      const before = await read();
      await write();
      const now = await read();
      return Object.keys(now).filter((column) => JSON.stringify(now[column]) !== JSON.stringify(before[column]));
    }

    it("change only columns no HOT-blocking index of jobs covers, on pages left with room", async () => {
      const [jobId] = (await createJobs(db, trainId, 1)) as [string];
      const acquired = (await acquireNextJob(db, worker, {}, lease))!;
      await startJob(db, worker, jobId, acquired.leaseToken, lease);
      const written = new Set([
        ...(await changedColumns(jobId, () => reportJobProgress(db, worker, jobId, { leaseToken: acquired.leaseToken, progress: 0.5, detail: { step: 1 } }, lease))),
        ...(await changedColumns(jobId, () => renewJobLease(db, worker, jobId, acquired.leaseToken, lease))),
      ]);
      expect([...written].sort()).toEqual(["event_txid", "last_report_at", "lease_expires_at", "progress", "progress_detail", "updated_at", "version"]);

      const { rows: indexes } = await database.pool.query<{ name: string; definition: string }>(`
        select i.relname as name, pg_get_indexdef(i.oid) as definition
          from pg_index x join pg_class i on i.oid = x.indexrelid join pg_am am on am.oid = i.relam
         where x.indrelid = 'jobs'::regclass and am.amname <> 'brin'`);
      expect(indexes.length).toBeGreaterThan(10);
      // Key columns, expressions and partial-index predicates all count: the definition names them.
      const blocking = indexes.filter((index) => [...written].some((column) => new RegExp(`\\b${column}\\b`).test(index.definition)));
      expect(blocking).toEqual([]);

      const { rows: options } = await database.pool.query<{ options: string[] }>("select reloptions as options from pg_class where oid = 'jobs'::regclass");
      const fillfactor = Number(options[0]!.options.find((o) => o.startsWith("fillfactor="))?.split("=")[1] ?? 100);
      expect(fillfactor).toBeLessThan(100);
    });
  });

  describe("leases", () => {
    /** A job the worker acquired and started, whose lease then expired and was reclaimed. */
    async function reclaimedFromWorker() {
      const [jobId] = (await createJobs(db, trainId, 1)) as [string];
      const acquired = (await acquireNextJob(db, worker, {}, lease))!;
      await startJob(db, worker, jobId, acquired.leaseToken, lease);
      expect(await reclaimExpiredLeases(db, after(lease.leaseSeconds - 5))).toEqual({ requeued: 0, failed: 0 });
      expect(await reclaimExpiredLeases(db, after(lease.leaseSeconds + 1))).toEqual({ requeued: 1, failed: 0 });
      return { jobId, acquired, staleToken: acquired.leaseToken! };
    }

    /** The reclaimed job, acquired since by the other worker. */
    async function reacquiredByOther() {
      const reclaimed = await reclaimedFromWorker();
      // The backoff runs on the database's clock, which the test cannot move; the wait is skipped.
      await db.job.update({ where: { id: reclaimed.jobId }, data: { runAfter: after(-1) } });
      const reacquired = (await acquireNextJob(db, otherWorker, {}, lease))!;
      expect(reacquired).toMatchObject({ id: reclaimed.jobId, status: "ACQUIRED" });
      expect(reacquired.leaseToken).not.toBe(reclaimed.staleToken);
      expect(await db.job.findUniqueOrThrow({ where: { id: reclaimed.jobId } })).toMatchObject({
        attempts: 2,
        nodeId: otherWorker.nodeId,
        leaseToken: reacquired.leaseToken,
      });
      return { ...reclaimed, reacquired };
    }

    /** Every call a holder makes, with the worker's stale token. */
    const staleCalls = (jobId: string, staleToken: string): Record<string, () => Promise<unknown>> => ({
      startJob: () => startJob(db, worker, jobId, staleToken, lease),
      reportJobProgress: () => reportJobProgress(db, worker, jobId, { leaseToken: staleToken, progress: 0.5 }, lease),
      renewJobLease: () => renewJobLease(db, worker, jobId, staleToken, lease),
      finishJob: () => finishJob(db, worker, jobId, { leaseToken: staleToken }),
      releaseJob: () => releaseJob(db, worker, jobId, staleToken),
    });

    /**
     * Makes each call and names the error it was refused with, after checking that none of them
     * changed the job or added an event; comparing names shows every call's answer at once.
     */
    async function refusals(jobId: string, calls: Record<string, () => Promise<unknown>>) {
      const snapshot = async () => ({
        job: await db.job.findUniqueOrThrow({ where: { id: jobId } }),
        events: await db.jobEvent.count({ where: { jobId } }),
      });
      const before = await snapshot();
      const answers: Record<string, string> = {};
      for (const [name, call] of Object.entries(calls)) {
        answers[name] = await call().then(
          () => "accepted",
          (error: unknown) => (error instanceof Error ? error.name : String(error)),
        );
      }
      expect(await snapshot()).toEqual(before);
      return answers;
    }

    const allLeaseLost = (calls: Record<string, unknown>) => Object.fromEntries(Object.keys(calls).map((name) => [name, LeaseLostError.name]));

    it("an expired lease puts the job back in the queue after a backoff", async () => {
      const { jobId, acquired } = await reclaimedFromWorker();

      const reclaimed = await db.job.findUniqueOrThrow({ where: { id: jobId } });
      expect(reclaimed).toMatchObject({
        status: "QUEUED",
        attempts: 1,
        nodeId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        startTime: null,
        errorReason: null,
        version: acquired.version + 2,
      });
      // The first retry waits 5 s (doubling with each attempt), measured from the real clock.
      const backoff = reclaimed.runAfter.getTime() - Date.now();
      expect(backoff).toBeGreaterThan(3_000);
      expect(backoff).toBeLessThanOrEqual(5_000);
      const [expired, ...more] = await leaseExpiredEvents(jobId);
      expect(more).toHaveLength(0);
      expect(expired).toMatchObject({
        fromStatus: "RUNNING",
        toStatus: "QUEUED",
        actorNodeId: null,
        jobVersion: reclaimed.version,
        detail: { attempts: 1, retryAfter: expect.any(String) },
      });
      expect(new Date((expired!.detail as { retryAfter: string }).retryAfter)).toEqual(reclaimed.runAfter);
      expect(await takeNext(otherWorker)).toBeNull();
    });

    it("the node whose lease was reclaimed gets LeaseLostError and changes nothing", async () => {
      const { jobId, staleToken } = await reclaimedFromWorker();
      const calls = staleCalls(jobId, staleToken);
      expect(await refusals(jobId, calls)).toEqual(allLeaseLost(calls));
    });

    it("the node whose job was acquired again by another node gets LeaseLostError and changes nothing", async () => {
      const { jobId, staleToken } = await reacquiredByOther();
      const calls = staleCalls(jobId, staleToken);
      expect(await refusals(jobId, calls)).toEqual(allLeaseLost(calls));
    });

    it("the node whose job another node now runs gets LeaseLostError and changes nothing", async () => {
      const { jobId, staleToken, reacquired } = await reacquiredByOther();
      await startJob(db, otherWorker, jobId, reacquired.leaseToken, lease);
      const calls = staleCalls(jobId, staleToken);
      expect(await refusals(jobId, calls)).toEqual(allLeaseLost(calls));
    });

    it("an expired lease fails the job once its attempts are used up", async () => {
      const [jobId] = await createJobs(db, trainId, 1);
      await db.job.update({ where: { id: jobId! }, data: { maxAttempts: 1 } });
      const acquired = (await acquireNextJob(db, worker, {}, lease))!;

      expect(await reclaimExpiredLeases(db, after(lease.leaseSeconds + 1))).toEqual({ requeued: 0, failed: 1 });

      const failed = await db.job.findUniqueOrThrow({ where: { id: jobId! } });
      expect(failed).toMatchObject({
        status: "FAILED",
        errorReason: "lease expired after 1 attempts",
        attempts: 1,
        nodeId: worker.nodeId,
        leaseToken: null,
        leaseExpiresAt: null,
        version: acquired.version + 1,
      });
      expect(failed.endTime).toBeInstanceOf(Date);
      expect(await leaseExpiredEvents(jobId!)).toMatchObject([
        { fromStatus: "ACQUIRED", toStatus: "FAILED", detail: { attempts: 1, retryAfter: null }, jobVersion: failed.version },
      ]);
      expect(await takeNext(otherWorker)).toBeNull();
    });

    it("a renewed lease is not reclaimed before its new expiry", async () => {
      const [control, renewed, reported] = await createJobs(db, trainId, 3);
      const short = { leaseSeconds: 10 };
      const long = { leaseSeconds: 300 };
      const tokens = new Map<string, string>();
      for (const jobId of [control!, renewed!, reported!]) {
        tokens.set(jobId, (await acquireJob(db, worker, jobId, short)).leaseToken!);
      }
      const extended = await renewJobLease(db, worker, renewed!, tokens.get(renewed!)!, long);
      await startJob(db, worker, reported!, tokens.get(reported!)!, short);
      const progressed = await reportJobProgress(db, worker, reported!, { leaseToken: tokens.get(reported!)!, progress: 0.25 }, long);
      for (const job of [extended, progressed]) {
        expect(job.leaseToken).toBe(tokens.get(job.id));
        expect(job.leaseExpiresAt!.getTime()).toBeGreaterThan(after(long.leaseSeconds - 10).getTime());
      }

      expect(await reclaimExpiredLeases(db, after(60))).toEqual({ requeued: 1, failed: 0 });
      const stillHeld = await db.job.findMany({ where: { id: { in: [renewed!, reported!] } }, orderBy: { number: "asc" } });
      expect(stillHeld).toMatchObject([
        { status: "ACQUIRED", leaseToken: tokens.get(renewed!) },
        { status: "RUNNING", leaseToken: tokens.get(reported!) },
      ]);
      expect((await db.job.findUniqueOrThrow({ where: { id: control! } })).status).toBe("QUEUED");

      expect(await reclaimExpiredLeases(db, after(long.leaseSeconds + 1))).toEqual({ requeued: 2, failed: 0 });
    });

    it("reclaiming from two database clients at once takes back each job exactly once", async () => {
      const ids = await createJobs(db, trainId, 300);
      await Promise.all(ids.map((id) => acquireJob(db, worker, id, lease)));

      const clients = [createDb({ url: database.url, pooled: database.pooled, poolSize: 4 }), createDb({ url: database.url, pooled: database.pooled, poolSize: 4 })];
      try {
        const at = after(lease.leaseSeconds + 1);
        // Small batches from four loops per client keep both clients' statements overlapping.
        async function reclaimAll(client: Db): Promise<number> {
          let total = 0;
          for (;;) {
            const { requeued, failed } = await reclaimExpiredLeases(client, at, 20);
            if (requeued + failed === 0) return total;
            total += requeued + failed;
          }
        }
        const totals = await Promise.all(clients.flatMap((client) => Array.from({ length: 4 }, () => reclaimAll(client))));
        expect(totals.reduce((a, b) => a + b, 0)).toBe(300);
      } finally {
        await Promise.all(clients.map((client) => client.$disconnect()));
      }

      const expired = await db.jobEvent.groupBy({
        by: ["jobId"],
        where: { kind: "LEASE_EXPIRED", jobId: { in: ids } },
        _count: { _all: true },
      });
      expect(expired).toHaveLength(300);
      expect(new Set(expired.map((group) => group._count._all))).toEqual(new Set([1]));
      const rows = await db.job.findMany({ where: { id: { in: ids } }, select: { status: true, attempts: true, version: true } });
      expect(rows).toHaveLength(300);
      // Created at version 1, acquired at 2, reclaimed at 3: a second reclaim would show as 4.
      expect(new Set(rows.map((row) => `${row.status} attempts=${row.attempts} version=${row.version}`))).toEqual(
        new Set(["QUEUED attempts=1 version=3"]),
      );
    });
  });

  describe("through the API", () => {
    /** A job acquired and started through the API by a new node. */
    async function runningThroughApi() {
      const [api] = apis as [TestApi, TestApi];
      const node = await createTestNode(db);
      const [jobId] = (await createJobs(db, trainId, 1)) as [string];
      const acquired = (await api.query(AcquireNext, {}, { token: node.secret })).acquireNextJob;
      if (acquired.__typename !== "AcquireJobPayload") throw new Error(`acquireNextJob answered ${acquired.__typename}`);
      const id = acquired.job!.id;
      const leaseToken = acquired.lease!.token;
      const started = await api.query(Start, { id, leaseToken }, { token: node.secret });
      expect(started.startJob).toMatchObject({ __typename: "LeasePayload", job: { status: "RUNNING" } });
      const report = (progress: number) => api.query(ReportProgress, { id, leaseToken, progress }, { token: node.secret });
      return { jobId, report };
    }

    it("answers a progress of 1.5 with ValidationError and changes nothing", async () => {
      const { jobId, report } = await runningThroughApi();
      const before = await db.job.findUniqueOrThrow({ where: { id: jobId } });
      expect((await report(1.5)).reportJobProgress).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [{ path: ["progress"], message: "must be between 0 and 1" }],
      });
      expect(await db.job.findUniqueOrThrow({ where: { id: jobId } })).toEqual(before);
    });

    it("answers a stale lease token with LeaseLostError", async () => {
      const { jobId, report } = await runningThroughApi();
      // createTestApi's leases last 120 s.
      expect(await reclaimExpiredLeases(db, after(121))).toEqual({ requeued: 1, failed: 0 });
      expect((await report(0.5)).reportJobProgress).toMatchObject({
        __typename: "LeaseLostError",
        message: expect.stringContaining("no longer held"),
      });
      expect(await db.job.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({ status: "QUEUED", progress: 0 });
    });
  });
});
