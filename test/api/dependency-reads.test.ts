// A job's dependencies and dependents are read, for every job of a page at once, in one statement
// each (the edges and the jobs at their ends together, with the columns and joined rows the
// document selects), in the order of the jobs' numbers whatever order the edges were made in, and
// with soft-deleted jobs included. Each job's list is its own: a page never mixes them up.
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendCounted, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

type Linked = { number: number; deletedAt: string | null; template: { name: string }; creator: { name: string } | null };
type PageJob = { number: number; dependencies: Linked[]; dependents: Array<{ number: number }> };

describe("a job's dependencies and dependents", () => {
  let database: TestDatabase;
  let api: TestApi;
  let ids: string[];
  let numbers: number[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "dependency-reads", 1);
    ids = await createJobs(database.db, template.id, 6, { spec: (i) => ({ queue: "dependency-reads", ...(i === 1 ? { deletedAt: new Date() } : {}) }) });
    await database.db.job.updateMany({ where: { id: { in: ids.slice(2) } }, data: { creatorId: api.admin.id } });
    const jobs = await database.db.job.findMany({ where: { id: { in: ids } }, select: { id: true, number: true } });
    numbers = ids.map((id) => Number(jobs.find((j) => j.id === id)!.number));
    // Made out of the numbers' order, so that an order by insertion would show.
    for (const [job, dependsOn] of [[5, 4], [5, 1], [5, 3], [4, 0], [3, 0]] as const) {
      await database.db.jobDependency.create({ data: { jobId: ids[job]!, dependsOnId: ids[dependsOn]! } });
    }
  });

  const read = (query: string, variables: Record<string, unknown> = {}) => sendCounted(api, database, query, variables);

  const LINKED = "number deletedAt template { name } creator { name }";

  it("a page's jobs each get their own, by number, deleted ones included, in one statement a relation", async () => {
    const { data, statements } = await read(
      `{ jobs(first: 10, filter: { queue: "dependency-reads" }, orderBy: { field: NUMBER, direction: ASC }) { edges { node {
         number dependencies { ${LINKED} } dependents { number } } } } }`,
    );
    const page = (data.jobs as { edges: Array<{ node: PageJob }> }).edges.map((e) => e.node);
    // Job 1 is soft-deleted: not on the page, but still a dependency of job 5.
    expect(page.map((j) => j.number)).toEqual([0, 2, 3, 4, 5].map((i) => numbers[i]));
    const of = (i: number) => page.find((j) => j.number === numbers[i])!;
    expect(of(5).dependencies.map((j) => j.number)).toEqual([1, 3, 4].map((i) => numbers[i]));
    expect(of(5).dependencies[0]).toMatchObject({ deletedAt: expect.any(String), template: { name: "dependency-reads" }, creator: null });
    expect(of(5).dependencies[1]).toMatchObject({ deletedAt: null, creator: { name: api.admin.name } });
    expect(of(4).dependencies.map((j) => j.number)).toEqual([numbers[0]]);
    expect(of(0).dependencies).toEqual([]);
    expect(of(0).dependents.map((j) => j.number)).toEqual([3, 4].map((i) => numbers[i]));
    expect(of(3).dependents.map((j) => j.number)).toEqual([numbers[5]]);
    expect(of(5).dependents).toEqual([]);
    // The page, then one statement for every job's dependencies and one for their dependents.
    expect(statements, statements.join("\n\n")).toHaveLength(3);
    expect(statements.filter((sql) => sql.includes("job_dependencies"))).toHaveLength(2);
  });

  it("one job's, and a dependency's own dependencies, read the same as the page's", async () => {
    const { data, statements } = await read(`query($id: ID!) { job(id: $id) { dependencies { ${LINKED} dependencies { number } dependents { number } } } }`, {
      id: encodeGlobalId("Job", ids[5]!),
    });
    const deps = (data.job as { dependencies: Array<Linked & { dependencies: Array<{ number: number }>; dependents: Array<{ number: number }> }> }).dependencies;
    expect(deps.map((d) => [d.number, d.dependencies.map((x) => x.number), d.dependents.map((x) => x.number)])).toEqual([
      [numbers[1], [], [numbers[5]]],
      [numbers[3], [numbers[0]], [numbers[5]]],
      [numbers[4], [numbers[0]], [numbers[5]]],
    ]);
    // The job, its dependencies, and theirs and their dependents, each batched.
    expect(statements, statements.join("\n\n")).toHaveLength(4);
  });

  describe("many of them", () => {
    // 150 jobs waiting for each of two: more than a page, and more than a job may wait for.
    let waitedFor: string[];
    let waiting: number[];

    beforeAll(async () => {
      const template = await createTemplate(database.db, "dependency-lists", 1);
      waitedFor = await createJobs(database.db, template.id, 2, { spec: () => ({ queue: "dependency-lists" }) });
      const after = await createJobs(database.db, template.id, 150, { spec: () => ({ queue: "dependency-waiting" }) });
      await database.db.jobDependency.createMany({ data: after.flatMap((jobId) => waitedFor.map((dependsOnId) => ({ jobId, dependsOnId }))) });
      const rows = await database.db.job.findMany({ where: { id: { in: after } }, select: { number: true }, orderBy: { number: "asc" } });
      waiting = rows.map((r) => Number(r.number));
    });

    const dependentsOf = (first?: number) =>
      read(`query($first: Int) { jobs(first: 2, filter: { queue: "dependency-lists" }) { edges { node { dependents(first: $first) { number } } } } }`, first === undefined ? {} : { first });

    it("lists a page's size unless asked for more, the first by number for each job, in one statement", async () => {
      for (const [first, expected] of [[undefined, 20], [5, 5], [100, 100], [0, 0]] as const) {
        const { data, statements } = await dependentsOf(first);
        const lists = (data.jobs as { edges: Array<{ node: { dependents: Array<{ number: number }> } }> }).edges.map((e) => e.node.dependents.map((j) => j.number));
        expect(lists).toEqual([waiting.slice(0, expected), waiting.slice(0, expected)]);
        expect(statements.filter((sql) => sql.includes("job_dependencies"))).toHaveLength(1);
      }
      const deps = await read(`query($id: ID!) { job(id: $id) { dependencies(first: 1) { number } all: dependencies { number } } }`, { id: encodeGlobalId("Job", ids[5]!) });
      expect(deps.data.job).toEqual({ dependencies: [{ number: numbers[1] }], all: [1, 3, 4].map((i) => ({ number: numbers[i] })) });
    });

    it("gives a job named twice in one request its own list each time, once", async () => {
      const [a, b] = waitedFor.map((id) => encodeGlobalId("Job", id));
      const { data } = await read(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Job { dependents(first: 3) { number } attempts { number } } } }`, { ids: [a, a, b, a] });
      const expected = { dependents: waiting.slice(0, 3).map((number) => ({ number })), attempts: [] };
      expect(data.nodes).toEqual([expected, expected, expected, expected]);
    });

    it("refuses more than the maximum page size, and fewer than none", async () => {
      for (const [first, code] of [[101, "PAGE_SIZE_EXCEEDED"], [-1, "INVALID_PAGE_SIZE"]] as const) {
        const answer = await api.request(
          parse(`query($first: Int) { jobs(first: 2, filter: { queue: "dependency-lists" }) { edges { node { dependents(first: $first) { number } } } } }`) as never,
          { first },
        );
        expect(answer.errors?.[0]?.extensions?.code).toBe(code);
      }
    });

    it("costs what it may return: nested lists of jobs within the cost limit stay small", async () => {
      // Each dependent's dependencies, for each of 100 jobs: 3,000,000 jobs when both lists were priced at 10 rows.
      const nested = await api.request(parse(`{ jobs(first: 100) { edges { node { id dependents { id dependencies { id } } } } } }`) as never);
      expect(nested.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COSTLY" });
      const small = await api.request(parse(`{ jobs(first: 2, filter: { queue: "dependency-lists" }) { edges { node { dependents(first: 10) { dependencies(first: 2) { id } } } } } }`) as never);
      expect(small.errors).toBeUndefined();
    });
  });
});
