// Time limits hold: an attempt at a job past its time limit ends as TIMED_OUT (retried by the
// policy, or failed), a task's run past its limit fails the task (TASK_TIMED_OUT), a job past its
// deadline fails; the holder's next write is refused with TimeLimitExceededError, which says why.
import { beforeAll, describe, expect, it } from "vitest";
import { failPastDeadlines, reclaimExpiredLeases } from "../../src/domain/claiming.js";
import { timeOutTasks } from "../../src/domain/task-lifecycle.js";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

let database: TestDatabase;
let api: TestApi;
let alice: TestUser;
let node: TestNode;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);
const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

type Held = { id: string; uuid: string; lease: string; leaseExpiresAt: string; tasks: Record<string, string> };

async function create(input: Record<string, unknown>) {
  const answer = await send(
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename
       ... on CreateJobPayload { job { id timeLimitSeconds taskTimeLimitSeconds deadline tasks(first: 10) { edges { node { id name } } } } }
       ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { templateName: "limited", ...input } },
    alice.secret,
  );
  return answer.createJob as unknown as { __typename: string; fieldErrors?: unknown; job: { id: string; timeLimitSeconds: number | null; taskTimeLimitSeconds: number | null; deadline: string | null; tasks: { edges: Array<{ node: { id: string; name: string } }> } } };
}

