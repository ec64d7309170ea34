// A cursor holds its place after its row is gone or has moved: a client walking a list page by
// page, while retention deletes jobs or events for good and workers' reports move jobs in an order
// by updatedAt, gets every item once, neither an empty page nor the list over again. Each list is
// walked forward and backward with the row of the cursor deleted between two pages; the job orders
// whose values change are walked with the cursor's row moved to either end.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";

const ITEMS = 6;

type Page = {
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: Record<string, string> }>;
};

/**
 * A list to walk: the field that reaches it (under node(id) when `id` is given), the table of its
 * rows, and the field that names an item (its id unless said).
 */
type List = { field: string; id?: string; table: string; item?: string };

let database: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
});

async function page(list: List, args: string, cursor: string | null): Promise<Page> {
  const selection = `(${args}) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${list.item ?? "id"} } } }`;
  const c = args.includes("$c") ? ", $c: String" : "";
  if (!list.id) return (await sendText(api, `query${c && `(${c.slice(2)})`} { list: ${list.field}${selection} }`, { c: cursor })).list as unknown as Page;
  const data = await sendText(api, `query($id: ID!${c}) { node(id: $id) { ${list.field}${selection} } } }`, { id: list.id, c: cursor });
  return (data.node as unknown as { list: Page }).list;
}

let itemOf = "id";
const ids = (p: Page) => p.edges.map((e) => e.node[itemOf]!);

/** The row's id behind a node's global ID (events' are their bigint's text). */
const rowId = (global: string) => Buffer.from(global, "base64").toString("utf8").split(":").slice(1).join(":");

async function deleteRow(list: List, global: string): Promise<void> {
  // A schedule's ticks are named by when they were due.
  if (list.table === "schedule_ticks") {
    await database.pool.query("delete from schedule_ticks where tick_at = $1::timestamptz", [global]);
    return;
  }
  const id = rowId(global);
  // A template's jobs hold on to it.
  if (list.table === "job_templates") await database.pool.query("delete from jobs where template_id = $1::uuid", [id]);
  await database.pool.query(`delete from ${list.table} where id = $1::${list.table === "job_events" || list.table === "schedule_ticks" ? "bigint" : "uuid"}`, [id]);
}

/** Each list, made with rows of its own: `prefix` names rows that sort first or last, so that the rows a walk deletes are its own. */
const LISTS: Record<string, () => Promise<List>> = {
  "Query.jobs": async () => {
    const template = await createTemplate(database.db, `jobs-${randomUUID()}`);
    await createJobs(database.db, template.id, ITEMS);
    return { field: "jobs", table: "jobs" };
  },
  "Query.jobTemplates": async () => {
    for (const name of ["0000-cursor", "zzzz-cursor"]) for (let v = 1; v <= ITEMS / 2; v++) await createTemplate(database.db, name, v);
    return { field: "jobTemplates", table: "job_templates" };
  },
  "Query.users": async () => {
    for (let i = 0; i < ITEMS / 2; i++) {
      await createTestUser(database.db, "USER", `0000-cursor-${i}`);
      await createTestUser(database.db, "USER", `zzzz-cursor-${i}`);
    }
    return { field: "users", table: "users" };
  },
  "Query.workerNodes": async () => {
    for (let i = 0; i < ITEMS; i++) await createTestNode(database.db);
    return { field: "workerNodes", table: "worker_nodes" };
  },
  "Query.schedules": async () => {
    const user = await createTestUser(database.db);
    for (let i = 0; i < ITEMS; i++) {
      await database.db.schedule.create({
        data: { name: `cursor ${randomUUID()}`, cron: "@daily", job: { templateName: "any" }, nextRunAt: new Date(Date.now() + 86_400_000), creatorId: user.id },
      });
    }
    return { field: "schedules", table: "schedules" };
  },
  "Job.children": async () => {
    const template = await createTemplate(database.db, `children-${randomUUID()}`);
    const [parent, ...children] = await createJobs(database.db, template.id, 1 + ITEMS);
    await database.db.job.updateMany({ where: { id: { in: children } }, data: { parentId: parent } });
    return { field: "... on Job { list: children", id: encodeGlobalId("Job", parent!), table: "jobs" };
  },
  "Job.tasks": async () => {
    const template = await createTemplate(database.db, `tasks-${randomUUID()}`);
    const [job] = await createJobs(database.db, template.id, 1, { tasks: ITEMS });
    return { field: "... on Job { list: tasks", id: encodeGlobalId("Job", job!), table: "tasks" };
  },
  "Job.outputs": async () => {
    const template = await createTemplate(database.db, `outputs-${randomUUID()}`);
    const [job] = await createJobs(database.db, template.id, 1, { outputs: ITEMS });
    return { field: "... on Job { list: outputs", id: encodeGlobalId("Job", job!), table: "job_outputs" };
  },
  "Job.events": async () => {
    const template = await createTemplate(database.db, `events-${randomUUID()}`);
    const [job] = await createJobs(database.db, template.id, 1);
    await database.db.jobEvent.createMany({ data: Array.from({ length: ITEMS }, (_, i) => ({ jobId: job!, kind: "CREATED" as const, jobVersion: i + 1 })) });
    return { field: "... on Job { list: events", id: encodeGlobalId("Job", job!), table: "job_events" };
  },
  "JobTemplate.jobs": async () => {
    const template = await createTemplate(database.db, `template-jobs-${randomUUID()}`);
    await createJobs(database.db, template.id, ITEMS);
    return { field: "... on JobTemplate { list: jobs", id: encodeGlobalId("JobTemplate", template.id), table: "jobs" };
  },
  "User.tokens": async () => {
    const user = await createTestUser(database.db);
    await database.db.apiToken.createMany({ data: Array.from({ length: ITEMS - 1 }, (_, i) => ({ name: `t${i}`, prefix: `p${i}`, hash: randomUUID().replace(/-/g, "").padEnd(64, "0"), userId: user.id })) });
    return { field: "... on User { list: tokens", id: encodeGlobalId("User", user.id), table: "api_tokens" };
  },
  "WorkerNode.currentJobs": async () => {
    const node = await createTestNode(database.db);
    const template = await createTemplate(database.db, `node-jobs-${randomUUID()}`);
    const jobs = await createJobs(database.db, template.id, ITEMS);
    await database.db.job.updateMany({ where: { id: { in: jobs } }, data: { status: "RUNNING", nodeId: node.id } });
    return { field: "... on WorkerNode { list: currentJobs", id: encodeGlobalId("WorkerNode", node.id), table: "jobs" };
  },
  "Workflow.jobs": async () => {
    const user = await createTestUser(database.db);
    const template = await createTemplate(database.db, `workflow-jobs-${randomUUID()}`);
    const jobs = await createJobs(database.db, template.id, ITEMS);
    const workflow = await database.db.workflow.create({ data: { name: "cursor", creatorId: user.id } });
    await database.db.job.updateMany({ where: { id: { in: jobs } }, data: { workflowId: workflow.id } });
    return { field: "... on Workflow { list: jobs", id: encodeGlobalId("Workflow", workflow.id), table: "jobs" };
  },
  "Schedule.ticks": async () => {
    const user = await createTestUser(database.db);
    const schedule = await database.db.schedule.create({
      data: { name: `ticks ${randomUUID()}`, cron: "@daily", job: { templateName: "any" }, nextRunAt: new Date(Date.now() + 86_400_000), creatorId: user.id },
    });
    await database.db.scheduleTick.createMany({
      data: Array.from({ length: ITEMS }, (_, i) => ({ scheduleId: schedule.id, tickAt: new Date(Date.UTC(2026, 0, 1 + i)), outcome: "SKIPPED_MISSED" as const })),
    });
    return { field: "... on Schedule { list: ticks", id: encodeGlobalId("Schedule", schedule.id), table: "schedule_ticks", item: "tickAt" };
  },
};

