// Single rows read by key (node(id), nodes(ids), task, jobTemplate, jobByNumber, jobOutput,
// workflow, workflowByNumber, schedule, the viewer's rows, a log line's task, and the rows the
// subscriptions deliver) come through the request's loaders in plain SQL: none is read by Prisma's
// client, whose statements name every table with its schema ("public"."jobs"), as bench/shapes
// tells them apart. A row through Prisma's client cost about five times the gateway's CPU of one
// through a loader (docs/performance.md).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/events/event-stream.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

const isPrisma = (sql: string) => sql.includes('"public".');
// Authenticating the caller costs a statement of its own, whatever the query; it is not counted.
const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

describe("reads of single rows by key", () => {
  let database: TestDatabase;
  let api: TestApi;
  let alice: TestUser;
  let node: TestNode;
  let otherNode: TestNode;
  const ids = {} as Record<"job" | "task" | "template" | "output" | "event" | "workflow" | "schedule", string>;
  let jobNumber: number;
  let workflowNumber: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    alice = await createTestUser(database.db, "USER", "alice");
    node = await createTestNode(database.db, "lookup-node");
    otherNode = await createTestNode(database.db, "other-node");
    const template = await createTemplate(database.db, "lookup", 1);
    await createTemplate(database.db, "lookup", 2);
    const workflow = await database.db.workflow.create({ data: { name: "nightly", creatorId: alice.id } });
    const [job] = await createJobs(database.db, template.id, 1, { tasks: 2, outputs: 1 });
    await database.db.job.update({ where: { id: job! }, data: { workflowId: workflow.id, nodeId: node.id } });
    const task = await database.db.task.findFirstOrThrow({ where: { jobId: job! }, orderBy: { qsequence: "asc" } });
    const output = await database.db.jobOutput.findFirstOrThrow({ where: { jobId: job! } });
    const event = await database.db.jobEvent.create({
      data: { jobId: job!, taskId: task.id, kind: "PROGRESS", progress: 0.5, detail: { step: 1 }, actorNodeId: node.id, jobVersion: 2 },
    });
    await database.db.jobLogLine.create({ data: { jobId: job!, seq: 1n, taskId: task.id, stream: "STDOUT", at: new Date(), line: "hello", cumBytes: 6n } });
    const schedule = await database.db.schedule.create({
      data: { name: "hourly", cron: "0 * * * *", job: { templateName: "lookup" }, nextRunAt: new Date(Date.UTC(2030, 0, 1)), creatorId: alice.id },
    });
    const { number } = await database.db.job.findUniqueOrThrow({ where: { id: job! } });
    Object.assign(ids, { job: job!, task: task.id, template: template.id, output: output.id, event: String(event.id), workflow: workflow.id, schedule: schedule.id });
    jobNumber = Number(number);
    workflowNumber = Number(workflow.number);
  });

  /** Sends `query` and returns its data and the statements it cost, failing on any error. */
  async function read(query: string, variables: Record<string, unknown> = {}, token?: string) {
    database.counter.reset();
    const data = await sendText(api, query, variables, token);
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    return { data: data as Record<string, unknown>, statements, prisma: statements.filter(isPrisma) };
  }

  it("reads each query field's row in one statement of its own, none by Prisma's client", async () => {
    const cases: Array<[string, string, unknown]> = [
      ["task", `{ task(id: "${encodeGlobalId("Task", ids.task)}") { name qsequence } }`, { task: { name: expect.any(String), qsequence: 0 } }],
      ["jobTemplate by id", `{ jobTemplate(id: "${encodeGlobalId("JobTemplate", ids.template)}") { name version } }`, { jobTemplate: { name: "lookup", version: 1 } }],
      ["jobTemplate by name", `{ jobTemplate(name: "lookup") { version } }`, { jobTemplate: { version: 2 } }],
      ["jobTemplate by name and version", `{ jobTemplate(name: "lookup", version: 1) { id } }`, { jobTemplate: { id: encodeGlobalId("JobTemplate", ids.template) } }],
      ["jobByNumber", `{ jobByNumber(number: ${jobNumber}) { id number name } }`, { jobByNumber: { id: encodeGlobalId("Job", ids.job), number: jobNumber, name: "job 0" } }],
      [
        "jobOutput",
        `query($job: ID!) { jobOutput(jobId: $job, name: "out-0", type: "json") { id size } }`,
        { jobOutput: { id: encodeGlobalId("JobOutput", ids.output), size: expect.anything() } },
      ],
      ["workflow", `{ workflow(id: "${encodeGlobalId("Workflow", ids.workflow)}") { name number } }`, { workflow: { name: "nightly", number: workflowNumber } }],
      ["workflowByNumber", `{ workflowByNumber(number: ${workflowNumber}) { id } }`, { workflowByNumber: { id: encodeGlobalId("Workflow", ids.workflow) } }],
      ["schedule by id", `{ schedule(id: "${encodeGlobalId("Schedule", ids.schedule)}") { name cron paused } }`, { schedule: { name: "hourly", cron: "0 * * * *", paused: false } }],
      ["schedule by name", `{ schedule(name: "hourly") { id } }`, { schedule: { id: encodeGlobalId("Schedule", ids.schedule) } }],
      ["viewer's user", `{ viewer { user { name } } }`, { viewer: { user: { name: api.admin.name } } }],
      ["viewer's token", `{ viewer { token { prefix } } }`, { viewer: { token: { prefix: api.admin.secret.slice(0, 12) } } }],
    ];
    const output = await database.db.jobOutput.findUniqueOrThrow({ where: { id: ids.output } });
    for (const [name, query, expected] of cases) {
      const { data, statements, prisma } = await read(query.replace('"out-0"', JSON.stringify(output.name)).replace('"json"', JSON.stringify(output.type)), { job: encodeGlobalId("Job", ids.job) });
      expect(data, name).toEqual(expected);
      expect(prisma, name).toEqual([]);
      expect(statements, name).toHaveLength(1);
    }
    const viewerNode = await read(`{ viewer { node { name } } }`, {}, node.secret);
    expect(viewerNode.data).toEqual({ viewer: { node: { name: "lookup-node" } } });
    expect(viewerNode.prisma).toEqual([]);
  });

  it("answers null for a key that names no row, without Prisma's client", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const { data, prisma } = await read(`{
      task(id: "${encodeGlobalId("Task", missing)}") { id }
      jobByNumber(number: 999999) { id }
      jobTemplate(name: "lookup", version: 9) { id }
      workflowByNumber(number: 999999) { id }
      schedule(name: "nope") { id }
      jobOutput(jobId: "${encodeGlobalId("Job", ids.job)}", name: "nope", type: "json") { id }
    }`);
    expect(data).toEqual({ task: null, jobByNumber: null, jobTemplate: null, workflowByNumber: null, schedule: null, jobOutput: null });
    expect(prisma).toEqual([]);
  });

  it("reads node(id) of every node type in one statement, none by Prisma's client, and the same rows Prisma would", async () => {
    const types: Array<[string, string, string]> = [
      ["Job", ids.job, "... on Job { name status deletedAt }"],
      ["Task", ids.task, "... on Task { name qsequence hints }"],
      ["JobTemplate", ids.template, "... on JobTemplate { name version }"],
      ["JobOutput", ids.output, "... on JobOutput { name size createdAt }"],
      ["JobEvent", ids.event, "... on JobEvent { kind progress detail at jobVersion }"],
      ["User", alice.id, "... on User { name role }"],
      ["WorkerNode", node.id, "... on WorkerNode { name }"],
      ["Workflow", ids.workflow, "... on Workflow { name number createdAt }"],
      ["Schedule", ids.schedule, "... on Schedule { name cron nextRunAt }"],
      ["ApiToken", alice.tokenId, "... on ApiToken { name prefix createdAt }"],
    ];
    const event = await database.db.jobEvent.findUniqueOrThrow({ where: { id: BigInt(ids.event) } });
    for (const [type, id, fields] of types) {
      const gid = encodeGlobalId(type, id);
      const { data, statements, prisma } = await read(`query($id: ID!) { node(id: $id) { id __typename ${fields} } }`, { id: gid });
      expect(data.node, type).toMatchObject({ id: gid, __typename: type });
      expect(prisma, type).toEqual([]);
      expect(statements, type).toHaveLength(1);
    }
    // The shapes the resolvers and scalars expect: a bigint id, a Date, JSON.
    const { data } = await read(`query($id: ID!) { node(id: $id) { ... on JobEvent { id kind progress detail at } } }`, { id: encodeGlobalId("JobEvent", ids.event) });
    expect(data.node).toEqual({ id: encodeGlobalId("JobEvent", ids.event), kind: "PROGRESS", progress: 0.5, detail: { step: 1 }, at: event.at.toISOString() });
    const deleted = await database.db.job.update({ where: { id: ids.job }, data: { deletedAt: new Date() } });
    try {
      const soft = await read(`query($id: ID!) { node(id: $id) { ... on Job { deletedAt } } }`, { id: encodeGlobalId("Job", ids.job) });
      expect(soft.data.node).toEqual({ deletedAt: deleted.deletedAt!.toISOString() });
    } finally {
      await database.db.job.update({ where: { id: ids.job }, data: { deletedAt: null } });
    }
  });

  it("reads nodes(ids) in one statement per type however many ids it names, nulls for unknown ids", async () => {
    const tasks = await database.db.task.findMany({ where: { jobId: ids.job }, orderBy: { qsequence: "asc" } });
    const missing = encodeGlobalId("Schedule", "00000000-0000-4000-8000-000000000000");
    const gids = [
      encodeGlobalId("ApiToken", alice.tokenId),
      encodeGlobalId("Task", tasks[0]!.id),
      encodeGlobalId("JobEvent", ids.event),
      missing,
      encodeGlobalId("ApiToken", node.tokenId),
      encodeGlobalId("Task", tasks[1]!.id),
      encodeGlobalId("Schedule", ids.schedule),
      encodeGlobalId("User", alice.id),
      encodeGlobalId("JobOutput", ids.output),
      encodeGlobalId("Job", ids.job),
      encodeGlobalId("ApiToken", alice.tokenId),
    ];
    const { data, statements, prisma } = await read(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename ... on Task { qsequence } ... on ApiToken { name } ... on Schedule { name } } }`,
      { ids: gids },
    );
    const nodes = data.nodes as Array<{ id: string; __typename: string } | null>;
    expect(nodes.map((n) => n?.id ?? null)).toEqual(gids.map((gid) => (gid === missing ? null : gid)));
    expect(nodes[1]).toMatchObject({ __typename: "Task", qsequence: 0 });
    expect(nodes[5]).toMatchObject({ __typename: "Task", qsequence: 1 });
    expect(nodes[6]).toMatchObject({ __typename: "Schedule", name: "hourly" });
    expect(prisma).toEqual([]);
    // ApiToken, Task, JobEvent, Schedule, User, JobOutput, Job.
    expect(statements, statements.join("\n---\n")).toHaveLength(7);
  });

  it("shows a token to its owner and admins only, as it did", async () => {
    const query = `query($id: ID!) { node(id: $id) { ... on ApiToken { prefix user { name } } } }`;
    const id = encodeGlobalId("ApiToken", alice.tokenId);
    expect((await read(query, { id }, alice.secret)).data.node).toEqual({ prefix: alice.secret.slice(0, 12), user: { name: "alice" } });
    expect((await read(query, { id })).data.node).toMatchObject({ user: { name: "alice" } });
    database.counter.reset();
    const refused = await api.fetch(
      "/graphql",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables: { id: encodeGlobalId("ApiToken", node.tokenId) } }) },
      { token: otherNode.secret },
    );
    const body = (await refused.json()) as { data?: { node: unknown }; errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.data?.node).toBeNull();
    expect(new Set(body.errors?.map((e) => e.extensions?.code))).toEqual(new Set(["FORBIDDEN"]));
    expect(database.counter.statements.filter(isPrisma)).toEqual([]);
  });

  it("reads a log line's task through the loaders", async () => {
    const { data, prisma } = await read(`query($id: ID!) { node(id: $id) { ... on Job { log(first: 5) { edges { node { line task { qsequence } } } } } } }`, {
      id: encodeGlobalId("Job", ids.job),
    });
    expect(data.node).toEqual({ log: { edges: [{ node: { line: "hello", task: { qsequence: 0 } } }] } });
    expect(prisma).toEqual([]);
  });

  it("delivers the rows of jobEvents, workflowUpdated and taskUpdated without Prisma's client", async () => {
    const clients = new Subscribers("ws://unused", api);
    /** A subscription over server-sent events (in memory, through the app) and its messages. */
    const subscribe = async <T,>(query: string, variables: Record<string, unknown>) =>
      clients.readEvents<T>(await clients.postForEvents(parse(query) as TypedDocumentNode<T, Record<string, unknown>>, variables), query);
    // Prisma's reads of the rows delivered (the streams' own bookkeeping aside).
    const prismaReads = (table: string) => database.counter.statements.filter((sql) => isPrisma(sql) && sql.includes(`"public"."${table}"`));
    try {
      database.counter.reset();
      const events = await subscribe<{ jobEvents: { event: { id: string; kind: string; progress: number; detail: unknown; task: { qsequence: number } } } }>(
        `subscription($job: ID!, $after: String) { jobEvents(filter: { job: $job }, after: $after) { event { id kind progress detail task { qsequence } } } }`,
        { job: encodeGlobalId("Job", ids.job), after: encodeCursor("0", "0") },
      );
      expect((await events.next()).jobEvents.event).toEqual({ id: encodeGlobalId("JobEvent", ids.event), kind: "PROGRESS", progress: 0.5, detail: { step: 1 }, task: { qsequence: 0 } });
      expect(prismaReads("job_events")).toEqual([]);

      const workflow = await subscribe<{ workflowUpdated: { name: string; number: number } }>(`subscription($id: ID!) { workflowUpdated(id: $id) { name number } }`, {
        id: encodeGlobalId("Workflow", ids.workflow),
      });
      expect((await workflow.next()).workflowUpdated).toEqual({ name: "nightly", number: workflowNumber });
      expect(prismaReads("workflows")).toEqual([]);

      const tasks = await subscribe<{ taskUpdated: Array<{ qsequence: number; progress: number }> }>(
        `subscription($job: ID!) { taskUpdated(job: $job) { qsequence progress } }`,
        { job: encodeGlobalId("Job", ids.job) },
      );
      expect((await tasks.next()).taskUpdated.map((t) => t.qsequence)).toEqual([0, 1]);
      // A task's progress, as a worker's report records it: the task alone is sent.
      const task = await database.db.task.findFirstOrThrow({ where: { jobId: ids.job, qsequence: 1 } });
      database.counter.reset();
      await database.db.task.update({ where: { id: task.id }, data: { progress: 0.25 } });
      await database.pool.query("insert into job_events (job_id, task_id, kind, progress, job_version) values ($1, $2, 'PROGRESS', 0.25, 3)", [ids.job, task.id]);
      expect((await tasks.next()).taskUpdated).toEqual([{ qsequence: 1, progress: 0.25 }]);
      expect(prismaReads("tasks").filter((sql) => !sql.startsWith("UPDATE"))).toEqual([]);
    } finally {
      await clients.stop();
    }
  });
});
