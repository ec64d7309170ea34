// Map tasks fan out: a MAP task carries a task template and a list; adding it adds one child task
// per value (mapIndex, mapValue, the template's text bound to them), and the MAP task's status,
// progress and success are its children's. A map over nothing has succeeded; fan-out is limited.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "graphql";
import { checkTasks, type NewTask } from "../../src/domain/task-lifecycle.js";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";
import { createClient } from "graphql-ws";
import { WebSocket } from "ws";

let database: TestDatabase;
let api: TestApi;
let alice: TestUser;
let node: TestNode;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

type TaskRow = { id: string; name: string; type: string; status: string; progress: number; success: boolean | null; sequence: number; mapIndex: number | null; mapValue: unknown; payload: unknown; inputs: Array<{ source: { uri: string | null }; target: { path: string } }>; mapTask: { name: string } | null };
type Held = { id: string; lease: string };

const TASK = `id name type status progress success sequence mapIndex mapValue payload inputs { source { uri } target { path } } mapTask { name }`;

const shards = (values: unknown[], extra: Record<string, unknown> = {}) => ({
  name: "shards",
  type: "MAP",
  map: {
    task: { payload: { shard: "{{value.key}}", index: "{{index}}" }, inputs: [{ source: { uri: "s3://data/{{value.key}}" }, targetPath: "in/{{index}}.csv" }], maxAttempts: 2 },
    values,
  },
  ...extra,
});

async function create(tasks: unknown[], extra: Record<string, unknown> = {}) {
  const answer = await send(
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename
       ... on CreateJobPayload { job { id } } ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { templateName: "mapper", tasks, ...extra } },
    alice.secret,
  );
  return answer.createJob as unknown as { __typename: string; job: { id: string }; fieldErrors: Array<{ path: string[]; message: string }> };
}

async function held(tasks: unknown[], extra: Record<string, unknown> = {}): Promise<Held> {
  const { job } = await create(tasks, extra);
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id: job.id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id: job.id, lease }, node.secret);
  return { id: job.id, lease };
}

async function tasksOf(job: string, filter: Record<string, unknown> = {}): Promise<Record<string, TaskRow>> {
  const answer = await send(`query ($id: ID!, $filter: TaskFilter) { job(id: $id) { tasks(first: 100, filter: $filter) { edges { node { ${TASK} } } } } }`, { id: job, filter }, alice.secret);
  const edges = (answer.job as unknown as { tasks: { edges: Array<{ node: TaskRow }> } }).tasks.edges;
  return Object.fromEntries(edges.map((e) => [e.node.name, e.node]));
}

function act(h: Held, field: string, task: string, extra = "") {
  return send(
    `mutation ($id: ID!, $lease: String!) { ${field}(id: $id, leaseToken: $lease${extra}) { __typename ... on Error { message } ... on TaskPayload { task { status } } } }`,
    { id: task, lease: h.lease },
    node.secret,
  ).then((a) => a[field]!);
}

async function jobOf(h: Held) {
  return (await send(`query ($id: ID!) { job(id: $id) { status progress errorReason } }`, { id: h.id }, alice.secret)).job as unknown as { status: string; progress: number; errorReason: string | null };
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  alice = await createTestUser(database.db, "USER", "alice");
  node = await createTestNode(database.db, "mapper-node");
  await send(`mutation { createJobTemplate(input: { name: "mapper", executor: { name: "python" } }) { __typename } }`, {}, alice.secret);
});

