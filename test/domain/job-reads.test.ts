// The SQL reads of src/domain/job-reads.ts return what Prisma returns for the same filter, order and
// page: the same rows, in the same order, with the same values and types. Prisma is the reference
// here, so every filter, order and direction, and pages walked both ways, are compared against it.
import { beforeAll, describe, expect, it } from "vitest";
import type { Prisma, Task, User, Workflow } from "../../src/db/generated/prisma/client.js";
import {
  countedPageOfJobs,
  countJobsOfParents,
  countTicksOfSchedules,
  countTokensOfUsers,
  countOutputsOfJobs,
  countTasksOfJobs,
  eventsByIds,
  jobsById,
  jobsByNumbers,
  jobsOfParents,
  type JobList,
  outputsOfJobs,
  pageOfJobs,
  rowsById,
  tasksOfJobs,
  ticksOfSchedules,
  tokensOfUsers,
  templatesById,
  type Page,
} from "../../src/domain/job-reads.js";
import { allJobIdsMatching, countJobs, jobIdsMatching, jobsMatching } from "../../src/domain/job-filter.js";
import type { JobFilter, JobOrder, JobOrderField } from "../../src/domain/jobs.js";
import { taskOrderBy, taskWhere, type TaskFilter, type TaskOrder, type TaskOrderField } from "../../src/domain/tasks.js";
import { tokensByIds } from "../../src/domain/auth.js";
import { outputsByKeys } from "../../src/domain/outputs.js";
import { schedulesByIds, schedulesByNames } from "../../src/domain/schedules.js";
import { templatesByVersions } from "../../src/domain/templates.js";
import { workflowsByNumbers, workflowSummaries } from "../../src/domain/workflows.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";

let t: TestDatabase;
let jobIds: string[];
let templateIds: string[];
let nodeId: string;
let creatorId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const train = await createTemplate(t.db, "train", 1);
  const train2 = await createTemplate(t.db, "train", 2);
  const score = await createTemplate(t.db, "score", 1);
  templateIds = [train.id, train2.id, score.id];
  const node = await createTestNode(t.db);
  const user = await createTestUser(t.db);
  nodeId = node.id;
  creatorId = user.id;
  const statuses = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "ACQUIRED"] as const;
  // Every fourth job shares its creation time with the next, so ties are broken by id.
  const base = Date.UTC(2026, 0, 1);
  jobIds = await createJobs(t.db, train.id, 48, {
    tasks: 7,
    outputs: 0,
    spec: (i) => ({
      status: statuses[i % statuses.length],
      queue: ["default", "gpu", "io"][i % 3],
      tags: i % 5 === 0 ? ["nightly", "big"] : i % 2 ? ["nightly"] : [],
      description: i % 7 === 0 ? `resnet 50% run ${i}` : `job number ${i}`,
      priority: i % 4,
      createdAt: new Date(base + Math.floor(i / 2) * 1000),
      ...(i % 11 === 10 ? { deletedAt: new Date(base + 99_000) } : {}),
    }),
  });
  await t.pool.query(`update jobs set template_id = $1 where number % 5 = 1`, [train2.id]);
  await t.pool.query(`update jobs set template_id = $1 where number % 5 = 2`, [score.id]);
  await t.pool.query(`update jobs set node_id = $1 where status in ('RUNNING', 'ACQUIRED', 'SUCCEEDED')`, [nodeId]);
  await t.pool.query(`update jobs set creator_id = $1 where number % 3 = 0`, [creatorId]);
  await t.pool.query(`update jobs set parent_id = $1 where number % 4 = 0`, [jobIds[1]]);
  // Finished jobs get end times, some equal; unfinished ones have none (null sorts last).
  await t.pool.query(
    `update jobs set end_time = created_at + make_interval(secs => (number % 3)::int), updated_at = created_at + make_interval(secs => (number % 5)::int)
      where status in ('SUCCEEDED', 'FAILED', 'CANCELLED')`,
  );
  await t.pool.query(`update jobs set progress_detail = '{"step": 3}', progress = 0.25 where status = 'RUNNING'`);
  // Tasks in several stages and states, with some names sorting against their arrival.
  await t.pool.query(
    `update tasks set status = (array['QUEUED','RUNNING','SUCCEEDED']::"TaskStatus"[])[1 + qsequence % 3],
                      name = 'task ' || (7 - qsequence)::text || case when qsequence % 2 = 0 then 'a' else 'b' end,
                      payload = '{"run": true}'`,
  );
  // Outputs: none, one, or several per job, with names that tie and differ by type.
  for (const [i, id] of jobIds.entries()) {
    for (let o = 0; o < i % 4; o++) {
      await t.pool.query(
        `insert into job_outputs (job_id, name, type, size, sha256) values ($1, $2, $3, $4, repeat('a', 64))`,
        [id, `out-${o % 2}`, ["json", "csv", "bin"][o], 1000 + o],
      );
    }
  }
});

