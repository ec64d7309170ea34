// An answer longer than a string may be (V8's limit, about 512 MiB of JSON) cannot be written.
// Within the cost limit a query may still ask for that much when its rows are large: jobs whose
// input values are 900 KB each, a page of 100 in each of seven aliases. The gateway answers that
// the answer is too large (RESPONSE_TOO_LARGE), through yoga and through its fast lane, rather
// than an unexpected error; and goes on answering.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

let database: TestDatabase;
let api: TestApi;
let port: number;

const ALIASES = 7;
const HUGE = `query Huge { ${Array.from({ length: ALIASES }, (_, i) => `a${i}: jobs(first: 100, filter: { queue: "huge" }) { edges { node { inputValues { value } } } }`).join(" ")} }`;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  port = (await api.app.start(0)).port;
  const template = await createTemplate(database.db);
  await createJobs(database.db, template.id, 100, { spec: () => ({ queue: "huge" }) });
  // 900,000 characters each, which PostgreSQL keeps compressed: 90 MB an alias in the answer.
  await database.pool.query(`update jobs set input_values = jsonb_build_object('dataset', jsonb_build_object('type', 'string', 'value', repeat('x', 900000))) where queue = 'huge'`);
});

afterAll(async () => {
  await api.app.stop();
});

const refusal = { errors: [{ message: expect.stringContaining("ask for fewer rows"), extensions: { code: "RESPONSE_TOO_LARGE" } }] };

it("answers RESPONSE_TOO_LARGE through yoga, not an unexpected error", { timeout: 120_000 }, async () => {
  const response = await api.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: HUGE }),
  });
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject(refusal);
});

it("answers RESPONSE_TOO_LARGE through the fast lane, at the first sight of the document and compiled, and goes on answering", { timeout: 120_000 }, async () => {
  for (let sight = 0; sight < 2; sight++) {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.admin.secret}` },
      body: JSON.stringify({ query: HUGE }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject(refusal);
  }
  const small = await api.request(parse(`{ jobs(first: 1, filter: { queue: "huge" }) { totalCount } }`) as TypedDocumentNode<{ jobs: { totalCount: number } }>);
  expect(small).toEqual({ data: { jobs: { totalCount: 100 } } });
});
