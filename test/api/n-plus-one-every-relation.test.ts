// Every relation of every type, read for a page of 8 and for a page of 40, costs the same number of
// SQL statements (give or take the batching's jitter, see READS): no field falls back to a
// statement per item. The documents are generated from the
// schema (every field of each type, every relation's fields, and their relations' scalars), so a
// field added later is covered without being listed here. The data is seeded so that every
// relation has something to read (a relation that is always null or empty would hide a statement
// per item); the test fails when one reads nothing, unless it is listed below with why.
import {
  buildSchema,
  getNamedType,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "graphql";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode } from "../helpers/principals.js";

const schema: GraphQLSchema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

const SMALL = 8;
const LARGE = 40;
/** Items of each nested list read. */
const NESTED = 2;

/** Values for arguments that a field requires and that have no default. */
const REQUIRED_ARGUMENTS: Record<string, string> = {
  "Schedule.nextRunTimes": "count: 2",
};

/** Relations the seeded data leaves empty everywhere, and why that hides nothing. */
const NOT_SEEDED: Record<string, string> = {};

const isConnection = (type: GraphQLNamedType): boolean => isObjectType(type) && "edges" in type.getFields() && "pageInfo" in type.getFields();

function argumentsOf(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, connection: boolean): string {
  const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const given = REQUIRED_ARGUMENTS[`${parent.name}.${field.name}`];
  if (required.length && !given) throw new Error(`${parent.name}.${field.name} requires ${required.map((a) => a.name).join(", ")}: add it to REQUIRED_ARGUMENTS`);
  const parts = [given, connection && field.args.some((a) => a.name === "first") ? `first: ${NESTED}` : undefined].filter(Boolean);
  return parts.length ? `(${parts.join(", ")})` : "";
}

/**
 * Every field of `type`; relations (object, list and connection fields) with the fields of what
 * they lead to, down to `depth` levels of relations. Abstract types are read member by member.
 */
function selection(type: GraphQLNamedType, depth: number): string {
  if (isAbstractType(type)) {
    const members = schema.getPossibleTypes(type);
    return `__typename ${members.map((m) => `... on ${m.name} { ${selection(m, depth)} }`).join(" ")}`;
  }
  if (!isObjectType(type)) return "";
  const parts = ["__typename"];
  for (const field of Object.values(type.getFields())) {
    const target = getNamedType(field.type);
    if (isLeafType(target)) {
      parts.push(`${field.name}${argumentsOf(type, field, false)}`);
      continue;
    }
    if (depth === 0) continue;
    if (isObjectType(target) && isConnection(target)) {
      const edge = getNamedType(target.getFields().edges!.type) as GraphQLObjectType;
      const node = getNamedType(edge.getFields().node!.type);
      const total = "totalCount" in target.getFields() ? "totalCount" : "";
      parts.push(`${field.name}${argumentsOf(type, field, true)} { __typename ${total} pageInfo { hasNextPage endCursor } edges { cursor node { ${selection(node, depth - 1)} } } }`);
    } else {
      parts.push(`${field.name}${argumentsOf(type, field, false)} { ${selection(target, depth - 1)} }`);
    }
  }
  return parts.join(" ");
}

/**
 * Which relations held something in an answer: walks `value` as `type` and marks each relation
 * (object, list or connection field) `Type.field` that was non-null and non-empty at least once.
 */
function markRelations(value: unknown, type: GraphQLOutputType, seen: Map<string, boolean>): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return markRelations(value, type.ofType, seen);
  if (isListType(type)) {
    for (const item of value as unknown[]) markRelations(item, type.ofType, seen);
    return;
  }
  const named = getNamedType(type);
  if (isLeafType(named)) return;
  const object = value as Record<string, unknown>;
  // Edges and page infos are read without their __typename.
  const concrete = (typeof object.__typename === "string" ? schema.getType(object.__typename) : named) as GraphQLObjectType;
  for (const [key, child] of Object.entries(object)) {
    const field = concrete.getFields()[key];
    if (!field || isLeafType(getNamedType(field.type))) continue;
    const target = getNamedType(field.type);
    if (!isConnection(concrete)) {
      const held = isConnection(target) ? (child as { edges: unknown[] } | null)?.edges?.length : Array.isArray(child) ? child.length : child !== null;
      const name = `${concrete.name}.${key}`;
      seen.set(name, Boolean(seen.get(name)) || Boolean(held));
    }
    markRelations(child, field.type, seen);
  }
}

