// Outputs wired into inputs: an input of a job bound to an output of a job it waits for (by the
// key of a job of the same workflow, or by a dependency's ID) takes that output when the
// dependency succeeds, and reaches the worker that claims it with its download URL, size and
// sha256; a missing output fails the bound job naming it; bindings are checked against the
// template's input types when the workflow is created; resets and reuse keep bindings right.
import { createHash, randomBytes } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { acquireNextJob } from "../../src/domain/claiming.js";
import type { NodePrincipal } from "../../src/domain/principal.js";
import { finishJob, startJob } from "../../src/domain/transitions.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { AddJobOutput, multipartUpload, uploadVariables } from "../helpers/uploads.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let node: TestNode;

const lease = { leaseSeconds: 60 };
const asNode = (n: TestNode): NodePrincipal => ({ kind: "NODE", nodeId: n.id, name: n.name, tokenId: n.tokenId });
const gid = (id: string) => encodeGlobalId("Job", id);
const uuid = (id: string) => decodeGlobalId(id).id;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  node = await createTestNode(db);
  const template = (name: string, inputs: unknown[]) => db.jobTemplate.create({ data: { name, version: 1, executorName: "sh", inputs: inputs as object[] } });
  await template("produce", [{ name: "dataset", types: ["string"], required: true, help: "" }]);
  await template("consume", [
    { name: "model", types: ["output"], required: true, help: "" },
    { name: "notes", types: ["string", "output"], required: false, help: "" },
  ]);
});

beforeEach(async () => {
  await db.job.deleteMany();
  await db.workflow.deleteMany();
});

type Answer = Record<string, unknown> & { __typename: string };

async function createWorkflow(input: Record<string, unknown>): Promise<Answer> {
  const data = await sendText(
    api,
    `mutation ($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
       __typename
       ... on CreateWorkflowPayload { jobs { key job { id status } } }
       ... on ValidationError { message fieldErrors { path message } }
     } }`,
    { input },
  );
  return data.createWorkflow as Answer;
}

async function keyed(input: Record<string, unknown>): Promise<Record<string, string>> {
  const made = await createWorkflow(input);
  expect(made.__typename, JSON.stringify(made)).toBe("CreateWorkflowPayload");
  return Object.fromEntries((made.jobs as Array<{ key: string; job: { id: string } }>).map((j) => [j.key, uuid(j.job.id)]));
}

const produce = (key: string, dataset = "s3://cats", job: Record<string, unknown> = {}) => ({
  key,
  job: { templateName: "produce", inputs: [{ name: "dataset", value: dataset }], ...job },
});
const consume = (key: string, inputs: unknown[], after: string[] = [], job: Record<string, unknown> = {}) => ({
  key,
  after,
  job: { templateName: "consume", inputs, ...job },
});
const bound = (after: string, name = "model", type = "pt") => ({ name: "model", value: { after, name, type } });

/** Adds an output to a held job through the API, as its holder; returns the output's global ID. */
async function upload(jobId: string, leaseToken: string, name: string, type: string, content: Uint8Array): Promise<string> {
  const { contentType, body } = multipartUpload({ query: AddJobOutput, variables: uploadVariables({ jobId: gid(jobId), name, type, leaseToken }) }, content);
  const response = await api.fetch(
    "/graphql",
    { method: "POST", headers: { "content-type": contentType, "graphql-preflight": "1" }, body, duplex: "half" } as RequestInit,
    { token: node.secret },
  );
  const result = (await response.json()) as { data: { addJobOutput: { __typename: string; output?: { id: string } } } };
  expect(result.data.addJobOutput.__typename).toBe("AddJobOutputPayload");
  return result.data.addJobOutput.output!.id;
}

