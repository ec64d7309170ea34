// A row looked up by id (or by another unique key, or as a node) reads the rows its to-one
// relations lead to in its own statement when the document selects them, as a page of such rows
// does: an event with its task, user and node, a workflow, template or schedule with its creator,
// a task with the tasks that map, made or stopped it, an API token with its user or node. A
// relation whose key is null reads as null, and the joined rows are exactly what their own lookups
// read.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendCounted, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

describe("a lookup by id with its to-one relations", () => {
  let database: TestDatabase;
  let api: TestApi;
  let node: TestNode;
  let full: string;
  let bare: string;
  let workflowId: string;
  let taskIds: [string, string];
  let templateId: string;
  let scheduleId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    node = await createTestNode(database.db);
    const template = await createTemplate(database.db, "lookup-joins");
    const [jobId] = await createJobs(database.db, template.id, 1, { tasks: 2 });
    const task = await database.db.task.findFirstOrThrow({ where: { jobId: jobId! }, orderBy: { qsequence: "asc" } });
    const { rows } = await database.pool.query<{ id: string }>(
      `insert into job_events (job_id, task_id, kind, job_version, actor_user_id, actor_node_id)
       values ($1, $2, 'PROGRESS', 7, $3, $4), ($1, null, 'PROGRESS', 8, null, null) returning id::text`,
      [jobId, task.id, api.admin.id, node.id],
    );
    [full, bare] = rows.map((r) => encodeGlobalId("JobEvent", r.id)) as [string, string];
    const workflow = await database.db.workflow.create({ data: { name: "lookup-joins", creatorId: api.admin.id } });
    workflowId = encodeGlobalId("Workflow", workflow.id);
    const tasks = await database.db.task.findMany({ where: { jobId: jobId! }, orderBy: { qsequence: "asc" } });
    await database.pool.query("update tasks set map_task_id = $1, map_index = 0, created_by_task_id = $1, stopped_by_task_id = $1 where id = $2", [tasks[0]!.id, tasks[1]!.id]);
    taskIds = tasks.map((t) => encodeGlobalId("Task", t.id)) as [string, string];
    await database.db.jobTemplate.update({ where: { id: template.id }, data: { creatorId: api.admin.id } });
    templateId = encodeGlobalId("JobTemplate", template.id);
    const schedule = await database.db.schedule.create({
      data: { name: "lookup-joins", cron: "0 * * * *", job: { template: "lookup-joins" }, nextRunAt: new Date(Date.now() + 3_600_000), creatorId: api.admin.id },
    });
    scheduleId = encodeGlobalId("Schedule", schedule.id);
  });

  const read = (query: string, variables: Record<string, unknown>) => sendCounted(api, database, query, variables);

  const EVENT = `query($id: ID!) { node(id: $id) { ... on JobEvent { jobVersion task { name qsequence status } actorUser { name } actorNode { name } } } }`;

  it("an event as a node, with its task, user and node, in one statement", async () => {
    const { data, statements } = await read(EVENT, { id: full });
    expect(data.node).toEqual({ jobVersion: 7, task: { name: "task 0", qsequence: 0, status: "QUEUED" }, actorUser: { name: api.admin.name }, actorNode: { name: node.name } });
    expect(statements, statements.join("\n\n")).toHaveLength(1);
  });

  it("an event whose task, user and node are none reads them as null", async () => {
    const { data, statements } = await read(EVENT, { id: bare });
    expect(data.node).toEqual({ jobVersion: 8, task: null, actorUser: null, actorNode: null });
    expect(statements).toHaveLength(1);
  });

  it("two events in one document, one selecting relations and one not, each get what they asked for", async () => {
    const { data } = await read(`query($a: ID!, $b: ID!) { a: node(id: $a) { ... on JobEvent { actorUser { name } } } b: node(id: $b) { ... on JobEvent { jobVersion } } }`, { a: full, b: bare });
    expect(data).toEqual({ a: { actorUser: { name: api.admin.name } }, b: { jobVersion: 8 } });
  });

  it("a workflow with its creator, by id and as a node, in one statement", async () => {
    for (const [query, field] of [
      [`query($id: ID!) { workflow(id: $id) { name creator { id name } } }`, "workflow"],
      [`query($id: ID!) { node(id: $id) { ... on Workflow { name creator { id name } } } }`, "node"],
    ] as const) {
      const { data, statements } = await read(query, { id: workflowId });
      expect(data[field], field).toEqual({ name: "lookup-joins", creator: { id: encodeGlobalId("User", api.admin.id), name: api.admin.name } });
      expect(statements, statements.join("\n\n")).toHaveLength(1);
    }
  });

  it("an API token with its user or its node, as a node and as the viewer's, in one statement", async () => {
    const TOKEN = `query($id: ID!) { node(id: $id) { ... on ApiToken { name user { name } node { name } } } }`;
    for (const [id, user, owner] of [
      [api.admin.tokenId, { name: api.admin.name }, null],
      [node.tokenId, null, { name: node.name }],
    ] as const) {
      const { data, statements } = await read(TOKEN, { id: encodeGlobalId("ApiToken", id) });
      expect(data.node).toEqual({ name: "test", user, node: owner });
      expect(statements, statements.join("\n\n")).toHaveLength(1);
    }
    const { data, statements } = await read(`{ viewer { token { name user { name role } } } }`, {});
    expect(data.viewer).toEqual({ token: { name: "test", user: { name: api.admin.name, role: "ADMIN" } } });
    expect(statements, statements.join("\n\n")).toHaveLength(1);
  });

  it("a task with the tasks that map, made and stopped it, by id and as a node, in one statement", async () => {
    const first = { name: "task 0", qsequence: 0 };
    for (const [query, field] of [
      [`query($id: ID!) { task(id: $id) { name mapTask { name qsequence } createdByTask { name qsequence } stoppedBy { name qsequence } } }`, "task"],
      [`query($id: ID!) { node(id: $id) { ... on Task { name mapTask { name qsequence } createdByTask { name qsequence } stoppedBy { name qsequence } } } }`, "node"],
    ] as const) {
      const { data, statements } = await read(query, { id: taskIds[1] });
      expect(data[field], field).toEqual({ name: "task 1", mapTask: first, createdByTask: first, stoppedBy: first });
      expect(statements, statements.join("\n\n")).toHaveLength(1);
      const none = await read(query, { id: taskIds[0] });
      expect(none.data[field], field).toEqual({ name: "task 0", mapTask: null, createdByTask: null, stoppedBy: null });
      expect(none.statements).toHaveLength(1);
    }
  });

  it("a template with its creator, by id, by name, by name and version and as a node, in one statement", async () => {
    const creator = { id: encodeGlobalId("User", api.admin.id), name: api.admin.name };
    for (const [query, variables, field] of [
      [`query($id: ID!) { jobTemplate(id: $id) { name creator { id name } } }`, { id: templateId }, "jobTemplate"],
      [`query($name: String!) { jobTemplate(name: $name) { name creator { id name } } }`, { name: "lookup-joins" }, "jobTemplate"],
      [`query($name: String!) { jobTemplate(name: $name, version: 1) { name creator { id name } } }`, { name: "lookup-joins" }, "jobTemplate"],
      [`query($id: ID!) { node(id: $id) { ... on JobTemplate { name creator { id name } } } }`, { id: templateId }, "node"],
    ] as const) {
      const { data, statements } = await read(query, variables);
      expect(data[field], query).toEqual({ name: "lookup-joins", creator });
      expect(statements, `${query}\n${statements.join("\n\n")}`).toHaveLength(1);
    }
  });

  it("a schedule with its creator, by id, by name, as a node and in a page, in one statement", async () => {
    const creator = { id: encodeGlobalId("User", api.admin.id), name: api.admin.name };
    for (const [query, variables, answer] of [
      [`query($id: ID!) { schedule(id: $id) { name creator { id name } } }`, { id: scheduleId }, (d: Record<string, unknown>) => d.schedule],
      [`query($name: String!) { schedule(name: $name) { name creator { id name } } }`, { name: "lookup-joins" }, (d: Record<string, unknown>) => d.schedule],
      [`query($id: ID!) { node(id: $id) { ... on Schedule { name creator { id name } } } }`, { id: scheduleId }, (d: Record<string, unknown>) => d.node],
      [`{ schedules(first: 5) { edges { node { name creator { id name } } } } }`, {}, (d: Record<string, unknown>) => (d.schedules as { edges: Array<{ node: unknown }> }).edges[0]!.node],
    ] as const) {
      const { data, statements } = await read(query, variables);
      expect(answer(data), query).toEqual({ name: "lookup-joins", creator });
      expect(statements, `${query}\n${statements.join("\n\n")}`).toHaveLength(1);
    }
  });
});
