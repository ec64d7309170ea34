// Why a job is not running, where it stands in its queue, and when it will start: each reason of
// whyNotRunning made alone (every other cause absent), queuePosition in claim order, and
// estimatedStartTime from the queue's recent throughput.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate, type JobSpec } from "../helpers/fixtures.js";
import { createTestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let python: string;

const REASONS = `whyNotRunning {
  __typename code message
  ... on QueuePausedReason { queue { name paused } }
  ... on QueueAtLimitReason { queue { name } concurrencyLimit held }
  ... on NotBeforeReason { until }
  ... on BehindJobsReason { jobsAhead queue { name } }
  ... on NoNodeOnlineReason { drainingNodes }
  ... on MissingExecutorReason { executor }
  ... on RequirementsExceedNodesReason { nodesWithExecutors example }
  ... on JobDeletedReason { deletedAt }
  ... on JobFinishedReason { status endTime }
  ... on JobHeldReason { node { name } }
}`;

type Reason = Record<string, unknown> & { code: string; message: string };

async function reasons(id: string): Promise<Reason[]> {
  const answer = await sendText(api, `query ($id: ID!) { job(id: $id) { ${REASONS} } }`, { id: encodeGlobalId("Job", id) });
  return (answer.job as unknown as { whyNotRunning: Reason[] }).whyNotRunning;
}

async function job(spec: JobSpec & { runAfter?: Date; attempts?: number; templateId?: string } = {}): Promise<string> {
  const { runAfter, attempts, templateId, ...rest } = spec;
  const [id] = await createJobs(db, templateId ?? python, 1, { spec: () => rest });
  if (runAfter || attempts) await db.job.update({ where: { id: id! }, data: { ...(runAfter ? { runAfter } : {}), ...(attempts ? { attempts } : {}) } });
  return id!;
}

async function onlineNode(data: { executors?: string[]; cpu?: number; labels?: Record<string, string>; draining?: boolean } = {}) {
  const node = await createTestNode(db);
  await db.workerNode.update({ where: { id: node.id }, data: { ...data, lastSeenAt: new Date() } });
  return node;
}

const inAnHour = () => new Date(Date.now() + 3_600_000);

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  python = (await createTemplate(db, "fit")).id;
});

// Every reason depends on all jobs, queues and nodes: each test makes its own.
beforeEach(async () => {
  await db.job.deleteMany();
  await db.queue.deleteMany();
  await db.workerNode.deleteMany();
});