describe("a cursor whose row was deleted", () => {
  it.each(Object.keys(LISTS))("%s: the next page forward and the previous page backward go on from where the row was", async (name) => {
    const list = await LISTS[name]!();
    itemOf = list.item ?? "id";
    const whole = ids(await page(list, "first: 100", null));
    expect(whole.length).toBeGreaterThanOrEqual(ITEMS - 1);

    const first = await page(list, "first: 2", null);
    expect(ids(first)).toEqual(whole.slice(0, 2));
    await deleteRow(list, whole[1]!);
    const next = await page(list, "first: 100, after: $c", first.pageInfo.endCursor);
    expect(ids(next)).toEqual(whole.slice(2));
    expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const left = whole.filter((id) => id !== whole[1]);
    const last = await page(list, "last: 2", null);
    expect(ids(last)).toEqual(left.slice(-2));
    await deleteRow(list, left[left.length - 2]!);
    const previous = await page(list, "last: 100, before: $c", last.pageInfo.startCursor);
    expect(ids(previous)).toEqual(left.slice(0, -2));
  });
});

describe("a cursor whose row moved in the order", () => {
  let template: string;
  let jobs: string[];
  beforeAll(async () => {
    template = `moving-${randomUUID()}`;
    const { id } = await createTemplate(database.db, template);
    jobs = await createJobs(database.db, id, ITEMS);
  });

  const list: List = { field: "jobs", table: "jobs" };

  it.each([
    ["PRIORITY, DESC", "to the end", "priority", "-1000"],
    ["PRIORITY, DESC", "to the start", "priority", "1000"],
    ["UPDATED_AT, DESC", "to the start", "updated_at", "now() + interval '1 hour'"],
    ["UPDATED_AT, ASC", "to the end", "updated_at", "now() + interval '2 hours'"],
    ["END_TIME, ASC", "to the end", "end_time", "null"],
  ])("orderBy %s, the cursor's row moved %s after its page was read: the walk goes on from where it was", async (orderBy, where, column, value) => {
    const [field, direction] = orderBy.split(", ");
    const order = `{ field: ${field}, direction: ${direction} }`;
    await database.pool.query(
      `update jobs set priority = (number % 100)::int, updated_at = now() - make_interval(mins => (number % 100)::int * 3), end_time = now() - make_interval(secs => (number % 100)::int)
        where id = any($1::uuid[])`,
      [jobs],
    );
    itemOf = "id";
    const args = (more: string) => `filter: { template: { name: "${template}" } }, orderBy: ${order}, ${more}`;
    const whole = ids(await page(list, args("first: 100"), null));
    expect(whole).toHaveLength(ITEMS);
    const first = await page(list, args("first: 2"), null);
    const moved = whole[1]!;
    await database.pool.query(`update jobs set ${column} = ${value} where id = $1::uuid`, [rowId(moved)]);
    const next = ids(await page(list, args("first: 100, after: $c"), first.pageInfo.endCursor));
    // Every row not yet seen, once; the moved row again where it went, if that is ahead.
    expect(next).toEqual(where === "to the end" ? [...whole.slice(2), moved] : whole.slice(2));
  });
});