/**
 * The reference for which jobs a filter matches and in which order, written with Prisma's query
 * API here only: the product compiles filters to SQL in one place (src/domain/job-filter.ts).
 * Prisma's `contains` takes LIKE's wildcards as wildcards, so searches for them are checked
 * against expected rows instead.
 */
function referenceWhere(filter: JobFilter): Prisma.JobWhereInput {
  const where: Prisma.JobWhereInput[] = [];
  if (!filter.includeDeleted) where.push({ deletedAt: null });
  if (filter.jobId) where.push({ id: filter.jobId });
  if (filter.status?.length) where.push({ status: { in: filter.status } });
  if (filter.queue?.length) where.push({ queue: { in: filter.queue } });
  if (filter.templateName != null || filter.templateVersion != null) {
    where.push({ template: { ...(filter.templateName != null ? { name: filter.templateName } : {}), ...(filter.templateVersion != null ? { version: filter.templateVersion } : {}) } });
  }
  if (filter.nodeId) where.push({ nodeId: filter.nodeId });
  if (filter.creatorId) where.push({ creatorId: filter.creatorId });
  if (filter.parentId) where.push({ parentId: filter.parentId });
  if (filter.topLevel != null) where.push({ parentId: filter.topLevel ? null : { not: null } });
  if (filter.tags?.length) where.push({ tags: { hasEvery: filter.tags } });
  const range = (r: JobFilter["createdAt"]) => ({ ...(r?.from ? { gte: r.from } : {}), ...(r?.to ? { lt: r.to } : {}) });
  if (filter.createdAt) where.push({ createdAt: range(filter.createdAt) });
  if (filter.updatedAt) where.push({ updatedAt: range(filter.updatedAt) });
  if (filter.finishedAt) where.push({ endTime: range(filter.finishedAt) });
  if (filter.search) where.push({ OR: [{ description: { contains: filter.search, mode: "insensitive" } }, { name: { contains: filter.search, mode: "insensitive" } }] });
  return { AND: where };
}

const referenceOrderFields = { CREATED_AT: "createdAt", UPDATED_AT: "updatedAt", PRIORITY: "priority", NUMBER: "number", END_TIME: "endTime" } as const;

function referenceOrder(order: JobOrder = { field: "CREATED_AT", direction: "DESC" }): Prisma.JobOrderByWithRelationInput[] {
  const dir = order.direction === "ASC" ? "asc" : "desc";
  const column = referenceOrderFields[order.field];
  return [column === "endTime" ? { endTime: { sort: dir, nulls: "last" } } : { [column]: dir }, { id: dir }];
}

/** Prisma's page for the same arguments: the reference. */
function prismaPage(page: Page) {
  return {
    take: page.backward ? -page.take : page.take,
    ...(page.after ? { cursor: { id: String(page.after) }, skip: 1 } : {}),
  };
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

/** Walks a whole list page by page, forward then backward, comparing each page with Prisma's. */
async function walkBothWays(
  read: (page: Page) => Promise<Array<{ id: string }>>,
  reference: (page: Page) => Promise<Array<{ id: string }>>,
  size: number,
): Promise<number> {
  let seen = 0;
  for (const backward of [false, true]) {
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page: Page = { take: size + 1, after, backward };
      const [mine, theirs] = await Promise.all([read(page), reference(page)]);
      expect(ids(mine)).toEqual(ids(theirs));
      seen += Math.min(mine.length, size);
      if (mine.length <= size) break;
      // The extra row says more follow; the next page starts after the last row kept.
      const kept = backward ? mine.slice(1) : mine.slice(0, -1);
      after = (backward ? kept[0] : kept[kept.length - 1])!.id;
    }
  }
  return seen;
}

