// Tasks follow their job: the table "Tasks follow their job" in docs/api.md, one test per cell.
// Each test makes a RUNNING job held by a node, with one task in the column's status, changes the
// job as the row says, and checks the task, the job and the event that recorded both.
import { beforeAll, describe, expect, it } from "vitest";
import { reclaimExpiredLeases } from "../../src/domain/claiming.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

type TaskStatus = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";
const TASK_STATUSES: TaskStatus[] = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"];

/** A RUNNING job held by `node` with `lease`, created by `creator`, with its one task. */
type Held = { id: string; gid: string; node: TestNode; lease: string; taskId: string };

/** What a cell expects of the task: its new status (fields cleared as the row says), "gone", or "refused" (nothing changes). */
type Outcome = TaskStatus | "CANCELLED" | "kept" | "gone" | "refused";

type Row = {
  transition: string;
  /** Changes the job; returns the __typename of the mutation's answer (or "reclaimed"). */
  run(held: Held): Promise<string>;
  /** The job's status after it, when allowed. */
  jobStatus: string | "gone" | "unchanged";
  /** The event that records it, by kind. */
  event?: string;
  cells: Record<TaskStatus, Outcome>;
  /** With a reset, whether the task's progress, output, success and times are cleared. */
  clears?: boolean;
};

let database: TestDatabase;
let api: TestApi;
let templateId: string;
let creator: TestUser;

const gid = (type: string, id: string) => encodeGlobalId(type, id);

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