/** Claims the next job as the test node and finishes it, first adding `outputs`; returns its id. */
async function runNext(outputs: Array<{ name: string; type: string; content: Uint8Array }> = [], error?: string): Promise<string | null> {
  const job = await acquireNextJob(db, asNode(node), {}, lease);
  if (!job) return null;
  await startJob(db, asNode(node), job.id, job.leaseToken, lease);
  for (const o of outputs) await upload(job.id, job.leaseToken!, o.name, o.type, o.content);
  await finishJob(db, asNode(node), job.id, { leaseToken: job.leaseToken, ...(error ? { error } : {}) });
  return job.id;
}

/** What a worker sees of the next job it claims through the API, with its bound inputs' outputs. */
async function claimThroughApi() {
  const data = await sendText(
    api,
    `mutation { acquireNextJob {
       __typename
       ... on AcquireJobPayload { job { id inputValues { name type value output { id name type size sha256 downloadUrl } } } }
     } }`,
    {},
    node.secret,
  );
  return data.acquireNextJob as Answer & { job?: { id: string; inputValues: Array<{ name: string; type: string; value: Record<string, unknown>; output: Record<string, unknown> | null }> } };
}

const stateOf = (id: string) => db.job.findUniqueOrThrow({ where: { id }, select: { status: true, errorReason: true, inputValues: true } });

