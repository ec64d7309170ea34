// Every example of docs/workflows.md runs against a gateway, in the order the page shows them,
// and answers without an error: no GraphQL error, no null data, no mutation answering with one of
// its errors. Variables come from a fixture: `$first` and `$second` (QUEUED jobs), `$job` (a
// SUCCEEDED job with a dependent), `$workflow` (the workflow the first example that creates
// one made) and `$schedule` (likewise, the schedule). An operation that claims runs as a worker node, any other as an admin.
// Subscriptions run over graphql-ws until their first message.
import { Kind, parse, print, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { codeBlocks } from "../helpers/doc-blocks.js";
import { errorsIn, firstMessage } from "../helpers/example-runs.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

const PAGE = "docs/workflows.md";

const operations = codeBlocks(PAGE)
  .filter((block) => block.language === "graphql")
  .flatMap((block) =>
    parse(block.source)
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((operation) => [`${PAGE}:${block.line + 1} ${operation.name?.value ?? operation.operation}`, operation] as const),
  );

let database: TestDatabase;
let api: TestApi;
let node: TestNode;
let url: string;
const variables: Record<string, unknown> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  url = `ws://127.0.0.1:${(await api.app.start(0)).port}/graphql`;
  const db = database.db;
  const train = await createTemplate(db, "train");
  await db.jobTemplate.create({ data: { name: "evaluate", version: 1, executorName: "python", inputs: [{ name: "model", types: ["output"], required: true, help: "" }] } });
  node = await createTestNode(db);
  const [first, second] = await createJobs(db, train.id, 2);
  const [done, after] = await createJobs(db, train.id, 2);
  await db.job.update({ where: { id: done! }, data: { status: "SUCCEEDED", hasDependents: true, endTime: new Date() } });
  await db.jobDependency.create({ data: { jobId: after!, dependsOnId: done! } });
  Object.assign(variables, { first: encodeGlobalId("Job", first!), second: encodeGlobalId("Job", second!), job: encodeGlobalId("Job", done!) });
});

afterAll(async () => {
  await api.app.stop();
});

describe(`the examples of ${PAGE}`, () => {
  it("are there", () => {
    expect(operations.length).toBeGreaterThanOrEqual(11);
  });

  it.each(operations)("%s runs", async (_name, operation) => {
    const query = print({ kind: Kind.DOCUMENT, definitions: [operation] });
    const names = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
    expect(names.filter((name) => !(name in variables)), "variables the fixture does not have").toEqual([]);
    const vars = Object.fromEntries(names.map((name) => [name, variables[name]]));
    const claims = operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value.startsWith("acquire"));
    const secret = claims ? node.secret : api.admin.secret;
    const result =
      operation.operation === "subscription"
        ? await firstMessage(url, query, vars, secret)
        : ((await (
            await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables: vars }) }, { token: secret })
          ).json()) as { data?: unknown; errors?: unknown });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data).toBeTruthy();
    expect(errorsIn(result.data)).toEqual([]);
    const made = result.data as { createWorkflow?: { workflow?: { id: string } }; createSchedule?: { id?: string } };
    if (made.createWorkflow?.workflow?.id && !variables.workflow) variables.workflow = made.createWorkflow.workflow.id;
    if (made.createSchedule?.id && !variables.schedule) variables.schedule = made.createSchedule.id;
  });
});
