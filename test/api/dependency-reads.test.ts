// A job's dependencies and dependents are read, for every job of a page at once, in one statement
// each (the edges and the jobs at their ends together, with the columns and joined rows the
// document selects), in the order of the jobs' numbers whatever order the edges were made in, and
// with soft-deleted jobs included. Each job's list is its own: a page never mixes them up.
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
});