describe("an input bound to an output of a job of the same workflow", () => {
  it("waits for that job, takes its output when it succeeds, and the worker gets the output's URL, size and sha256", async () => {
    // No `after`: the binding alone makes train a dependency of evaluate.
    const ids = await keyed({ jobs: [consume("evaluate", [bound("train")]), produce("train")] });
    const waiting = await sendText(
      api,
      `query ($id: ID!) { job(id: $id) { status dependencies { id } inputValues { name value output { id } } } }`,
      { id: gid(ids.evaluate!) },
    );
    expect(waiting.job).toEqual({
      status: "WAITING",
      dependencies: [{ id: gid(ids.train!) }],
      inputValues: [{ name: "model", value: { job: gid(ids.train!), name: "model", type: "pt" }, output: null }],
    });

    const content = randomBytes(300_000);
    expect(await runNext([{ name: "model", type: "pt", content }])).toBe(ids.train);
    const claimed = await claimThroughApi();
    expect(claimed.__typename).toBe("AcquireJobPayload");
    expect(uuid(claimed.job!.id)).toBe(ids.evaluate);
    const [model] = claimed.job!.inputValues;
    expect(model).toMatchObject({ name: "model", type: "output", output: { name: "model", type: "pt", size: content.length, sha256: sha256(content) } });
    expect(model!.value).toEqual({ job: gid(ids.train!), name: "model", type: "pt", output: model!.output!.id });
    const download = await api.fetch(model!.output!.downloadUrl as string, {}, { token: node.secret });
    expect(download.status).toBe(200);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(content));
  });

  it("fails the bound job when the dependency succeeds without the output, naming both, and cancels what waits for it", async () => {
    const ids = await keyed({
      jobs: [
        produce("train"),
        consume("evaluate", [bound("train"), { name: "notes", value: { after: "train", name: "notes", type: "txt" } }], [], {
          tasks: [{ name: "only" }],
        }),
        consume("report", [{ name: "model", value: { after: "train", name: "model", type: "pt" } }], ["evaluate"]),
      ],
    });
    const trainNumber = (await db.job.findUniqueOrThrow({ where: { id: ids.train! } })).number;
    // train leaves the model but not the notes.
    await runNext([{ name: "model", type: "pt", content: randomBytes(10) }]);
    const evaluate = await stateOf(ids.evaluate!);
    expect(evaluate.status).toBe("FAILED");
    expect(evaluate.errorReason).toBe(`input "notes" is bound to output "notes" of type "txt" of job #${trainNumber}, which succeeded without it`);
    const failed = await db.jobEvent.findFirstOrThrow({ where: { jobId: ids.evaluate!, kind: "FAILED" } });
    expect(failed).toMatchObject({
      fromStatus: "WAITING",
      toStatus: "FAILED",
      detail: { input: "notes", output: { name: "notes", type: "txt" }, dependency: { id: ids.train, number: Number(trainNumber) } },
    });
    expect(await db.task.findMany({ where: { jobId: ids.evaluate! }, select: { status: true } })).toEqual([{ status: "CANCELLED" }]);
    // report had its model, but waits for evaluate, which failed: it is cancelled, naming it.
    const report = await stateOf(ids.report!);
    expect(report.status).toBe("CANCELLED");
    expect(report.errorReason).toMatch(/^its dependency, job #\d+, failed$/);
    expect(await acquireNextJob(db, asNode(node), {}, lease)).toBeNull();
  });

  it("gives the output back when the dependency is reset, and takes the new one when it succeeds again", async () => {
    const ids = await keyed({ jobs: [produce("train"), consume("evaluate", [bound("train")])] });
    await runNext([{ name: "model", type: "pt", content: Buffer.from("first") }]);
    const first = (await stateOf(ids.evaluate!)).inputValues as Record<string, { value: { output?: string } }>;
    expect(first.model!.value.output).toBeDefined();

    const reset = await sendText(api, `mutation ($id: ID!) { resetJob(id: $id) { __typename } }`, { id: gid(ids.train!) });
    expect(reset.resetJob?.__typename).toBe("JobPayload");
    const again = await stateOf(ids.evaluate!);
    expect(again.status).toBe("WAITING");
    expect((again.inputValues as Record<string, { value: Record<string, unknown> }>).model!.value).toEqual({ job: ids.train, name: "model", type: "pt" });

    const second = Buffer.from("second");
    await runNext([{ name: "model", type: "pt", content: second }]);
    const claimed = await claimThroughApi();
    expect(claimed.job!.inputValues[0]!.output).toMatchObject({ sha256: sha256(second) });
    expect(uuid(claimed.job!.inputValues[0]!.output!.id as string)).not.toBe(first.model!.value.output);
  });

  it("skips, when re-submitted with findOrCreate, both the dependency and the job bound to it", async () => {
    const request = { jobs: [produce("train", "s3://dogs", { findOrCreate: true }), consume("evaluate", [bound("train")], [], { findOrCreate: true })] };
    const first = await keyed(request);
    await runNext([{ name: "model", type: "pt", content: Buffer.from("m") }]);
    const second = await keyed(request);
    expect(second).toEqual(first);
    // A new train (other data) makes a new evaluate too: nothing was bound to that train before.
    const third = await keyed({ jobs: [produce("train", "s3://birds", { findOrCreate: true }), request.jobs[1]!] });
    expect(third.train).not.toBe(first.train);
    expect(third.evaluate).not.toBe(first.evaluate);
  });

  it("is refused, naming where, when the template does not take an output there, the key is unknown, or the binding closes a cycle", async () => {
    const refusals: Array<[unknown[], Array<{ path: string[]; message: unknown }>]> = [
      // The produce template's dataset is a string: no output may be bound to it.
      [
        [produce("train"), { key: "other", job: { templateName: "produce", inputs: [{ name: "dataset", value: { after: "train", name: "m", type: "pt" } }] } }],
        [{ path: ["jobs", "1", "inputs", "0", "value"], message: "must be a string" }],
      ],
      [[produce("train"), consume("evaluate", [bound("tarin")])], [{ path: ["jobs", "1", "inputs", "model", "after"], message: 'no job of this workflow has the key "tarin"' }]],
      [
        [consume("a", [bound("b")]), consume("b", [bound("a")])],
        // The cycle closes at b's binding, found from a.
        [{ path: ["jobs", "1", "inputs", "model", "after"], message: "a cycle: a → b → a" }],
      ],
      [[consume("self", [bound("self")])], [{ path: ["jobs", "0", "inputs", "model", "after"], message: "a cycle: self → self" }]],
      // A binding names its output by name and type, and nothing else.
      [[produce("train"), consume("evaluate", [{ name: "model", value: { after: "train", name: "model" } }])], [{ path: ["jobs", "1", "inputs", "0", "value"], message: expect.stringContaining("output reference") }]],
      [
        [produce("train"), consume("evaluate", [{ name: "model", value: { after: "train", name: "model", type: "pt", extra: 1 } }])],
        [{ path: ["jobs", "1", "inputs", "0", "value"], message: expect.stringContaining("output reference") }],
      ],
    ];
    const withParameter = await db.jobTemplate.create({
      data: { name: "tuned", version: 1, executorName: "sh", parameters: [{ name: "weights", types: ["output"], required: false, help: "" }] },
    });
    refusals.push([
      [produce("train"), { key: "tune", job: { template: encodeGlobalId("JobTemplate", withParameter.id), parameters: [{ name: "weights", value: { after: "train", name: "w", type: "pt" } }] } }],
      [{ path: ["jobs", "1", "parameters", "weights", "after"], message: "outputs are bound to inputs, not parameters" }],
    ]);
    for (const [jobs, fieldErrors] of refusals) {
      const refused = await createWorkflow({ jobs });
      expect(refused.__typename, JSON.stringify(jobs)).toBe("ValidationError");
      expect(refused.fieldErrors, JSON.stringify(jobs)).toEqual(fieldErrors);
    }
    expect(await db.job.count()).toBe(0);
    expect(await db.workflow.count()).toBe(0);
  });
});

