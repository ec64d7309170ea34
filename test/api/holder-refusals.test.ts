// Every action a node takes as a job's holder, from every state of the job, by every kind of
// caller: the job's own actions, a reset by a node, its outputs, addTasks and its tasks' actions.
// A node whose lease is not the current one of a job still in play (QUEUED, ACQUIRED, RUNNING) is
// told LeaseLostError, whether it held the job before (a stale lease) or never did; once the job
// finished or was cancelled, it is told InvalidTransitionError saying so. Users other than the
// job's creator (for reset and addTasks) are refused; admins act as the state allows. A refusal
// changes nothing.
import { randomBytes, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";
import { allowedFrom, type JobAction } from "../../src/domain/lifecycle.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { FINISHED, IN_PLAY, jobState, mutate, type Call } from "../helpers/mutations.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

const STATUSES: JobStatus[] = ["QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/**
 * The caller: the node holding the job with its current lease (ACQUIRED, RUNNING only); the same
 * node with an earlier lease of its own (it held the job before: reclaimed and acquired again, or
 * it finished); another node with a lease of its own; the job's creator; an admin.
 */
type Caller = "holder" | "stale" | "other" | "creator" | "admin";
const CALLERS: Caller[] = ["holder", "stale", "other", "creator", "admin"];

/** The job of a case: its UUID and global ID, its current lease, its queued task and its running one. */
type Fixture = { id: string; gid: string; queuedTask: string; runningTask: string };

type Action = {
  name: string;
  call: (job: Fixture, lease: string | null) => Call;
  /** When an admin (and the holder) may take it: the job's states, or the job's being RUNNING for a task. */
  allowed: readonly JobStatus[];
  /** Whether the job's creator may take it (as for the holder, from `allowed`). */
  creatorMay?: boolean;
};

// Callers without a lease send an empty token, which holds nothing (the argument is required of some).
const lease = (token: string | null) => `, leaseToken: "${token ?? ""}"`;
const taskGid = (id: string) => encodeGlobalId("Task", id);
const jobAction = (name: string, action: JobAction, extra = ""): Action => ({
  name,
  call: (job, token) => ({ field: name, args: `id: "${job.gid}"${lease(token)}${extra}` }),
  allowed: allowedFrom[action],
});

const ACTIONS: Action[] = [
  jobAction("releaseJob", "release"),
  jobAction("startJob", "start"),
  jobAction("reportJobProgress", "reportProgress", ", progress: 0.5"),
  jobAction("renewJobLease", "renewLease"),
  // With an error: the fixture's job has unfinished tasks, which refuse a success (tasks.test.ts).
  jobAction("finishJob", "finish", ', error: "failed"'),
  { ...jobAction("resetJob", "reset"), creatorMay: true },
  {
    name: "addJobOutput",
    call: (job, token) => ({ field: "addJobOutput", args: `jobId: "${job.gid}", name: "new", type: "json"${lease(token)}`, file: randomBytes(16) }),
    allowed: STATUSES,
  },
  {
    name: "deleteJobOutput",
    call: (job, token) => ({ field: "deleteJobOutput", args: `jobId: "${job.gid}", name: "kept", type: "json"${lease(token)}` }),
    allowed: STATUSES,
  },
  {
    name: "addTasks",
    call: (job, token) => ({ field: "addTasks", args: `job: "${job.gid}", tasks: [{ name: "added" }]${lease(token)}` }),
    allowed: IN_PLAY,
    creatorMay: true,
  },
  {
    name: "startTask",
    call: (job, token) => ({ field: "startTask", args: `id: "${taskGid(job.queuedTask)}", leaseToken: "${token ?? ""}"` }),
    allowed: ["RUNNING"],
  },
  {
    name: "reportTaskProgress",
    call: (job, token) => ({ field: "reportTaskProgress", args: `id: "${taskGid(job.runningTask)}", leaseToken: "${token ?? ""}", progress: 0.5` }),
    allowed: ["RUNNING"],
  },
  {
    name: "finishTask",
    call: (job, token) => ({ field: "finishTask", args: `id: "${taskGid(job.runningTask)}", leaseToken: "${token ?? ""}", success: true` }),
    allowed: ["RUNNING"],
  },
  {
    name: "resetTask",
    call: (job, token) => ({ field: "resetTask", args: `id: "${taskGid(job.runningTask)}"${lease(token)}` }),
    allowed: ["RUNNING"],
  },
];

/** What each caller is answered: a payload (null), or the error's type. */
function expected(action: Action, status: JobStatus, caller: Caller): string | null {
  const allowed = action.allowed.includes(status) ? null : "InvalidTransitionError";
  switch (caller) {
    case "admin":
    case "holder":
      return allowed;
    case "creator":
      return action.creatorMay ? allowed : "ForbiddenError";
    case "stale":
    case "other":
      return IN_PLAY.includes(status) ? "LeaseLostError" : "InvalidTransitionError";
  }
}

describe("a node's actions as a job's holder", () => {
  let database: TestDatabase;
  let api: TestApi;
  let templateId: string;
  let creator: TestUser;
  let holder: TestNode;
  let other: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    templateId = (await createTemplate(database.db)).id;
    creator = await createTestUser(database.db, "USER", "creator");
    holder = await createTestNode(database.db, "holder");
    other = await createTestNode(database.db, "other");
  });

  /**
   * A job of the creator's in `status`, with an output and two tasks (one queued, one running).
   * ACQUIRED and RUNNING: held by the holder node under `current`. Finished: the holder node held it
   * last (a cancelled job keeps its node too), no lease. QUEUED: reclaimed, no node.
   */
  async function jobIn(status: JobStatus, current: string): Promise<Fixture> {
    const [id] = (await createJobs(database.db, templateId, 1, { outputs: 0 })) as [string];
    const held = status === "ACQUIRED" || status === "RUNNING";
    await database.db.job.update({
      where: { id },
      data: {
        status,
        creatorId: creator.id,
        attempts: status === "QUEUED" ? 1 : 1,
        nodeId: status === "QUEUED" ? null : holder.id,
        ...(held ? { leaseToken: current, leaseExpiresAt: new Date(Date.now() + 60_000) } : {}),
        ...(status === "RUNNING" ? { startTime: new Date() } : {}),
        ...(FINISHED.includes(status) ? { endTime: new Date() } : {}),
      },
    });
    await database.db.jobOutput.create({ data: { jobId: id, name: "kept", type: "json", sha256: "0".repeat(64) } });
    const queuedTask = await database.db.task.create({ data: { jobId: id, name: "queued", qsequence: 0 } });
    const runningTask = await database.db.task.create({ data: { jobId: id, name: "running", qsequence: 1, status: "RUNNING", startTime: new Date() } });
    return { id, gid: encodeGlobalId("Job", id), queuedTask: queuedTask.id, runningTask: runningTask.id };
  }

  const cases = ACTIONS.flatMap((action) =>
    STATUSES.flatMap((status) =>
      CALLERS.filter((caller) => caller !== "holder" || status === "ACQUIRED" || status === "RUNNING").map((caller) => [action.name, status, caller, action] as const),
    ),
  );

  it.each(cases)("%s on a %s job by %s", async (_name, status, caller, action) => {
    const current = randomUUID();
    const job = await jobIn(status, current);
    const token = { holder: holder.secret, stale: holder.secret, other: other.secret, creator: creator.secret, admin: api.admin.secret }[caller];
    const presented = { holder: current, stale: randomUUID(), other: randomUUID(), creator: null, admin: null }[caller];
    const before = await jobState(database.db, job.id);
    const result = await mutate(api, token, action.call(job, presented));
    const error = expected(action, status, caller);
    if (error === null) {
      expect(result.__typename).not.toMatch(/Error$/);
      return;
    }
    expect(result.__typename).toBe(error);
    if (error === "InvalidTransitionError" && (caller === "stale" || caller === "other")) {
      expect(result).toMatchObject({ from: status, message: expect.stringMatching(status === "CANCELLED" ? /it was cancelled$/ : /it has finished$/) });
    }
    expect(await jobState(database.db, job.id)).toEqual(before);
  });
});