describe("many tasks at once", () => {
  // 9 maps of 1,000 values: 9,009 tasks, near the most one request may add (10,000). Past
  // PostgreSQL's limit of bind parameters, Prisma would split the insert into statements sent at
  // once on the transaction's one connection, which pg 9 refuses.
  const maps = Array.from({ length: 9 }, (_, m) => shards(Array.from({ length: 1000 }, (_, i) => ({ key: `${m}-${i}` })), { name: `shards-${m}` }));

  it("creates a job with 9,009 tasks, one statement at a time on its connection", async () => {
    database.counter.reset();
    const created = await create(maps);
    expect(created.__typename).toBe("CreateJobPayload");
    expect(database.counter.overlapping).toEqual([]);
    const count = await database.pool.query("select count(*)::int as n from tasks where job_id = $1", [decodeGlobalId(created.job.id).id]);
    expect(count.rows[0].n).toBe(9 + 9000);
  });

  it("adds 9,009 tasks to a running job, one statement at a time on its connection", async () => {
    const h = await held([]);
    database.counter.reset();
    const added = await send(
      `mutation ($job: ID!, $lease: String!, $tasks: [NewTaskInput!]!) { addTasks(job: $job, leaseToken: $lease, tasks: $tasks) { __typename ... on Error { message } } }`,
      { job: h.id, lease: h.lease, tasks: maps },
      node.secret,
    );
    expect(added.addTasks!.__typename).toBe("AddTasksPayload");
    expect(database.counter.overlapping).toEqual([]);
    const count = await database.pool.query("select count(*)::int as n from tasks where job_id = $1", [decodeGlobalId(h.id).id]);
    expect(count.rows[0].n).toBe(9 + 9000);
  });

  it("refuses tasks named as one the job has, adding none of them", async () => {
    const h = await held([{ name: "first" }]);
    const added = await send(
      `mutation ($job: ID!, $lease: String!, $tasks: [NewTaskInput!]!) { addTasks(job: $job, leaseToken: $lease, tasks: $tasks) { __typename ... on Error { message } } }`,
      { job: h.id, lease: h.lease, tasks: [{ name: "second" }, { name: "first" }] },
      node.secret,
    );
    expect(added.addTasks).toEqual({ __typename: "ValidationError", message: "a task with this name exists in the job" });
    expect(Object.keys(await tasksOf(h.id))).toEqual(["first"]);
  });
});

describe("the tasks of one request", () => {
  // 6 maps of 1,000 values: 6,006 tasks. Twice that is past what one request may add (10,000),
  // however the request's mutations share them out: aliases of one mutation can all take one
  // variable, so a limit per mutation would let a document of a few KiB add millions of rows.
  const sixThousand = Array.from({ length: 6 }, (_, m) => shards(Array.from({ length: 1000 }, (_, i) => ({ key: `${m}-${i}` })), { name: `shards-${m}` }));
  const TOO_MANY = "at most 10000 tasks at once, the children of MAP tasks included (6006 given, after 6006 added by the request's earlier mutations)";
  const ANSWER = `__typename ... on ValidationError { fieldErrors { path message } }`;
  const taskCount = async () => (await database.pool.query("select count(*)::int as n from tasks")).rows[0].n as number;
  const jobCount = async () => (await database.pool.query("select count(*)::int as n from jobs")).rows[0].n as number;
  const job = `{ templateName: "mapper", tasks: $tasks }`;

  it("counts the tasks of every createJob of the request, refusing the one that passes the limit", async () => {
    const [tasks, jobs] = [await taskCount(), await jobCount()];
    const answer = await send(
      `mutation ($tasks: [NewTaskInput!]) { a: createJob(input: ${job}) { ${ANSWER} } b: createJob(input: ${job}) { ${ANSWER} } }`,
      { tasks: sixThousand },
      alice.secret,
    );
    expect(answer.a).toEqual({ __typename: "CreateJobPayload" });
    expect(answer.b).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["tasks"], message: TOO_MANY }] });
    expect((await taskCount()) - tasks).toBe(6006);
    expect((await jobCount()) - jobs).toBe(1);
  });

  it("counts addTasks as createJob", async () => {
    const h = await held([]);
    const add = (alias: string) => `${alias}: addTasks(job: $job, leaseToken: $lease, tasks: $tasks) { ${ANSWER} }`;
    const answer = await send(
      `mutation ($job: ID!, $lease: String!, $tasks: [NewTaskInput!]!) { ${add("a")} ${add("b")} }`,
      { job: h.id, lease: h.lease, tasks: sixThousand },
      node.secret,
    );
    expect(answer.a).toEqual({ __typename: "AddTasksPayload" });
    expect(answer.b).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["tasks"], message: TOO_MANY }] });
    const count = await database.pool.query("select count(*)::int as n from tasks where job_id = $1", [decodeGlobalId(h.id).id]);
    expect(count.rows[0].n).toBe(6006);
  });

  it("counts the jobs of a workflow together, and after the request's earlier mutations", async () => {
    const [tasks, jobs] = [await taskCount(), await jobCount()];
    const workflows = async () => (await database.pool.query("select count(*)::int as n from workflows")).rows[0].n as number;
    const before = await workflows();
    const two = await send(
      `mutation ($tasks: [NewTaskInput!]) { createWorkflow(input: { jobs: [{ key: "x", job: ${job} }, { key: "y", after: ["x"], job: ${job} }] }) { ${ANSWER} } }`,
      { tasks: sixThousand },
      alice.secret,
    );
    expect(two.createWorkflow).toEqual({
      __typename: "ValidationError",
      fieldErrors: [{ path: ["jobs"], message: "at most 10000 tasks at once, the children of MAP tasks included (its jobs have 12012)" }],
    });
    const afterJob = await send(
      `mutation ($tasks: [NewTaskInput!]) { a: createJob(input: ${job}) { ${ANSWER} } w: createWorkflow(input: { jobs: [{ key: "x", job: ${job} }] }) { ${ANSWER} } }`,
      { tasks: sixThousand },
      alice.secret,
    );
    expect(afterJob.a).toEqual({ __typename: "CreateJobPayload" });
    expect(afterJob.w).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["jobs", "0", "tasks"], message: TOO_MANY }] });
    expect(await workflows()).toBe(before);
    expect((await taskCount()) - tasks).toBe(6006);
    expect((await jobCount()) - jobs).toBe(1);
  });

  it("starts each request afresh, over HTTP and over WebSocket", async () => {
    const tasks = await taskCount();
    const document = `mutation ($tasks: [NewTaskInput!]) { createJob(input: ${job}) { ${ANSWER} } }`;
    for (let i = 0; i < 2; i++) expect((await send(document, { tasks: sixThousand }, alice.secret)).createJob).toEqual({ __typename: "CreateJobPayload" });
    // A gateway of its own, listening: stopping it ends its event stream, which later tests use.
    const listening = await createTestApi(database);
    const address = await listening.app.start(0, "127.0.0.1");
    const client = createClient({ url: `ws://127.0.0.1:${address.port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice.secret}` }, retryAttempts: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        for await (const result of client.iterate({ query: document, variables: { tasks: sixThousand } })) {
          expect(result).toEqual({ data: { createJob: { __typename: "CreateJobPayload" } } });
          break;
        }
      }
    } finally {
      await client.dispose();
      await listening.app.stop();
    }
    expect((await taskCount()) - tasks).toBe(4 * 6006);
  });
});

