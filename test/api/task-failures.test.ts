// Task failure and retry: a failed task is queued again while it has attempts left; once they are
// spent the job's onTaskFailure decides (FAIL_JOB, the default, or CONTINUE); resetTask and
// retryTask give a task another go, with the tasks its failure stopped.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

type NewTask = { name: string; sequence?: number; maxAttempts?: number };
type Running = { job: string; uuid: string; node: TestNode; lease: string; tasks: Record<string, string> };

let database: TestDatabase;
let api: TestApi;
let alice: TestUser;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

/** A job of alice's with these tasks, acquired and started by a new node. */
async function running(tasks: NewTask[], onTaskFailure?: "FAIL_JOB" | "CONTINUE"): Promise<Running> {
  const created = await send(
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename ... on CreateJobPayload { job { id tasks(first: 50) { edges { node { id name } } } } } ... on Error { message } } }`,
    { input: { templateName: "retries", tasks, onTaskFailure } },
    alice.secret,
  );
  const job = (created.createJob as unknown as { job: { id: string; tasks: { edges: Array<{ node: { id: string; name: string } }> } } }).job;
  const node = await createTestNode(database.db);
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id: job.id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id: job.id, lease }, node.secret);
  return { job: job.id, uuid: decodeGlobalId(job.id).id, node, lease, tasks: Object.fromEntries(job.tasks.edges.map((e) => [e.node.name, e.node.id])) };
}

const TASK = `... on TaskPayload { task { status attempts maxAttempts success reason stoppedBy { name } } } ... on Error { message }`;

function act(r: Running, field: "startTask" | "finishTask" | "resetTask" | "retryTask", name: string, extra = "", token = r.node.secret, lease: string | null = r.lease) {
  const leaseArg = lease === null ? "" : `, leaseToken: "${lease}"`;
  return send(`mutation ($id: ID!) { ${field}(id: $id${leaseArg}${extra}) { __typename ${TASK} } }`, { id: r.tasks[name] }, token).then((d) => d[field]!);
}
const start = (r: Running, name: string) => act(r, "startTask", name);
const fail = (r: Running, name: string) => act(r, "finishTask", name, `, success: false, output: "log of ${name}"`);
const succeed = (r: Running, name: string) => act(r, "finishTask", name, ", success: true");

async function jobOf(r: Running) {
  return database.db.job.findUniqueOrThrow({ where: { id: r.uuid } });
}
async function taskOf(r: Running, name: string) {
  return database.db.task.findUniqueOrThrow({ where: { id: decodeGlobalId(r.tasks[name]!).id } });
}
async function kinds(r: Running): Promise<string[]> {
  return (await database.db.jobEvent.findMany({ where: { jobId: r.uuid }, orderBy: { id: "asc" } })).map((e) => e.kind);
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  const template = await createTemplate(database.db, "retries");
  await database.db.jobTemplate.update({ where: { id: template.id }, data: { inputs: [] } });
  alice = await createTestUser(database.db, "USER", "alice");
});

describe("a failed task", () => {
  it("is queued again while it has attempts left, then fails its job for good (FAIL_JOB, the default)", async () => {
    const r = await running([{ name: "flaky", maxAttempts: 3 }, { name: "sibling" }, { name: "later", sequence: 1 }]);
    expect(await start(r, "sibling")).toMatchObject({ task: { status: "RUNNING", attempts: 1 } });
    for (const attempt of [1, 2]) {
      expect(await start(r, "flaky")).toMatchObject({ task: { status: "RUNNING", attempts: attempt, maxAttempts: 3 } });
      expect(await fail(r, "flaky")).toMatchObject({ __typename: "TaskPayload", task: { status: "QUEUED", attempts: attempt, success: null } });
      expect((await jobOf(r)).status).toBe("RUNNING");
    }
    expect(await start(r, "flaky")).toMatchObject({ task: { attempts: 3 } });
    expect(await fail(r, "flaky")).toMatchObject({ __typename: "TaskPayload", task: { status: "FAILED", attempts: 3, success: false } });

    expect(await jobOf(r)).toMatchObject({ status: "FAILED", errorReason: 'task "flaky" failed after 3 attempts', leaseToken: null });
    expect(await taskOf(r, "sibling")).toMatchObject({ status: "CANCELLED", reason: "its job failed" });
    expect(await taskOf(r, "later")).toMatchObject({ status: "CANCELLED", reason: "its job failed" });
    expect(await taskOf(r, "flaky")).toMatchObject({ output: "log of flaky" });
    expect(await kinds(r)).toEqual([
      "CREATED", "ACQUIRED", "STARTED", "TASK_STARTED",
      "TASK_STARTED", "TASK_RETRIED", "TASK_STARTED", "TASK_RETRIED", "TASK_STARTED", "TASK_FINISHED", "FAILED",
    ]);
    const failed = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: r.uuid, kind: "FAILED" } });
    expect(failed.detail).toEqual({ error: 'task "flaky" failed after 3 attempts', failedTask: decodeGlobalId(r.tasks.flaky!).id, tasks: { cancelled: 2 } });
    // The holder's next write learns that the job has finished.
    expect(await succeed(r, "sibling")).toMatchObject({ __typename: "InvalidTransitionError", message: "cannot finishTask a job that is FAILED: it has finished" });
  });

  it("fails its job at its first failure unless given more attempts", async () => {
    const r = await running([{ name: "once" }]);
    await start(r, "once");
    expect(await fail(r, "once")).toMatchObject({ task: { status: "FAILED", attempts: 1, maxAttempts: 1 } });
    expect(await jobOf(r)).toMatchObject({ status: "FAILED", errorReason: 'task "once" failed' });
  });

  it("under CONTINUE, stops the tasks that depend on it, naming it, and the job goes on with the rest", async () => {
    const r = await running(
      [{ name: "a" }, { name: "b" }, { name: "merge", sequence: 1 }, { name: "report", sequence: 2 }],
      "CONTINUE",
    );
    await start(r, "a");
    await start(r, "b");
    expect(await fail(r, "a")).toMatchObject({ task: { status: "FAILED" } });
    expect((await jobOf(r)).status).toBe("RUNNING");
    for (const name of ["merge", "report"]) {
      expect(await act(r, "startTask", name)).toMatchObject({ __typename: "InvalidTransitionError", message: "cannot startTask a task that is CANCELLED" });
      expect(await taskOf(r, name)).toMatchObject({ status: "CANCELLED", reason: 'stopped: task "a" failed', stoppedByTaskId: decodeGlobalId(r.tasks.a!).id });
    }
    const stopped = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: r.uuid, kind: "TASKS_STOPPED" } });
    expect(stopped).toMatchObject({ taskId: decodeGlobalId(r.tasks.a!).id, detail: { reason: 'task "a" failed', tasks: { cancelled: 2 } } });
    // The same sequence goes on; then the tasks decide the job.
    expect(await succeed(r, "b")).toMatchObject({ task: { status: "SUCCEEDED" } });
    const finished = await send(
      `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease, fromTasks: true) { __typename ... on JobPayload { job { status errorReason } } } }`,
      { id: r.job, lease: r.lease },
      r.node.secret,
    );
    expect(finished.finishJob).toEqual({ __typename: "JobPayload", job: { status: "FAILED", errorReason: "3 tasks did not succeed: a, merge, report" } });
  });
});

describe("retryTask and resetTask", () => {
  it("retryTask gives a failed task another attempt, and queues again the tasks its failure stopped", async () => {
    const r = await running([{ name: "a", maxAttempts: 2 }, { name: "merge", sequence: 1 }], "CONTINUE");
    for (let i = 0; i < 2; i++) {
      await start(r, "a");
      await fail(r, "a");
    }
    expect(await taskOf(r, "merge")).toMatchObject({ status: "CANCELLED" });
    expect(await act(r, "retryTask", "a")).toMatchObject({ __typename: "TaskPayload", task: { status: "QUEUED", attempts: 2, maxAttempts: 3, success: null, reason: null } });
    expect(await taskOf(r, "merge")).toMatchObject({ status: "QUEUED", reason: null, stoppedByTaskId: null });
    const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: r.uuid, kind: "TASK_RESET" } });
    expect(event.detail).toEqual({ retry: true, tasks: { reset: 1 } });
    expect(await start(r, "a")).toMatchObject({ task: { attempts: 3 } });
    await succeed(r, "a");
    expect(await start(r, "merge")).toMatchObject({ task: { status: "RUNNING" } });
  });

  it("tells each viewer, task by task, whether it may reset or retry it now", async () => {
    const r = await running([{ name: "a" }, { name: "b" }], "CONTINUE");
    await start(r, "a");
    await fail(r, "a");
    const flags = async (token: string) => {
      const data = await send(
        `query ($job: ID!) { node(id: $job) { ... on Job { tasks(first: 10) { edges { node { name viewerCanReset viewerCanRetry } } } } } }`,
        { job: r.job },
        token,
      );
      return (data.node as unknown as { tasks: { edges: Array<{ node: unknown }> } }).tasks.edges.map((e) => e.node);
    };
    const open = [{ name: "a", viewerCanReset: true, viewerCanRetry: true }, { name: "b", viewerCanReset: true, viewerCanRetry: false }];
    expect(await flags(api.admin.secret)).toEqual(open);
    expect(await flags(r.node.secret)).toEqual(open);
    const closed = open.map((t) => ({ ...t, viewerCanReset: false, viewerCanRetry: false }));
    expect(await flags(alice.secret)).toEqual(closed);
    expect(await flags((await createTestNode(database.db)).secret)).toEqual(closed);
    // Once the job has left RUNNING, nobody may.
    await send(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: r.job, lease: r.lease }, r.node.secret);
    expect(await flags(api.admin.secret)).toEqual(closed);
  });

  it("retryTask is refused for a task that has not failed or been cancelled", async () => {
    const r = await running([{ name: "a" }]);
    expect(await act(r, "retryTask", "a")).toMatchObject({ __typename: "InvalidTransitionError", message: "cannot retryTask a task that is QUEUED" });
    await start(r, "a");
    await succeed(r, "a");
    expect(await act(r, "retryTask", "a")).toMatchObject({ __typename: "InvalidTransitionError", message: "cannot retryTask a task that is SUCCEEDED" });
  });

  it("resetTask makes any task new again, attempts included; an admin needs no lease", async () => {
    const r = await running([{ name: "a", maxAttempts: 2 }]);
    await start(r, "a");
    await succeed(r, "a");
    expect(await act(r, "resetTask", "a", "", api.admin.secret, null)).toMatchObject({ __typename: "TaskPayload", task: { status: "QUEUED", attempts: 0, maxAttempts: 2, success: null } });
    expect(await taskOf(r, "a")).toMatchObject({ output: null, progress: 0, startTime: null, endTime: null });
  });

  it("are refused with a stale lease, to users, and on a job that is not running, changing nothing", async () => {
    const r = await running([{ name: "a" }]);
    await start(r, "a");
    const before = await taskOf(r, "a");
    for (const field of ["resetTask", "retryTask"] as const) {
      expect(await act(r, field, "a", "", r.node.secret, "00000000-0000-4000-8000-000000000000")).toMatchObject({ __typename: "LeaseLostError" });
      expect(await act(r, field, "a", "", alice.secret, null)).toMatchObject({ __typename: "ForbiddenError" });
    }
    expect(await taskOf(r, "a")).toEqual(before);
    await send(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: r.job, lease: r.lease }, r.node.secret);
    expect(await act(r, "resetTask", "a", "", api.admin.secret, null)).toMatchObject({ __typename: "InvalidTransitionError", message: "the job is QUEUED, not RUNNING" });
    expect(await taskOf(r, "a")).toMatchObject({ status: "QUEUED", attempts: 0 });
  });
});

describe("attempts", () => {
  it("do not count an attempt its job's release cut short", async () => {
    const r = await running([{ name: "a", maxAttempts: 1 }]);
    expect(await start(r, "a")).toMatchObject({ task: { attempts: 1 } });
    await send(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: r.job, lease: r.lease }, r.node.secret);
    expect(await taskOf(r, "a")).toMatchObject({ status: "QUEUED", attempts: 0 });
  });

  it.each([0, 11, -1])("refuse maxAttempts %i with a ValidationError naming it", async (maxAttempts) => {
    const created = await send(
      `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { templateName: "retries", tasks: [{ name: "a", maxAttempts }] } },
      alice.secret,
    );
    expect(created.createJob).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["tasks", "0", "maxAttempts"], message: "must be an integer from 1 to 10" }] });
  });

  it("tell taskUpdated subscribers of every task the failure stopped", async () => {
    const r = await running([{ name: "a" }, { name: "b", sequence: 1 }], "CONTINUE");
    const stream = await subscribeSse(api, `subscription { taskUpdated(job: "${r.job}") { name status } }`);
    try {
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a", status: "QUEUED" }, { name: "b", status: "QUEUED" }] });
      await start(r, "a");
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a", status: "RUNNING" }] });
      await fail(r, "a");
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a", status: "FAILED" }] });
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a", status: "FAILED" }, { name: "b", status: "CANCELLED" }] });
    } finally {
      await stream.close();
    }
  });
});
