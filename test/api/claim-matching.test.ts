// Claims match what a node is: a job, or any of its tasks, may require labels, and its tasks may
// name executors and sizes; acquireNextJob passes over what the node cannot satisfy, and
// acquireJob refuses it, saying why.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type Answers, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";


let database: TestDatabase;
let api: TestApi;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

/** Creates a job in `queue` (as the admin); answers createJob's result. */
async function create(queue: string, input: Record<string, unknown> = {}): Promise<Answers[string]> {
  const created = await send(
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename ... on CreateJobPayload { job { id requiredLabels } } ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { templateName: "labelled", queue, ...input } },
  );
  return created.createJob!;
}

async function jobIn(queue: string, input: Record<string, unknown> = {}): Promise<string> {
  const created = await create(queue, input);
  if (created.__typename !== "CreateJobPayload") throw new Error(JSON.stringify(created));
  return (created.job as { id: string }).id;
}

async function nodeWith(data: { labels?: Record<string, string>; executors?: string[]; cpu?: number; memory?: number }): Promise<TestNode> {
  const node = await createTestNode(database.db);
  await database.db.workerNode.update({ where: { id: node.id }, data });
  return node;
}

async function claim(node: TestNode, queue: string): Promise<string | null> {
  const answer = await send(`mutation ($q: String!) { acquireNextJob(filter: { queues: [$q] }) { __typename ... on AcquireJobPayload { job { id } } } }`, { q: queue }, node.secret);
  return (answer.acquireNextJob as unknown as { job: { id: string } | null }).job?.id ?? null;
}

async function acquire(node: TestNode, id: string): Promise<Answers[string]> {
  return (await send(`mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on Error { message } } }`, { id }, node.secret)).acquireJob!;
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  const template = await createTemplate(database.db, "labelled");
  await database.db.jobTemplate.update({ where: { id: template.id }, data: { inputs: [] } });
});

describe("claims and labels", () => {
  it("give a job requiring labels only to a node that carries them all, with the same values", async () => {
    const id = await jobIn("gpu", { requiredLabels: { gpu: "a100", zone: "eu" } });
    const none = await nodeWith({});
    const wrongValue = await nodeWith({ labels: { gpu: "t4", zone: "eu" } });
    const partly = await nodeWith({ labels: { gpu: "a100" } });
    const right = await nodeWith({ labels: { gpu: "a100", zone: "eu", rack: "7" } });
    for (const node of [none, wrongValue, partly]) expect(await claim(node, "gpu")).toBeNull();
    expect(await claim(right, "gpu")).toBe(id);
  });

  it("let any node take a job that requires no labels", async () => {
    const id = await jobIn("plain");
    expect(await claim(await nodeWith({ labels: { gpu: "a100" } }), "plain")).toBe(id);
  });

  it("pass over a job one of whose tasks requires labels, an executor or a size the node lacks, and take the next", async () => {
    const byLabel = await jobIn("tasks", { priority: 3, tasks: [{ name: "fine" }, { name: "needs-gpu", requiredLabels: { gpu: "a100" } }] });
    const byExecutor = await jobIn("tasks", { priority: 2, tasks: [{ name: "r", executorName: "R" }] });
    const bySize = await jobIn("tasks", { priority: 1, tasks: [{ name: "big", memory: 64_000 }] });
    const fits = await jobIn("tasks", { priority: 0, tasks: [{ name: "small", executorName: "python", memory: 1000 }] });
    const node = await nodeWith({ executors: ["python"], memory: 8000 });
    expect(await claim(node, "tasks")).toBe(fits);
    expect(await claim(node, "tasks")).toBeNull();
    // Another node, which has what they ask for, takes them in priority order.
    const able = await nodeWith({ labels: { gpu: "a100" }, executors: [], memory: 128_000 });
    expect([await claim(able, "tasks"), await claim(able, "tasks"), await claim(able, "tasks")]).toEqual([byLabel, byExecutor, bySize]);
  });

  it.each([
    [{ requiredLabels: { gpu: "a100" } }, {}, "this node cannot take the job: the job requires labels the node does not have: gpu=a100"],
    [{ tasks: [{ name: "t", requiredLabels: { zone: "eu" } }] }, { labels: { zone: "us" } }, 'this node cannot take the job: task "t" does not fit the node: it requires labels the node does not have: zone=eu'],
    [{ tasks: [{ name: "t", executorName: "R" }] }, { executors: ["python"] }, 'this node cannot take the job: task "t" does not fit the node: its executor R is not one of the node\'s'],
    [{ tasks: [{ name: "t", cpu: 8 }] }, { cpu: 4 }, 'this node cannot take the job: task "t" does not fit the node: it needs 8 vCPUs and the node offers 4'],
  ])("make acquireJob refuse a job the node cannot take, saying why, and change nothing (%j)", async (input, node, message) => {
    const id = await jobIn(`refuse-${Math.random()}`, input);
    const before = await database.db.job.findUniqueOrThrow({ where: { id: decodeGlobalId(id).id } });
    expect(await acquire(await nodeWith(node), id)).toEqual({ __typename: "InvalidTransitionError", message });
    expect(await database.db.job.findUniqueOrThrow({ where: { id: decodeGlobalId(id).id } })).toEqual(before);
  });

  it("let acquireJob take a job the node can take", async () => {
    const id = await jobIn("direct", { requiredLabels: { gpu: "a100" } });
    expect((await acquire(await nodeWith({ labels: { gpu: "a100" } }), id)).__typename).toBe("AcquireJobPayload");
  });

  it.each([
    [["a", "b"], ["requiredLabels"], 'must be an object of strings, such as {"gpu": "a100"}'],
    ["gpu", ["requiredLabels"], 'must be an object of strings, such as {"gpu": "a100"}'],
    [{ gpu: 1 }, ["requiredLabels", "gpu"], "must be a string of up to 200 printable characters"],
    [{ gpu: "x".repeat(201) }, ["requiredLabels", "gpu"], "must be a string of up to 200 printable characters"],
    [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])), ["requiredLabels"], "at most 50 labels"],
  ])("are refused when malformed (%j), naming the field, and create nothing", async (requiredLabels, path, message) => {
    const before = await database.db.job.count();
    const answer = await create("bad", { requiredLabels });
    expect(answer.__typename).toBe("ValidationError");
    expect(answer.fieldErrors).toContainEqual({ path, message });
    const onTask = await create("bad", { tasks: [{ name: "t", requiredLabels }] });
    expect(onTask.fieldErrors).toContainEqual({ path: ["tasks", "0", ...path], message });
    expect(await database.db.job.count()).toBe(before);
  });
});
