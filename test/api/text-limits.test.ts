// Notes and details given with a change are stored with the row, and most of them again in its
// event and its attempt: each has a length, as a job's description has. A cancellation's reason
// of 900 KB over a hundred jobs wrote 90 MB from one request. Past its length each is refused
// with a ValidationError naming it, and nothing changes; at its length it is taken.
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_DETAIL_CHARS, MAX_NOTE_CHARS } from "../../src/domain/text.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { jobState, mutate } from "../helpers/mutations.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let api: TestApi;
let node: TestNode;
let templateId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  node = await createTestNode(database.db);
  templateId = (await createTemplate(database.db, "limits")).id;
});

/** A job the node holds, started, with one task started; returns the job's and the task's global IDs and the lease. */
async function running(): Promise<{ id: string; jobId: string; task: string; lease: string }> {
  const [jobId] = await createJobs(database.db, templateId, 1, { tasks: 1 });
  const id = encodeGlobalId("Job", jobId!);
  const acquired = await api.request(
    (await import("graphql")).parse(`mutation { acquireJob(id: "${id}") { ... on AcquireJobPayload { lease { token } } } }`),
    {},
    { token: node.secret },
  );
  const lease = (acquired.data as { acquireJob: { lease: { token: string } } }).acquireJob.lease.token;
  expect((await mutate(api, node.secret, { field: "startJob", args: `id: "${id}", leaseToken: "${lease}"` })).__typename).toBe("LeasePayload");
  const taskId = (await database.db.task.findFirstOrThrow({ where: { jobId: jobId! } })).id;
  const task = encodeGlobalId("Task", taskId);
  expect((await mutate(api, node.secret, { field: "startTask", args: `id: "${task}", leaseToken: "${lease}"` })).__typename).not.toMatch(/Error$/);
  return { id, jobId: jobId!, task, lease };
}

const text = (length: number) => JSON.stringify("x".repeat(length));

describe("what a change is given", () => {
  it("a failure's error: at most 10,000 characters", async () => {
    const { id, jobId, lease } = await running();
    const before = await jobState(database.db, jobId);
    const refused = await mutate(api, node.secret, { field: "finishJob", args: `id: "${id}", leaseToken: "${lease}", error: ${text(MAX_NOTE_CHARS + 1)}` });
    expect(refused).toMatchObject({ __typename: "ValidationError" });
    expect(await jobState(database.db, jobId)).toEqual(before);
    expect(await mutate(api, node.secret, { field: "finishJob", args: `id: "${id}", leaseToken: "${lease}", error: ${text(MAX_NOTE_CHARS)}` })).toMatchObject({ __typename: "JobPayload" });
  });

  it("a cancellation's reason, of one job or of many: at most 10,000 characters", async () => {
    const [jobId] = await createJobs(database.db, templateId, 1, { spec: () => ({ queue: "limits" }) });
    const id = encodeGlobalId("Job", jobId!);
    const before = await jobState(database.db, jobId!);
    expect(await mutate(api, api.admin.secret, { field: "cancelJob", args: `id: "${id}", reason: ${text(MAX_NOTE_CHARS + 1)}` })).toMatchObject({ __typename: "ValidationError" });
    expect(await mutate(api, api.admin.secret, { field: "cancelJobs", args: `filter: { queue: ["limits"] }, reason: ${text(MAX_NOTE_CHARS + 1)}` })).toMatchObject({ __typename: "ValidationError" });
    expect(await jobState(database.db, jobId!)).toEqual(before);
    expect(await mutate(api, api.admin.secret, { field: "cancelJobs", args: `filter: { queue: ["limits"] }, reason: ${text(MAX_NOTE_CHARS)}` })).toMatchObject({ __typename: "BulkJobsPayload" });
    expect((await database.db.job.findUniqueOrThrow({ where: { id: jobId! } })).status).toBe("CANCELLED");
  });

  it("a progress report's detail and a task's output: at most 65,536 characters as JSON", async () => {
    const { id, jobId, task, lease } = await running();
    const before = await jobState(database.db, jobId);
    const detail = (length: number) => `{ log: ${text(length - '{"log":""}'.length)} }`;
    expect(await mutate(api, node.secret, { field: "reportJobProgress", args: `id: "${id}", leaseToken: "${lease}", progress: 0.5, detail: ${detail(MAX_DETAIL_CHARS + 1)}` })).toMatchObject({
      __typename: "ValidationError",
    });
    expect(await mutate(api, node.secret, { field: "finishTask", args: `id: "${task}", leaseToken: "${lease}", success: true, output: ${text(MAX_DETAIL_CHARS + 1)}` })).toMatchObject({
      __typename: "ValidationError",
    });
    expect(await jobState(database.db, jobId)).toEqual(before);
    expect(await mutate(api, node.secret, { field: "reportJobProgress", args: `id: "${id}", leaseToken: "${lease}", progress: 0.5, detail: ${detail(MAX_DETAIL_CHARS)}` })).toMatchObject({
      __typename: "LeasePayload",
    });
    expect(await mutate(api, node.secret, { field: "finishTask", args: `id: "${task}", leaseToken: "${lease}", success: true, output: ${text(MAX_DETAIL_CHARS)}` })).not.toMatchObject({
      __typename: "ValidationError",
    });
  });

  it("a template's and a node's description: at most 10,000 characters; a node's labels as many and as short as a job may require", async () => {
    const template = (description: string, name: string) => `input: { name: "${name}", executor: { name: "shell" }, description: ${description} }`;
    expect(await mutate(api, api.admin.secret, { field: "createJobTemplate", args: template(text(MAX_NOTE_CHARS + 1), "described") })).toMatchObject({ __typename: "ValidationError" });
    expect(await database.db.jobTemplate.count({ where: { name: "described" } })).toBe(0);
    expect(await mutate(api, api.admin.secret, { field: "createJobTemplate", args: template(text(MAX_NOTE_CHARS), "described") })).toMatchObject({ __typename: "JobTemplatePayload" });

    const register = (name: string, more: string) => mutate(api, api.admin.secret, { field: "registerWorkerNode", args: `input: { name: "${name}", ${more} }` });
    expect(await register("described", `description: ${text(MAX_NOTE_CHARS + 1)}`)).toMatchObject({ __typename: "ValidationError" });
    const labels = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `k${i}: "v"`).join(", ")} }`;
    expect(await register("labelled", `labels: ${labels(51)}`)).toMatchObject({ __typename: "ValidationError" });
    expect(await register("labelled", `labels: { long: ${text(201)} }`)).toMatchObject({ __typename: "ValidationError" });
    expect(await database.db.workerNode.count({ where: { name: { in: ["described", "labelled"] } } })).toBe(0);
    expect(await register("described", `description: ${text(MAX_NOTE_CHARS)}, labels: ${labels(50)}`)).toMatchObject({ __typename: "RegisterWorkerNodePayload" });
  });
});