describe("rows as Prisma gives them", () => {
  it("jobs by id carry every field of the model, with the same values and types", async () => {
    const chosen = [jobIds[0]!, jobIds[7]!, jobIds[10]!];
    const mine = await jobsById(t.db, [...chosen, "00000000-0000-4000-8000-000000000000"]);
    const theirs = await t.db.job.findMany({ where: { id: { in: chosen } } });
    expect(mine).toHaveLength(3);
    for (const row of theirs) expect(mine.find((m) => m.id === row.id)).toStrictEqual(row);
    expect(typeof mine[0]!.number).toBe("bigint");
  });

  it("jobs with their template, creator and node joined, null where a job has none, as Prisma includes them", async () => {
    const read = { template: {}, creator: {}, node: {} };
    const theirs = await t.db.job.findMany({ where: { deletedAt: null }, include: { template: true, creator: true, node: true }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 20 });
    expect(theirs.some((j) => j.creator === null) && theirs.some((j) => j.creator !== null)).toBe(true);
    expect(theirs.some((j) => j.node === null) && theirs.some((j) => j.node !== null)).toBe(true);
    expect(await pageOfJobs(t.db, { page: { take: 20 }, read })).toStrictEqual(theirs);
    const chosen = theirs.slice(0, 4);
    const byId = await jobsById(t.db, chosen.map((j) => j.id), read);
    for (const row of chosen) expect(byId.find((m) => m.id === row.id)).toStrictEqual(row);
    // Only some columns of each: the keys of the joins come along, so a missing creator is told from one not read.
    const [narrow] = await jobsById(t.db, [chosen.find((j) => j.creator === null)!.id], { columns: new Set(["id"]), creator: { columns: new Set(["id", "name"]) } });
    expect(narrow).toEqual({ id: expect.any(String), creatorId: null, creator: null });
  });

  it("templates, tasks and outputs too", async () => {
    expect(await templatesById(t.db, templateIds)).toEqual(expect.arrayContaining(await t.db.jobTemplate.findMany()));
    const tasks = (await tasksOfJobs(t.db, [jobIds[3]!], { page: { take: 100 } })).get(jobIds[3]!)!;
    expect(tasks).toStrictEqual(await t.db.task.findMany({ where: { jobId: jobIds[3] }, orderBy: { qsequence: "asc" } }));
    const outputs = (await outputsOfJobs(t.db, [jobIds[3]!], { take: 100 })).get(jobIds[3]!)!;
    expect(outputs).toHaveLength(3);
    expect(outputs).toStrictEqual(
      await t.db.jobOutput.findMany({ where: { jobId: jobIds[3] }, orderBy: [{ name: "asc" }, { type: "asc" }, { id: "asc" }] }),
    );
  });

  it("users, worker nodes, workflows and tasks by id, one of them or many, the missing left out", async () => {
    await t.db.workerNode.update({ where: { id: nodeId }, data: { labels: { zone: "a", gpus: 2 }, executors: ["python"], cpu: 8, lastSeenAt: new Date() } });
    const workflows = await Promise.all([1, 2].map((n) => t.db.workflow.create({ data: { name: `reads ${n}`, creatorId } })));
    const missing = "00000000-0000-4000-8000-000000000000";
    const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    const users = await t.db.user.findMany();
    expect(byId(await rowsById<User>(t.db, "User", "users", [...users.map((u) => u.id), missing]))).toStrictEqual(byId(users));
    expect(await rowsById(t.db, "WorkerNode", "worker_nodes", [nodeId])).toStrictEqual(await t.db.workerNode.findMany({ where: { id: nodeId } }));
    expect(byId(await rowsById<Workflow>(t.db, "Workflow", "workflows", workflows.map((w) => w.id)))).toStrictEqual(byId(workflows));
    const tasks = await t.db.task.findMany({ where: { jobId: { in: jobIds.slice(0, 3) } } });
    expect(byId(await rowsById<Task>(t.db, "Task", "tasks", tasks.map((k) => k.id)))).toStrictEqual(byId(tasks));
  });
});

