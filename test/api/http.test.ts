// The HTTP surface around the API: health, readiness, the playground, and GraphQL over HTTP.
import { getIntrospectionQuery } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase } from "../helpers/db.js";

describe("HTTP endpoints", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await createTestApi(await createTestDatabase());
  });

  it("answers /health and /ready while the database answers", async () => {
    expect((await api.fetch("/health")).status).toBe(200);
    expect((await api.fetch("/ready")).status).toBe(200);
  });

  it("answers /ready with 503 when the database is unreachable, and /health still with 200", async () => {
    // Port 1 on loopback refuses connections at once.
    const url = "postgresql://nobody:nothing@127.0.0.1:1/none";
    const db = createDb({ url });
    const app = buildApp({ db, databaseUrl: url, settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 120 } });
    try {
      const ready = await app.yoga.fetch("http://jobgraph.test/ready");
      expect(ready.status).toBe(503);
      expect((await app.yoga.fetch("http://jobgraph.test/health")).status).toBe(200);
    } finally {
      await db.$disconnect();
    }
  });

  it("serves GraphiQL from the gateway itself, with the example operations", async () => {
    const page = await api.fetch("/graphql", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    // Everything the page loads comes from the gateway (see playground.test.ts): no CDN, so it
    // works without internet access.
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net/);
    for (const operation of ["query RecentJobs", "query RunningJobs", "query JobHistory", "query Templates", "query WorkerNodes", "mutation CreateJob"]) {
      expect(html).toContain(operation);
    }
  });

  it("answers the playground's introspection query within every limit", async () => {
    const response = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { __schema: { types: unknown[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.__schema.types.length).toBeGreaterThan(50);
  });

  it("speaks GraphQL over HTTP: GET for queries, 405 for mutations over GET, JSON errors for bad documents", async () => {
    const query = `/graphql?query=${encodeURIComponent("{ jobs(first: 1) { totalCount } }")}`;
    const get = await api.fetch(query, {
      headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1" },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { jobs: { totalCount: 0 } } });
    // A GET without a header that forces a CORS preflight could come from any web page.
    const simpleGet = await api.fetch(query, { headers: { accept: "application/graphql-response+json" } });
    expect(simpleGet.status).toBe(403);

    const mutationOverGet = await api.fetch(
      `/graphql?query=${encodeURIComponent('mutation { createUser(input: { name: "x" }) { __typename } }')}`,
      { headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1" } },
    );
    expect(mutationOverGet.status).toBe(405);
    expect((await mutationOverGet.json()).errors).toMatchObject([{ extensions: { code: "METHOD_NOT_ALLOWED" } }]);
    const put = await api.fetch("/graphql", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(put.status).toBe(405);
    expect((await put.json()).errors).toMatchObject([{ extensions: { code: "METHOD_NOT_ALLOWED" } }]);

    const syntax = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: "{ jobs(first: 1) { totalCount " }),
    });
    expect(syntax.status).toBe(400);
    expect((await syntax.json()).errors[0].message).toMatch(/Syntax Error/);

    const unknownField = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: "{ jobz }" }),
    });
    expect(unknownField.status).toBe(400);
  });

  it("refuses, before anything runs, a request whose Accept takes no media type its answer comes as, with a coded JSON error", async () => {
    const post = (query: string, accept: string) =>
      api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json", accept }, body: JSON.stringify({ query }) });
    const cases: Array<[string, string, RegExp]> = [
      ["{ jobs(first: 1) { totalCount } }", "application/xml", /comes as JSON/],
      ['mutation { createUser(input: { name: "accept-xml" }) { __typename } }', "text/html", /comes as JSON/],
      ["subscription { jobEvents { cursor } }", "application/json", /subscription's answer is a stream/],
    ];
    for (const [query, accept, message] of cases) {
      const response = await post(query, accept);
      expect(response.status, query).toBe(406);
      expect(response.headers.get("content-type"), query).toMatch(/^application\/json/);
      expect(await response.json(), query).toEqual({ errors: [{ message: expect.stringMatching(message), extensions: { code: "NOT_ACCEPTABLE" } }] });
    }
    // The mutation did not run.
    const users = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: '{ users(filter: { name: "accept-xml" }) { totalCount } }' }),
    });
    expect(await users.json()).toEqual({ data: { users: { totalCount: 0 } } });
  });
});
