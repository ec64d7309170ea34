// Every mutation run into each error its result union holds: each comes back as that member of the
// union, never as a masked unexpected error (which is what a domain error missing from the union
// becomes). A union member without a refusal here fails the test, as does a refusal of a type the
// union does not hold (test/unit/mutation-errors.test.ts pins the members).
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUnionType } from "graphql";
import { defaultLimits } from "../../src/config.js";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { schema } from "../../src/graphql/schema.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { FINISHED, mutate, type Call, type MutationResult } from "../helpers/mutations.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

/**
 * Members no refusal reaches today. Every mutation that takes text keeps ValidationError, for text
 * PostgreSQL cannot store (a NUL character), which is refused as invalid input in every mutation;
 * these take no other input that their domain function checks.
 */
const VALIDATION_OF_TEXT_ONLY = [
  "revokeApiToken",
  "deleteJobTemplate",
  "reinstateJobTemplate",
  "acquireJob",
  "acquireNextJob",
  "releaseJob",
  "startJob",
  "renewJobLease",
  "finishJob",
  "resetJob",
  "abortJob",
  "cancelJob",
  "deleteJob",
  "reinstateJob",
  "hardDeleteJob",
  "drainNode",
  "undrainNode",
  "cancelWorkflow",
  "pauseSchedule",
  "resumeSchedule",
  "deleteSchedule",
  "startTask",
  "finishTask",
  "resetTask",
  "retryTask",
];

/**
 * Refusals reached by tests of their own, which need a gateway brought to the point of refusing:
 * BusyError by output connections all held past their wait (test/api/output-streaming.test.ts).
 */
const REACHED_ELSEWHERE = ["addJobOutput BusyError"];

type Who = "admin" | "alice" | "bob" | "node" | "other";
type Job = { id: string; gid: string; lease: string; queuedTask: string; runningTask: string };
type Refusal = { mutation: string; error: string; who: Who; call: () => Promise<Call>; via?: "small" };