/** A job created with `input`, acquired and started by `node`. */
async function held(input: Record<string, unknown>): Promise<Held> {
  const { job } = await create(input);
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token expiresAt } } } }`, { id: job.id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string; expiresAt: string } }).lease;
  await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id: job.id, lease: lease.token }, node.secret);
  return { id: job.id, uuid: decodeGlobalId(job.id).id, lease: lease.token, leaseExpiresAt: lease.expiresAt, tasks: Object.fromEntries(job.tasks.edges.map((e) => [e.node.name, e.node.id])) };
}

const REFUSAL = `__typename ... on Error { message } ... on TimeLimitExceededError { limit limitSeconds exceededAt }`;

function progress(h: Held) {
  return send(`mutation ($id: ID!, $lease: String!) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5) { ${REFUSAL} } }`, { id: h.id, lease: h.lease }, node.secret).then((a) => a.reportJobProgress!);
}
function taskAction(h: Held, field: "startTask" | "finishTask" | "reportTaskProgress", name: string, extra = "") {
  return send(`mutation ($id: ID!, $lease: String!) { ${field}(id: $id, leaseToken: $lease${extra}) { ${REFUSAL} ... on TaskPayload { task { status attempts reason timedOutAt timeLimitAt } } } }`, { id: h.tasks[name], lease: h.lease }, node.secret).then((a) => a[field]!);
}
async function jobOf(h: Held) {
  const answer = await send(`query ($id: ID!) { job(id: $id) { status errorReason runAfter timeLimitAt leaseExpiresAt attempts { number outcome error retryAt } } }`, { id: h.id }, alice.secret);
  return answer.job as unknown as Record<string, unknown> & { attempts: Array<Record<string, unknown>> };
}
async function events(h: Held, kind: string) {
  return database.db.jobEvent.findMany({ where: { jobId: h.uuid, kind: kind as never }, orderBy: { id: "asc" } });
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  alice = await createTestUser(database.db, "USER", "alice");
  node = await createTestNode(database.db, "worker-1");
  const defined = await send(
    `mutation { createJobTemplate(input: { name: "limited", executor: { name: "python" }, timeLimitSeconds: 600, taskTimeLimitSeconds: 60,
       retryPolicy: { maxAttempts: 2, backoffBaseSeconds: 30, jitter: 0 } }) {
       __typename ... on JobTemplatePayload { jobTemplate { timeLimitSeconds taskTimeLimitSeconds } } } }`,
    {},
    alice.secret,
  );
  expect(defined.createJobTemplate).toMatchObject({ jobTemplate: { timeLimitSeconds: 600, taskTimeLimitSeconds: 60 } });
});

describe("a job's time limit", () => {
  it("comes from the template unless the job sets its own, and the lease never outlasts it", async () => {
    expect((await create({})).job).toMatchObject({ timeLimitSeconds: 600, taskTimeLimitSeconds: 60 });
    const h = await held({ timeLimitSeconds: 90, taskTimeLimitSeconds: 5 });
    const job = await jobOf(h);
    const limitAt = new Date(job.timeLimitAt as string).getTime();
    expect(limitAt - Date.now()).toBeGreaterThan(80_000);
    expect(limitAt - Date.now()).toBeLessThanOrEqual(90_000);
    // The test gateway's lease is 120 s: it is cut to the time limit, and a renewal cannot pass it.
    expect(new Date(h.leaseExpiresAt).getTime()).toBe(limitAt);
    const renewed = await send(`mutation ($id: ID!, $lease: String!) { renewJobLease(id: $id, leaseToken: $lease) { ... on LeasePayload { lease { expiresAt } } } }`, { id: h.id, lease: h.lease }, node.secret);
    expect(new Date((renewed.renewJobLease as unknown as { lease: { expiresAt: string } }).lease.expiresAt).getTime()).toBe(limitAt);
  });

  it("ends the attempt as TIMED_OUT: queued again after the backoff while attempts remain, then failed", async () => {
    const h = await held({ timeLimitSeconds: 60, tasks: [{ name: "a" }] });
    await taskAction(h, "startTask", "a");
    await reclaimExpiredLeases(database.db, later(61));
    let job = await jobOf(h);
    expect(job).toMatchObject({ status: "QUEUED", timeLimitAt: null, leaseExpiresAt: null, attempts: [{ number: 1, outcome: "TIMED_OUT", error: "ran past the time limit of 60 s" }] });
    expect(new Date(job.runAfter as string).getTime() - Date.now()).toBeGreaterThan(25_000);
    expect(await events(h, "TIMED_OUT")).toMatchObject([{ fromStatus: "RUNNING", toStatus: "QUEUED", detail: { attempts: 1, timeLimitSeconds: 60, tasks: { requeued: 1 } } }]);
    expect(await events(h, "LEASE_EXPIRED")).toEqual([]);

    // The holder hears why, on the job and on its tasks.
    expect(await progress(h)).toMatchObject({ __typename: "TimeLimitExceededError", limit: "JOB_TIME_LIMIT", limitSeconds: 60, exceededAt: expect.any(String) });
    expect(await taskAction(h, "finishTask", "a", ", success: true")).toMatchObject({ __typename: "TimeLimitExceededError", limit: "JOB_TIME_LIMIT" });

    // The second (last) attempt runs out of time too: the job fails.
    await database.db.job.update({ where: { id: h.uuid }, data: { runAfter: new Date() } });
    const second = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id: h.id }, node.secret);
    const lease = (second.acquireJob as unknown as { lease: { token: string } }).lease.token;
    await reclaimExpiredLeases(database.db, later(61));
    job = await jobOf(h);
    expect(job).toMatchObject({
      status: "FAILED",
      errorReason: "timed out: attempt 2 ran past the time limit of 60 s",
      attempts: [{ outcome: "TIMED_OUT" }, { number: 2, outcome: "TIMED_OUT", retryAt: null }],
    });
    expect(await progress({ ...h, lease })).toMatchObject({ __typename: "TimeLimitExceededError", limit: "JOB_TIME_LIMIT" });
    // A lease that never was is only lost.
    expect(await progress({ ...h, lease: crypto.randomUUID() })).toMatchObject({ __typename: "InvalidTransitionError" });
  });

  it("fails at once when the policy does not retry time-outs", async () => {
    const h = await held({ timeLimitSeconds: 60, retryPolicy: { retryOn: ["ERROR"] } });
    await reclaimExpiredLeases(database.db, later(61));
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", errorReason: "timed out: attempt 1 ran past the time limit of 60 s" });
  });

  it("is not there for a job whose template sets none: the lease alone bounds the attempt", async () => {
    await send(`mutation { createJobTemplate(input: { name: "unlimited", executor: { name: "python" } }) { __typename } }`, {}, alice.secret);
    const h = await held({ templateName: "unlimited" });
    expect(await jobOf(h)).toMatchObject({ timeLimitAt: null });
    expect(new Date(h.leaseExpiresAt).getTime() - Date.now()).toBeGreaterThan(100_000);
    await reclaimExpiredLeases(database.db, later(100));
    expect((await jobOf(h)).status).toBe("RUNNING");
  });

  it("is refused out of range", async () => {
    expect(await create({ timeLimitSeconds: 0, taskTimeLimitSeconds: 172_801 })).toMatchObject({
      fieldErrors: [
        { path: ["timeLimitSeconds"], message: "must be an integer from 1 to 604800" },
        { path: ["taskTimeLimitSeconds"], message: "must be an integer from 1 to 172800" },
      ],
    });
  });
});

describe("a task's time limit", () => {
  it("ends a run past it: the task is queued again while it has attempts, then fails, and its job with it", async () => {
    const h = await held({ tasks: [{ name: "slow", maxAttempts: 2, maxExecutionTimeInSeconds: 10 }, { name: "other" }] });
    const started = await taskAction(h, "startTask", "slow");
    const limitAt = new Date((started as unknown as { task: { timeLimitAt: string } }).task.timeLimitAt).getTime();
    expect(limitAt - Date.now()).toBeGreaterThan(8_000);
    expect(limitAt - Date.now()).toBeLessThanOrEqual(10_000);

    // Not yet: nothing happens.
    expect(await timeOutTasks(database.db, later(5))).toBe(0);
    expect(await timeOutTasks(database.db, later(11))).toBe(1);
    const task = await database.db.task.findUniqueOrThrow({ where: { id: decodeGlobalId(h.tasks.slow!).id } });
    expect(task).toMatchObject({ status: "QUEUED", attempts: 1, reason: "ran past its time limit of 10 s", timedOutAt: expect.any(Date) });
    expect(await events(h, "TASK_TIMED_OUT")).toMatchObject([{ taskId: task.id, actorUserId: null, actorNodeId: null, detail: { success: false, timedOut: true } }]);

    // The holder still reporting on the run that ended is told why.
    expect(await taskAction(h, "reportTaskProgress", "slow", ", progress: 0.9")).toMatchObject({ __typename: "TimeLimitExceededError", limit: "TASK_TIME_LIMIT", limitSeconds: 10 });
    expect(await taskAction(h, "finishTask", "slow", ", success: true")).toMatchObject({ __typename: "TimeLimitExceededError", limit: "TASK_TIME_LIMIT" });

    // Started again, it runs under its own limit once more, and the reason is gone.
    expect(await taskAction(h, "startTask", "slow")).toMatchObject({ task: { status: "RUNNING", attempts: 2, reason: null, timedOutAt: null } });
    expect(await timeOutTasks(database.db, later(11))).toBe(1);
    expect(await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: "FAILED", success: false });
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", errorReason: 'task "slow" timed out after 2 attempts' });
    expect(await database.db.task.findUniqueOrThrow({ where: { id: decodeGlobalId(h.tasks.other!).id } })).toMatchObject({ status: "CANCELLED" });
  });

  it("defaults to the job's taskTimeLimitSeconds, and runs without one are left alone", async () => {
    const h = await held({ taskTimeLimitSeconds: 20, tasks: [{ name: "a" }] });
    expect(await taskAction(h, "startTask", "a")).toMatchObject({ task: { timeLimitAt: expect.any(String) } });
    expect(await timeOutTasks(database.db, later(15))).toBe(0);
    expect(await timeOutTasks(database.db, later(21))).toBe(1);
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", errorReason: 'task "a" timed out' });
  });

  it("is ended once when two gateways' housekeeping race for it", async () => {
    const h = await held({ tasks: [{ name: "a", maxAttempts: 3, maxExecutionTimeInSeconds: 5 }] });
    await taskAction(h, "startTask", "a");
    const results = await Promise.all([timeOutTasks(database.db, later(6)), timeOutTasks(database.db, later(6)), timeOutTasks(database.db, later(6))]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await events(h, "TASK_TIMED_OUT")).toHaveLength(1);
    expect(await database.db.task.findUniqueOrThrow({ where: { id: decodeGlobalId(h.tasks.a!).id } })).toMatchObject({ status: "QUEUED", attempts: 1 });
  });
});

describe("subscribers", () => {
  it("see a time-out in jobEvents, jobsChanged and taskUpdated as they see any change", async () => {
    const h = await held({ timeLimitSeconds: 60, tasks: [{ name: "a", maxAttempts: 2, maxExecutionTimeInSeconds: 5 }] });
    await taskAction(h, "startTask", "a");
    const events = await subscribeSse(api, `subscription ($job: ID!) { jobEvents(filter: { job: $job }) { event { kind toStatus task { name } } } }`, { job: h.id }, alice.secret);
    const tasks = await subscribeSse(api, `subscription ($job: ID!) { taskUpdated(job: $job) { name status timedOutAt } }`, { job: h.id }, alice.secret);
    const changed = await subscribeSse(api, `subscription { jobsChanged(filter: { status: [QUEUED], queue: ["timeouts"] }) { change job { status attempts { outcome } } } }`, {}, alice.secret);
    try {
      expect((await tasks.next(5000)).data).toMatchObject({ taskUpdated: [{ name: "a", status: "RUNNING", timedOutAt: null }] });
      expect((await changed.next(5000)).data).toMatchObject({ jobsChanged: { change: "INITIAL" } });
      await timeOutTasks(database.db, later(6));
      expect((await tasks.next(5000)).data).toMatchObject({ taskUpdated: [{ name: "a", status: "QUEUED", timedOutAt: expect.any(String) }] });
      await database.db.job.update({ where: { id: h.uuid }, data: { queue: "timeouts" } });
      await reclaimExpiredLeases(database.db, later(61));
      expect((await changed.next(5000)).data).toMatchObject({ jobsChanged: { change: "ADDED", job: { status: "QUEUED", attempts: [{ outcome: "TIMED_OUT" }] } } });
      const kinds: string[] = [];
      while (!kinds.includes("TIMED_OUT")) kinds.push(((await events.next(5000)).data as { jobEvents: { event: { kind: string } } }).jobEvents.event.kind);
      expect(kinds).toContain("TASK_TIMED_OUT");
    } finally {
      await Promise.all([events.close(), tasks.close(), changed.close()]);
    }
  });
});

describe("a deadline", () => {
  it("fails a job still queued when it passes, with its own reason and event", async () => {
    const deadline = later(30).toISOString();
    const { job } = await create({ deadline, tasks: [{ name: "a" }] });
    expect(job.deadline).toBe(deadline);
    const h = { id: job.id, uuid: decodeGlobalId(job.id).id } as Held;
    expect(await failPastDeadlines(database.db, later(20))).toBe(0);
    expect(await failPastDeadlines(database.db, later(31))).toBeGreaterThanOrEqual(1);
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", errorReason: `its deadline (${deadline}) passed before it finished`, attempts: [] });
    expect(await events(h, "DEADLINE_EXCEEDED")).toMatchObject([{ fromStatus: "QUEUED", toStatus: "FAILED", detail: { deadline, tasks: { cancelled: 1 } } }]);
  });

  it("fails a running job, and its holder hears why", async () => {
    const deadline = later(30).toISOString();
    const h = await held({ deadline });
    await failPastDeadlines(database.db, later(31));
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", attempts: [{ outcome: "DEADLINE_EXCEEDED", error: `its deadline (${deadline}) passed before it finished` }] });
    expect(await progress(h)).toMatchObject({ __typename: "TimeLimitExceededError", limit: "DEADLINE", limitSeconds: null });
  });

  it("must be in the future", async () => {
    expect(await create({ deadline: new Date(Date.now() - 1000).toISOString() })).toMatchObject({ fieldErrors: [{ path: ["deadline"], message: "must be in the future" }] });
  });
});

describe("the gateway's housekeeping", () => {
  it("enforces time limits on its own, on a listening gateway", async () => {
    const serving = await createTestApi(database, { reclaimIntervalMs: 100 });
    await serving.app.start(0, "127.0.0.1");
    try {
      const h = await held({ timeLimitSeconds: 1, retryPolicy: { retryOn: ["ERROR"] }, tasks: [{ name: "a", maxExecutionTimeInSeconds: 1 }] });
      const other = await held({ deadline: later(1).toISOString() });
      await expect.poll(async () => (await jobOf(h)).status, { timeout: 10_000 }).toBe("FAILED");
      await expect.poll(async () => (await jobOf(other)).status, { timeout: 10_000 }).toBe("FAILED");
      expect((await jobOf(h)).attempts).toMatchObject([{ outcome: "TIMED_OUT" }]);
      expect((await jobOf(other)).attempts).toMatchObject([{ outcome: "DEADLINE_EXCEEDED" }]);
    } finally {
      await serving.app.stop();
    }
  });
});