describe("whyNotRunning", () => {
  it("is READY alone when nothing holds a waiting job back", async () => {
    await onlineNode({ executors: ["python"] });
    expect(await reasons(await job())).toEqual([expect.objectContaining({ __typename: "ReadyReason", code: "READY" })]);
  });

  it("names a paused queue alone", async () => {
    await onlineNode();
    const id = await job({ queue: "held-back" });
    await sendText(api, `mutation { pauseQueue(name: "held-back") { __typename } }`);
    expect(await reasons(id)).toEqual([
      expect.objectContaining({ code: "QUEUE_PAUSED", queue: { name: "held-back", paused: true }, message: expect.stringContaining("paused") }),
    ]);
  });

  it("names a queue at its limit alone, with the limit and what is held", async () => {
    await onlineNode();
    await createJobs(db, python, 2, { spec: () => ({ queue: "full", status: "RUNNING" }) });
    const id = await job({ queue: "full" });
    await sendText(api, `mutation { updateQueue(input: { name: "full", concurrencyLimit: 2 }) { __typename } }`);
    expect(await reasons(id)).toEqual([expect.objectContaining({ code: "QUEUE_AT_LIMIT", queue: { name: "full" }, concurrencyLimit: 2, held: 2 })]);
  });

  it("names a runAfter not yet passed alone", async () => {
    await onlineNode();
    const until = inAnHour();
    const id = await job({ runAfter: until });
    expect(await reasons(id)).toEqual([expect.objectContaining({ __typename: "NotBeforeReason", code: "RUN_AFTER", until: until.toISOString() })]);
  });

  it("names a retry backoff alone", async () => {
    await onlineNode();
    const until = inAnHour();
    const id = await job({ runAfter: until, attempts: 1 });
    expect(await reasons(id)).toEqual([expect.objectContaining({ __typename: "NotBeforeReason", code: "RETRY_BACKOFF", until: until.toISOString() })]);
  });

  it("names the jobs ahead alone", async () => {
    await onlineNode();
    await job({ queue: "line", priority: 5 });
    await job({ queue: "line" });
    const id = await job({ queue: "line" });
    expect(await reasons(id)).toEqual([expect.objectContaining({ code: "BEHIND_JOBS", jobsAhead: 2, queue: { name: "line" }, message: expect.stringContaining("2 jobs") })]);
  });

  it("says no node is online when none has called lately, alone", async () => {
    const quiet = await createTestNode(db);
    await db.workerNode.update({ where: { id: quiet.id }, data: { lastSeenAt: new Date(Date.now() - 3_600_000) } });
    expect(await reasons(await job())).toEqual([expect.objectContaining({ code: "NO_NODE_ONLINE", drainingNodes: 0 })]);
  });

  it("counts draining nodes as no node online, and says so", async () => {
    await onlineNode({ draining: true });
    expect(await reasons(await job())).toEqual([
      expect.objectContaining({ code: "NO_NODE_ONLINE", drainingNodes: 1, message: expect.stringContaining("draining") }),
    ]);
  });

  it("names an executor no online node runs, alone", async () => {
    await onlineNode({ executors: ["docker"] });
    expect(await reasons(await job())).toEqual([expect.objectContaining({ code: "NO_NODE_WITH_EXECUTOR", executor: "python" })]);
  });

  it("names an executor only a task needs, when no online node runs it", async () => {
    await onlineNode({ executors: ["python"] });
    const id = await job();
    await db.task.create({ data: { jobId: id, name: "render", qsequence: 0, executorName: "blender" } });
    expect(await reasons(id)).toEqual([expect.objectContaining({ code: "NO_NODE_WITH_EXECUTOR", executor: "blender" })]);
  });

  it("says its requirements exceed every node's, alone, with what one node lacks", async () => {
    await onlineNode({ executors: ["python"], cpu: 2 });
    const id = await job();
    await db.task.create({ data: { jobId: id, name: "big", qsequence: 0, cpu: 8 } });
    expect(await reasons(id)).toEqual([
      expect.objectContaining({ code: "REQUIREMENTS_EXCEED_NODES", nodesWithExecutors: 1, example: expect.stringContaining("8 vCPUs") }),
    ]);
  });

  it("says a job's required labels no node carries exceed the nodes'", async () => {
    await onlineNode({ labels: { gpu: "t4" } });
    const id = await job();
    await db.job.update({ where: { id }, data: { requiredLabels: { gpu: "a100" } } });
    expect(await reasons(id)).toEqual([expect.objectContaining({ code: "REQUIREMENTS_EXCEED_NODES", example: expect.stringContaining("gpu=a100") })]);
  });

  it("gives every reason that applies at once, in a fixed order", async () => {
    await job({ queue: "many" });
    const id = await job({ queue: "many", runAfter: inAnHour() });
    await sendText(api, `mutation { pauseQueue(name: "many") { __typename } }`);
    expect((await reasons(id)).map((r) => r.code)).toEqual(["QUEUE_PAUSED", "RUN_AFTER", "BEHIND_JOBS", "NO_NODE_ONLINE"]);
  });

  it("is DELETED alone for a deleted job, FINISHED alone for a finished one, HELD for an acquired one and empty while running", async () => {
    const node = await onlineNode();
    const deleted = await job({ deletedAt: new Date() });
    const succeeded = await job({ status: "SUCCEEDED" });
    const running = await job({ status: "RUNNING" });
    const acquired = await job({ status: "ACQUIRED" });
    await db.job.update({ where: { id: acquired }, data: { nodeId: node.id } });
    expect(await reasons(deleted)).toEqual([expect.objectContaining({ code: "DELETED", deletedAt: expect.any(String) })]);
    expect(await reasons(succeeded)).toEqual([expect.objectContaining({ code: "FINISHED", status: "SUCCEEDED" })]);
    expect(await reasons(acquired)).toEqual([expect.objectContaining({ code: "HELD", node: { name: node.name } })]);
    expect(await reasons(running)).toEqual([]);
  });
});