/** `n` of `items`, evenly spaced, so that a short list holds every kind a long one does. */
const spread = <T>(items: T[], n: number): T[] => Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);

/** A statement's text without its lists of parameters, which grow with the page. */
const shapeOf = (sql: string) => sql.replace(/\$\d+(,\s*\$\d+)*/g, "$n").replace(/\s+/g, " ").trim();

/** How many times each shape of statement ran. */
const shapes = (statements: string[]) => statements.reduce((m, s) => m.set(shapeOf(s), (m.get(shapeOf(s)) ?? 0) + 1), new Map<string, number>());

/** Each shape's fewest runs over several reads of one document. */
function fewest(runs: Array<Map<string, number>>): Map<string, number> {
  const all = new Set(runs.flatMap((run) => [...run.keys()]));
  return new Map([...all].map((shape) => [shape, Math.min(...runs.map((run) => run.get(shape) ?? 0))]));
}

/**
 * The shapes of statement that ran more often for the large page than for the small one, beyond
 * `slack`, with both counts.
 */
function moreOften(small: Map<string, number>, large: Map<string, number>, slack: number): string[] {
  return [...large].filter(([shape, n]) => n > (small.get(shape) ?? 0) + slack).map(([shape, n]) => `${small.get(shape) ?? 0} -> ${n}: ${shape.slice(0, 1200)}`);
}

