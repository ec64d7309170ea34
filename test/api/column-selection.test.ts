// Jobs, tasks and outputs read in batched SQL fetch only the columns behind the fields selected
// (src/graphql/selection.ts). Each field of each of those types, selected alone, must answer exactly
// what the same field answers when the object comes through Prisma (node/nodes), which always
// loads every column: a field whose columns the selection map gets wrong shows up here.
import { getNamedType, isCompositeType, isObjectType, parse, type GraphQLField, type GraphQLObjectType, type TypedQueryDocumentNode } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/graphql/schema.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";

let database: TestDatabase;
let api: TestApi;
let jobIds: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  const template = await createTemplate(database.db);
  const node = await createTestNode(database.db);
  const user = await createTestUser(database.db);
  const [parent] = await createJobs(database.db, template.id, 1, { tasks: 2, outputs: 1 });
  const children = await createJobs(database.db, template.id, 4, {
    tasks: 3,
    outputs: 2,
    spec: (i) => ({ parentId: parent, status: (["RUNNING", "SUCCEEDED", "QUEUED", "FAILED"] as const)[i], tags: ["a"] }),
  });
  jobIds = [parent!, ...children];
  await database.pool.query(
    `update jobs set node_id = $1, creator_id = $2, progress = 0.5, progress_detail = '{"step": 2}', start_time = now(),
                     lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 hour', attempts = 1
      where status = 'RUNNING'`,
    [node.id, user.id],
  );
  await database.pool.query(`update jobs set end_time = now(), error_reason = 'broke', fingerprint = repeat('f', 64) where status = 'FAILED'`);
  await database.pool.query(
    `update tasks set executor_name = 'python', executor_version = '3', cpu = 2, memory = 512, max_execution_time_in_seconds = 60,
                      hints = '{"h": 1}', payload = '{"p": 1}', output = 'done', success = true, status = 'SUCCEEDED', start_time = now(), end_time = now()
      where qsequence = 1`,
  );
  await database.pool.query(
    `insert into job_events (job_id, kind, job_version) select id, 'CREATED', 1 from jobs`,
  );
});

const needsArguments = (field: GraphQLField<unknown, unknown>) =>
  field.args.some((a) => a.type.toString().endsWith("!") && a.defaultValue === undefined);

/** A selection of one field: its name, and under it, when it returns an object, that object's scalars. */
function selection(field: GraphQLField<unknown, unknown>): string | null {
  if (needsArguments(field)) return null;
  const type = getNamedType(field.type);
  if (!isCompositeType(type)) return field.name;
  const scalars = isObjectType(type)
    ? Object.values(type.getFields()).filter((f) => !needsArguments(f) && !isCompositeType(getNamedType(f.type))).map((f) => f.name)
    : [];
  return `${field.name} { __typename ${scalars.join(" ")} }`;
}

function fieldsOf(type: string): Array<[string, string]> {
  const object = schema.getType(type) as GraphQLObjectType;
  return Object.values(object.getFields()).flatMap((f) => {
    const s = selection(f);
    return s ? [[f.name, s] as [string, string]] : [];
  });
}

async function data(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = await api.request(parse(query) as TypedQueryDocumentNode<Record<string, unknown>, Record<string, unknown>>, variables);
  expect(result.errors, query).toBeUndefined();
  return result.data as Record<string, unknown>;
}

type Node = { id: string } & Record<string, unknown>;
const byId = (nodes: Node[]) => Object.fromEntries(nodes.map((n) => [n.id, n]));
const edges = (connection: unknown) => (connection as { edges: Array<{ node: Node }> }).edges.map((e) => e.node);

async function throughPrisma(type: string, ids: string[], field: string) {
  const globalIds = JSON.stringify(ids.map((id) => encodeGlobalId(type, id)));
  const answer = await data(`{ nodes(ids: ${globalIds}) { ... on ${type} { id ${field} } } }`);
  return byId(answer.nodes as Node[]);
}

describe("a field selected alone answers as it does from a whole row", () => {
  it.each(fieldsOf("Job"))("Job.%s, in a page, by id, and as a parent", async (_name, field) => {
    const expected = await throughPrisma("Job", jobIds, field);
    const page = await data(`{ jobs(first: 10) { edges { node { id ${field} } } } }`);
    expect(byId(edges(page.jobs))).toEqual(expected);
    const one = await data(`{ job(id: "${encodeGlobalId("Job", jobIds[2]!)}") { id ${field} } }`);
    expect(one.job).toEqual(expected[encodeGlobalId("Job", jobIds[2]!)]);
    const child = await data(`{ job(id: "${encodeGlobalId("Job", jobIds[1]!)}") { parent { id ${field} } } }`);
    expect((child.job as { parent: Node }).parent).toEqual(expected[encodeGlobalId("Job", jobIds[0]!)]);
  });

  it.each(fieldsOf("Task"))("Task.%s, in a job's page of tasks", async (_name, field) => {
    const page = await data(`{ jobs(first: 10) { edges { node { tasks(first: 10) { edges { node { id ${field} } } } } } } }`);
    const tasks = edges(page.jobs).flatMap((job) => edges(job.tasks));
    expect(tasks).toHaveLength(2 + 4 * 3);
    const ids = tasks.map((t) => Buffer.from(t.id, "base64").toString("utf8").split(":")[1]!);
    expect(byId(tasks)).toEqual(await throughPrisma("Task", ids, field));
  });

  it.each(fieldsOf("JobOutput"))("JobOutput.%s, in a job's page of outputs", async (_name, field) => {
    const page = await data(`{ jobs(first: 10) { edges { node { outputs(first: 10) { edges { node { id ${field} } } } } } } }`);
    const outputs = edges(page.jobs).flatMap((job) => edges(job.outputs));
    expect(outputs).toHaveLength(1 + 4 * 2);
    const ids = outputs.map((o) => Buffer.from(o.id, "base64").toString("utf8").split(":")[1]!);
    expect(byId(outputs)).toEqual(await throughPrisma("JobOutput", ids, field));
  });

  it("fetches only the columns asked for", async () => {
    database.counter.reset();
    await data(`{ jobs(first: 10) { edges { node { id status tasks(first: 5) { edges { node { name progress } } } } } } }`);
    const [together] = database.counter.statements.filter((s) => !/authenticate|touchToken/.test(s));
    // A first page of tasks is read in the jobs' statement (see first-pages.test.ts)...
    expect(together).toMatch(/^select j\."id", j\."status", \(select coalesce\(json_agg/);
    expect(together).toContain(`select f."id", f."job_id" as "jobId", f."name", f."qsequence", f."progress" from tasks f`);
    // ...and any other page of them by a statement of its own.
    database.counter.reset();
    await data(`query($first: Int) { jobs(first: 10) { edges { node { id status tasks(first: $first) { edges { node { name progress } } } } } } }`, { first: 5 });
    const [jobs, tasks] = database.counter.statements.filter((s) => !/authenticate|touchToken/.test(s));
    expect(jobs).toMatch(/^select j\."id", j\."status" from jobs j/);
    expect(tasks).toContain(`select r."id", r."job_id" as "jobId", r."name", r."qsequence", r."progress" from tasks r`);
  });
});
