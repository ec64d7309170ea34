// Jobs that wait for other jobs: createJob's dependsOn and createWorkflow's graph of jobs, refused
// whole when any part is wrong; a waiting job is never claimed before its dependencies succeed;
// success, failure and reset reach the jobs waiting, by their policy, and two dependencies that
// finish at once on two gateway instances free their dependent exactly once.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { acquireNextJob, reclaimExpiredLeases } from "../../src/domain/claiming.js";
import type { NodePrincipal } from "../../src/domain/principal.js";
import { finishJob, startJob } from "../../src/domain/transitions.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let node: TestNode;

const lease = { leaseSeconds: 60 };
const asNode = (n: TestNode): NodePrincipal => ({ kind: "NODE", nodeId: n.id, name: n.name, tokenId: n.tokenId });
const gid = (id: string) => encodeGlobalId("Job", id);
/** The input the test template requires. */
const DATASET = [{ name: "dataset", value: "s3://data/set" }];

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  await createTemplate(db, "step");
  node = await createTestNode(db);
});

beforeEach(async () => {
  await db.job.deleteMany();
  await db.workflow.deleteMany();
});

type Answer = Record<string, unknown> & { __typename: string };

async function createJob(input: Record<string, unknown>): Promise<Answer> {
  const data = await sendText(
    api,
    `mutation ($input: CreateJobInput!) { createJob(input: $input) {
       __typename
       ... on CreateJobPayload { job { id status dependencies { id } } }
       ... on ValidationError { message fieldErrors { path message } }
     } }`,
    { input: { templateName: "step", inputs: DATASET, ...input } },
  );
  return data.createJob as Answer;
}

async function createWorkflow(input: Record<string, unknown>): Promise<Answer> {
  const data = await sendText(
    api,
    `mutation ($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
       __typename
       ... on CreateWorkflowPayload { workflow { id name } jobs { key job { id status } } }
       ... on ValidationError { message fieldErrors { path message } }
     } }`,
    { input },
  );
  return data.createWorkflow as Answer;
}

/** A workflow job of the test template. */
const step = (key: string, after: string[] = [], job: Record<string, unknown> = {}) => ({ key, after, job: { templateName: "step", name: key, inputs: DATASET, ...job } });

async function keyed(input: Record<string, unknown>): Promise<{ workflowId: string; ids: Record<string, string> }> {
  const made = await createWorkflow(input);
  expect(made.__typename).toBe("CreateWorkflowPayload");
  const jobs = made.jobs as Array<{ key: string; job: { id: string } }>;
  return {
    workflowId: (made.workflow as { id: string }).id,
    ids: Object.fromEntries(jobs.map((j) => [j.key, decodeGlobalId(j.job.id).id])),
  };
}