describe("every mutation's refusals", () => {
  let database: TestDatabase;
  let api: TestApi;
  /** An app that takes outputs of at most 8 bytes. */
  let small: TestApi;
  let templateId: string;
  let alice: TestUser;
  let bob: TestUser;
  let node: TestNode;
  let other: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    small = await createTestApi(database, { limits: { ...defaultLimits, maxOutputBytes: 8 } });
    templateId = (await createTemplate(database.db)).id;
    alice = await createTestUser(database.db, "USER", "alice");
    bob = await createTestUser(database.db, "USER", "bob");
    node = await createTestNode(database.db, "node");
    other = await createTestNode(database.db, "other");
    // More than one bulk call may act on.
    await createJobs(database.db, templateId, 1001, { spec: () => ({ tags: ["bulk-limit"] }) });
  });

  afterAll(async () => {
    await small.app.stop();
  });

  /** A job of alice's in `status` with an output "kept" and two tasks, held by `node` under `lease` when ACQUIRED or RUNNING. */
  async function job(status: JobStatus, { deleted = false, timedOut = false } = {}): Promise<Job> {
    const [id] = (await createJobs(database.db, templateId, 1)) as [string];
    const lease = randomUUID();
    const held = status === "ACQUIRED" || status === "RUNNING";
    await database.db.job.update({
      where: { id },
      data: {
        status,
        creatorId: alice.id,
        nodeId: status === "QUEUED" ? null : node.id,
        ...(held ? { leaseToken: lease, leaseExpiresAt: new Date(Date.now() + 60_000) } : {}),
        ...(FINISHED.includes(status) ? { endTime: new Date() } : {}),
        ...(deleted ? { deletedAt: new Date() } : {}),
      },
    });
    await database.db.jobOutput.create({ data: { jobId: id, name: "kept", type: "json", sha256: "0".repeat(64) } });
    const queuedTask = await database.db.task.create({ data: { jobId: id, name: "queued", qsequence: 0 } });
    const runningTask = await database.db.task.create({ data: { jobId: id, name: "running", qsequence: 1, status: "RUNNING" } });
    // The attempt `node` made under `lease` ran past the job's time limit, and the job went back to the queue.
    if (timedOut) {
      await database.db.job.update({ where: { id }, data: { timeLimitSeconds: 60 } });
      await database.db.jobAttempt.create({ data: { jobId: id, number: 1, nodeId: node.id, leaseToken: lease, endTime: new Date(), outcome: "TIMED_OUT" } });
    }
    return { id, gid: encodeGlobalId("Job", id), lease, queuedTask: encodeGlobalId("Task", queuedTask.id), runningTask: encodeGlobalId("Task", runningTask.id) };
  }

  const missing = (type: string) => encodeGlobalId(type, randomUUID());
  /** A schedule of alice's, by global ID. */
  const schedule = async () => {
    const made = await database.db.schedule.create({
      data: { name: `schedule ${randomUUID()}`, cron: "@daily", job: { templateName: "train" }, nextRunAt: new Date(Date.now() + 86_400_000), creatorId: alice.id },
    });
    return encodeGlobalId("Schedule", made.id);
  };
  const on = (status: JobStatus, args: (j: Job) => string, options?: { deleted?: boolean; timedOut?: boolean }) => async () => args(await job(status, options));
  const call =
    (field: string, args: string | (() => Promise<string> | string), file?: Uint8Array) =>
    async (): Promise<Call> => ({ field, args: typeof args === "string" ? args : await args(), ...(file ? { file } : {}) });
  const file = () => randomBytes(16);
  const holderCalls = (field: string, extra = "") => ({
    forbidden: call(field, on("RUNNING", (j) => `id: "${j.gid}", leaseToken: ""${extra}`)),
    missing: call(field, () => `id: "${missing("Job")}", leaseToken: "${randomUUID()}"${extra}`),
    leaseLost: call(field, on("RUNNING", (j) => `id: "${j.gid}", leaseToken: "${randomUUID()}"${extra}`)),
    timedOut: call(field, on("QUEUED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"${extra}`, { timedOut: true })),
  });

  const REFUSALS: Refusal[] = [
    { mutation: "createUser", error: "ForbiddenError", who: "alice", call: call("createUser", `input: { name: "someone" }`) },
    { mutation: "createUser", error: "ValidationError", who: "admin", call: call("createUser", `input: { name: "" }`) },
    { mutation: "createApiToken", error: "ForbiddenError", who: "alice", call: call("createApiToken", () => `input: { user: "${encodeGlobalId("User", alice.id)}", name: "t" }`) },
    { mutation: "createApiToken", error: "ValidationError", who: "admin", call: call("createApiToken", () => `input: { user: "${encodeGlobalId("User", alice.id)}", name: "" }`) },
    { mutation: "createApiToken", error: "NotFoundError", who: "admin", call: call("createApiToken", () => `input: { user: "${missing("User")}", name: "t" }`) },
    { mutation: "revokeApiToken", error: "ForbiddenError", who: "bob", call: call("revokeApiToken", () => `id: "${encodeGlobalId("ApiToken", alice.tokenId)}"`) },
    { mutation: "revokeApiToken", error: "NotFoundError", who: "admin", call: call("revokeApiToken", () => `id: "${missing("ApiToken")}"`) },
    { mutation: "registerWorkerNode", error: "ForbiddenError", who: "alice", call: call("registerWorkerNode", `input: { name: "n" }`) },
    { mutation: "registerWorkerNode", error: "ValidationError", who: "admin", call: call("registerWorkerNode", `input: { name: "" }`) },
    ...(["drainNode", "undrainNode"] as const).flatMap((field): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "alice", call: call(field, () => `id: "${encodeGlobalId("WorkerNode", node.id)}"`) },
      { mutation: field, error: "NotFoundError", who: "admin", call: call(field, () => `id: "${missing("WorkerNode")}"`) },
    ]),
    ...(["pauseQueue", "resumeQueue"] as const).flatMap((field): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "alice", call: call(field, `name: "gpu"`) },
      { mutation: field, error: "ValidationError", who: "admin", call: call(field, `name: ""`) },
    ]),
    { mutation: "updateQueue", error: "ForbiddenError", who: "node", call: call("updateQueue", `input: { name: "gpu", concurrencyLimit: 2 }`) },
    { mutation: "updateQueue", error: "ValidationError", who: "admin", call: call("updateQueue", `input: { name: "gpu", concurrencyLimit: 0 }`) },
    { mutation: "createJobTemplate", error: "ForbiddenError", who: "node", call: call("createJobTemplate", `input: { name: "t", executor: { name: "x" } }`) },
    { mutation: "createJobTemplate", error: "ValidationError", who: "alice", call: call("createJobTemplate", `input: { name: "", executor: { name: "x" } }`) },
    ...["deleteJobTemplate", "reinstateJobTemplate"].flatMap((field): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "node", call: call(field, () => `id: "${encodeGlobalId("JobTemplate", templateId)}"`) },
      { mutation: field, error: "NotFoundError", who: "alice", call: call(field, () => `id: "${missing("JobTemplate")}"`) },
    ]),
    { mutation: "createJob", error: "ForbiddenError", who: "node", call: call("createJob", `input: { templateName: "train" }`) },
    { mutation: "createJob", error: "ValidationError", who: "alice", call: call("createJob", `input: { templateName: "no such template" }`) },
    { mutation: "acquireJob", error: "ForbiddenError", who: "alice", call: call("acquireJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "acquireJob", error: "NotFoundError", who: "node", call: call("acquireJob", () => `id: "${missing("Job")}"`) },
    { mutation: "acquireJob", error: "InvalidTransitionError", who: "other", call: call("acquireJob", on("RUNNING", (j) => `id: "${j.gid}"`)) },
    { mutation: "acquireNextJob", error: "ForbiddenError", who: "alice", call: call("acquireNextJob", "") },
    ...(
      [
        ["releaseJob", "", on("SUCCEEDED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"`)],
        ["startJob", "", on("RUNNING", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"`)],
        ["reportJobProgress", ", progress: 0.5", on("ACQUIRED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}", progress: 0.5`)],
        ["renewJobLease", "", on("FAILED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"`)],
        ["finishJob", "", on("ACQUIRED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"`)],
      ] as const
    ).flatMap(([field, extra, invalid]): Refusal[] => {
      const calls = holderCalls(field, extra);
      return [
        { mutation: field, error: "ForbiddenError", who: "alice", call: calls.forbidden },
        { mutation: field, error: "NotFoundError", who: "node", call: calls.missing },
        { mutation: field, error: "LeaseLostError", who: "other", call: calls.leaseLost },
        { mutation: field, error: "TimeLimitExceededError", who: "node", call: calls.timedOut },
        { mutation: field, error: "InvalidTransitionError", who: "node", call: call(field, invalid) },
      ];
    }),
    { mutation: "reportJobProgress", error: "ValidationError", who: "node", call: call("reportJobProgress", on("RUNNING", (j) => `id: "${j.gid}", leaseToken: "${j.lease}", progress: 2`)) },
    { mutation: "resetJob", error: "ForbiddenError", who: "bob", call: call("resetJob", on("SUCCEEDED", (j) => `id: "${j.gid}"`)) },
    { mutation: "resetJob", error: "NotFoundError", who: "alice", call: call("resetJob", () => `id: "${missing("Job")}"`) },
    { mutation: "resetJob", error: "InvalidTransitionError", who: "alice", call: call("resetJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    // The holding node itself, with a lease of its own from before (issue 13's example).
    { mutation: "resetJob", error: "LeaseLostError", who: "node", call: call("resetJob", on("RUNNING", (j) => `id: "${j.gid}", leaseToken: "${randomUUID()}"`)) },
    { mutation: "resetJob", error: "TimeLimitExceededError", who: "node", call: call("resetJob", on("QUEUED", (j) => `id: "${j.gid}", leaseToken: "${j.lease}"`, { timedOut: true })) },
    { mutation: "abortJob", error: "ForbiddenError", who: "alice", call: call("abortJob", on("RUNNING", (j) => `id: "${j.gid}"`)) },
    { mutation: "abortJob", error: "NotFoundError", who: "admin", call: call("abortJob", () => `id: "${missing("Job")}"`) },
    { mutation: "abortJob", error: "InvalidTransitionError", who: "admin", call: call("abortJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "cancelJob", error: "ForbiddenError", who: "bob", call: call("cancelJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "cancelJob", error: "NotFoundError", who: "alice", call: call("cancelJob", () => `id: "${missing("Job")}"`) },
    { mutation: "cancelJob", error: "InvalidTransitionError", who: "alice", call: call("cancelJob", on("SUCCEEDED", (j) => `id: "${j.gid}"`)) },
    { mutation: "updateJob", error: "ForbiddenError", who: "bob", call: call("updateJob", on("QUEUED", (j) => `id: "${j.gid}", input: { priority: 1 }`)) },
    { mutation: "updateJob", error: "ValidationError", who: "alice", call: call("updateJob", on("QUEUED", (j) => `id: "${j.gid}", input: {}`)) },
    { mutation: "updateJob", error: "NotFoundError", who: "alice", call: call("updateJob", () => `id: "${missing("Job")}", input: { priority: 1 }`) },
    { mutation: "updateJob", error: "InvalidTransitionError", who: "alice", call: call("updateJob", on("QUEUED", (j) => `id: "${j.gid}", input: { priority: 1 }`, { deleted: true })) },
    { mutation: "updateJob", error: "ConflictError", who: "alice", call: call("updateJob", on("QUEUED", (j) => `id: "${j.gid}", input: { priority: 1, expectedVersion: 99 }`)) },
    { mutation: "deleteJob", error: "ForbiddenError", who: "bob", call: call("deleteJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "deleteJob", error: "NotFoundError", who: "alice", call: call("deleteJob", () => `id: "${missing("Job")}"`) },
    { mutation: "deleteJob", error: "InvalidTransitionError", who: "alice", call: call("deleteJob", on("QUEUED", (j) => `id: "${j.gid}"`, { deleted: true })) },
    { mutation: "reinstateJob", error: "ForbiddenError", who: "bob", call: call("reinstateJob", on("QUEUED", (j) => `id: "${j.gid}"`, { deleted: true })) },
    { mutation: "reinstateJob", error: "NotFoundError", who: "alice", call: call("reinstateJob", () => `id: "${missing("Job")}"`) },
    { mutation: "reinstateJob", error: "InvalidTransitionError", who: "alice", call: call("reinstateJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "hardDeleteJob", error: "ForbiddenError", who: "alice", call: call("hardDeleteJob", on("QUEUED", (j) => `id: "${j.gid}"`)) },
    { mutation: "hardDeleteJob", error: "NotFoundError", who: "admin", call: call("hardDeleteJob", () => `id: "${missing("Job")}"`) },
    { mutation: "createWorkflow", error: "ForbiddenError", who: "node", call: call("createWorkflow", `input: { jobs: [{ key: "a", job: { templateName: "t" } }] }`) },
    { mutation: "createWorkflow", error: "ValidationError", who: "alice", call: call("createWorkflow", `input: { jobs: [] }`) },
    { mutation: "cancelWorkflow", error: "NotFoundError", who: "alice", call: call("cancelWorkflow", () => `id: "${missing("Workflow")}"`) },
    { mutation: "createSchedule", error: "ForbiddenError", who: "node", call: call("createSchedule", `input: { name: "s", cron: "@daily", job: { templateName: "train" } }`) },
    { mutation: "createSchedule", error: "ValidationError", who: "alice", call: call("createSchedule", `input: { name: "s", cron: "61 * * * *", job: { templateName: "train" } }`) },
    { mutation: "updateSchedule", error: "ForbiddenError", who: "bob", call: call("updateSchedule", async () => `id: "${await schedule()}", input: { overlap: QUEUE }`) },
    { mutation: "updateSchedule", error: "ValidationError", who: "alice", call: call("updateSchedule", async () => `id: "${await schedule()}", input: { cron: "61 * * * *" }`) },
    { mutation: "updateSchedule", error: "NotFoundError", who: "alice", call: call("updateSchedule", () => `id: "${missing("Schedule")}", input: {}`) },
    ...(["pauseSchedule", "resumeSchedule", "deleteSchedule"] as const).flatMap((field): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "bob", call: call(field, async () => `id: "${await schedule()}"`) },
      { mutation: field, error: "NotFoundError", who: "alice", call: call(field, () => `id: "${missing("Schedule")}"`) },
    ]),
    ...["cancelJobs", "resetJobs", "deleteJobs"].map(
      (field): Refusal => ({ mutation: field, error: "ValidationError", who: "admin", call: call(field, `filter: { tags: ["bulk-limit"] }`) }),
    ),
    { mutation: "addJobOutput", error: "ForbiddenError", who: "alice", call: call("addJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "o", type: "json"`), file()) },
    { mutation: "addJobOutput", error: "ValidationError", who: "admin", call: call("addJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "a/b", type: "json"`), file()) },
    { mutation: "addJobOutput", error: "NotFoundError", who: "admin", call: call("addJobOutput", () => `jobId: "${missing("Job")}", name: "o", type: "json"`, file()) },
    { mutation: "addJobOutput", error: "InvalidTransitionError", who: "node", call: call("addJobOutput", on("SUCCEEDED", (j) => `jobId: "${j.gid}", name: "o", type: "json", leaseToken: "${j.lease}"`), file()) },
    { mutation: "addJobOutput", error: "LeaseLostError", who: "other", call: call("addJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "o", type: "json", leaseToken: "${randomUUID()}"`), file()) },
    { mutation: "addJobOutput", error: "TimeLimitExceededError", who: "node", call: call("addJobOutput", on("QUEUED", (j) => `jobId: "${j.gid}", name: "o", type: "json", leaseToken: "${j.lease}"`, { timedOut: true }), file()) },
    { mutation: "addJobOutput", error: "AlreadyExistsError", who: "admin", call: call("addJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "kept", type: "json"`), file()) },
    { mutation: "addJobOutput", error: "TooLargeError", who: "admin", via: "small", call: call("addJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "o", type: "json"`), file()) },
    { mutation: "deleteJobOutput", error: "ForbiddenError", who: "alice", call: call("deleteJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "kept", type: "json"`)) },
    { mutation: "deleteJobOutput", error: "ValidationError", who: "admin", call: call("deleteJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "a/b", type: "json"`)) },
    { mutation: "deleteJobOutput", error: "NotFoundError", who: "admin", call: call("deleteJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "missing", type: "json"`)) },
    { mutation: "deleteJobOutput", error: "InvalidTransitionError", who: "node", call: call("deleteJobOutput", on("CANCELLED", (j) => `jobId: "${j.gid}", name: "kept", type: "json", leaseToken: "${j.lease}"`)) },
    { mutation: "deleteJobOutput", error: "LeaseLostError", who: "other", call: call("deleteJobOutput", on("RUNNING", (j) => `jobId: "${j.gid}", name: "kept", type: "json", leaseToken: "${randomUUID()}"`)) },
    { mutation: "deleteJobOutput", error: "TimeLimitExceededError", who: "node", call: call("deleteJobOutput", on("QUEUED", (j) => `jobId: "${j.gid}", name: "kept", type: "json", leaseToken: "${j.lease}"`, { timedOut: true })) },
    { mutation: "addTasks", error: "ForbiddenError", who: "bob", call: call("addTasks", on("RUNNING", (j) => `job: "${j.gid}", tasks: [{ name: "t" }]`)) },
    { mutation: "addTasks", error: "ValidationError", who: "alice", call: call("addTasks", on("RUNNING", (j) => `job: "${j.gid}", tasks: []`)) },
    { mutation: "addTasks", error: "NotFoundError", who: "alice", call: call("addTasks", () => `job: "${missing("Job")}", tasks: [{ name: "t" }]`) },
    // The node that held the job last, once it finished (issue 13's example).
    { mutation: "addTasks", error: "InvalidTransitionError", who: "node", call: call("addTasks", on("SUCCEEDED", (j) => `job: "${j.gid}", tasks: [{ name: "t" }], leaseToken: "${j.lease}"`)) },
    { mutation: "addTasks", error: "LeaseLostError", who: "other", call: call("addTasks", on("RUNNING", (j) => `job: "${j.gid}", tasks: [{ name: "t" }], leaseToken: "${randomUUID()}"`)) },
    { mutation: "addTasks", error: "TimeLimitExceededError", who: "node", call: call("addTasks", on("QUEUED", (j) => `job: "${j.gid}", tasks: [{ name: "t" }], leaseToken: "${j.lease}"`, { timedOut: true })) },
    ...(
      [
        ["startTask", "", (j: Job) => j.queuedTask, (j: Job) => j.runningTask],
        ["reportTaskProgress", ", progress: 0.5", (j: Job) => j.runningTask, (j: Job) => j.queuedTask],
        ["finishTask", ", success: true", (j: Job) => j.runningTask, (j: Job) => j.queuedTask],
      ] as const
    ).flatMap(([field, extra, startable, wrong]): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "alice", call: call(field, on("RUNNING", (j) => `id: "${startable(j)}", leaseToken: ""${extra}`)) },
      { mutation: field, error: "NotFoundError", who: "node", call: call(field, () => `id: "${missing("Task")}", leaseToken: "${randomUUID()}"${extra}`) },
      { mutation: field, error: "InvalidTransitionError", who: "node", call: call(field, on("RUNNING", (j) => `id: "${wrong(j)}", leaseToken: "${j.lease}"${extra}`)) },
      { mutation: field, error: "LeaseLostError", who: "other", call: call(field, on("RUNNING", (j) => `id: "${startable(j)}", leaseToken: "${randomUUID()}"${extra}`)) },
      { mutation: field, error: "TimeLimitExceededError", who: "node", call: call(field, on("QUEUED", (j) => `id: "${startable(j)}", leaseToken: "${j.lease}"${extra}`, { timedOut: true })) },
    ]),
    ...((): Refusal[] => {
      const append = (j: Job, lease: string, lines = `[{ stream: STDOUT, line: "hello" }]`) => `input: { job: "${j.gid}", leaseToken: "${lease}", lines: ${lines} }`;
      return [
        { mutation: "appendJobLog", error: "ForbiddenError", who: "alice", call: call("appendJobLog", on("RUNNING", (j) => append(j, j.lease))) },
        { mutation: "appendJobLog", error: "ValidationError", who: "node", call: call("appendJobLog", on("RUNNING", (j) => append(j, j.lease, "[]"))) },
        { mutation: "appendJobLog", error: "NotFoundError", who: "node", call: call("appendJobLog", () => `input: { job: "${missing("Job")}", leaseToken: "${randomUUID()}", lines: [{ stream: STDOUT, line: "x" }] }`) },
        { mutation: "appendJobLog", error: "InvalidTransitionError", who: "node", call: call("appendJobLog", on("CANCELLED", (j) => append(j, j.lease))) },
        { mutation: "appendJobLog", error: "LeaseLostError", who: "other", call: call("appendJobLog", on("RUNNING", (j) => append(j, randomUUID()))) },
        { mutation: "appendJobLog", error: "TimeLimitExceededError", who: "node", call: call("appendJobLog", on("QUEUED", (j) => append(j, j.lease), { timedOut: true })) },
      ];
    })(),
    { mutation: "reportTaskProgress", error: "ValidationError", who: "node", call: call("reportTaskProgress", on("RUNNING", (j) => `id: "${j.runningTask}", leaseToken: "${j.lease}", progress: 2`)) },
    ...(["resetTask", "retryTask"] as const).flatMap((field): Refusal[] => [
      { mutation: field, error: "ForbiddenError", who: "alice", call: call(field, on("RUNNING", (j) => `id: "${j.runningTask}"`)) },
      { mutation: field, error: "NotFoundError", who: "node", call: call(field, () => `id: "${missing("Task")}", leaseToken: "${randomUUID()}"`) },
      // The job has finished: no task of it changes any more.
      { mutation: field, error: "InvalidTransitionError", who: "node", call: call(field, on("SUCCEEDED", (j) => `id: "${j.runningTask}", leaseToken: "${j.lease}"`)) },
      { mutation: field, error: "LeaseLostError", who: "other", call: call(field, on("RUNNING", (j) => `id: "${j.runningTask}", leaseToken: "${randomUUID()}"`)) },
      { mutation: field, error: "TimeLimitExceededError", who: "node", call: call(field, on("QUEUED", (j) => `id: "${j.runningTask}", leaseToken: "${j.lease}"`, { timedOut: true })) },
    ]),
  ];

  it("reaches every error of every result union, and only those", () => {
    const reached = new Set(REFUSALS.map((r) => `${r.mutation} ${r.error}`));
    for (const mutation of VALIDATION_OF_TEXT_ONLY) reached.add(`${mutation} ValidationError`);
    for (const refusal of REACHED_ELSEWHERE) reached.add(refusal);
    const members = new Set<string>();
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      const union = schema.getType(field.type.toString().replace(/!$/, ""));
      if (!isUnionType(union)) continue;
      for (const member of union.getTypes()) if (member.getInterfaces().some((i) => i.name === "Error")) members.add(`${field.name} ${member.name}`);
    }
    expect([...reached].sort()).toEqual([...members].sort());
  });

  it.each(REFUSALS.map((r) => [r.mutation, r.error, r] as const))("%s answers %s", async (_mutation, error, refusal) => {
    const token = { admin: (refusal.via === "small" ? small : api).admin.secret, alice: alice.secret, bob: bob.secret, node: node.secret, other: other.secret }[refusal.who];
    const result: MutationResult = await mutate(refusal.via === "small" ? small : api, token, await refusal.call());
    expect(result.__typename, result.message).toBe(error);
  });
});
