import { beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const NestedPage = graphql(`
  query NestedPage($first: Int!) {
    jobs(first: $first) {
      totalCount
      edges {
        node {
          template { name }
          tasks(first: 20) { totalCount edges { node { name } } }
          outputs { totalCount }
          parent { id }
        }
      }
    }
  }
`);

describe("a nested page of jobs", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db);
    const [parent] = await createJobs(database.db, template.id, 1);
    await createJobs(database.db, template.id, 60, { tasks: 25, outputs: 2, spec: () => ({ parentId: parent }) });
  });

  // Authenticating the caller costs a statement of its own, whatever the query; it is not counted.
  const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

  async function statementsFor(first: number) {
    database.counter.reset();
    const data = await api.query(NestedPage, { first });
    return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
  }

  it("costs the same number of statements for 5 jobs as for 50", async () => {
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    expect(small.data.jobs.edges).toHaveLength(5);
    expect(large.data.jobs.edges).toHaveLength(50);
    expect(large.statements.length).toBe(small.statements.length);
  });

  it("needs at most one statement per nesting level plus the count queries", async () => {
    const { data, statements } = await statementsFor(50);
    // Levels: jobs, template, tasks, outputs, parent. Counts: jobs' totalCount, tasks' totalCount
    // and outputs' totalCount.
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(5 + 3);
    const withTasks = data.jobs.edges.filter((e) => e.node.tasks.totalCount === 25);
    expect(withTasks).toHaveLength(50);
    for (const { node } of withTasks) {
      expect(node.tasks.edges).toHaveLength(20);
      expect(node.outputs.totalCount).toBe(2);
      expect(node.template.name).toBe("train");
      expect(node.parent?.id).toBeTruthy();
    }
  });
});
