// A job's parent is read with the job, as its template, creator and node are: a job's family (the
// job, what it was created under, its children) costs no statement for the parent, and neither
// does a page of jobs that shows each one's parent. A parent asked for with relations or counts
// of its own is read by the job loader instead, once per page, and answers the same.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

// Authenticating the caller is a statement of its own, whatever the query; it is not counted.
const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

describe("a job's parent", () => {
  let database: TestDatabase;
  let api: TestApi;
  let root: string;
  let children: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "family", 1);
    [root] = (await createJobs(database.db, template.id, 1, { spec: () => ({ queue: "family" }) })) as [string];
    children = await createJobs(database.db, template.id, 6, { spec: () => ({ queue: "family", parentId: root }) });
    await database.db.job.update({ where: { id: root }, data: { creatorId: api.admin.id } });
  });

  async function read(query: string, variables: Record<string, unknown> = {}) {
    database.counter.reset();
    const data = await sendText(api, query, variables);
    return { data: data as Record<string, unknown>, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
  }

  it("comes in the job's own statement, for a job and for a page of jobs", async () => {
    const one = await read(`query($id: ID!) { job(id: $id) { number parent { id number name status } } }`, { id: encodeGlobalId("Job", children[0]!) });
    const rootRow = await database.db.job.findUniqueOrThrow({ where: { id: root } });
    expect(one.data.job).toMatchObject({ parent: { id: encodeGlobalId("Job", root), number: Number(rootRow.number), name: rootRow.name, status: "QUEUED" } });
    expect(one.statements, one.statements.join("\n\n")).toHaveLength(1);

    const page = await read(`{ jobs(first: 10, filter: { queue: ["family"] }, orderBy: { field: NUMBER, direction: ASC }) { edges { node { id parent { number } } } } }`);
    const nodes = (page.data.jobs as { edges: Array<{ node: { id: string; parent: { number: number } | null } }> }).edges.map((e) => e.node);
    expect(nodes).toHaveLength(7);
    expect(nodes[0]).toEqual({ id: encodeGlobalId("Job", root), parent: null });
    for (const node of nodes.slice(1)) expect(node.parent).toEqual({ number: Number(rootRow.number) });
    expect(page.statements, page.statements.join("\n\n")).toHaveLength(1);
  });

  it("asked for with relations or counts of its own, is read once a page, and answers the same", async () => {
    const query = `{ jobs(first: 10, filter: { queue: ["family"] }, orderBy: { field: NUMBER, direction: ASC }) {
      edges { node { parent { number creator { name } children { totalCount } } } } } }`;
    const { data, statements } = await read(query);
    const parents = (data.jobs as { edges: Array<{ node: { parent: unknown } }> }).edges.map((e) => e.node.parent);
    expect(parents[0]).toBeNull();
    for (const parent of parents.slice(1)) expect(parent).toMatchObject({ creator: { name: api.admin.name }, children: { totalCount: 6 } });
    // The page, then the parents with their creators and counts.
    expect(statements, statements.join("\n\n")).toHaveLength(2);
  });
});