describe("rows by other keys, as Prisma gives them", () => {
  it("events by id, tokens and schedules by id, schedules by name, workflows and jobs by number, templates by version, outputs by key", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const sorted = <T extends { id: string | bigint }>(rows: T[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const events = await Promise.all(
      [0.5, null].map((progress) => t.db.jobEvent.create({ data: { jobId: jobIds[0]!, kind: "PROGRESS", progress, detail: { step: 1 }, actorNodeId: nodeId, jobVersion: 2 } })),
    );
    expect(sorted(await eventsByIds(t.db, [...events.map((e) => String(e.id)), "999999999"]))).toStrictEqual(sorted(events));
    expect(await eventsByIds(t.db, [String(events[0]!.id)])).toStrictEqual([events[0]]);
    const tokens = await t.db.apiToken.findMany();
    expect(sorted(await tokensByIds(t.db, [...tokens.map((k) => k.id), missing]))).toStrictEqual(sorted(tokens));
    const schedules = await Promise.all(
      ["a", "b"].map((name) => t.db.schedule.create({ data: { name: `reads ${name}`, cron: "@daily", job: { templateName: "train" }, nextRunAt: new Date(), creatorId } })),
    );
    expect(sorted(await schedulesByIds(t.db, schedules.map((s) => s.id)))).toStrictEqual(sorted(schedules));
    expect(sorted(await schedulesByNames(t.db, ["reads a", "reads b", "nope"]))).toStrictEqual(sorted(schedules));
    expect(await schedulesByNames(t.db, ["reads b"])).toStrictEqual([schedules[1]]);
    const workflows = await Promise.all([1, 2].map((n) => t.db.workflow.create({ data: { name: `by number ${n}`, creatorId } })));
    expect(sorted(await workflowsByNumbers(t.db, workflows.map((w) => String(w.number))))).toStrictEqual(sorted(workflows));
    const jobs = await t.db.job.findMany({ where: { id: { in: jobIds.slice(0, 3) } } });
    expect(sorted(await jobsByNumbers(t.db, [...jobs.map((j) => String(j.number)), "999999"]))).toStrictEqual(sorted(jobs));
    const few = await jobsByNumbers(t.db, [String(jobs[0]!.number)], { columns: new Set(["id", "status"]) });
    expect(few).toEqual([{ id: jobs[0]!.id, status: jobs[0]!.status, number: jobs[0]!.number }]);
    const templates = await t.db.jobTemplate.findMany({ where: { name: "train" } });
    expect(sorted(await templatesByVersions(t.db, [{ name: "train", version: 1 }, { name: "train", version: 2 }, { name: "train", version: 9 }]))).toStrictEqual(sorted(templates));
    const outputs = await t.db.jobOutput.findMany({ where: { jobId: jobIds[3] } });
    const keys = outputs.map((o) => ({ jobId: o.jobId, name: o.name, type: o.type }));
    expect(sorted(await outputsByKeys(t.db, [...keys, { jobId: jobIds[3]!, name: "nope", type: "json" }, { jobId: jobIds[3]!, name: "..", type: "json" }]))).toStrictEqual(sorted(outputs));
    expect(await outputsByKeys(t.db, [keys[0]!])).toStrictEqual([outputs[0]]);
  });

  it("a workflow's jobs counted by status, deleted ones left out, as Prisma's groupBy counts them", async () => {
    const workflow = await t.db.workflow.create({ data: { name: "summary", creatorId } });
    await t.pool.query(`update jobs set workflow_id = $1 where id = any($2::uuid[])`, [workflow.id, jobIds.slice(0, 12)]);
    const groups = await t.db.job.groupBy({ by: ["status"], where: { workflowId: workflow.id, deletedAt: null }, _count: { _all: true }, _sum: { progress: true } });
    const summary = (await workflowSummaries(t.db, [workflow.id, "00000000-0000-4000-8000-000000000000"])).get(workflow.id)!;
    expect(summary.total).toBe(groups.reduce((sum, g) => sum + g._count._all, 0));
    for (const g of groups) expect(summary.counts[g.status]).toBe(g._count._all);
    const done = groups.reduce((sum, g) => sum + (g.status === "SUCCEEDED" ? g._count._all : (g._sum.progress ?? 0)), 0);
    expect(summary.progress).toBeCloseTo(done / summary.total, 10);
    await t.pool.query(`update jobs set workflow_id = null where workflow_id = $1`, [workflow.id]);
  });
});

describe("pages of jobs", () => {
  const filters: Array<[string, JobFilter]> = [
    ["none", {}],
    ["deleted included", { includeDeleted: true }],
    ["status", { status: ["RUNNING", "FAILED"] }],
    ["queue", { queue: ["gpu"] }],
    ["template name", { templateName: "train" }],
    ["template name and version", { templateName: "train", templateVersion: 2 }],
    ["template version", { templateVersion: 1 }],
    ["node", { nodeId: "NODE" }],
    ["creator", { creatorId: "CREATOR" }],
    ["parent", { parentId: "PARENT" }],
    ["top level", { topLevel: true }],
    ["children only", { topLevel: false }],
    ["tags", { tags: ["nightly", "big"] }],
    ["created range", { createdAt: { from: new Date(Date.UTC(2026, 0, 1, 0, 0, 5)), to: new Date(Date.UTC(2026, 0, 1, 0, 0, 15)) } }],
    ["updated from", { updatedAt: { from: new Date(Date.UTC(2026, 0, 1, 0, 0, 10)) } }],
    ["finished before", { finishedAt: { to: new Date(Date.UTC(2026, 0, 1, 0, 0, 20)) } }],
    ["search", { search: "RESNET" }],
    ["search with a wildcard", { search: "50%" }],
    ["job", { jobId: "JOB" }],
  ];

  const resolve = (filter: JobFilter): JobFilter => ({
    ...filter,
    ...(filter.nodeId ? { nodeId } : {}),
    ...(filter.creatorId ? { creatorId } : {}),
    ...(filter.parentId ? { parentId: jobIds[1] } : {}),
    ...(filter.jobId ? { jobId: jobIds[5] } : {}),
  });

  it.each(filters)("filter %s matches what Prisma matches", async (_name, raw) => {
    const filter = resolve(raw);
    const mine = await pageOfJobs(t.db, { filter, page: { take: 1000 } });
    const theirs = await t.db.job.findMany({ where: referenceWhere(filter), orderBy: referenceOrder() });
    expect(ids(mine)).toEqual(ids(theirs));
    expect(mine.length).toBeGreaterThan(0);
  });

  // A page, its totalCount, a bulk action's list, and a subscription's membership test must
  // never disagree (a count once took LIKE's wildcards as wildcards while pages did not).
  const searches: Array<[string, JobFilter]> = [
    ["search for a literal %", { search: "%" }],
    ["search for a literal _", { search: "_" }],
    ["search for a backslash", { search: "\\" }],
  ];
  it.each([...filters, ...searches])("filter %s: page, count, bulk list and stream membership agree", async (_name, raw) => {
    const filter = resolve(raw);
    const page = ids(await pageOfJobs(t.db, { filter, page: { take: 1000 } })).sort();
    expect(await countJobs(t.db, filter)).toBe(page.length);
    expect([...(await allJobIdsMatching(t.db, filter))].sort()).toEqual(page);
    expect([...(await jobIdsMatching(t.db, filter, jobIds))].sort()).toEqual(page);
    expect(ids(await jobsMatching(t.db, filter, 1000)).sort()).toEqual(page);
  });

  it("takes LIKE's wildcards in a search literally", async () => {
    const literal = (text: string) => jobIds.filter((_, i) => !(i % 11 === 10) && (i % 7 === 0 ? `resnet 50% run ${i}` : `job number ${i}`).includes(text));
    expect(ids(await pageOfJobs(t.db, { filter: { search: "%" }, page: { take: 1000 } })).sort()).toEqual(literal("%").sort());
    expect(await countJobs(t.db, { search: "%" })).toBe(literal("%").length);
    expect(literal("%").length).toBeGreaterThan(0);
    expect(await countJobs(t.db, { search: "_" })).toBe(0);
    expect(await countJobs(t.db, { search: "50_" })).toBe(0);
  });

  const orders: JobOrder[] = (["CREATED_AT", "UPDATED_AT", "PRIORITY", "NUMBER", "END_TIME"] as JobOrderField[]).flatMap((field) => [
    { field, direction: "ASC" as const },
    { field, direction: "DESC" as const },
  ]);

  it.each(orders)("pages by $field $direction, walked both ways, are Prisma's", async (order) => {
    const filter: JobFilter = { includeDeleted: true };
    const seen = await walkBothWays(
      (page) => pageOfJobs(t.db, { filter, order, page }),
      (page) => t.db.job.findMany({ where: referenceWhere(filter), orderBy: referenceOrder(order), ...prismaPage(page) }),
      5,
    );
    expect(seen).toBe(2 * 48);
  });
});

describe("pages of tasks and outputs, per job", () => {
  const orders: TaskOrder[] = (["QSEQUENCE", "SEQUENCE", "NAME", "CREATED_AT"] as TaskOrderField[]).flatMap((field) => [
    { field, direction: "ASC" as const },
    { field, direction: "DESC" as const },
  ]);
  const filters: TaskFilter[] = [{}, { status: ["RUNNING", "SUCCEEDED"] }, { sequence: 1 }, { name: "task 3b" }];

  it.each(orders)("tasks by $field $direction, under every filter, walked both ways, are Prisma's", async (order) => {
    for (const filter of filters) {
      for (const jobId of [jobIds[0]!, jobIds[9]!]) {
        const reference = (page: Page) =>
          t.db.task.findMany({
            where: { jobId, ...taskWhere(filter) } as Prisma.TaskWhereInput,
            orderBy: taskOrderBy(order),
            ...prismaPage(page),
          });
        await walkBothWays(async (page) => (await tasksOfJobs(t.db, [jobId], { filter, order, page })).get(jobId)!, reference, 2);
      }
    }
  });

  it("one statement answers a page for every job, each job's rows its own", async () => {
    const chosen = jobIds.slice(0, 6);
    const before = t.counter.count;
    const pages = await tasksOfJobs(t.db, [...chosen, chosen[0]!], { order: { field: "NAME", direction: "DESC" }, page: { take: 3 } });
    expect(t.counter.count - before).toBe(1);
    for (const jobId of chosen) {
      const theirs = await t.db.task.findMany({ where: { jobId }, orderBy: taskOrderBy({ field: "NAME", direction: "DESC" }), take: 3 });
      expect(ids(pages.get(jobId)!)).toEqual(ids(theirs));
    }
  });

  it("outputs, walked both ways, are Prisma's", async () => {
    for (const jobId of [jobIds[3]!, jobIds[2]!, jobIds[0]!]) {
      const reference = (page: Page) =>
        t.db.jobOutput.findMany({ where: { jobId }, orderBy: [{ name: "asc" }, { type: "asc" }, { id: "asc" }], ...prismaPage(page) });
      await walkBothWays(async (page) => (await outputsOfJobs(t.db, [jobId], page)).get(jobId)!, reference, 1);
    }
  });

  it("counts per job match, jobs without rows counting 0", async () => {
    const chosen = jobIds.slice(0, 8);
    const tasks = await countTasksOfJobs(t.db, chosen, { status: ["RUNNING"] });
    const outputs = await countOutputsOfJobs(t.db, chosen);
    for (const jobId of chosen) {
      expect(tasks.get(jobId)).toBe(await t.db.task.count({ where: { jobId, status: "RUNNING" } }));
      expect(outputs.get(jobId)).toBe(await t.db.jobOutput.count({ where: { jobId } }));
    }
    expect([...outputs.values()]).toContain(0);
  });
});

describe("lists of jobs that other rows lead to, per parent", () => {
  type Case = { list: JobList; parents: () => Promise<string[]>; where: (parent: string) => Prisma.JobWhereInput; orderBy: Prisma.JobOrderByWithRelationInput[] };
  const oldestFirst: Prisma.JobOrderByWithRelationInput[] = [{ createdAt: "asc" }, { id: "asc" }];
  let workflowIds: string[] = [];
  const cases: Array<[string, Case]> = [
    ["a job's children", { list: { of: "parent" }, parents: async () => [jobIds[1]!, jobIds[2]!], where: (parentId) => ({ parentId, deletedAt: null }), orderBy: oldestFirst }],
    ["a job's children, deleted ones too", { list: { of: "parent", includeDeleted: true }, parents: async () => [jobIds[1]!], where: (parentId) => ({ parentId }), orderBy: oldestFirst }],
    ["a template's jobs", { list: { of: "template" }, parents: async () => templateIds, where: (templateId) => ({ templateId, deletedAt: null }), orderBy: [{ createdAt: "desc" }, { id: "desc" }] }],
    ["a node's current jobs", { list: { of: "node" }, parents: async () => [nodeId], where: (id) => ({ nodeId: id, status: { in: ["ACQUIRED", "RUNNING"] }, deletedAt: null }), orderBy: oldestFirst }],
    ["a workflow's jobs", { list: { of: "workflow" }, parents: async () => workflowIds, where: (workflowId) => ({ workflowId, deletedAt: null }), orderBy: [{ number: "asc" }] }],
  ];

  beforeAll(async () => {
    const made = await Promise.all([1, 2].map((n) => t.db.workflow.create({ data: { name: `lists ${n}`, creatorId } })));
    workflowIds = made.map((w) => w.id);
    await t.pool.query(`update jobs set workflow_id = $1 where number % 3 = 1`, [workflowIds[0]]);
    await t.pool.query(`update jobs set workflow_id = $1 where number % 7 = 2`, [workflowIds[1]]);
  });

  it.each(cases)("%s, walked both ways, are Prisma's, with every parent's page in one statement", async (_name, c) => {
    const parents = await c.parents();
    for (const parent of parents) {
      const reference = (page: Page) => t.db.job.findMany({ where: c.where(parent), orderBy: c.orderBy, ...prismaPage(page) });
      const seen = await walkBothWays(async (page) => (await jobsOfParents(t.db, parents, c.list, page)).get(parent)!, reference, 2);
      expect(seen).toBe(2 * (await t.db.job.count({ where: c.where(parent) })));
    }
    expect((await Promise.all(parents.map((p) => t.db.job.count({ where: c.where(p) })))).some((n) => n > 2)).toBe(true);
    const before = t.counter.count;
    const pages = await jobsOfParents(t.db, [...parents, jobIds[5]!], c.list, { take: 3 });
    expect(t.counter.count - before).toBe(1);
    for (const parent of parents) {
      expect(pages.get(parent)).toStrictEqual(await t.db.job.findMany({ where: c.where(parent), orderBy: c.orderBy, take: 3 }));
    }
    const counts = await countJobsOfParents(t.db, [...parents, jobIds[5]!], c.list);
    for (const parent of parents) expect(counts.get(parent)).toBe(await t.db.job.count({ where: c.where(parent) }));
    expect(counts.get(jobIds[5]!)).toBe(0);
  });

  it("read with some columns and the template, creator and node joined, as Prisma includes them", async () => {
    const read = { columns: new Set(["id", "name"]), template: { columns: new Set(["id", "name"]) }, creator: {}, node: {} };
    const pages = await jobsOfParents(t.db, templateIds, { of: "template" }, { take: 4 }, read);
    for (const templateId of templateIds) {
      const theirs = await t.db.job.findMany({
        where: { templateId, deletedAt: null },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: 4,
        include: { template: { select: { id: true, name: true } }, creator: true, node: true },
      });
      expect(pages.get(templateId)).toEqual(
        theirs.map((j) => expect.objectContaining({ id: j.id, name: j.name, templateId: j.templateId, template: j.template, creator: j.creator, node: j.node })),
      );
    }
  });
});

describe("counts read with the jobs", () => {
  it("each job's tasks, outputs, events and children not deleted, in pages, by id and per parent, as Prisma counts them", async () => {
    await t.db.jobEvent.createMany({ data: jobIds.slice(0, 6).flatMap((jobId, i) => Array.from({ length: i }, (_, v) => ({ jobId, kind: "CREATED" as const, jobVersion: v + 1 }))) });
    const read = { columns: new Set(["id"]), counts: ["tasks", "outputs", "events", "children"] as const };
    const expected = async (id: string) => ({
      id,
      taskCount: await t.db.task.count({ where: { jobId: id } }),
      outputCount: await t.db.jobOutput.count({ where: { jobId: id } }),
      eventCount: await t.db.jobEvent.count({ where: { jobId: id } }),
      childCount: await t.db.job.count({ where: { parentId: id, deletedAt: null } }),
    });
    const page = await pageOfJobs(t.db, { filter: { includeDeleted: true }, order: { field: "NUMBER", direction: "ASC" }, page: { take: 12 }, read });
    expect(page).toEqual(await Promise.all(page.map((j) => expected(j.id))));
    expect(new Set(page.map((j) => j.eventCount)).size).toBeGreaterThan(2);
    expect(page.some((j) => j.childCount! > 0)).toBe(true);
    expect(await jobsById(t.db, [jobIds[1]!], read)).toEqual([await expected(jobIds[1]!)]);
    const [first] = (await jobsOfParents(t.db, [jobIds[1]!], { of: "parent" }, { take: 1 }, read)).get(jobIds[1]!)!;
    expect(first).toEqual(expect.objectContaining(await expected(first!.id)));
  });

  it("a page and how many jobs its filter matches, in one statement; an empty page counted on its own", async () => {
    for (const filter of [{}, { status: ["RUNNING" as const] }, { queue: ["gpu"], includeDeleted: true }, { templateName: "train" }]) {
      const before = t.counter.count;
      const { rows, total } = await countedPageOfJobs(t.db, { filter, page: { take: 3 } });
      expect(t.counter.count - before).toBe(1);
      expect(total).toBe(await countJobs(t.db, filter));
      expect(ids(rows)).toEqual(ids(await pageOfJobs(t.db, { filter, page: { take: 3 } })));
    }
    const last = (await pageOfJobs(t.db, { order: { field: "NUMBER", direction: "DESC" }, page: { take: 1 } }))[0]!;
    const empty = await countedPageOfJobs(t.db, { order: { field: "NUMBER", direction: "ASC" }, page: { take: 3, after: last.id } });
    expect(empty).toEqual({ rows: [], total: await countJobs(t.db) });
  });
});

describe("API tokens and schedule ticks, per parent", () => {
  it("a page of each user's tokens, newest first, and of each schedule's ticks, latest first, walked both ways, are Prisma's", async () => {
    const users = await Promise.all([1, 2].map(() => createTestUser(t.db)));
    const at = Date.UTC(2026, 1, 1);
    for (const [u, user] of users.entries()) {
      await t.db.apiToken.createMany({
        data: Array.from({ length: 4 + u }, (_, i) => ({ name: `t${i}`, prefix: `p${u}${i}`, hash: `${u}${i}`.padEnd(64, "f"), userId: user.id, createdAt: new Date(at + Math.floor(i / 2) * 1000) })),
      });
    }
    const userIds = users.map((u) => u.id);
    for (const userId of userIds) {
      const reference = (page: Page) => t.db.apiToken.findMany({ where: { userId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], ...prismaPage(page) });
      expect(await walkBothWays(async (page) => (await tokensOfUsers(t.db, userIds, page)).get(userId)!, reference, 2)).toBeGreaterThan(8);
    }
    expect(await countTokensOfUsers(t.db, [...userIds, creatorId])).toEqual(new Map([[userIds[0]!, 5], [userIds[1]!, 6], [creatorId, 1]]));

    const schedules = await Promise.all(
      [1, 2].map((n) => t.db.schedule.create({ data: { name: `ticks ${n}`, cron: "@daily", job: { templateName: "train" }, nextRunAt: new Date(at), creatorId } })),
    );
    for (const [s, schedule] of schedules.entries()) {
      await t.db.scheduleTick.createMany({ data: Array.from({ length: 3 + s }, (_, i) => ({ scheduleId: schedule.id, tickAt: new Date(at + i * 60_000), outcome: "SKIPPED_MISSED" as const })) });
    }
    const scheduleIds = schedules.map((s) => s.id);
    for (const scheduleId of scheduleIds) {
      // Tick ids are bigints; the walk names rows by their ids as text.
      const asText = (rows: Array<{ id: bigint }>) => rows.map((r) => ({ id: String(r.id) }));
      const reference = async (page: Page) => {
        const { cursor, ...rest } = prismaPage(page);
        return asText(await t.db.scheduleTick.findMany({ where: { scheduleId }, orderBy: [{ id: "desc" }], ...rest, ...(cursor ? { cursor: { id: BigInt(cursor.id) } } : {}) }));
      };
      const walked = await walkBothWays(async (page) => asText((await ticksOfSchedules(t.db, scheduleIds, page)).get(scheduleId)!), reference, 2);
      expect(walked).toBeGreaterThan(5);
    }
    expect(await countTicksOfSchedules(t.db, scheduleIds)).toEqual(new Map([[scheduleIds[0]!, 3], [scheduleIds[1]!, 4]]));
    const [first] = (await ticksOfSchedules(t.db, [scheduleIds[0]!], { take: 1 })).get(scheduleIds[0]!)!;
    expect(first).toStrictEqual(await t.db.scheduleTick.findFirst({ where: { scheduleId: scheduleIds[0] }, orderBy: { id: "desc" } }));
  });
});
