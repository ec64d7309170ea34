// A workflow's status, progress and counts come from its jobs' statuses. A read that selects any
// of them takes them in the workflow's own statement, whichever way it reaches the workflow (by id,
// by number, as a node, as a job's workflow, in a mutation's answer), and every way reads the same
// figures: deleted jobs left out, a succeeded job counted as done.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendCounted, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";

const SUMMARY = "name status progress counts { total waiting queued acquired running succeeded failed cancelled }";
const EXPECTED = {
  name: "workflow-reads",
  status: "RUNNING",
  // (1 succeeded + 0.5 + 0.25 + 0 + 0) / 5 jobs not deleted.
  progress: 0.35,
  counts: { total: 5, waiting: 2, queued: 0, acquired: 0, running: 2, succeeded: 1, failed: 0, cancelled: 0 },
};

describe("a workflow's summary", () => {
  let database: TestDatabase;
  let api: TestApi;
  let workflowGid: string;
  let workflowNumber: number;
  let jobGid: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    await createTemplate(database.db, "workflow-reads");
    const job = (key: string, after: string[] = []) => ({ key, after, job: { templateName: "workflow-reads", name: key, inputs: [{ name: "dataset", value: "s3://data/set" }] } });
    const made = (await sendText(
      api,
      `mutation ($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
         __typename ... on CreateWorkflowPayload { workflow { id number } jobs { key job { id } } } } }`,
      { input: { name: "workflow-reads", jobs: [job("a"), job("b"), job("c"), job("d", ["a", "b", "c"]), job("e", ["d"]), job("gone")] } },
    )) as unknown as { createWorkflow: { workflow: { id: string; number: number }; jobs: Array<{ key: string; job: { id: string } }> } };
    workflowGid = made.createWorkflow.workflow.id;
    workflowNumber = made.createWorkflow.workflow.number;
    const ids = Object.fromEntries(made.createWorkflow.jobs.map((j) => [j.key, decodeGlobalId(j.job.id).id]));
    jobGid = made.createWorkflow.jobs.find((j) => j.key === "e")!.job.id;
    await database.db.job.update({ where: { id: ids.a! }, data: { status: "SUCCEEDED", progress: 1 } });
    await database.db.job.update({ where: { id: ids.b! }, data: { status: "RUNNING", progress: 0.5 } });
    await database.db.job.update({ where: { id: ids.c! }, data: { status: "RUNNING", progress: 0.25 } });
    // A deleted job is no part of the summary, whatever its status.
    await database.db.job.update({ where: { id: ids.gone! }, data: { status: "FAILED", deletedAt: new Date() } });
  });

  const read = (query: string, variables: Record<string, unknown> = {}) => sendCounted(api, database, query, variables);

  it("by id, by number and as a node: the workflow and its summary in one statement", async () => {
    for (const [query, variables, field] of [
      [`query($id: ID!) { workflow(id: $id) { ${SUMMARY} } }`, { id: workflowGid }, "workflow"],
      [`query($n: Long!) { workflowByNumber(number: $n) { ${SUMMARY} } }`, { n: workflowNumber }, "workflowByNumber"],
      [`query($id: ID!) { node(id: $id) { ... on Workflow { ${SUMMARY} } } }`, { id: workflowGid }, "node"],
    ] as const) {
      const { data, statements } = await read(query, variables);
      expect(data[field], field).toEqual(EXPECTED);
      expect(statements, statements.join("\n\n")).toHaveLength(1);
    }
  });

  it("a job's workflow, and a workflow read without its summary", async () => {
    const withSummary = await read(`query($id: ID!) { job(id: $id) { workflow { ${SUMMARY} } } }`, { id: jobGid });
    expect((withSummary.data.job as { workflow: unknown }).workflow).toEqual(EXPECTED);
    // The job, then its workflow with the summary.
    expect(withSummary.statements).toHaveLength(2);
    const bare = await read(`query($id: ID!) { workflow(id: $id) { name number } }`, { id: workflowGid });
    expect(bare.data.workflow).toEqual({ name: "workflow-reads", number: workflowNumber });
    expect(bare.statements).toHaveLength(1);
    expect(bare.statements[0]).not.toContain("jobs");
  });

  it("the summary follows the jobs: every job succeeded is SUCCEEDED and done", async () => {
    await database.pool.query(`update jobs set status = 'SUCCEEDED', progress = 1 where workflow_id = $1 and deleted_at is null`, [decodeGlobalId(workflowGid).id]);
    const { data } = await read(`query($id: ID!) { workflow(id: $id) { status progress counts { total succeeded running } } }`, { id: workflowGid });
    expect(data.workflow).toEqual({ status: "SUCCEEDED", progress: 1, counts: { total: 5, succeeded: 5, running: 0 } });
  });
});