describe("a MAP task", () => {
  it("fans out to one child per value, its template bound to each value, in its own sequence", async () => {
    const { job } = await create([{ name: "prepare" }, shards([{ key: "a.csv" }, { key: "b.csv" }, { key: "c.csv" }], { sequence: 1 })]);
    const tasks = await tasksOf(job.id);
    expect(Object.keys(tasks)).toEqual(["prepare", "shards", "shards[0]", "shards[1]", "shards[2]"]);
    expect(tasks.shards).toMatchObject({ type: "MAP", status: "QUEUED", sequence: 1, mapIndex: null, mapTask: null });
    expect(tasks["shards[1]"]).toMatchObject({
      type: "TASK",
      status: "QUEUED",
      sequence: 1,
      mapIndex: 1,
      mapValue: { key: "b.csv" },
      mapTask: { name: "shards" },
      payload: { shard: "b.csv", index: "1" },
      inputs: [{ source: { uri: "s3://data/b.csv" }, target: { path: "in/1.csv" } }],
    });
    // The children alone, or the job's own tasks alone.
    expect(Object.keys(await tasksOf(job.id, { mapTask: tasks.shards!.id }))).toEqual(["shards[0]", "shards[1]", "shards[2]"]);
    expect(Object.keys(await tasksOf(job.id, { mapChildren: false }))).toEqual(["prepare", "shards"]);
  });

  it("is what its children are: running once one starts, their mean progress, succeeded when all did", async () => {
    const h = await held([shards(["x", "y"])]);
    const tasks = await tasksOf(h.id);
    expect(await act(h, "startTask", tasks.shards!.id)).toMatchObject({
      __typename: "InvalidTransitionError",
      message: "a MAP task runs as its children (the tasks whose mapTask it is): start, report and finish them",
    });
    await act(h, "startTask", tasks["shards[0]"]!.id);
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "RUNNING", progress: 0, success: null });
    await act(h, "reportTaskProgress", tasks["shards[0]"]!.id, ", progress: 0.5");
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "RUNNING", progress: 0.25 });
    // The job's own progress counts the children, not the MAP task on top of them.
    expect((await jobOf(h)).progress).toBeCloseTo(0.25);
    const early = await send(`mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename ... on Error { message } } }`, { id: h.id, lease: h.lease }, node.secret);
    expect(early.finishJob).toMatchObject({ __typename: "InvalidTransitionError", message: expect.stringContaining("3 tasks are unfinished: shards, shards[0], shards[1]") });
    await act(h, "finishTask", tasks["shards[0]"]!.id, ", success: true");
    await act(h, "startTask", tasks["shards[1]"]!.id);
    await act(h, "finishTask", tasks["shards[1]"]!.id, ", success: true");
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "SUCCEEDED", progress: 1, success: true });
    const finished = await send(`mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename } }`, { id: h.id, lease: h.lease }, node.secret);
    expect(finished.finishJob).toMatchObject({ __typename: "JobPayload" });
  });

  it("over an empty list (or none given) has succeeded as it is added, and again after a reset", async () => {
    const h = await held([shards([]), { name: "bare", type: "MAP" }]);
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "SUCCEEDED", success: true, progress: 1 });
    expect((await tasksOf(h.id)).bare).toMatchObject({ status: "SUCCEEDED", success: true, progress: 1 });
    expect(await send(`mutation ($id: ID!) { resetJob(id: $id) { __typename } }`, { id: h.id }, alice.secret)).toMatchObject({ resetJob: { __typename: "JobPayload" } });
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "SUCCEEDED", success: true });
  });

  it("fails with a child that fails for good, and its job with it (FAIL_JOB)", async () => {
    const h = await held([shards(["x", "y"])]);
    const tasks = await tasksOf(h.id);
    const child = tasks["shards[0]"]!.id;
    for (const _attempt of [1, 2]) {
      await act(h, "startTask", child);
      await act(h, "finishTask", child, ", success: false");
    }
    expect(await jobOf(h)).toMatchObject({ status: "FAILED", errorReason: 'task "shards[0]" failed after 2 attempts' });
    const after = await tasksOf(h.id);
    expect(after["shards[1]"]).toMatchObject({ status: "CANCELLED" });
    expect(after.shards).toMatchObject({ status: "FAILED", success: false });
  });

  it("under CONTINUE, ends FAILED once its children have, and stops the later sequences; retryTask gives its failed children another go", async () => {
    const h = await held([shards(["x", "y"]), { name: "report", sequence: 1 }], { onTaskFailure: "CONTINUE" });
    const tasks = await tasksOf(h.id);
    const [first, second] = [tasks["shards[0]"]!.id, tasks["shards[1]"]!.id];
    await act(h, "startTask", first);
    await act(h, "startTask", second);
    for (const _attempt of [1, 2]) {
      await act(h, "finishTask", first, ", success: false");
      if (_attempt === 1) await act(h, "startTask", first);
    }
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "RUNNING" });
    expect((await tasksOf(h.id)).report).toMatchObject({ status: "CANCELLED" });
    await act(h, "finishTask", second, ", success: true");
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "FAILED", success: false, progress: 0.5 });

    expect(await act(h, "retryTask", tasks.shards!.id)).toMatchObject({ __typename: "TaskPayload" });
    const again = await tasksOf(h.id);
    expect(again["shards[0]"]).toMatchObject({ status: "QUEUED" });
    expect(again["shards[1]"]).toMatchObject({ status: "SUCCEEDED" });
    expect(again.shards).toMatchObject({ status: "RUNNING", success: null });
    expect(again.report).toMatchObject({ status: "QUEUED" });
    await act(h, "startTask", first);
    await act(h, "finishTask", first, ", success: true");
    expect((await tasksOf(h.id)).shards).toMatchObject({ status: "SUCCEEDED", success: true });
  });

  it("is sent with its child to taskUpdated subscribers when the child changes", async () => {
    const h = await held([shards(["x", "y"])]);
    const tasks = await tasksOf(h.id);
    const stream = await subscribeSse(api, `subscription ($job: ID!) { taskUpdated(job: $job) { name status progress } }`, { job: h.id }, alice.secret);
    try {
      expect(((await stream.next(5000)).data as { taskUpdated: unknown[] }).taskUpdated).toHaveLength(3);
      await act(h, "startTask", tasks["shards[1]"]!.id);
      expect((await stream.next(5000)).data).toEqual({
        taskUpdated: [
          { name: "shards", status: "RUNNING", progress: 0 },
          { name: "shards[1]", status: "RUNNING", progress: 0 },
        ],
      });
    } finally {
      await stream.close();
    }
  });

  it("can be added to a running job by its holder", async () => {
    const h = await held([{ name: "first" }]);
    const added = await send(
      `mutation ($job: ID!, $lease: String!, $tasks: [NewTaskInput!]!) { addTasks(job: $job, leaseToken: $lease, tasks: $tasks) { __typename ... on Error { message } } }`,
      { job: h.id, lease: h.lease, tasks: [shards(["p", "q"], { sequence: 2 })] },
      node.secret,
    );
    expect(added.addTasks!.__typename).toBe("AddTasksPayload");
    expect(Object.keys(await tasksOf(h.id))).toEqual(["first", "shards", "shards[0]", "shards[1]"]);
  });
});

