// Every connection of the schema pages on from its cursors: walked forward two items at a time
// (first, after endCursor) and backward (last, before startCursor), it gives exactly the items of
// one big page, in the same order, with hasNextPage and hasPreviousPage true until its ends. The
// connections are listed from schema.graphql, so a new one fails here until it is reached.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";
import { connectionFields } from "../helpers/schema.js";

/** Items in each list: an odd number, so that the last page of two holds one. */
const ITEMS = 5;

type Page = {
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: Record<string, unknown> }>;
};

let database: TestDatabase;
let api: TestApi;
/** By connection type: the field that reaches it (under node(id) when an id is given), and what names an item. */
const lists: Record<string, { field: string; id?: string; item: string }> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  const { db, pool } = database;
  const user = await createTestUser(db);
  await Promise.all(Array.from({ length: ITEMS }, () => createTestUser(db)));
  const nodes = await Promise.all(Array.from({ length: ITEMS }, () => createTestNode(db)));
  const node = nodes[0]!;
  const templates = [];
  for (let v = 1; v <= ITEMS; v++) templates.push(await createTemplate(db, "paging", v));
  const template = templates[0]!;
  // A parent with children, tasks, outputs; every job of the template, held by the node, in one workflow.
  const [parent, ...children] = await createJobs(db, template.id, 1 + ITEMS, { tasks: ITEMS, outputs: ITEMS });
  const workflow = await db.workflow.create({ data: { name: "paging", creatorId: user.id } });
  await db.job.updateMany({ where: { id: { in: children } }, data: { parentId: parent, workflowId: workflow.id, status: "RUNNING", nodeId: node.id } });
  // Creation times that tie in pairs, so that orders by time are broken by id.
  await pool.query(`update jobs set created_at = '2026-01-01'::timestamptz + make_interval(secs => (number / 2)::int)`);
  await db.jobEvent.createMany({ data: Array.from({ length: ITEMS }, (_, i) => ({ jobId: parent!, kind: "CREATED" as const, jobVersion: i + 1 })) });
  const task = await db.task.findFirstOrThrow({ where: { jobId: parent } });
  await db.jobLogLine.createMany({
    data: Array.from({ length: ITEMS }, (_, i) => ({ jobId: parent!, seq: BigInt(i + 1), taskId: task.id, stream: "STDOUT" as const, at: new Date(), line: `line ${i}`, cumBytes: BigInt((i + 1) * 7) })),
  });
  await db.apiToken.createMany({ data: Array.from({ length: ITEMS - 1 }, (_, i) => ({ name: `t${i}`, prefix: `p${i}`, hash: randomUUID().replace(/-/g, "").padEnd(64, "0"), userId: user.id })) });
  const schedules: Array<{ id: string }> = [];
  for (let i = 0; i < ITEMS; i++) {
    schedules.push(
      await db.schedule.create({
        data: { name: `paging ${i}`, cron: "@daily", job: { templateName: "paging" }, nextRunAt: new Date(Date.now() + 86_400_000), creatorId: user.id },
      }),
    );
  }
  await db.scheduleTick.createMany({
    data: Array.from({ length: ITEMS }, (_, i) => ({ scheduleId: schedules[0]!.id, tickAt: new Date(Date.UTC(2026, 0, 1 + i)), outcome: "SKIPPED_MISSED" as const })),
  });

  const job = encodeGlobalId("Job", parent!);
  Object.assign(lists, {
    "Query.jobs": { field: "jobs", item: "id" },
    "Query.jobTemplates": { field: "jobTemplates", item: "id" },
    "Query.users": { field: "users", item: "id" },
    "Query.workerNodes": { field: "workerNodes", item: "id" },
    "Query.schedules": { field: "schedules", item: "id" },
    "Job.children": { field: "... on Job { list: children", id: job, item: "id" },
    "Job.tasks": { field: "... on Job { list: tasks", id: job, item: "id" },
    "Job.outputs": { field: "... on Job { list: outputs", id: job, item: "id" },
    "Job.events": { field: "... on Job { list: events", id: job, item: "id" },
    "Job.log": { field: "... on Job { list: log", id: job, item: "seq" },
    "Task.log": { field: "... on Task { list: log", id: encodeGlobalId("Task", task.id), item: "seq" },
    "JobTemplate.jobs": { field: "... on JobTemplate { list: jobs", id: encodeGlobalId("JobTemplate", template.id), item: "id" },
    "User.tokens": { field: "... on User { list: tokens", id: encodeGlobalId("User", user.id), item: "id" },
    "WorkerNode.currentJobs": { field: "... on WorkerNode { list: currentJobs", id: encodeGlobalId("WorkerNode", node.id), item: "id" },
    "Workflow.jobs": { field: "... on Workflow { list: jobs", id: encodeGlobalId("Workflow", workflow.id), item: "id" },
    "Schedule.ticks": { field: "... on Schedule { list: ticks", id: encodeGlobalId("Schedule", schedules[0]!.id), item: "tickAt" },
  });
});

