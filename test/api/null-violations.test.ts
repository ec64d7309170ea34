// A non-null field that resolves to null (here: a template stored with declarations the API would
// never write) is the gateway's fault, and every path that may answer the document says so the
// same way: "Unexpected error." with INTERNAL_SERVER_ERROR at the field's path, the first time
// (interpreted) as later (compiled, and through the fast lane), whichever query reaches it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

let database: TestDatabase;
let api: TestApi;
let port: number;
let templateId: string;
let jobNumber: bigint;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  port = (await api.app.start(0)).port;
  const template = await createTemplate(database.db, "broken-declarations");
  templateId = template.id;
  // A declaration without `required`, which ValueDeclaration.required (non-null) reads.
  await database.pool.query(`update job_templates set parameters = '[{"name": "epochs", "type": "int", "help": ""}]' where id = $1`, [templateId]);
  const [job] = await createJobs(database.db, templateId, 1);
  jobNumber = (await database.db.job.findUniqueOrThrow({ where: { id: job! } })).number;
});

afterAll(() => api.app.stop());

async function ask(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${api.admin.secret}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> } };
}

describe("a non-null field that resolved to null", () => {
  it.each([
    ["a template by id", `query($id: ID!) { jobTemplate(id: $id) { parameters { name required } } }`, () => ({ id: encodeGlobalId("JobTemplate", templateId) }), ["jobTemplate", "parameters", 0, "required"]],
    ["a page of templates", `{ jobTemplates(first: 5) { edges { node { parameters { required } } } } }`, () => ({}), ["jobTemplates", "edges", 0, "node", "parameters", 0, "required"]],
    ["a job's template by number", `query($n: Long!) { jobByNumber(number: $n) { template { parameters { required } } } }`, () => ({ n: String(jobNumber) }), ["jobByNumber", "template", "parameters", 0, "required"]],
    ["a node by id", `query($id: ID!) { node(id: $id) { ... on JobTemplate { parameters { required } } } }`, () => ({ id: encodeGlobalId("JobTemplate", templateId) }), ["node", "parameters", 0, "required"]],
  ])("%s: masked the same way at every sight of the document", async (_name, query, variables, path) => {
    for (let sight = 0; sight < 3; sight++) {
      const answer = await ask(query, variables());
      expect(answer.status, `sight ${sight}`).toBe(200);
      expect(answer.body.errors, `sight ${sight}`).toEqual([{ message: "Unexpected error.", path, extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
    }
  });
});