describe("an input bound to an output of a dependency given by ID (createJob)", () => {
  async function createConsumer(inputs: unknown[], dependsOn: string[]): Promise<Answer> {
    const data = await sendText(
      api,
      `mutation ($input: CreateJobInput!) { createJob(input: $input) {
         __typename
         ... on CreateJobPayload { job { id status } }
         ... on ValidationError { fieldErrors { path message } }
       } }`,
      { input: { templateName: "consume", inputs, dependsOn } },
    );
    return data.createJob as Answer;
  }
  const upstream = async () => (await keyed({ jobs: [produce("train")] })).train!;
  const byId = (job: string, name = "model") => ({ name: "model", value: { job: gid(job), name, type: "pt" } });

  it("binds to a dependency that has not succeeded, and takes the output when it does", async () => {
    const train = await upstream();
    const made = await createConsumer([byId(train)], [gid(train)]);
    expect(made.job).toMatchObject({ status: "WAITING" });
    const content = Buffer.from("weights");
    await runNext([{ name: "model", type: "pt", content }]);
    const claimed = await claimThroughApi();
    expect(claimed.job!.inputValues[0]!.output).toMatchObject({ size: content.length, sha256: sha256(content) });
  });

  it("takes the output at once from a dependency that has succeeded, and refuses one that succeeded without it", async () => {
    const train = await upstream();
    await runNext([{ name: "model", type: "pt", content: Buffer.from("w") }]);
    expect((await createConsumer([byId(train)], [gid(train)])).job).toMatchObject({ status: "QUEUED" });
    const refused = await createConsumer([byId(train, "missing")], [gid(train)]);
    expect(refused.fieldErrors).toEqual([{ path: ["inputs", "model"], message: 'the job it is bound to succeeded without an output "missing" of type "pt"' }]);
  });

  it("refuses an output that does not exist of a job that is not a dependency, saying how to wait for it, and a key outside a workflow", async () => {
    const train = await upstream();
    const before = await db.job.count();
    expect((await createConsumer([byId(train)], [])).fieldErrors).toEqual([
      { path: ["inputs", "model"], message: 'the job has no output "model" of type "pt" (to wait for it, put the job in dependsOn)' },
    ]);
    expect((await createConsumer([{ name: "model", value: { after: "train", name: "model", type: "pt" } }], [])).fieldErrors).toEqual([
      { path: ["inputs", "model", "after"], message: expect.stringContaining("outside createWorkflow") },
    ]);
    expect(await db.job.count()).toBe(before);
  });
});
