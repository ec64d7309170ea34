// The examples of docs/api.md marked `<!-- runs -->` run against a gateway, in the order the page
// shows them, and must answer without an error: no GraphQL error, no null data, no mutation
// answering with one of its errors. Their variables come from a fixture: `$job` (a RUNNING job
// held by a node, with tasks and progress reports), `$leaseToken` (its lease; an operation that
// takes it runs as the node holding the job, any other as an admin), `$task` (one of the job's
// tasks), `$waitingJob` (a QUEUED job) and `$node` (a node an admin may drain). Subscriptions run
// over graphql-ws until their first message.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Kind, parse, print, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { errorsIn, firstMessage } from "../helpers/example-runs.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

/** The graphql blocks of docs/api.md marked to run, with the line each starts on. */
function runnableExamples(): Array<{ line: number; source: string }> {
  const lines = readFileSync(path.join(projectRoot, "docs", "api.md"), "utf8").split("\n");
  const examples: Array<{ line: number; source: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "<!-- runs -->") continue;
    expect(lines[i + 1], `docs/api.md:${i + 2} follows <!-- runs --> with a graphql block`).toBe("```graphql");
    const end = lines.indexOf("```", i + 2);
    examples.push({ line: i + 3, source: lines.slice(i + 2, end).join("\n") });
  }
  return examples;
}

const examples = runnableExamples();

let database: TestDatabase;
let api: TestApi;
let holder: TestNode;
let url: string;
const variables: Record<string, unknown> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  url = `ws://127.0.0.1:${(await api.app.start(0)).port}/graphql`;
  const db = database.db;
  const template = await createTemplate(db, "train");
  holder = await createTestNode(db);
  const spare = await createTestNode(db);
  await db.workerNode.updateMany({ data: { lastSeenAt: new Date() } });
  const [running] = await createJobs(db, template.id, 1, { tasks: 2 });
  const [waiting] = await createJobs(db, template.id, 1);
  const acquired = await sendText(
    api,
    `mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`,
    { id: encodeGlobalId("Job", running!) },
    holder.secret,
  );
  const leaseToken = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  const id = encodeGlobalId("Job", running!);
  await sendText(api, `mutation ($id: ID!, $t: String!) { startJob(id: $id, leaseToken: $t) { __typename } }`, { id, t: leaseToken }, holder.secret);
  for (const progress of [0.1, 0.2, 0.3]) {
    await sendText(api, `mutation ($id: ID!, $t: String!, $p: Float!) { reportJobProgress(id: $id, leaseToken: $t, progress: $p) { __typename } }`, { id, t: leaseToken, p: progress }, holder.secret);
  }
  const task = await db.task.findFirstOrThrow({ where: { jobId: running! }, orderBy: { qsequence: "asc" } });
  Object.assign(variables, {
    job: id,
    leaseToken,
    task: encodeGlobalId("Task", task.id),
    waitingJob: encodeGlobalId("Job", waiting!),
    node: encodeGlobalId("WorkerNode", spare.id),
  });
});

afterAll(async () => {
  await api.app.stop();
});

describe("the runnable examples of docs/api.md", () => {
  it("are there", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.flatMap((example) => {
    const document = parse(example.source);
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    return document.definitions
      .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((operation) => [`docs/api.md:${example.line} ${operation.name?.value ?? operation.operation}`, operation, fragments] as const);
  }))("%s runs", async (_name, operation, fragments) => {
    const query = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] });
    const names = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
    const unknown = names.filter((name) => !(name in variables));
    expect(unknown, "variables the fixture does not have").toEqual([]);
    const vars = Object.fromEntries(names.map((name) => [name, variables[name]]));
    const secret = names.includes("leaseToken") ? holder.secret : api.admin.secret;
    const result =
      operation.operation === "subscription"
        ? await firstMessage(url, query, vars, secret)
        : ((await (
            await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables: vars }) }, { token: secret })
          ).json()) as { data?: unknown; errors?: unknown });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data).toBeTruthy();
    expect(errorsIn(result.data)).toEqual([]);
  });
});