/** One page of a list, with the arguments given. */
async function page(name: string, args: string, variables: Record<string, unknown>): Promise<Page> {
  const { field, id, item } = lists[name]!;
  const selection = `(${args}) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${item} } } }`;
  if (!id) {
    const data = await sendText(api, `query($c: String) { list: ${field}${selection} }`, variables);
    return data.list as unknown as Page;
  }
  const data = await sendText(api, `query($id: ID!, $c: String) { node(id: $id) { ${field}${selection} } } }`, { id, ...variables });
  return (data.node as unknown as { list: Page }).list;
}

const items = (name: string, p: Page) => p.edges.map((e) => e.node[lists[name]!.item]);

describe("every connection", () => {
  it("covers every field of the schema that returns a connection", async () => {
    expect(Object.keys(lists).sort()).toEqual((await connectionFields()).map((f) => f.field));
  });

  it("one connection type per item type: every list of X is an XConnection of XEdges, wherever it hangs", async () => {
    const fields = await connectionFields();
    for (const { field, connection, edge, item } of fields) {
      // A job's and a task's log lines are JobLogLines.
      expect({ field, connection, edge }).toEqual({ field, connection: `${item}Connection`, edge: `${item}Edge` });
    }
    const jobLists = fields.filter((f) => f.item === "Job").map((f) => f.field);
    expect(jobLists).toEqual(["JobTemplate.jobs", "Job.children", "Query.jobs", "WorkerNode.currentJobs", "Workflow.jobs"].sort());
  });

  it("one fragment on a connection type serves every list of its items, all in one document", async () => {
    const byConnection = new Map<string, string[]>();
    for (const { field, connection } of await connectionFields()) byConnection.set(connection, [...(byConnection.get(connection) ?? []), field]);
    let shared = 0;
    for (const [connection, fields] of byConnection) {
      if (fields.length < 2) continue;
      shared++;
      // Each list under an alias of its own, every one of them selecting through the one fragment.
      const selections = fields.map((name, i) => {
        const { field, id } = lists[name]!;
        const spread = `{ __typename ...Page edges { __typename } }`;
        return id ? `l${i}: node(id: "${id}") { ${field}(first: 100) ${spread} } }` : `l${i}: ${field}(first: 100) ${spread}`;
      });
      const item = lists[fields[0]!]!.item;
      const document = `query { ${selections.join(" ")} } fragment Page on ${connection} { pageInfo { hasNextPage } edges { cursor node { ${item} } } }`;
      const data = await sendText(api, document);
      for (const [i, name] of fields.entries()) {
        const answer = data[`l${i}`] as unknown;
        const list = (lists[name]!.id ? (answer as { list: unknown }).list : answer) as Omit<Page, "edges"> & { __typename: string; edges: Array<Page["edges"][number] & { __typename: string }> };
        expect(list.__typename, name).toBe(connection);
        expect(list.edges.length, name).toBeGreaterThanOrEqual(ITEMS);
        expect(new Set(list.edges.map((e) => e.__typename)), name).toEqual(new Set([connection.replace(/Connection$/, "Edge")]));
        // The fragment's items are the list's own, as a query of that list alone gives them.
        expect(items(name, list), name).toEqual(items(name, await page(name, "first: 100, after: $c", { c: null })));
      }
    }
    expect(shared).toBeGreaterThanOrEqual(2);
  });

  it.each([
    "Query.jobs",
    "Query.jobTemplates",
    "Query.users",
    "Query.workerNodes",
    "Query.schedules",
    "Job.children",
    "Job.tasks",
    "Job.outputs",
    "Job.events",
    "Job.log",
    "Task.log",
    "JobTemplate.jobs",
    "User.tokens",
    "WorkerNode.currentJobs",
    "Workflow.jobs",
    "Schedule.ticks",
  ])("%s: forward by endCursor and backward by startCursor, the same items as one page", async (name) => {
    const whole = await page(name, "first: 100, after: $c", { c: null });
    const all = items(name, whole);
    expect(all.length).toBeGreaterThanOrEqual(ITEMS);
    expect(new Set(all).size).toBe(all.length);
    expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const forward: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < all.length; pages++) {
      const p = await page(name, "first: 2, after: $c", { c: cursor });
      forward.push(...items(name, p));
      expect(p.pageInfo.hasPreviousPage, `${name} page ${pages}`).toBe(cursor !== null);
      expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1]?.cursor ?? null);
      if (!p.pageInfo.hasNextPage) break;
      cursor = p.pageInfo.endCursor;
    }
    expect(forward).toEqual(all);

    const backward: unknown[] = [];
    cursor = null;
    for (let pages = 0; pages < all.length; pages++) {
      const p = await page(name, "last: 2, before: $c", { c: cursor });
      backward.unshift(...items(name, p));
      expect(p.pageInfo.hasNextPage, `${name} page ${pages} from the end`).toBe(cursor !== null);
      expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
      if (!p.pageInfo.hasPreviousPage) break;
      cursor = p.pageInfo.startCursor;
    }
    expect(backward).toEqual(all);
  });
});