describe("a MAP task is refused", () => {
  it("past the fan-out limit, without a map, with a map on a plain task, or when a child would not be valid; nothing is written", async () => {
    const before = await database.db.task.count();
    const many = Array.from({ length: 1001 }, (_, i) => i);
    // The gateway's limit on any list in a request says it first, as a typed error.
    const refused = await api.request(parse(`mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename } }`), { input: { templateName: "mapper", tasks: [shards(many)] } }, { token: alice.secret });
    expect(refused.errors?.[0]).toMatchObject({ message: '"input.tasks.0.map.values" has 1001 items, more than the limit of 1000', extensions: { code: "LIST_TOO_LONG" } });
    // The domain holds the same limit for any other way in.
    expect(checkTasks([{ name: "shards", type: "MAP", map: { task: {}, values: many } } satisfies NewTask], ["tasks"])).toEqual([
      { path: ["tasks", "0", "map", "values"], message: "at most 1000 values: a map fans out to one task per value (1001 given)" },
    ]);
    expect((await create([{ name: "t", map: { task: {}, values: [1] } }])).fieldErrors).toEqual([
      { path: ["tasks", "0", "map"], message: "only a MAP task maps over a list: give type MAP, or leave map out" },
    ]);
    const escaping = { name: "m", type: "MAP", map: { task: { inputs: [{ source: { uri: "s3://x" }, targetPath: "{{value}}/file" }] }, values: ["ok", "../../etc"] } };
    expect((await create([escaping])).fieldErrors).toEqual([
      { path: ["tasks", "0", "map", "values", "1"], message: "inputs.0.target.path of the task it makes must be a relative path of up to 4000 characters, without .. or control characters" },
    ]);
    expect((await create([{ name: "shards[1]" }, shards(["a", "b"])])).fieldErrors).toEqual([
      { path: ["tasks", "1", "map", "values", "1"], message: 'the task it makes, "shards[1]", has the name of another task' },
    ]);
    expect((await create([{ name: "m", type: "MAP", map: { task: { cpu: 99 }, values: [1] } }])).fieldErrors).toEqual([
      { path: ["tasks", "0", "map", "task", "requirements", "cpu"], message: "must be an integer from 1 to 16" },
    ]);
    // A template naming {{value}} 250 times over 200 values of 4 KB: a request of 800 KB that
    // would have written 200 MB of children, refused before any child is bound.
    const blowUp = { name: "m", type: "MAP", map: { task: { payload: { text: "{{value}}".repeat(250) } }, values: Array.from({ length: 200 }, () => "x".repeat(4000)) } };
    const started = Date.now();
    expect((await create([blowUp])).fieldErrors).toEqual([
      {
        path: ["tasks", "0", "map", "task"],
        message: `its children, bound to their values, would take more than ${4 * 1024 * 1024} characters: name fewer {{value}} in the template, or give smaller values`,
      },
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    // The same template over values as large, but fewer, is within it.
    expect(checkTasks([{ ...blowUp, map: { ...blowUp.map, values: blowUp.map.values.slice(0, 4) } } as NewTask], ["tasks"])).toEqual([]);
    const tooMany = Array.from({ length: 11 }, (_, i) => shards(many.slice(0, 1000), { name: `m${i}` }));
    expect((await create(tooMany)).fieldErrors).toEqual([{ path: ["tasks"], message: "at most 10000 tasks at once, the children of MAP tasks included (11011 given)" }]);
    expect(await database.db.task.count()).toBe(before);
  });
});

describe("the rollup of MAP tasks", () => {
  it("costs a task's change nothing more than a check when no map is involved", async () => {
    const h = await held([{ name: "plain" }]);
    const tasks = await tasksOf(h.id);
    database.counter.reset();
    await act(h, "startTask", tasks.plain!.id);
    // One statement for the change (the trigger's check runs inside it).
    expect(database.counter.statements.filter((s) => /startTask/.test(s))).toHaveLength(1);
    expect(decodeGlobalId(tasks.plain!.id).typename).toBe("Task");
  });
});