/** A job of the creator's, acquired and started by a new node, with one task in `status`. */
async function heldJob(status: TaskStatus, parentId?: string): Promise<Held> {
  const [id] = (await createJobs(database.db, templateId, 1, { spec: () => ({ parentId }) })) as [string];
  await database.db.job.update({ where: { id }, data: { creatorId: creator.id } });
  const node = await createTestNode(database.db);
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } } }`, { id: gid("Job", id) }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id: gid("Job", id), lease }, node.secret);
  const ended = status === "SUCCEEDED" || status === "FAILED";
  const task = await database.db.task.create({
    data: {
      jobId: id,
      name: `a ${status.toLowerCase()} task`,
      qsequence: 0,
      status,
      progress: status === "QUEUED" ? 0 : status === "RUNNING" ? 0.4 : 1,
      output: ended ? "c1bad4b39ca5a924e481008009d94e32+210" : null,
      success: ended ? status === "SUCCEEDED" : null,
      startTime: status === "QUEUED" ? null : new Date(Date.now() - 60_000),
      endTime: ended ? new Date() : null,
    },
  });
  return { id, gid: gid("Job", id), node, lease, taskId: task.id };
}

const holder = (field: string, extra = "") => async (held: Held) =>
  (await send(`mutation ($id: ID!, $lease: String!) { ${field}(id: $id, leaseToken: $lease${extra}) { __typename ... on Error { message } } }`, { id: held.gid, lease: held.lease }, held.node.secret))[field]!.__typename;
const byCreator = (field: string, extra = "") => async (held: Held) =>
  (await send(`mutation ($id: ID!) { ${field}(id: $id${extra}) { __typename ... on Error { message } } }`, { id: held.gid }, creator.secret))[field]!.__typename;
const byAdmin = (field: string) => async (held: Held) =>
  (await send(`mutation ($id: ID!) { ${field}(id: $id) { __typename ... on Error { message } } }`, { id: held.gid }))[field]!.__typename;

const ROWS: Row[] = [
  {
    transition: "cancelJob",
    run: byCreator("cancelJob"),
    jobStatus: "CANCELLED",
    event: "CANCELLED",
    cells: { QUEUED: "CANCELLED", RUNNING: "CANCELLED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "cancelJob of its parent (the cascade)",
    run: async (held) => {
      const { parentId } = await database.db.job.findUniqueOrThrow({ where: { id: held.id } });
      return (await send(`mutation ($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: gid("Job", parentId!) })).cancelJob!.__typename;
    },
    jobStatus: "CANCELLED",
    event: "CANCELLED",
    cells: { QUEUED: "CANCELLED", RUNNING: "CANCELLED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "releaseJob",
    run: holder("releaseJob"),
    jobStatus: "QUEUED",
    event: "RELEASED",
    cells: { QUEUED: "kept", RUNNING: "QUEUED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "abortJob",
    run: byAdmin("abortJob"),
    jobStatus: "QUEUED",
    event: "ABORTED",
    cells: { QUEUED: "kept", RUNNING: "QUEUED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "an expired lease, with attempts left",
    run: async (held) => {
      await database.db.job.update({ where: { id: held.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
      await reclaimExpiredLeases(database.db);
      return "reclaimed";
    },
    jobStatus: "QUEUED",
    event: "LEASE_EXPIRED",
    cells: { QUEUED: "kept", RUNNING: "QUEUED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "an expired lease, the last attempt spent",
    run: async (held) => {
      const { attempts } = await database.db.job.findUniqueOrThrow({ where: { id: held.id } });
      await database.db.job.update({ where: { id: held.id }, data: { maxAttempts: attempts, leaseExpiresAt: new Date(Date.now() - 1000) } });
      await reclaimExpiredLeases(database.db);
      return "reclaimed";
    },
    jobStatus: "FAILED",
    event: "LEASE_EXPIRED",
    cells: { QUEUED: "CANCELLED", RUNNING: "CANCELLED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "resetJob",
    run: byCreator("resetJob"),
    jobStatus: "QUEUED",
    event: "RESET",
    cells: { QUEUED: "kept", RUNNING: "QUEUED", SUCCEEDED: "QUEUED", FAILED: "QUEUED" },
    clears: true,
  },
  {
    transition: "resetJob(keepSucceededTasks: true)",
    run: byCreator("resetJob", ", keepSucceededTasks: true"),
    jobStatus: "QUEUED",
    event: "RESET",
    cells: { QUEUED: "kept", RUNNING: "QUEUED", SUCCEEDED: "kept", FAILED: "QUEUED" },
    clears: true,
  },
  {
    transition: "finishJob",
    run: holder("finishJob"),
    jobStatus: "SUCCEEDED",
    event: "SUCCEEDED",
    cells: { QUEUED: "refused", RUNNING: "refused", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "finishJob(error)",
    run: holder("finishJob", ', error: "out of memory"'),
    jobStatus: "FAILED",
    event: "FAILED",
    cells: { QUEUED: "CANCELLED", RUNNING: "CANCELLED", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "deleteJob (soft)",
    run: byCreator("deleteJob"),
    jobStatus: "RUNNING",
    event: "DELETED",
    cells: { QUEUED: "kept", RUNNING: "kept", SUCCEEDED: "kept", FAILED: "kept" },
  },
  {
    transition: "hardDeleteJob",
    run: async (held) => (await send(`mutation ($id: ID!) { hardDeleteJob(id: $id) { __typename } }`, { id: held.gid })).hardDeleteJob!.__typename,
    jobStatus: "gone",
    event: "HARD_DELETED",
    cells: { QUEUED: "gone", RUNNING: "gone", SUCCEEDED: "gone", FAILED: "gone" },
  },
];

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  templateId = (await createTemplate(database.db)).id;
  creator = await createTestUser(database.db, "USER", "creator");
});

describe.each(ROWS)("tasks follow $transition", (row) => {
  it.each(TASK_STATUSES)("a %s task", async (status) => {
    const cascade = row.transition.includes("cascade");
    const parentId = cascade ? ((await createJobs(database.db, templateId, 1)) as [string])[0] : undefined;
    const held = await heldJob(status, parentId);
    const before = await database.db.task.findUniqueOrThrow({ where: { id: held.taskId } });
    const jobBefore = await database.db.job.findUniqueOrThrow({ where: { id: held.id } });
    const outcome = row.cells[status];

    const answer = await row.run(held);
    const task = await database.db.task.findUnique({ where: { id: held.taskId } });
    const job = await database.db.job.findUnique({ where: { id: held.id } });

    if (outcome === "refused") {
      expect(answer).toBe("InvalidTransitionError");
      expect(task).toEqual(before);
      expect(job).toEqual(jobBefore);
      return;
    }
    expect(answer).not.toMatch(/Error$/);
    if (row.jobStatus === "gone") expect(job).toBeNull();
    else expect(job!.status).toBe(row.jobStatus === "unchanged" ? jobBefore.status : row.jobStatus);
    if (outcome === "gone") {
      expect(task).toBeNull();
      return;
    }
    if (outcome === "kept") {
      expect(task).toEqual(before);
    } else if (outcome === "QUEUED") {
      expect(task).toMatchObject({ status: "QUEUED", progress: 0, startTime: null, endTime: null });
      if (row.clears) expect(task).toMatchObject({ output: null, success: null });
      else expect(task).toMatchObject({ output: before.output, success: before.success });
    } else {
      expect(task).toMatchObject({
        status: outcome,
        startTime: before.startTime,
        progress: before.progress,
        success: null,
        reason: job!.status === "FAILED" ? "its job failed" : "cancelled with its job",
      });
      expect(task!.endTime).not.toBeNull();
    }

    // The job's event counts what happened to its tasks, at the job's new version: nothing when nothing did.
    const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: held.id, kind: row.event as never }, orderBy: { id: "desc" } });
    const effect = outcome === "kept" ? undefined : row.transition.startsWith("resetJob") ? "reset" : outcome === "QUEUED" ? "requeued" : "cancelled";
    const counted = (event.detail as { tasks?: Record<string, number> } | null)?.tasks;
    expect(counted).toEqual(effect ? { [effect]: 1 } : undefined);
    if (job) expect(event.jobVersion).toBe(job.version);
  });
});

describe("tasks follow their job", () => {
  it("change nothing when the job's change is refused", async () => {
    const held = await heldJob("RUNNING");
    const before = await database.db.task.findUniqueOrThrow({ where: { id: held.taskId } });
    const stale = await send(
      `mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`,
      { id: held.gid, lease: "00000000-0000-4000-8000-000000000000" },
      held.node.secret,
    );
    expect(stale.releaseJob!.__typename).toBe("LeaseLostError");
    expect(await database.db.task.findUniqueOrThrow({ where: { id: held.taskId } })).toEqual(before);
  });

  it("refuses finishJob while tasks are unfinished, naming them", async () => {
    const held = await heldJob("RUNNING");
    await database.db.task.create({ data: { jobId: held.id, name: "still queued", qsequence: 1, sequence: 1 } });
    const answer = await send(
      `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename ... on InvalidTransitionError { from action message } } }`,
      { id: held.gid, lease: held.lease },
      held.node.secret,
    );
    expect(answer.finishJob).toEqual({
      __typename: "InvalidTransitionError",
      from: "RUNNING",
      action: "finish",
      message: "cannot finish the job as SUCCEEDED while 2 tasks are unfinished: a running task, still queued; finish them first, or finish the job with an error",
    });
  });

  it.each([
    ["every task succeeded", ["SUCCEEDED", "SUCCEEDED"], { status: "SUCCEEDED", errorReason: null }],
    ["a task failed", ["SUCCEEDED", "FAILED"], { status: "FAILED", errorReason: "a task did not succeed: task 1" }],
    ["no task at all", [], { status: "SUCCEEDED", errorReason: null }],
  ] as const)("finishJob(fromTasks: true) lets the tasks decide when %s", async (_label, statuses, expected) => {
    const held = await heldJob("SUCCEEDED");
    await database.db.task.deleteMany({ where: { jobId: held.id } });
    for (const [i, status] of statuses.entries()) {
      await database.db.task.create({ data: { jobId: held.id, name: `task ${i}`, qsequence: i, status, success: status === "SUCCEEDED" } });
    }
    const answer = await send(
      `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease, fromTasks: true) { __typename ... on JobPayload { job { status errorReason } } } }`,
      { id: held.gid, lease: held.lease },
      held.node.secret,
    );
    expect(answer.finishJob).toEqual({ __typename: "JobPayload", job: expected });
  });

  it("refuses finishJob with both an error and fromTasks, changing nothing", async () => {
    const held = await heldJob("SUCCEEDED");
    const answer = await send(
      `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease, error: "x", fromTasks: true) { __typename } }`,
      { id: held.gid, lease: held.lease },
      held.node.secret,
    );
    expect(answer.finishJob!.__typename).toBe("ValidationError");
    expect((await database.db.job.findUniqueOrThrow({ where: { id: held.id } })).status).toBe("RUNNING");
  });

  it("resets the tasks of every job resetJobs matches, keeping SUCCEEDED ones when asked", async () => {
    const [parent] = (await createJobs(database.db, templateId, 1)) as [string];
    const kept = await heldJob("SUCCEEDED", parent);
    const redone = await heldJob("FAILED", parent);
    const answer = await send(
      `mutation ($parent: ID!) { resetJobs(filter: { parent: $parent }, keepSucceededTasks: true) { __typename ... on BulkJobsPayload { changed } } }`,
      { parent: gid("Job", parent) },
    );
    expect(answer.resetJobs).toEqual({ __typename: "BulkJobsPayload", changed: 2 });
    expect((await database.db.task.findUniqueOrThrow({ where: { id: kept.taskId } })).status).toBe("SUCCEEDED");
    expect((await database.db.task.findUniqueOrThrow({ where: { id: redone.taskId } })).status).toBe("QUEUED");
  });

  it("never deadlocks a job's change with its tasks' changes racing it", async () => {
    for (let round = 0; round < 5; round++) {
      const held = await heldJob("RUNNING");
      const tasks = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          database.db.task.create({ data: { jobId: held.id, name: `racer ${i}`, qsequence: i + 1, status: "RUNNING", startTime: new Date() } }),
        ),
      );
      const report = (taskId: string) =>
        send(
          `mutation ($id: ID!, $lease: String!) { reportTaskProgress(id: $id, leaseToken: $lease, progress: 0.5) { __typename } }`,
          { id: gid("Task", taskId), lease: held.lease },
          held.node.secret,
        );
      // send() throws on any GraphQL error: a deadlock PostgreSQL broke would be one.
      const [released, ...reports] = await Promise.all([holder("releaseJob")(held), ...tasks.map((t) => report(t.id))]);
      expect(released).not.toMatch(/Error$/);
      for (const answer of reports) expect(["TaskPayload", "LeaseLostError"]).toContain(answer.reportTaskProgress!.__typename);
      // Whatever came first, the release sent every running task back to the queue.
      expect(await database.db.task.count({ where: { jobId: held.id, status: { not: "QUEUED" } } })).toBe(0);
    }
  });

  it("sends a taskUpdated subscriber its window of the tasks, and only updates of tasks in it", async () => {
    const held = await heldJob("RUNNING");
    for (let i = 1; i <= 3; i++) await database.db.task.create({ data: { jobId: held.id, name: `t${i}`, qsequence: i } });
    const tasks = await database.db.task.findMany({ where: { jobId: held.id }, orderBy: { qsequence: "asc" } });
    const stream = await subscribeSse(api, `subscription { taskUpdated(job: "${held.gid}", first: 2, fromQsequence: 1) { name status progress } }`);
    const progress = (taskId: string, value: number) =>
      send(
        `mutation ($id: ID!, $lease: String!, $p: Float!) { reportTaskProgress(id: $id, leaseToken: $lease, progress: $p) { __typename } }`,
        { id: gid("Task", taskId), lease: held.lease, p: value },
        held.node.secret,
      );
    try {
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "t1", status: "QUEUED", progress: 0 }, { name: "t2", status: "QUEUED", progress: 0 }] });
      // qsequence 0 is before the window: its progress is not sent; t1's, inside it, is.
      expect((await progress(tasks[0]!.id, 0.5)).reportTaskProgress!.__typename).toBe("TaskPayload");
      await send(`mutation ($id: ID!, $lease: String!) { startTask(id: $id, leaseToken: $lease) { __typename } }`, { id: gid("Task", tasks[1]!.id), lease: held.lease }, held.node.secret);
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "t1", status: "RUNNING", progress: 0 }] });
      // A change of the job that changes its tasks sends the window again.
      await byCreator("cancelJob")(held);
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "t1", status: "CANCELLED", progress: 0 }, { name: "t2", status: "CANCELLED", progress: 0 }] });
    } finally {
      await stream.close();
    }
  });

  it.each([
    ["first: 0", "first must be from 1 to 100"],
    ["first: 101", "first must be from 1 to 100"],
    ["fromQsequence: -1", "fromQsequence must be 0 or more"],
  ])("refuses a taskUpdated window of %s with BAD_USER_INPUT", async (args, message) => {
    const held = await heldJob("QUEUED");
    const stream = await subscribeSse(api, `subscription { taskUpdated(job: "${held.gid}", ${args}) { name } }`);
    try {
      expect(await stream.next(5000)).toMatchObject({ errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] });
    } finally {
      await stream.close();
    }
  });

  it("sends taskUpdated subscribers the job's tasks again when the job's change changes them", async () => {
    const held = await heldJob("RUNNING");
    const stream = await subscribeSse(api, `subscription { taskUpdated(job: "${held.gid}") { name status } }`);
    try {
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a running task", status: "RUNNING" }] });
      await byCreator("cancelJob")(held);
      expect((await stream.next(5000)).data).toEqual({ taskUpdated: [{ name: "a running task", status: "CANCELLED" }] });
    } finally {
      await stream.close();
    }
  });
});