describe("queuePosition", () => {
  async function positions(ids: string[]) {
    const answer = await sendText(api, `query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Job { queuePosition } } }`, {
      ids: ids.map((id) => encodeGlobalId("Job", id)),
    });
    return (answer.nodes as unknown as Array<{ queuePosition: number | null }>).map((n) => n.queuePosition);
  }

  it("counts the claimable jobs of its queue before it in claim order: priority, then age", async () => {
    const low = await job({ queue: "order", priority: -1 });
    const first = await job({ queue: "order" });
    const urgent = await job({ queue: "order", priority: 10 });
    const second = await job({ queue: "order" });
    expect(await positions([urgent, first, second, low])).toEqual([0, 1, 2, 3]);
  });

  it("leaves out jobs not claimable yet, deleted ones and other queues, and is null for jobs not waiting", async () => {
    await job({ queue: "other" });
    await job({ queue: "mixed", runAfter: inAnHour() });
    await job({ queue: "mixed", deletedAt: new Date() });
    await job({ queue: "mixed", status: "RUNNING" });
    const waiting = await job({ queue: "mixed" });
    const later = await job({ queue: "mixed", runAfter: inAnHour() });
    const running = await job({ queue: "mixed", status: "RUNNING" });
    const deleted = await job({ queue: "mixed", deletedAt: new Date() });
    // A job that cannot be claimed yet still has its place: the claimable jobs before it.
    expect(await positions([waiting, later, running, deleted])).toEqual([0, 1, null, null]);
  });

  it("moves up as the jobs ahead are claimed", async () => {
    const node = await onlineNode();
    await job({ queue: "moving" });
    await job({ queue: "moving" });
    const last = await job({ queue: "moving" });
    expect(await positions([last])).toEqual([2]);
    await sendText(api, `mutation { acquireNextJob(filter: { queues: ["moving"] }) { __typename } }`, {}, node.secret);
    expect(await positions([last])).toEqual([1]);
  });
});

describe("queuePosition far back in a deep queue", () => {
  it("is exact from a snapshot of the queue no older than 2 s, and exact at once near the front", async () => {
    const ids = await createJobs(db, python, 250, { spec: () => ({ queue: "deep" }) });
    const at = async (id: string) =>
      ((await sendText(api, `query ($id: ID!) { job(id: $id) { queuePosition } }`, { id: encodeGlobalId("Job", id) })).job as unknown as { queuePosition: number })
        .queuePosition;
    expect(await at(ids[249]!)).toBe(249);
    expect(await at(ids[150]!)).toBe(150);
    expect(await at(ids[5]!)).toBe(5);
    await job({ queue: "deep", priority: 1 });
    // Near the front, the new job ahead counts at once; far back, once the snapshot is renewed.
    expect(await at(ids[5]!)).toBe(6);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await at(ids[249]!)).toBe(250);
  });
});

describe("estimatedStartTime", () => {
  const ESTIMATE = `estimatedStartTime { time earliest latest confidence basis }`;
  type Estimate = { time: string; earliest: string; latest: string; confidence: number; basis: string } | null;

  async function estimate(id: string): Promise<Estimate> {
    const answer = await sendText(api, `query ($id: ID!) { job(id: $id) { ${ESTIMATE} } }`, { id: encodeGlobalId("Job", id) });
    return (answer.job as unknown as { estimatedStartTime: Estimate }).estimatedStartTime;
  }

  /** Jobs of `queue` that ended over the last `minutes`, evenly spread. */
  async function finished(queue: string, count: number, minutes: number) {
    const ids = await createJobs(db, python, count, { spec: () => ({ queue, status: "SUCCEEDED" }) });
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      const end = new Date(now - ((i + 0.5) * minutes * 60_000) / count);
      await db.job.update({ where: { id }, data: { endTime: end, startTime: new Date(end.getTime() - 10_000) } });
    }
  }

  it("is null while the queue has finished too few jobs to say how fast it moves", async () => {
    await finished("new", 2, 5);
    expect(await estimate(await job({ queue: "new" }))).toBeNull();
  });

  it("comes from the jobs ahead and the last 5 minutes' throughput, with a range around it", async () => {
    await finished("steady", 30, 5);
    for (let i = 0; i < 5; i++) await job({ queue: "steady" });
    const id = await job({ queue: "steady" });
    const before = Date.now();
    const e = (await estimate(id))!;
    // 30 jobs in 300 s: one every 10 s; 5 ahead, so it starts when 6 have ended: in about 60 s.
    const seconds = (new Date(e.time).getTime() - before) / 1000;
    expect(seconds).toBeGreaterThan(55);
    expect(seconds).toBeLessThan(65);
    expect(new Date(e.earliest).getTime()).toBeLessThan(new Date(e.time).getTime());
    expect(new Date(e.latest).getTime()).toBeGreaterThan(new Date(e.time).getTime());
    expect(e.confidence).toBe(0.8);
    expect(e.basis).toContain("5 ahead");
  });

  it("never comes before the job's runAfter, and is null for a paused queue or a job not waiting", async () => {
    await finished("waits", 30, 5);
    const until = inAnHour();
    const later = await job({ queue: "waits", runAfter: until });
    expect(new Date((await estimate(later))!.time).getTime()).toBeGreaterThanOrEqual(until.getTime());
    const running = await job({ queue: "waits", status: "RUNNING" });
    expect(await estimate(running)).toBeNull();
    const waiting = await job({ queue: "waits" });
    await sendText(api, `mutation { pauseQueue(name: "waits") { __typename } }`);
    expect(await estimate(waiting)).toBeNull();
  });
});

