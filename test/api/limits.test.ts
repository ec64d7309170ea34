// The limits that protect the gateway from abusive requests, each probed on both sides of its edge
// with an app built on small limits: document shape (depth, aliases, tokens, directives), query
// cost, body size, mutation rate, plus field suggestions, CSRF prevention and error masking.
import type { GraphQLFormattedError } from "graphql";
import { Lexer, print, Source, TokenKind } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultLimits, type Limits } from "../../src/config.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser } from "../helpers/principals.js";

const limits: Limits = {
  ...defaultLimits,
  maxDepth: 6,
  maxAliases: 3,
  maxTokens: 200,
  maxDirectives: 2,
  maxCost: 500,
  maxBodyBytes: 2000,
  maxOutputBytes: 10_000,
  maxUploadFiles: 2,
  mutationsPerMinute: 3,
};

const CostlyPage = graphql(`
  query CostlyPage($jobs: Int!, $tasks: Int!) {
    jobs(first: $jobs) { edges { node { id tasks(first: $tasks) { edges { cursor } } } } }
  }
`);

const LimitsCreateUser = graphql(`
  mutation LimitsCreateUser($name: String!) {
    createUser(input: { name: $name }) { __typename ... on CreateUserPayload { user { name } } }
  }
`);

/** A file position (`app.ts:59:10`) or a stack property: what a leaked stack trace looks like in JSON. */
const STACK_TRACE = /"stack(trace)?"|\.[cm]?[jt]s:\d+:\d+/;

type Reply = {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
};

/** The tokens graphql-armor counts: everything the lexer yields before the end of the source. */
function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/** Sends a raw request and checks, for every response of this file, that errors are masked. */
async function send(api: TestApi, path: string, init: RequestInit, token?: string): Promise<Reply> {
  const response = await api.fetch(path, init, { token });
  const text = await response.text();
  expect(text).not.toMatch(STACK_TRACE);
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Reply["body"] };
}

function post(api: TestApi, query: string, variables?: Record<string, unknown>, token?: string): Promise<Reply> {
  return send(
    api,
    "/graphql",
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query, variables }),
    },
    token,
  );
}

function messages(reply: Reply): string[] {
  return (reply.body.errors ?? []).map((e) => e.message);
}

