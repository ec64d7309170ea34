// A row looked up by id (an event as a node, a workflow) reads the rows its to-one relations lead
// to in its own statement when the document selects them, as a page of such rows does: an event
// with its task, user and node, a workflow with its creator. A relation whose key is null reads
// as null, and the joined rows are exactly what their own lookups read.
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
});