describe("a page of 50 waiting jobs", () => {
  const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);
  const PAGE = `query ($first: Int!) { jobs(first: $first, filter: { status: [QUEUED] }) { edges { node {
    queuePosition ${REASONS} estimatedStartTime { time }
  } } } }`;

  it("reads positions, reasons and estimates in statements constant in page size", async () => {
    await onlineNode();
    await createJobs(db, python, 60, { spec: (i) => ({ queue: `q${i % 3}`, priority: i % 4 }) });
    await sendText(api, `mutation { pauseQueue(name: "q1") { __typename } }`);
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await sendText(api, PAGE, { first });
      return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
    };
    const small = await counted(5);
    const large = await counted(50);
    const edges = (large.data.jobs as unknown as { edges: Array<{ node: { queuePosition: number; whyNotRunning: Reason[] } }> }).edges;
    expect(edges).toHaveLength(50);
    expect(edges.every((e) => e.node.queuePosition >= 0 && e.node.whyNotRunning.length > 0)).toBe(true);
    // Jobs, positions, reasons, queue settings and stats, some read again where resolvers fall into later ticks.
    expect(large.statements.length, large.statements.join("\n---\n")).toBeLessThanOrEqual(small.statements.length);
    expect(large.statements.length, large.statements.join("\n---\n")).toBeLessThanOrEqual(8);
  });

  it("says of each job no node fits what the closest node lacks, in statements constant in page size", async () => {
    await onlineNode({ executors: ["python"], cpu: 2, labels: { gpu: "t4" } });
    const ids = await createJobs(db, python, 40, { spec: (i) => ({ queue: "unfit", priority: 40 - i }) });
    // Even jobs have a task too big for the node, odd ones require a label it lacks.
    await db.task.createMany({ data: ids.filter((_, i) => i % 2 === 0).map((jobId, i) => ({ jobId, name: `big-${i}`, qsequence: 0, cpu: 3 + (i % 5) })) });
    for (const [i, id] of ids.entries()) if (i % 2) await db.job.update({ where: { id }, data: { requiredLabels: { gpu: `a${i}` } } });
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await sendText(api, `query ($first: Int!) { jobs(first: $first, filter: { queue: "unfit" }, orderBy: { field: PRIORITY, direction: DESC }) {
        edges { node { ${REASONS} } } } }`, { first });
      const edges = (data.jobs as unknown as { edges: Array<{ node: { whyNotRunning: Reason[] } }> }).edges;
      return { examples: edges.map((e) => e.node.whyNotRunning.find((r) => r.code === "REQUIREMENTS_EXCEED_NODES")?.example), statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
    };
    const small = await counted(4);
    const large = await counted(40);
    expect(large.examples).toHaveLength(40);
    for (const [i, example] of large.examples.entries()) {
      expect(example).toBe(i % 2 === 0 ? `task "big-${i / 2}" does not fit the node: it needs ${3 + ((i / 2) % 5)} vCPUs and the node offers 2` : `the job requires labels the node does not have: gpu=a${i}`);
    }
    expect(small.examples).toEqual(large.examples.slice(0, 4));
    expect(large.statements.length, large.statements.join("\n---\n")).toBe(small.statements.length);
  });
});