describe("limits against abusive requests", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { limits });
    const template = await createTemplate(database.db);
    await createJobs(database.db, template.id, 10, { tasks: 22 });
  });

  async function expectPasses(query: string) {
    const reply = await post(api, query);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.status).toBe(200);
    expect(reply.body.data).toBeTruthy();
  }

  async function expectRefused(query: string, message: string) {
    const reply = await post(api, query);
    expect(messages(reply)).toEqual([expect.stringContaining(message)]);
    expect(reply.body.data).toBeUndefined();
    expect(reply.status).toBe(400);
  }

  it("refuses documents nested deeper than maxDepth", async () => {
    // Depth counts fields along the deepest path: jobs, edges, node, template, executor, name = 6.
    await expectPasses("{ jobs(first: 1) { edges { node { template { executor { name } } } } } }");
    // parent adds a seventh level.
    const over = "{ jobs(first: 1) { edges { node { parent { template { executor { name } } } } } } }";
    await expectRefused(over, "Query depth limit of 6 exceeded, found 7");
    // Fragments are flattened, not skipped: the same seven levels spread over a fragment.
    const viaFragment = `
      { jobs(first: 1) { ...Deep } }
      fragment Deep on JobConnection { edges { node { parent { template { executor { name } } } } } }`;
    await expectRefused(viaFragment, "Query depth limit of 6 exceeded, found 7");
  });

  it("refuses more aliases than maxAliases", async () => {
    // a, b and c: three aliases.
    await expectPasses("{ a: viewer { name } b: viewer { name } c: viewer { name } }");
    await expectRefused(
      "{ a: viewer { name } b: viewer { name } c: viewer { name } d: viewer { name } }",
      "Aliases limit of 3 exceeded, found 4",
    );
  });

  it("refuses documents of more tokens than maxTokens", async () => {
    // `{ viewer {` and `} }` are five tokens; each repeated `name` (fields merge) is one more.
    const atLimit = `{ viewer { ${"name ".repeat(195)}} }`;
    const overLimit = `{ viewer { ${"name ".repeat(196)}} }`;
    expect([tokenCount(atLimit), tokenCount(overLimit)]).toEqual([200, 201]);
    await expectPasses(atLimit);
    await expectRefused(overLimit, "Token limit of 200 exceeded");
  });

  it("refuses more directives than maxDirectives", async () => {
    // @include and @skip: two directives.
    await expectPasses("{ viewer { name @include(if: true) kind @skip(if: false) } }");
    await expectRefused(
      "{ viewer { name @include(if: true) kind @skip(if: false) role @include(if: true) } }",
      "Directives limit of 2 exceeded, found 3",
    );
  });

  it("refuses a query whose page sizes make it cost more than maxCost", async () => {
    // Cost of CostlyPage = 1 (jobs) + jobs × (1 edges + 1 node + 1 id + 1 tasks + tasks × (1 edges + 1 cursor))
    //                    = 1 + jobs × (4 + 2 × tasks).
    const cheap = await post(api, print(CostlyPage), { jobs: 10, tasks: 22 }); // 481
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.status).toBe(200);
    const page = (cheap.body.data as { jobs: { edges: { node: { tasks: { edges: unknown[] } } }[] } }).jobs;
    expect(page.edges).toHaveLength(10);
    expect(page.edges.map((e) => e.node.tasks.edges.length)).toEqual(Array(10).fill(22));

    for (const [variables, cost] of [
      [{ jobs: 10, tasks: 23 }, 501],
      [{ jobs: 11, tasks: 22 }, 529],
    ] as const) {
      const costly = await post(api, print(CostlyPage), variables);
      // The refusal happens when the root field resolves: HTTP 200, and no data for that field.
      expect(costly.status).toBe(200);
      expect(costly.body.data).toBeNull();
      expect(costly.body.errors).toEqual([
        expect.objectContaining({
          message: `the query costs ${cost}, more than the limit of 500; ask for smaller pages`,
          path: ["jobs"],
          extensions: { code: "QUERY_TOO_COSTLY", cost, maxCost: 500 },
        }),
      ]);
    }
  });

  it("refuses a request body larger than maxBodyBytes with 413", async () => {
    // Spaces pad the query without adding tokens; a body of exactly maxBodyBytes is admitted.
    const body = (padding: number) => JSON.stringify({ query: `{ viewer { name } }${" ".repeat(padding)}` });
    const padding = 2000 - Buffer.byteLength(body(0));
    const request = (text: string) =>
      send(api, "/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: text,
      });

    expect(Buffer.byteLength(body(padding))).toBe(2000);
    const atLimit = await request(body(padding));
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.errors).toBeUndefined();

    expect(Buffer.byteLength(body(padding + 1))).toBe(2001);
    const overLimit = await request(body(padding + 1));
    expect(overLimit.status).toBe(413);
    expect(overLimit.body.errors).toEqual([
      expect.objectContaining({ message: "Request body too large", extensions: { code: "REQUEST_ENTITY_TOO_LARGE" } }),
    ]);
  });

  it("limits mutations per token and minute, and never queries", async () => {
    // Fresh admins: the limiter counts per token, and other tests may spend the shared admin's.
    const first = await createTestUser(database.db, "ADMIN");
    const second = await createTestUser(database.db, "ADMIN");
    const createUser = (name: string, token: string) => post(api, print(LimitsCreateUser), { name }, token);

    for (const name of ["rate-1", "rate-2", "rate-3"]) {
      const reply = await createUser(name, first.secret);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ data: { createUser: { __typename: "CreateUserPayload", user: { name } } } });
    }

    const limited = await createUser("rate-4", first.secret);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.data).toBeUndefined();
    expect(limited.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining("at most 3 a minute per token"),
        extensions: { code: "RATE_LIMITED" },
      }),
    ]);
    // Nothing was written for the refused mutation.
    const { rowCount } = await database.pool.query("select 1 from users where name = 'rate-4'");
    expect(rowCount).toBe(0);

    const other = await createUser("rate-5", second.secret);
    expect(other.status).toBe(200);
    expect(other.body.data).toEqual({ createUser: { __typename: "CreateUserPayload", user: { name: "rate-5" } } });

    // More queries than the mutation budget, by the limited token.
    for (let i = 0; i < 5; i++) {
      const query = await post(api, "{ viewer { name } }", undefined, first.secret);
      expect(query.status).toBe(200);
      expect(query.body).toEqual({ data: { viewer: { name: first.name } } });
    }
  });

  it("counts each mutation of a document against the rate, not the request", async () => {
    const admin = await createTestUser(database.db, "ADMIN");
    const two = (a: string, b: string) =>
      post(api, `mutation { a: createUser(input: { name: "${a}" }) { __typename } b: createUser(input: { name: "${b}" }) { __typename } }`, undefined, admin.secret);
    const first = await two("batch-1", "batch-2");
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ a: { __typename: "CreateUserPayload" }, b: { __typename: "CreateUserPayload" } });
    // Two more would make 4 mutations of the 3 a minute allowed, though only 2 requests.
    const second = await two("batch-3", "batch-4");
    expect(second.status).toBe(429);
    expect(second.body.errors).toEqual([expect.objectContaining({ extensions: { code: "RATE_LIMITED" } })]);
    const { rowCount } = await database.pool.query("select 1 from users where name in ('batch-3', 'batch-4')");
    expect(rowCount).toBe(0);
  });

  it("counts the mutations a document asks for through its fragments", async () => {
    const admin = await createTestUser(database.db, "ADMIN");
    const fragments = await post(
      api,
      `mutation { ...Two ... on Mutation { c: createUser(input: { name: "spread-3" }) { __typename } } }
       fragment Two on Mutation { a: createUser(input: { name: "spread-1" }) { __typename } b: createUser(input: { name: "spread-2" }) { __typename } }`,
      undefined,
      admin.secret,
    );
    // Three mutations, one request: the second request's one makes four of the 3 a minute allowed.
    expect(fragments.status).toBe(200);
    const one = await post(api, `mutation { createUser(input: { name: "spread-4" }) { __typename } }`, undefined, admin.secret);
    expect(one.status).toBe(429);
    const { rowCount } = await database.pool.query("select 1 from users where name like 'spread-%'");
    expect(rowCount).toBe(3);
  });

  it("suggests field names in development and hides them in production", async () => {
    const development = await post(api, "{ jobz }");
    expect(development.status).toBe(400);
    expect(messages(development)).toEqual([expect.stringContaining('Did you mean "job" or "jobs"?')]);

    const productionApi = await createTestApi(database, { limits, production: true });
    const production = await post(productionApi, "{ jobz }");
    expect(production.status).toBe(400);
    expect(messages(production)).toEqual([expect.stringContaining('Cannot query field "jobz" on type "Query".')]);
    expect(messages(production)[0]).not.toContain("Did you mean");
    expect(messages(production)[0]).not.toContain('"jobs"');
  });

  it("refuses GET and multipart requests that carry no CSRF header", async () => {
    const path = `/graphql?query=${encodeURIComponent("{ viewer { name } }")}`;
    const accept = { accept: "application/graphql-response+json" };
    // The refusal names every header that gets a request through, and keeps its code.
    const csrf = {
      message: expect.stringMatching(/^Required CSRF header\(s\) not present: .*x-graphql-yoga-csrf, graphql-preflight, apollo-require-preflight/),
      extensions: { code: "CSRF_HEADER_REQUIRED" },
    };

    const bare = await send(api, path, { headers: accept });
    expect(bare.status).toBe(403);
    expect(bare.body.errors).toEqual([expect.objectContaining(csrf)]);
    for (const header of ["x-graphql-yoga-csrf", "graphql-preflight", "apollo-require-preflight"]) {
      const allowed = await send(api, path, { headers: { ...accept, [header]: "1" } });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ data: { viewer: { name: api.admin.name } } });
    }

    // A browser posts multipart/form-data from any page without a preflight.
    const form = () => {
      const data = new FormData();
      data.append("operations", JSON.stringify({ query: "{ viewer { name } }" }));
      data.append("map", "{}");
      return data;
    };
    const multipart = await send(api, "/graphql", { method: "POST", headers: accept, body: form() });
    expect(multipart.status).toBe(403);
    expect(multipart.body.errors).toEqual([expect.objectContaining(csrf)]);
    // The same request with the header goes through: the refusal was about CSRF, not multipart.
    const withHeader = await send(api, "/graphql", {
      method: "POST",
      headers: { ...accept, "x-graphql-yoga-csrf": "1" },
      body: form(),
    });
    expect(withHeader.status).toBe(200);
    expect(withHeader.body).toEqual({ data: { viewer: { name: api.admin.name } } });
  });

  it("answers malformed requests with a message and no stack trace", async () => {
    const invalidJson = await send(api, "/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: '{"query": "{ viewer { name } }"',
    });
    expect(invalidJson.status).toBe(400);
    expect(messages(invalidJson)).toEqual(["POST body sent invalid JSON."]);

    const badVariable = await post(api, print(CostlyPage), { jobs: "ten", tasks: 1 });
    expect(badVariable.status).toBe(400);
    expect(messages(badVariable)).toEqual([expect.stringContaining('Variable "$jobs" got invalid value "ten"')]);
  });
});