describe("every relation of every type", () => {
  let database: TestDatabase;
  let api: TestApi;
  const ids: Record<string, string[]> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    // Documents this wide exceed a client's default allowances, which are not what is tested here.
    api = await createTestApi(database, { limits: { ...defaultLimits, maxCost: 10_000_000, maxTokens: 1_000_000, maxDepth: 30 } });
    const { db } = database;
    const admin = api.admin;
    const users = [admin.id, ...(await Promise.all(Array.from({ length: LARGE }, () => createTestUser(db)))).map((u) => u.id)];
    // Named in order, so that the first page of nodes holds the ones running jobs.
    const nodes: TestNode[] = await Promise.all(Array.from({ length: LARGE }, (_, i) => createTestNode(db, `wide-${String(i).padStart(2, "0")}`)));
    await db.workerNode.updateMany({ data: { lastSeenAt: new Date(), executors: ["python"], cpu: 8, memory: 16_000 } });

    // Templates: one name in LARGE versions, each made by a user, with jobs of its own.
    const templates = [];
    for (let v = 1; v <= LARGE; v++) templates.push(await createTemplate(db, "wide", v));
    await Promise.all(templates.map((t, i) => db.jobTemplate.update({ where: { id: t.id }, data: { creatorId: users[i % users.length], stallAfterSeconds: 600 } })));

    // Jobs: LARGE of them with tasks and outputs; every third one running on a node with progress
    // reported, every job after another in a workflow of four, each with a parent.
    const jobs = await createJobs(db, templates[0]!.id, LARGE + 4, { tasks: 4, outputs: 2 });
    const now = Date.now();
    for (let i = 0; i < jobs.length; i++) {
      const running = i % 3 === 0;
      const node = nodes[Math.floor(i / 3)]!;
      await db.job.update({
        where: { id: jobs[i]! },
        data: {
          templateId: templates[i % templates.length]!.id,
          creatorId: users[i % users.length],
          parentId: i > 0 ? jobs[i - 1] : null,
          parameterValues: { epochs: { type: "int", value: i } },
          ...(running
            ? { status: "RUNNING", nodeId: node.id, leaseToken: randomUUID(), leaseExpiresAt: new Date(now + 60_000), startTime: new Date(now - 40_000), progress: 0.5, lastReportAt: new Date(now - 5_000), attempts: 1, stallAfterSeconds: 600 }
            : {}),
        },
      });
      await db.jobAttempt.create({ data: { jobId: jobs[i]!, number: 1, nodeId: node.id, leaseToken: randomUUID(), ...(running ? {} : { outcome: "RELEASED", endTime: new Date(now - 50_000) }) } });
    }
    for (let w = 0; w < jobs.length / 4; w++) {
      const members = jobs.slice(w * 4, w * 4 + 4);
      const workflow = await db.workflow.create({ data: { name: `wide ${w}`, creatorId: users[w % users.length] } });
      await db.job.updateMany({ where: { id: { in: members } }, data: { workflowId: workflow.id } });
      for (let i = 1; i < members.length; i++) await db.jobDependency.create({ data: { jobId: members[i]!, dependsOnId: members[i - 1]! } });
      await db.job.updateMany({ where: { id: { in: members.slice(0, -1) } }, data: { hasDependents: true } });
    }
    // Every job after another in its workflow takes an output of the one before as an input.
    const firstOutputs = await db.jobOutput.findMany({ where: { jobId: { in: jobs }, name: "output-0" } });
    for (let i = 0; i < jobs.length; i++) {
      if (i % 4 === 0) continue;
      const output = firstOutputs.find((o) => o.jobId === jobs[i - 1])!;
      await db.job.update({
        where: { id: jobs[i]! },
        data: { inputValues: { dataset: { type: "string", value: "s3://x" }, model: { type: "output", value: { job: jobs[i - 1], name: "output-0", type: "json", output: output.id } } } },
      });
    }
    // Jobs finished a minute ago, from which the queue's throughput (and the waiting jobs' start estimates) are worked out.
    const finished = await createJobs(db, templates[0]!.id, 4, { spec: () => ({ status: "SUCCEEDED" }) });
    await db.job.updateMany({ where: { id: { in: finished } }, data: { startTime: new Date(now - 120_000), endTime: new Date(now - 60_000), progress: 1 } });
    const tasks = await db.task.findMany({ where: { jobId: { in: jobs } }, orderBy: [{ jobId: "asc" }, { qsequence: "asc" }] });
    for (let i = 0; i + 3 < tasks.length; i += 4) {
      const [first, second, third, fourth] = tasks.slice(i, i + 4);
      await db.task.update({
        where: { id: first!.id },
        data: { type: "MAP", executorName: "python", executorVersion: "3.11", cpu: 2, memory: 512, inputs: [{ source: { uri: "s3://in" }, target: { path: "in" } }] },
      });
      await db.task.update({ where: { id: second!.id }, data: { createdByTaskId: first!.id } });
      await db.task.update({ where: { id: third!.id }, data: { mapTaskId: first!.id, mapIndex: 0, mapValue: 1 } });
      await db.task.update({ where: { id: fourth!.id }, data: { stoppedByTaskId: first!.id, status: "CANCELLED", reason: "stopped" } });
    }
    // Events by users and nodes, some about tasks; progress reports for the running jobs' estimates.
    await db.jobEvent.createMany({
      data: jobs.flatMap((jobId, i) => {
        const task = tasks.find((t) => t.jobId === jobId)!;
        const made = { jobId, kind: "CREATED" as const, toStatus: "QUEUED" as const, actorUserId: users[i % users.length], jobVersion: 1, at: new Date(now - 60_000) };
        const reports = [0.2, 0.3, 0.4, 0.5].map((progress, r) => ({
          jobId,
          taskId: task.id,
          kind: "PROGRESS" as const,
          progress,
          actorNodeId: nodes[i % 3]!.id,
          jobVersion: 2 + r,
          at: new Date(now - 40_000 + r * 10_000),
        }));
        return [made, ...reports];
      }),
    });
    // Log lines, some of them a task's.
    await db.jobLogStats.createMany({ data: jobs.map((jobId) => ({ jobId, lines: 3n, bytes: 15n })) });
    await db.jobLogLine.createMany({
      data: jobs.flatMap((jobId) => {
        const task = tasks.find((t) => t.jobId === jobId)!;
        return [1, 2, 3].map((seq) => ({ jobId, seq: BigInt(seq), taskId: task.id, stream: "STDOUT" as const, at: new Date(now - 30_000 + seq), line: `line ${seq}`, cumBytes: BigInt(seq * 5) }));
      }),
    });
    // Schedules, each with its last job and a tick.
    for (let i = 0; i < LARGE; i++) {
      const schedule = await db.schedule.create({
        data: {
          name: `wide ${String(i).padStart(2, "0")}`,
          cron: "@daily",
          job: i % 2 ? { templateId: templates[0]!.id, inputs: [{ name: "dataset", value: "s3://x" }] } : { templateName: "wide" },
          nextRunAt: new Date(now + 86_400_000),
          lastJobId: jobs[i]!,
          creatorId: users[i % users.length]!,
        },
      });
      await db.scheduleTick.create({ data: { scheduleId: schedule.id, tickAt: new Date(now - 86_400_000), outcome: "CREATED", jobId: jobs[i]! } });
    }

    const outputs = await db.jobOutput.findMany({ where: { jobId: { in: jobs } }, orderBy: { id: "asc" } });
    const events = await db.jobEvent.findMany({ where: { jobId: { in: jobs } }, orderBy: { id: "asc" }, select: { id: true } });
    const workflows = await db.workflow.findMany({ orderBy: { number: "asc" }, select: { id: true } });
    ids.Job = jobs.map((id) => encodeGlobalId("Job", id));
    ids.Task = tasks.map((t) => encodeGlobalId("Task", t.id));
    ids.JobOutput = outputs.map((o) => encodeGlobalId("JobOutput", o.id));
    ids.JobEvent = events.map((e) => encodeGlobalId("JobEvent", String(e.id)));
    ids.Workflow = workflows.map((w) => encodeGlobalId("Workflow", w.id));
    const tokens = await db.apiToken.findMany({ orderBy: { id: "asc" }, select: { id: true } });
    ids.ApiToken = tokens.map((t) => encodeGlobalId("ApiToken", t.id));
  }, 120_000);

  // Authenticating the caller costs a statement of its own, whatever the query; it is not counted.
  const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

  async function counted(document: string, variables: Record<string, unknown>) {
    database.counter.reset();
    const data = await sendText(api, document, variables);
    return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
  }

  const seen = new Map<string, boolean>();

  /** A page of `first` read through a connection of Query, and through `nodes(ids:)` for the types read by ID. */
  const entries: Array<{ name: string; type: string; document: (n: number) => [string, Record<string, unknown>] }> = [
    ...(
      [
        ["jobs", "Job", "orderBy: { field: NUMBER, direction: ASC }"],
        ["jobTemplates", "JobTemplate", ""],
        ["users", "User", ""],
        ["workerNodes", "WorkerNode", ""],
        ["schedules", "Schedule", ""],
      ] as const
    ).map(([field, type, extra]) => ({
      name: `Query.${field}`,
      type,
      document: (n: number): [string, Record<string, unknown>] => [
        `query Page($first: Int!) { ${field}(first: $first${extra ? `, ${extra}` : ""}) { edges { node { ${selection(schema.getType(type)!, 2)} } } } }`,
        { first: n },
      ],
    })),
    ...["Job", "Task", "JobOutput", "JobEvent", "Workflow", "ApiToken"].map((type) => ({
      name: `Query.nodes(ids: [${type}])`,
      type,
      document: (n: number): [string, Record<string, unknown>] => [
        `query ByIds($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on ${type} { ${selection(schema.getType(type)!, 2)} } } }`,
        { ids: spread(ids[type]!, type === "Workflow" ? n / 4 : n) },
      ],
    })),
  ];

  // Loaders batch what is asked for in the same turn of the event loop: when the rows of one level
  // come from statements that finish at different moments (more likely on a busy machine), the next
  // level is read in more batches. That varies from run to run, so each page is read three times and
  // each shape of statement counted by its fewest runs, and a shape may run up to SLACK times more
  // for the large page. A statement per item runs 32 times more (40 items against 8), and still more
  // than SLACK times more when it is only for a tenth of the items.
  const READS = 3;
  const SLACK = 2;

  it.each(entries.map((e) => [e.name, e] as const))("%s costs no more statements for a page of 40 than for one of 8", async (_, entry) => {
    const smallRuns = [];
    const largeRuns = [];
    let large: Awaited<ReturnType<typeof counted>> | undefined;
    for (let run = 0; run < READS; run++) {
      smallRuns.push(shapes((await counted(...entry.document(SMALL))).statements));
      large = await counted(...entry.document(LARGE));
      largeRuns.push(shapes(large.statements));
    }
    const rootField = Object.keys(large!.data)[0]!;
    const items = (large!.data[rootField] as unknown as { edges?: unknown[] }).edges ?? (large!.data[rootField] as unknown as unknown[]);
    expect(items.length).toBe(entry.type === "Workflow" ? LARGE / 4 : LARGE);
    markRelations(large!.data[rootField], schema.getQueryType()!.getFields()[rootField]!.type, seen);
    expect(moreOften(fewest(smallRuns), fewest(largeRuns), SLACK), `statements that ran more often for ${LARGE} items than for ${SMALL}`).toEqual([]);
  });

  it("read something through every relation it selected", () => {
    const empty = [...seen].filter(([name, held]) => !held && !(name in NOT_SEEDED)).map(([name]) => name);
    expect(seen.size).toBeGreaterThan(50);
    expect(empty).toEqual([]);
  });
});