async function statusOf(id: string) {
  return (await db.job.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
}

/** Claims the next job as the test node and finishes it (an error fails it for good). */
async function runNext(error?: string): Promise<string | null> {
  const job = await acquireNextJob(db, asNode(node), {}, lease);
  if (!job) return null;
  await startJob(db, asNode(node), job.id, job.leaseToken, lease);
  await finishJob(db, asNode(node), job.id, { leaseToken: job.leaseToken, ...(error ? { error } : {}) });
  return job.id;
}

describe("createJob with dependsOn", () => {
  it("waits, unclaimable, until every dependency has succeeded, then is queued with a DEPENDENCIES_MET event", async () => {
    const first = decodeGlobalId(((await createJob({ name: "first" })).job as { id: string }).id).id;
    const second = decodeGlobalId(((await createJob({ name: "second" })).job as { id: string }).id).id;
    const made = await createJob({ name: "last", dependsOn: [gid(first), gid(second)], priority: 100 });
    expect(made.job).toMatchObject({ status: "WAITING", dependencies: [{ id: gid(first) }, { id: gid(second) }] });
    const last = decodeGlobalId((made.job as { id: string }).id).id;
    // The waiting job has the highest priority, and still the claims take the others first.
    expect(await runNext()).toBe(first);
    expect(await statusOf(last)).toBe("WAITING");
    expect(await runNext()).toBe(second);
    expect(await statusOf(last)).toBe("QUEUED");
    const events = await db.jobEvent.findMany({ where: { jobId: last }, orderBy: { id: "asc" }, select: { kind: true, toStatus: true, jobVersion: true } });
    expect(events).toEqual([
      { kind: "CREATED", toStatus: "WAITING", jobVersion: 1 },
      { kind: "DEPENDENCIES_MET", toStatus: "QUEUED", jobVersion: 2 },
    ]);
    expect(await runNext()).toBe(last);
  });

  it("is queued at once when its dependencies have all succeeded already", async () => {
    const first = decodeGlobalId(((await createJob({ name: "first" })).job as { id: string }).id).id;
    await runNext();
    expect((await createJob({ dependsOn: [gid(first)] })).job).toMatchObject({ status: "QUEUED" });
  });

  it("is reused by findOrCreate only after a succeeded or running equal job", async () => {
    const done = decodeGlobalId(((await createJob({ name: "done" })).job as { id: string }).id).id;
    await runNext();
    const blocker = decodeGlobalId(((await createJob({ name: "blocker", inputs: [{ name: "dataset", value: "s3://elsewhere" }] })).job as { id: string }).id).id;
    // An equal job (the same template and inputs) that waits for another one.
    await createJob({ name: "waiting", dependsOn: [gid(blocker)] });
    const found = await sendText(api, `mutation ($input: CreateJobInput!) { createJob(input: $input) { ... on CreateJobPayload { outcome job { id } } } }`, {
      input: { templateName: "step", inputs: DATASET, findOrCreate: true },
    });
    expect(found.createJob).toEqual({ outcome: "REUSED", job: { id: gid(done) } });
  });

  it("refuses unknown, deleted, repeated and failed dependencies, naming each, and writes nothing", async () => {
    const failed = decodeGlobalId(((await createJob({ name: "fails" })).job as { id: string }).id).id;
    await runNext("broken");
    const deleted = decodeGlobalId(((await createJob({ name: "gone" })).job as { id: string }).id).id;
    await db.job.update({ where: { id: deleted }, data: { deletedAt: new Date() } });
    const before = await db.job.count();
    const unknown = gid("00000000-0000-4000-8000-000000000000");
    const refused = await createJob({ dependsOn: [unknown, gid(deleted), gid(failed), gid(failed)] });
    expect(refused.__typename).toBe("ValidationError");
    expect(refused.fieldErrors).toEqual([
      { path: ["dependsOn", "0"], message: "no such job" },
      { path: ["dependsOn", "1"], message: expect.stringContaining("is deleted") },
      { path: ["dependsOn", "2"], message: expect.stringContaining("is FAILED") },
      { path: ["dependsOn", "3"], message: "given twice" },
    ]);
    expect(await db.job.count()).toBe(before);
    // Waiting for a reset of the failed one is a choice the caller can make.
    expect((await createJob({ dependsOn: [gid(failed)], onDependencyFailure: "WAIT" })).job).toMatchObject({ status: "WAITING" });
  });
});

describe("createWorkflow", () => {
  const diamond = { name: "diamond", jobs: [step("prepare"), step("train", ["prepare"]), step("test", ["prepare"]), step("report", ["train", "test"])] };

  it("creates a diamond whose jobs run in dependency order, and reads as one workflow", async () => {
    const { workflowId, ids } = await keyed(diamond);
    const read = async () =>
      (
        await sendText(
          api,
          `query ($id: ID!) { workflow(id: $id) {
             name status progress counts { total waiting queued succeeded }
             jobs(first: 10) { totalCount edges { node { name status dependencies { name } dependents { name } } } }
           } }`,
          { id: workflowId },
        )
      ).workflow as Record<string, unknown>;
    expect(await read()).toMatchObject({
      name: "diamond",
      status: "QUEUED",
      progress: 0,
      counts: { total: 4, waiting: 3, queued: 1, succeeded: 0 },
      jobs: {
        totalCount: 4,
        edges: [
          { node: { name: "prepare", status: "QUEUED", dependencies: [], dependents: [{ name: "train" }, { name: "test" }] } },
          { node: { name: "train", status: "WAITING", dependencies: [{ name: "prepare" }], dependents: [{ name: "report" }] } },
          { node: { name: "test", status: "WAITING", dependencies: [{ name: "prepare" }], dependents: [{ name: "report" }] } },
          { node: { name: "report", status: "WAITING", dependencies: [{ name: "train" }, { name: "test" }], dependents: [] } },
        ],
      },
    });
    const order = [];
    for (let id = await runNext(); id; id = await runNext()) order.push(id);
    expect(order[0]).toBe(ids.prepare);
    expect(new Set(order.slice(1, 3))).toEqual(new Set([ids.train, ids.test]));
    expect(order[3]).toBe(ids.report);
    expect(await read()).toMatchObject({ status: "SUCCEEDED", progress: 1, counts: { total: 4, succeeded: 4, waiting: 0 } });
    // JobFilter.workflow finds its jobs, and no others.
    await createJob({ name: "outside" });
    const listed = await sendText(api, `query ($id: ID!) { jobs(filter: { workflow: $id }) { totalCount } }`, { id: workflowId });
    expect(listed.jobs).toEqual({ totalCount: 4 });
  });

  it("refuses a cycle, naming it and where it closes, and writes nothing", async () => {
    const refused = await createWorkflow({ jobs: [step("a", ["c"]), step("b", ["a"]), step("c", ["b"])] });
    expect(refused.__typename).toBe("ValidationError");
    expect(refused.fieldErrors).toEqual([{ path: ["jobs", "1", "after", "0"], message: "a cycle: a → c → b → a" }]);
    expect(await db.job.count()).toBe(0);
    expect(await db.workflow.count()).toBe(0);
    const self = await createWorkflow({ jobs: [step("alone", ["alone"])] });
    expect(self.fieldErrors).toEqual([{ path: ["jobs", "0", "after", "0"], message: "a cycle: alone → alone" }]);
  });

  it("refuses unknown keys, repeated keys and a bad job, each under its path, and writes nothing", async () => {
    const refused = await createWorkflow({
      jobs: [step("a"), step("a"), step("b", ["nowhere"]), { key: "c", job: { templateName: "no-such-template" } }],
    });
    expect(refused.__typename).toBe("ValidationError");
    expect(refused.fieldErrors).toEqual(
      expect.arrayContaining([
        { path: ["jobs", "1", "key"], message: expect.stringContaining("jobs.0") },
        { path: ["jobs", "2", "after", "0"], message: 'no job of this workflow has the key "nowhere"' },
        { path: ["jobs", "3", "template"], message: "no such template" },
      ]),
    );
    expect(await db.job.count()).toBe(0);
  });

  it("makes one set of jobs of equivalent workflows with findOrCreate sent at once, the others reusing them", async () => {
    const data = (key: string) => [{ name: "dataset", value: `s3://at-once/${key}` }];
    const reusable = { ...diamond, jobs: diamond.jobs.map((j) => ({ ...j, job: { ...j.job, inputs: data(j.key), findOrCreate: true } })) };
    const racing = await Promise.all(Array.from({ length: 12 }, () => createWorkflow(reusable)));
    const sets = racing.map((made) => {
      expect(made.__typename, JSON.stringify(made)).toBe("CreateWorkflowPayload");
      return JSON.stringify((made.jobs as Array<{ key: string; job: { id: string } }>).map((j) => [j.key, j.job.id]));
    });
    expect(new Set(sets).size).toBe(1);
    expect(await db.job.count({ where: { inputValues: { path: ["dataset", "value"], string_starts_with: "s3://at-once/" } } })).toBe(diamond.jobs.length);
  });

  it("skips, when re-submitted with findOrCreate, what already ran with the same inputs", async () => {
    // Each job's own inputs, but train's and test's alike: one job twice.
    const data = (key: string) => [{ name: "dataset", value: `s3://${key === "test" ? "train" : key}` }];
    const reusable = { ...diamond, jobs: diamond.jobs.map((j) => ({ ...j, job: { ...j.job, inputs: data(j.key), findOrCreate: true } })) };
    const { ids: first } = await keyed(reusable);
    expect(await runNext()).toBe(first.prepare);
    // Again, with a new report: prepare succeeded and is reused; train and test (QUEUED) too.
    const again = await createWorkflow({
      ...reusable,
      jobs: reusable.jobs.map((j) => (j.key === "report" ? { ...j, job: { ...j.job, inputs: [{ name: "dataset", value: "s3://other" }] } } : j)),
    });
    expect(again.__typename, JSON.stringify(again)).toBe("CreateWorkflowPayload");
    const jobs = again.jobs as Array<{ key: string; job: { id: string; status: string } }>;
    const byKey = Object.fromEntries(jobs.map((j) => [j.key, j.job]));
    expect(decodeGlobalId(byKey.prepare!.id).id).toBe(first.prepare);
    // train and test are the same job twice (template and inputs): both keys reuse one of them.
    expect([first.train, first.test]).toContain(decodeGlobalId(byKey.train!.id).id);
    expect(byKey.test!.id).toBe(byKey.train!.id);
    expect(byKey.report!.status).toBe("WAITING");
    expect(decodeGlobalId(byKey.report!.id).id).not.toBe(first.report);
    // The new report waits for the reused train and test, and runs after them.
    const order = [];
    for (let id = await runNext(); id; id = await runNext()) order.push(id);
    // The first workflow's train, test and report, and the new report: nothing else ran again.
    expect(order).toHaveLength(4);
    expect(order.indexOf(decodeGlobalId(byKey.report!.id).id)).toBeGreaterThan(order.indexOf(decodeGlobalId(byKey.train!.id).id));
    expect((await db.jobDependency.findMany({ where: { jobId: decodeGlobalId(byKey.report!.id).id } })).length).toBe(1);
  });

  it("refuses an idempotencyKey inside a workflow", async () => {
    const refused = await createWorkflow({ jobs: [step("a", [], { idempotencyKey: "k" })] });
    expect(refused.fieldErrors).toEqual([{ path: ["jobs", "0", "idempotencyKey"], message: expect.stringContaining("not taken") }]);
  });

  it("refuses hostile input with ValidationError, never an unexpected error, and writes nothing", async () => {
    const many = Array.from({ length: 101 }, (_, i) => step(`k${i}`));
    const cases: Array<[string, Record<string, unknown>]> = [
      ["a NUL in a key", { jobs: [step("a\u0000b")] }],
      ["a key of 201 characters", { jobs: [step("k".repeat(201))] }],
      ["101 jobs after", { jobs: [...many, step("last", many.map((j) => j.key))] }],
      ["no jobs", { jobs: [] }],
      ["a name of 1,001 characters", { name: "n".repeat(1001), jobs: [step("a")] }],
    ];
    for (const [what, input] of cases) expect((await createWorkflow(input)).__typename, what).toBe("ValidationError");
    expect(await db.job.count()).toBe(0);
    expect(await db.workflow.count()).toBe(0);
  });

  it("cancels the jobs waiting for a job that failed for good, naming it, down the graph", async () => {
    const withTasks = { ...diamond, jobs: diamond.jobs.map((j) => (j.key === "train" ? { ...j, job: { ...j.job, tasks: [{ name: "fit" }, { name: "save" }] } } : j)) };
    const { workflowId, ids } = await keyed(withTasks);
    await runNext("the data was bad");
    // The tasks of a job cancelled so are cancelled with it, as a cancelled job's are.
    expect(await db.task.findMany({ where: { jobId: ids.train! }, select: { status: true, reason: true } })).toEqual([
      { status: "CANCELLED", reason: "cancelled with its job" },
      { status: "CANCELLED", reason: "cancelled with its job" },
    ]);
    for (const key of ["train", "test", "report"]) {
      const job = await db.job.findUniqueOrThrow({ where: { id: ids[key]! }, select: { status: true, errorReason: true } });
      expect(job.status, key).toBe("CANCELLED");
      expect(job.errorReason, key).toMatch(/^its dependency, job #\d+, (failed|was cancelled)$/);
    }
    const cancelled = await db.jobEvent.findFirstOrThrow({ where: { jobId: ids.train!, kind: "CANCELLED" }, select: { detail: true } });
    expect(cancelled.detail).toMatchObject({ dependency: { id: ids.prepare, status: "FAILED" } });
    const status = await sendText(api, `query ($id: ID!) { workflow(id: $id) { status } }`, { id: workflowId });
    expect(status.workflow).toEqual({ status: "FAILED" });
  });

  // A node that dies holding the dependency: its lease runs out, the reclaim fails the job (no
  // attempts left), and that failure reaches the jobs waiting as a node's own would.
  it("cancels the jobs waiting for a dependency whose node died with its last attempt", async () => {
    const { ids } = await keyed({ jobs: [step("first", [], { maxAttempts: 1 }), step("then", ["first"])] });
    const taken = await acquireNextJob(db, asNode(node), {}, lease);
    expect(taken?.id).toBe(ids.first);
    expect(await reclaimExpiredLeases(db, new Date(Date.now() + (lease.leaseSeconds + 1) * 1000))).toMatchObject({ failed: 1 });
    const then = await db.job.findUniqueOrThrow({ where: { id: ids.then! }, select: { status: true, errorReason: true } });
    expect(then).toEqual({ status: "CANCELLED", errorReason: expect.stringMatching(/^its dependency, job #\d+, failed$/) });
  });

  it("keeps waiting under WAIT, and goes on once the failed dependency is reset and succeeds", async () => {
    const { ids } = await keyed({ onDependencyFailure: "WAIT", jobs: [step("first"), step("then", ["first"])] });
    await runNext("flaky");
    expect(await statusOf(ids.then!)).toBe("WAITING");
    await sendText(api, `mutation ($id: ID!) { resetJob(id: $id) { __typename } }`, { id: gid(ids.first!) });
    expect(await runNext()).toBe(ids.first);
    expect(await statusOf(ids.then!)).toBe("QUEUED");
  });

  it("sends a queued dependent back to waiting when a succeeded dependency is reset", async () => {
    const { ids } = await keyed({ jobs: [step("first"), step("then", ["first"])] });
    await runNext();
    expect(await statusOf(ids.then!)).toBe("QUEUED");
    await sendText(api, `mutation ($id: ID!) { resetJob(id: $id) { __typename } }`, { id: gid(ids.first!) });
    expect(await statusOf(ids.then!)).toBe("WAITING");
    expect(await runNext()).toBe(ids.first);
    expect(await runNext()).toBe(ids.then);
  });

  it("cancels the jobs waiting for a job deleted for good, whatever their policy", async () => {
    const { ids } = await keyed({ onDependencyFailure: "WAIT", jobs: [step("first"), step("then", ["first"]), step("last", ["then"], { onDependencyFailure: "CANCEL" })] });
    await sendText(api, `mutation ($id: ID!) { hardDeleteJob(id: $id) { __typename } }`, { id: gid(ids.first!) });
    const then = await db.job.findUniqueOrThrow({ where: { id: ids.then! }, select: { status: true, errorReason: true } });
    expect(then).toEqual({ status: "CANCELLED", errorReason: expect.stringMatching(/^its dependency, job #\d+, was deleted$/) });
    expect(await statusOf(ids.last!)).toBe("CANCELLED");
    const event = await db.jobEvent.findFirstOrThrow({ where: { jobId: ids.then!, kind: "CANCELLED" }, select: { detail: true } });
    expect(event.detail).toMatchObject({ dependency: { id: ids.first, status: "DELETED" } });
  });

  it("resets a job cancelled for its dependency to WAITING while the dependency has not succeeded, else to QUEUED", async () => {
    const { ids } = await keyed({ jobs: [step("first"), step("then", ["first"])] });
    await runNext("broken");
    expect(await statusOf(ids.then!)).toBe("CANCELLED");
    const reset = async (id: string) =>
      (await sendText(api, `mutation ($id: ID!) { resetJob(id: $id) { ... on JobPayload { job { status } } } }`, { id: gid(id) })).resetJob;
    expect(await reset(ids.then!)).toEqual({ job: { status: "WAITING" } });
    expect(await reset(ids.first!)).toEqual({ job: { status: "QUEUED" } });
    expect(await runNext()).toBe(ids.first);
    expect(await statusOf(ids.then!)).toBe("QUEUED");
  });

  it("leaves nothing behind when a whole workflow is deleted at once", async () => {
    await keyed({ jobs: [step("first"), step("then", ["first"])] });
    await db.job.deleteMany();
    expect(await db.jobDependency.count()).toBe(0);
  });

  it("resets what depends on a job, down the graph, when asked, and the graph runs again in order", async () => {
    const { ids } = await keyed(diamond);
    for (let id = await runNext(); id; id = await runNext());
    const statuses = async () => Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([key, id]) => [key, await statusOf(id)])));
    const reset = (resetDependents: boolean) =>
      sendText(api, `mutation ($id: ID!, $all: Boolean) { resetJob(id: $id, resetDependents: $all) { __typename } }`, { id: gid(ids.prepare!), all: resetDependents });
    await reset(false);
    expect(await statuses()).toEqual({ prepare: "QUEUED", train: "SUCCEEDED", test: "SUCCEEDED", report: "SUCCEEDED" });
    expect(await runNext()).toBe(ids.prepare);
    await reset(true);
    expect(await statuses()).toEqual({ prepare: "QUEUED", train: "WAITING", test: "WAITING", report: "WAITING" });
    const order = [];
    for (let id = await runNext(); id; id = await runNext()) order.push(id);
    expect(order[0]).toBe(ids.prepare);
    expect(order[3]).toBe(ids.report);
    expect(await statuses()).toEqual({ prepare: "SUCCEEDED", train: "SUCCEEDED", test: "SUCCEEDED", report: "SUCCEEDED" });
  });

  it("refuses to reset dependents the caller may not reset, and resets nothing", async () => {
    const { ids } = await keyed({ jobs: [step("first"), step("then", ["first"])] });
    for (let id = await runNext(); id; id = await runNext());
    const bob = await createTestUser(db);
    // Bob created the first job, not the one after it.
    await db.job.update({ where: { id: ids.first! }, data: { creatorId: bob.id } });
    const answer = await sendText(
      api,
      `mutation ($id: ID!) { resetJob(id: $id, resetDependents: true) { __typename } }`,
      { id: gid(ids.first!) },
      bob.secret,
    );
    expect(answer.resetJob).toEqual({ __typename: "ForbiddenError" });
    expect([await statusOf(ids.first!), await statusOf(ids.then!)]).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });

  it("says why a waiting job waits, naming the dependencies that have not succeeded", async () => {
    const { ids } = await keyed(diamond);
    await runNext();
    // A node online that fits: the dependencies are the only reason.
    await db.workerNode.update({ where: { id: node.id }, data: { lastSeenAt: new Date() } });
    const answer = await sendText(
      api,
      `query ($id: ID!) { job(id: $id) { queuePosition whyNotRunning { code message ... on WaitingForDependenciesReason { count jobs { name status } } } } }`,
      { id: gid(ids.report!) },
    );
    expect(answer.job).toMatchObject({
      queuePosition: null,
      whyNotRunning: [
        {
          code: "WAITING_FOR_DEPENDENCIES",
          message: expect.stringContaining("2 dependencies"),
          count: 2,
          jobs: [{ name: "train", status: "QUEUED" }, { name: "test", status: "QUEUED" }],
        },
      ],
    });
    expect((answer.job as unknown as { whyNotRunning: unknown[] }).whyNotRunning).toHaveLength(1);

    // A dependency soft-deleted runs no more: the job waits on, and is told what would free it.
    await db.job.update({ where: { id: ids.train! }, data: { deletedAt: new Date() } });
    const held = await sendText(api, `query ($id: ID!) { job(id: $id) { whyNotRunning { code message } } }`, { id: gid(ids.report!) });
    expect(held.job).toMatchObject({
      whyNotRunning: [{ code: "WAITING_FOR_DEPENDENCIES", message: expect.stringMatching(/\(QUEUED, deleted\).*a deleted one holds it until it is reinstated, or deleted for good/) }],
    });
  });

  it("cancelWorkflow cancels every unfinished job of the workflow and no other", async () => {
    const { workflowId } = await keyed(diamond);
    await runNext();
    const outside = decodeGlobalId(((await createJob({ name: "outside" })).job as { id: string }).id).id;
    const answer = await sendText(api, `mutation ($id: ID!) { cancelWorkflow(id: $id) { __typename ... on BulkJobsPayload { matched changed } } }`, { id: workflowId });
    expect(answer.cancelWorkflow).toEqual({ __typename: "BulkJobsPayload", matched: 4, changed: 3 });
    const statuses = await db.job.findMany({ where: { workflowId: decodeGlobalId(workflowId).id }, select: { status: true }, orderBy: { number: "asc" } });
    expect(statuses.map((s) => s.status)).toEqual(["SUCCEEDED", "CANCELLED", "CANCELLED", "CANCELLED"]);
    expect(await statusOf(outside)).toBe("QUEUED");
  });
});

describe("a workflow of the most jobs", () => {
  // A binary tree: each job after the one above it, each with two tasks in two sequences.
  const tree = (size: number) =>
    Array.from({ length: size }, (_, i) => step(`n${i}`, i ? [`n${Math.floor((i - 1) / 2)}`] : [], { tasks: [{ name: "fit" }, { name: "score", sequence: 1 }] }));

  it("is written in as many statements as a workflow of three jobs, its jobs numbered and listed in order", async () => {
    const statementsFor = async (size: number) => {
      database.counter.reset();
      const made = await keyed({ jobs: tree(size) });
      // The NOTIFY that wakes other instances goes after the commit, coalesced: it may fall in either count.
      return { statements: database.counter.readStatements().filter((sql) => !sql.includes("/* wakeInstances */")).length, made };
    };
    const small = await statementsFor(3);
    const large = await statementsFor(1000);
    expect(large.statements).toBe(small.statements);

    const { rows } = await database.pool.query<{ id: string; number: string; status: string; tasks: number; after: string[] }>(
      `select j.id, j.number::text, j.status, (select count(*)::int from tasks t where t.job_id = j.id) as tasks,
         coalesce((select array_agg(d.depends_on_id::text) from job_dependencies d where d.job_id = j.id), '{}') as after
       from jobs j where j.workflow_id = $1::uuid`,
      [decodeGlobalId(large.made.workflowId).id],
    );
    expect(rows).toHaveLength(1000);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (let i = 0; i < 1000; i++) {
      const job = byId.get(large.made.ids[`n${i}`]!)!;
      expect(job.tasks).toBe(2);
      if (i === 0) {
        expect(job).toMatchObject({ status: "QUEUED", after: [] });
        continue;
      }
      const parent = byId.get(large.made.ids[`n${Math.floor((i - 1) / 2)}`]!)!;
      expect(job).toMatchObject({ status: "WAITING", after: [parent.id] });
      // A job's number is above the numbers of the jobs it waits for.
      expect(BigInt(job.number)).toBeGreaterThan(BigInt(parent.number));
    }
    // Created at one time, listed by it in the order of their numbers.
    const listed = await sendText(
      api,
      `query ($id: ID!) { jobs(first: 100, filter: { workflow: $id }, orderBy: { field: CREATED_AT, direction: ASC }) { edges { node { number } } } }`,
      { id: large.made.workflowId },
    );
    const numbers = (listed.jobs as unknown as { edges: Array<{ node: { number: number } }> }).edges.map((e) => e.node.number);
    expect(numbers).toEqual([...rows.map((r) => Number(r.number))].sort((a, b) => a - b).slice(0, 100));
  });

  it("checks the parents and dependencies its jobs name in as many statements however many jobs name them", async () => {
    const existing = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => decodeGlobalId(((await createJob({ name: `named-${i}` })).job as { id: string }).id).id),
    );
    const statementsFor = async (size: number) => {
      const jobs = Array.from({ length: size }, (_, i) =>
        step(`m${i}`, [], { parent: gid(existing[i % 8]!), dependsOn: [gid(existing[(i + 1) % 8]!), gid(existing[(i + 2) % 8]!)] }),
      );
      database.counter.reset();
      const made = await keyed({ jobs });
      return { statements: database.counter.readStatements().filter((sql) => !sql.includes("/* wakeInstances */")).length, made };
    };
    const small = await statementsFor(3);
    const large = await statementsFor(300);
    expect(large.statements).toBe(small.statements);
    const { rows } = await database.pool.query<{ parent: string; after: string[] }>(
      `select j.parent_id::text as parent, array(select d.depends_on_id::text from job_dependencies d where d.job_id = j.id order by 1) as after
       from jobs j where j.id = $1::uuid`,
      [large.made.ids.m299],
    );
    expect(rows).toEqual([{ parent: existing[299 % 8], after: [existing[300 % 8], existing[301 % 8]].sort() }]);
    // A parent that does not exist is still found out, at its job's path.
    const missing = await createWorkflow({ jobs: [step("a"), step("b", [], { parent: gid("00000000-0000-4000-8000-000000000000") })] });
    expect(missing).toMatchObject({ __typename: "ValidationError", fieldErrors: expect.arrayContaining([{ path: ["jobs", "1", "parent"], message: "no such job" }]) });
  });
});

describe("a parent deleted while a job is made under it", () => {
  /** Resolves once a statement of the test database waits for a lock. */
  async function someoneWaits(): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await database.pool.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
      if (rows[0]!.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("no statement came to wait for the parent's lock");
  }

  const made: Array<[string, (parent: string) => Promise<Answer>, string[]]> = [
    ["createJob", (parent) => createJob({ name: "orphan", parent }), ["parent"]],
    ["createWorkflow", (parent) => createWorkflow({ jobs: [step("first"), step("orphan", ["first"], { parent })] }), ["jobs", "1", "parent"]],
  ];

  it.each(made)("%s answers ValidationError naming the parent, and writes nothing", async (_name, make, path) => {
    const parent = decodeGlobalId(((await createJob({ name: "parent" })).job as { id: string }).id).id;
    // The parent held, the new job's insert waits for it (its foreign key's check), after every
    // check that found the parent: then the parent goes.
    const holder = await database.pool.connect();
    try {
      await holder.query("begin");
      await holder.query("select 1 from jobs where id = $1 for update", [parent]);
      const answer = make(gid(parent));
      await someoneWaits();
      await holder.query("delete from jobs where id = $1", [parent]);
      await holder.query("commit");
      expect(await answer).toEqual({ __typename: "ValidationError", message: "the job is not valid", fieldErrors: [{ path, message: "no such job: it was deleted" }] });
    } finally {
      holder.release();
    }
    expect(await db.job.count({ where: { name: { in: ["orphan", "first"] } } })).toBe(0);
    expect(await db.workflow.count()).toBe(0);
  });
});

describe("two dependencies finishing at once", () => {
  // Each finish runs the trigger in its own transaction; the dependent's row is locked by the
  // first and read afresh by the second, so it is queued once, whichever commits first.
  it("frees their dependent exactly once, on two gateway instances, every time", async () => {
    const instances = [createDb({ url: database.url, pooled: database.pooled }), createDb({ url: database.url, pooled: database.pooled })];
    const nodes = [await createTestNode(db), await createTestNode(db)];
    try {
      for (let round = 0; round < 15; round++) {
        await db.job.deleteMany();
        const { ids } = await keyed({ jobs: [step("left"), step("right"), step("both", ["left", "right"])] });
        const held = await Promise.all(
          [ids.left!, ids.right!].map(async (id, i) => {
            const taken = await acquireNextJob(instances[i]!, asNode(nodes[i]!), {}, lease);
            await startJob(instances[i]!, asNode(nodes[i]!), taken!.id, taken!.leaseToken, lease);
            return taken!;
          }),
        );
        expect(new Set(held.map((j) => j.id))).toEqual(new Set([ids.left, ids.right]));
        await Promise.all(held.map((job, i) => finishJob(instances[i]!, asNode(nodes[i]!), job.id, { leaseToken: job.leaseToken })));
        const both = await db.job.findUniqueOrThrow({ where: { id: ids.both! }, select: { status: true, waitingOn: true, version: true } });
        expect(both).toEqual({ status: "QUEUED", waitingOn: 0, version: 2 });
        expect(await db.jobEvent.count({ where: { jobId: ids.both!, kind: "DEPENDENCIES_MET" } })).toBe(1);
      }
    } finally {
      await Promise.all(instances.map((i) => i.$disconnect()));
    }
  });
});

describe("workflowUpdated", () => {
  const Watch = parse(`subscription ($id: ID!) { workflowUpdated(id: $id) { status progress counts { waiting queued succeeded } } }`) as TypedDocumentNode<
    { workflowUpdated: { status: string; progress: number; counts: { waiting: number; queued: number; succeeded: number } } | null },
    { id: string }
  >;

  it("sends the workflow as it is, then as its jobs move on another instance, until it has succeeded", async () => {
    const otherDb = createDb({ url: database.url, pooled: database.pooled });
    const other = await createTestApi({ ...database, db: otherDb });
    const watchers = new Subscribers(`ws://127.0.0.1:${(await other.app.start(0)).port}/graphql`, other);
    try {
      const { workflowId } = await keyed({ jobs: [step("first"), step("then", ["first"])] });
      const feed = watchers.subscribe(watchers.connect(), Watch, { id: workflowId });
      expect((await feed.next()).workflowUpdated).toEqual({ status: "QUEUED", progress: 0, counts: { waiting: 1, queued: 1, succeeded: 0 } });
      await runNext();
      await runNext();
      await feed.until(() => feed.messages.at(-1)?.workflowUpdated?.status === "SUCCEEDED", "the workflow's success");
      expect(feed.messages.at(-1)!.workflowUpdated).toEqual({ status: "SUCCEEDED", progress: 1, counts: { waiting: 0, queued: 0, succeeded: 2 } });
      // Twice a second at most: two jobs' six changes came as fewer announcements.
      expect(feed.messages.length).toBeLessThan(7);
    } finally {
      await watchers.stop();
      await other.app.stop();
      await otherDb.$disconnect();
    }
  });
});
