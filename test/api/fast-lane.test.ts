// The fast lane (src/http/fast-lane.ts) over real HTTP: a JSON POST of a document validated before
// is answered by the lane, exactly as yoga's own handler answers the same request (status,
// headers, body); everything else (first sight of a document, other shapes, streams, refused
// tokens) still goes to yoga. Which path answered is read from jobgraph_http_fast_lane_requests_total.
import http from "node:http";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client.js";
import { FastLane, regularMediaType } from "../../src/http/fast-lane.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createLogger } from "../../src/observability/logger.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode } from "../helpers/principals.js";

type Answer = { status: number; headers: Record<string, string | undefined>; body: string };

/** Headers whose values must be the same from the lane and from yoga. */
const COMPARED_HEADERS = [
  "content-type",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
  "vary",
  "retry-after",
  "www-authenticate",
];

/** A response's status, headers (repeated ones joined) and body, once it has all come. */
function collect(response: http.IncomingMessage, resolve: (answer: Answer) => void): void {
  const pieces: Buffer[] = [];
  response.on("data", (piece: Buffer) => pieces.push(piece));
  response.on("end", () => {
    const headers: Answer["headers"] = {};
    for (const [name, value] of Object.entries(response.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    resolve({ status: response.statusCode!, headers, body: Buffer.concat(pieces).toString("utf8") });
  });
}

/** A request over node:http, with exactly the headers given (fetch would add an Accept). */
function send(port: number, body: string, headers: Record<string, string>, options: { chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: options.chunked ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (response) => collect(response, resolve),
    );
    request.on("error", reject);
    if (options.chunked) {
      request.write(body.slice(0, 5));
      request.end(body.slice(5));
    } else request.end(body);
  });
}

/** A GET request over node:http, with exactly the headers given. */
function get(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path, method: "GET", headers }, (response) => collect(response, resolve));
    request.on("error", reject);
    request.end();
  });
}

/** The same GET through yoga's own handler, in memory. */
async function viaYogaGet(api: TestApi, path: string, headers: Record<string, string>): Promise<Answer> {
  const response = await api.app.yoga.fetch(`http://127.0.0.1${path}`, { method: "GET", headers });
  const answer: Answer["headers"] = {};
  for (const name of [...COMPARED_HEADERS, "x-request-id", "allow"]) answer[name] = response.headers.get(name) ?? undefined;
  return { status: response.status, headers: answer, body: await response.text() };
}

/** A GET request's path for these parameters, as urql and Apollo Client write it. */
function search(params: Record<string, unknown>): string {
  const found = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) found.set(name, typeof value === "string" ? value : JSON.stringify(value));
  return `/graphql?${found.toString()}`;
}

/** The same request through yoga's own handler, in memory. */
async function viaYoga(api: TestApi, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await api.app.yoga.fetch("http://127.0.0.1/graphql", { method: "POST", headers, body });
  const answer: Answer["headers"] = {};
  for (const name of [...COMPARED_HEADERS, "x-request-id"]) answer[name] = response.headers.get(name) ?? undefined;
  return { status: response.status, headers: answer, body: await response.text() };
}

function comparable(answer: Answer) {
  return {
    status: answer.status,
    headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, answer.headers[name]])),
    body: answer.body ? (JSON.parse(answer.body) as unknown) : "",
  };
}

/** How many requests the lane has answered, from the app's metrics. */
async function laneCount(api: TestApi): Promise<number> {
  const text = await (await api.fetch("/metrics", {}, { token: null })).text();
  const line = /^jobgraph_http_fast_lane_requests_total (\d+)$/m.exec(text);
  return Number(line![1]);
}

const JOB_BY_ID = "query LaneJob($id: ID!) { job(id: $id) { id number status template { name version } } }";

describe("the fast lane", () => {
  let database: TestDatabase;
  let api: TestApi;
  let port: number;
  let jobId: string;
  const lines: string[] = [];
  const json = (token: string, extra: Record<string, string> = {}) => ({
    "content-type": "application/json",
    authorization: `Bearer ${token}`,
    ...extra,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    const logger = createLogger({ level: "info", destination: { write: (text: string) => void lines.push(text) } });
    api = await createTestApi(database, { logger, limits: undefined });
    port = (await api.app.start(0)).port;
    const template = await createTemplate(database.db);
    jobId = encodeGlobalId("Job", (await createJobs(database.db, template.id, 1))[0]!);
  });

  afterAll(async () => {
    await api.app.stop();
  });

  it("answers a document from its second sight on, exactly as yoga does", async () => {
    const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
    const headers = json(api.admin.secret, { accept: "application/graphql-response+json" });
    const before = await laneCount(api);
    const first = await send(port, body, headers);
    expect(await laneCount(api)).toBe(before);
    const second = await send(port, body, headers);
    expect(await laneCount(api)).toBe(before + 1);
    expect(comparable(second)).toEqual(comparable(first));
    expect(comparable(second)).toEqual(comparable(await viaYoga(api, body, headers)));
    expect(JSON.parse(second.body)).toMatchObject({ data: { job: { id: jobId, status: "QUEUED", template: { name: "train", version: 1 } } } });
  });

  it("picks the media type yoga picks for every Accept it answers with JSON", async () => {
    const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
    await send(port, body, json(api.admin.secret));
    for (const accept of [
      undefined,
      "*/*",
      "application/*",
      "application/json",
      "application/graphql-response+json",
      "application/graphql-response+json, application/json",
      "application/json, application/graphql-response+json",
      "application/json; charset=utf-8",
      "text/html, */*;q=0.8",
    ]) {
      const headers = json(api.admin.secret, accept === undefined ? {} : { accept });
      const before = await laneCount(api);
      const answer = await send(port, body, headers);
      expect(await laneCount(api), accept).toBe(before + 1);
      expect(comparable(answer), accept).toEqual(comparable(await viaYoga(api, body, headers)));
    }
  });

  it("leaves streams, other charsets and unacceptable types to yoga", async () => {
    const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
    await send(port, body, json(api.admin.secret));
    for (const accept of ["text/html", "application/json; charset=latin1", "multipart/mixed"]) {
      const headers = json(api.admin.secret, { accept });
      const before = await laneCount(api);
      const answer = await send(port, body, headers);
      expect(await laneCount(api), accept).toBe(before);
      const expected = await viaYoga(api, body, headers);
      expect(answer.status, accept).toBe(expected.status);
      expect(answer.headers["content-type"], accept).toBe(expected.headers["content-type"]);
    }
    expect(regularMediaType("text/event-stream")).toBeNull();
    expect(regularMediaType(undefined)).toBe("application/json");
  });

  it("answers variables that do not coerce with yoga's request error, for either media type", async () => {
    const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: { not: "an ID" } } });
    await send(port, JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } }), json(api.admin.secret));
    for (const accept of ["application/graphql-response+json", "application/json"]) {
      const headers = json(api.admin.secret, { accept });
      const before = await laneCount(api);
      const answer = await send(port, body, headers);
      expect(await laneCount(api)).toBe(before + 1);
      expect(comparable(answer), accept).toEqual(comparable(await viaYoga(api, body, headers)));
      expect(answer.status).toBe(400);
    }
  });

  it("runs mutations, typed errors and the rate limit as yoga does", async () => {
    const limited = await createTestApi(database, { limits: { ...(await import("../../src/config.js")).defaultLimits, mutationsPerMinute: 3 } });
    const limitedPort = (await limited.app.start(0)).port;
    try {
      const node = await createTestNode(database.db);
      const mutation = "mutation LaneCancel($id: ID!) { cancelJob(id: $id) { __typename ... on Error { message } } }";
      const body = JSON.stringify({ query: mutation, variables: { id: encodeGlobalId("Job", randomUUID()) } });
      const headers = json(node.secret, { accept: "application/graphql-response+json" });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await send(limitedPort, body, headers));
      const expected = { data: { cancelJob: { __typename: "NotFoundError", message: expect.any(String) } } };
      expect(JSON.parse(answers[0]!.body)).toMatchObject(expected);
      expect(comparable(answers[1]!)).toEqual(comparable(answers[0]!));
      expect(JSON.parse(answers[2]!.body)).toMatchObject(expected);
      // The fourth is one too many within the minute.
      expect(answers[3]!.status).toBe(429);
      expect(Number(answers[3]!.headers["retry-after"])).toBeGreaterThan(0);
      expect(JSON.parse(answers[3]!.body)).toMatchObject({ errors: [{ extensions: { code: "RATE_LIMITED" } }] });
      expect(await laneCount(limited)).toBe(3);
    } finally {
      await limited.app.stop();
    }
  });

  it("counts a mutation whose variables do not coerce once against the rate limit, and answers it as yoga does", async () => {
    const limited = await createTestApi(database, { limits: { ...(await import("../../src/config.js")).defaultLimits, mutationsPerMinute: 3 } });
    const limitedPort = (await limited.app.start(0)).port;
    try {
      const node = await createTestNode(database.db);
      const mutation = "mutation LaneCancelAgain($id: ID!) { cancelJob(id: $id) { __typename } }";
      const good = JSON.stringify({ query: mutation, variables: { id: encodeGlobalId("Job", randomUUID()) } });
      const bad = JSON.stringify({ query: mutation, variables: { id: { not: "an ID" } } });
      const headers = json(node.secret, { accept: "application/graphql-response+json" });
      // The first sight goes through yoga (1); the lane then sees bad variables (2) and one more good request (3).
      expect((await send(limitedPort, good, headers)).status).toBe(200);
      const refused = await send(limitedPort, bad, headers);
      expect(refused.status).toBe(400);
      const other = await createTestNode(database.db);
      const otherHeaders = json(other.secret, { accept: "application/graphql-response+json" });
      expect(comparable(refused)).toEqual({ ...comparable(await viaYoga(limited, bad, otherHeaders)), headers: comparable(refused).headers });
      expect((await send(limitedPort, good, headers)).status).toBe(200);
      expect((await send(limitedPort, good, headers)).status).toBe(429);
    } finally {
      await limited.app.stop();
    }
  });

  it("wakes the event tail after each mutation it runs, as yoga's plugin does", async () => {
    const node = await createTestNode(database.db);
    const mutation = "mutation LaneWake($id: ID!) { cancelJob(id: $id) { __typename } }";
    const body = JSON.stringify({ query: mutation, variables: { id: encodeGlobalId("Job", randomUUID()) } });
    const written = vi.spyOn(api.app.events, "written");
    try {
      const before = await laneCount(api);
      for (let i = 0; i < 3; i++) await send(port, body, json(node.secret));
      expect(await laneCount(api)).toBe(before + 2);
      expect(written).toHaveBeenCalledTimes(3);
    } finally {
      written.mockRestore();
    }
  });

  it("leaves refused tokens, unknown documents and other request shapes to yoga, which answers them as before", async () => {
    const known = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
    await send(port, known, json(api.admin.secret));
    const cases: Array<{ name: string; body: string; headers: Record<string, string>; chunked?: boolean }> = [
      { name: "unknown token", body: known, headers: json("jgu_unknown_token_0123456789") },
      { name: "no token", body: known, headers: { "content-type": "application/json" } },
      { name: "new document", body: JSON.stringify({ query: `query Fresh${randomUUID().slice(0, 8)} { viewer { name } }` }), headers: json(api.admin.secret) },
      { name: "invalid document", body: JSON.stringify({ query: "query { noSuchField }" }), headers: json(api.admin.secret) },
      { name: "extensions", body: JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId }, extensions: { trace: true } }), headers: json(api.admin.secret) },
      { name: "unknown key", body: JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId }, other: 1 }), headers: json(api.admin.secret) },
      { name: "batch", body: JSON.stringify([{ query: JOB_BY_ID, variables: { id: jobId } }]), headers: json(api.admin.secret) },
      { name: "bad JSON", body: "{", headers: json(api.admin.secret) },
      { name: "variables not an object", body: JSON.stringify({ query: JOB_BY_ID, variables: [1] }), headers: json(api.admin.secret) },
      { name: "text/plain", body: known, headers: { ...json(api.admin.secret), "content-type": "text/plain" } },
      { name: "chunked", body: known, headers: json(api.admin.secret), chunked: true },
    ];
    for (const c of cases) {
      const before = await laneCount(api);
      const answer = await send(port, c.body, c.headers, { chunked: c.chunked ?? false });
      expect(await laneCount(api), c.name).toBe(before);
      const expected = await viaYoga(api, c.body, c.headers);
      expect(answer.status, c.name).toBe(expected.status);
      expect(answer.headers["content-type"], c.name).toBe(expected.headers["content-type"]);
      expect(answer.headers["www-authenticate"], c.name).toBe(expected.headers["www-authenticate"]);
      // Bodies differ only where yoga puts the request's own URL or a fresh id in them.
      if (c.name !== "chunked" && c.name !== "new document") expect(answer.body, c.name).toBe(expected.body);
    }
  });

  it("answers a query sent by GET from its second sight on, exactly as yoga does", async () => {
    const path = search({ query: JOB_BY_ID, variables: { id: jobId }, operationName: "LaneJob" });
    for (const accept of [undefined, "application/graphql-response+json", "application/json", "*/*"]) {
      const headers = { authorization: `Bearer ${api.admin.secret}`, "graphql-preflight": "1", ...(accept ? { accept } : {}) };
      await get(port, path, headers);
      const before = await laneCount(api);
      const answer = await get(port, path, headers);
      expect(await laneCount(api), accept).toBe(before + 1);
      expect(comparable(answer), accept).toEqual(comparable(await viaYogaGet(api, path, headers)));
      expect(JSON.parse(answer.body)).toMatchObject({ data: { job: { id: jobId, status: "QUEUED" } } });
    }
    // Any of the CSRF headers will do, and the request is logged and measured as a GET.
    const headers = { authorization: `Bearer ${api.admin.secret}`, "apollo-require-preflight": "true", "x-request-id": "lane-get-1" };
    const from = lines.length;
    const answer = await get(port, path, headers);
    const written = lines.slice(from);
    expect(comparable(answer)).toEqual(comparable(await viaYogaGet(api, path, headers)));
    const completed = written.map((text) => JSON.parse(text) as Record<string, unknown>).filter((line) => line.requestId === "lane-get-1" && line.msg === "request completed");
    expect(completed).toEqual([expect.objectContaining({ method: "GET", status: 200, operationName: "LaneJob", operationType: "query" })]);
    const metrics = await (await api.fetch("/metrics", {}, { token: null })).text();
    expect(metrics).toMatch(/^graphql_yoga_http_duration_count\{operationName="LaneJob",operationType="query",method="GET",statusCode="200"\} [1-9]/m);
  });

  it("leaves GET requests that are not a known query, or that yoga refuses, to yoga", async () => {
    const known = { query: JOB_BY_ID, variables: { id: jobId } };
    const auth = { authorization: `Bearer ${api.admin.secret}` };
    const csrf = { ...auth, "graphql-preflight": "1" };
    await get(port, search(known), csrf);
    const mutation = "mutation LaneGetCancel($id: ID!) { cancelJob(id: $id) { __typename } }";
    await send(port, JSON.stringify({ query: mutation, variables: { id: jobId } }), json(api.admin.secret));
    const cases: Array<{ name: string; path: string; headers: Record<string, string>; status: number }> = [
      { name: "no CSRF header", path: search(known), headers: auth, status: 403 },
      { name: "a mutation", path: search({ query: mutation, variables: { id: jobId } }), headers: csrf, status: 405 },
      { name: "the playground's page", path: search(known), headers: { ...csrf, accept: "text/html" }, status: 200 },
      { name: "variables not JSON", path: `/graphql?query=${encodeURIComponent(JOB_BY_ID)}&variables=%7B`, headers: csrf, status: 400 },
      { name: "variables not an object", path: search({ query: JOB_BY_ID, variables: [1] }), headers: csrf, status: 400 },
      { name: "extensions not JSON", path: `/graphql?query=${encodeURIComponent(JOB_BY_ID)}&extensions=x`, headers: csrf, status: 400 },
      { name: "no query", path: "/graphql?operationName=LaneJob", headers: csrf, status: 200 },
      { name: "a documentId", path: search({ documentId: "sha256:00", variables: { id: jobId } }), headers: csrf, status: 200 },
      { name: "unknown token", path: search(known), headers: { ...csrf, authorization: "Bearer jgu_unknown_token_0123456789" }, status: 401 },
      { name: "a stream", path: search(known), headers: { ...csrf, accept: "text/event-stream" }, status: 200 },
    ];
    for (const c of cases) {
      const before = await laneCount(api);
      const answer = await get(port, c.path, c.headers);
      expect(await laneCount(api), c.name).toBe(before);
      const expected = await viaYogaGet(api, c.path, c.headers);
      expect(answer.status, c.name).toBe(expected.status);
      expect(answer.headers["content-type"], c.name).toBe(expected.headers["content-type"]);
      expect(answer.status, c.name).toBe(c.status);
      if (c.name === "a mutation") expect(answer.headers.allow).toBe("POST");
    }
  });

  it("leaves subscriptions to yoga: a stream when the client takes one, 406 when it does not", async () => {
    const body = JSON.stringify({ query: `subscription LaneSub($id: ID!) { jobUpdated(id: $id) { id } }`, variables: { id: jobId } });
    const headers = json(api.admin.secret, { accept: "application/json" });
    const first = await send(port, body, headers);
    const before = await laneCount(api);
    const second = await send(port, body, headers);
    expect(await laneCount(api)).toBe(before);
    expect(second.status).toBe(406);
    expect(comparable(second)).toEqual(comparable(first));
    // The same document, with a stream among the types the client takes: yoga streams it.
    const streamed = await new Promise<{ status: number; contentType: string | undefined }>((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, path: "/graphql", method: "POST", headers: { ...json(api.admin.secret, { accept: "text/event-stream, application/json" }), "content-length": String(Buffer.byteLength(body)) } },
        (response) => {
          resolve({ status: response.statusCode!, contentType: response.headers["content-type"] });
          // The stream would never end: the test leaves it.
          response.on("error", () => undefined);
          request.destroy();
        },
      );
      request.on("error", reject);
      request.end(body);
    });
    expect(streamed).toEqual({ status: 200, contentType: expect.stringMatching(/^text\/event-stream/) });
    expect(await laneCount(api)).toBe(before);
  });

  it("sends CORS headers and the request id as yoga does, and logs the request without its secrets", async () => {
    const secret = `lease-${randomUUID()}`;
    const query = "query LaneLog($id: ID!, $leaseToken: String) { job(id: $id) { id } jobs(filter: { search: $leaseToken }) { totalCount } }";
    const body = JSON.stringify({ query, variables: { id: jobId, leaseToken: secret } });
    const headers = json(api.admin.secret, { origin: "https://dashboard.example", "x-request-id": "lane-request-1" });
    await send(port, body, headers);
    const from = lines.length;
    const before = await laneCount(api);
    const answer = await send(port, body, headers);
    const written = lines.slice(from);
    expect(await laneCount(api)).toBe(before + 1);
    expect(comparable(answer)).toEqual(comparable(await viaYoga(api, body, headers)));
    expect(answer.headers["access-control-allow-origin"]).toBe("https://dashboard.example");
    // A page of another origin may read the position a mutation wrote at, and the request's id.
    expect(answer.headers["access-control-expose-headers"]).toBe("JobGraph-LSN, X-Request-Id");
    expect(answer.headers["x-request-id"]).toBe("lane-request-1");
    const completed = written.map((text) => JSON.parse(text) as Record<string, unknown>).filter((line) => line.requestId === "lane-request-1" && line.msg === "request completed");
    expect(completed).toEqual([
      expect.objectContaining({ method: "POST", path: "/graphql", status: 200, operationName: "LaneLog", operationType: "query", outcome: "ok", viewer: expect.objectContaining({ kind: "USER" }) }),
    ]);
    for (const text of written) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(api.admin.secret);
    }
    const generated = await send(port, body, json(api.admin.secret, { "x-request-id": "not a sane id!" }));
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("counts and times lane requests under their operation, as yoga's metrics do", async () => {
    const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
    const labels = 'operationName="LaneJob",operationType="query"';
    const samples = async () => {
      const text = await (await api.fetch("/metrics", {}, { token: null })).text();
      const sample = (pattern: string) => Number(new RegExp(`^${pattern} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
      return [
        sample(`graphql_yoga_http_duration_count\\{${labels},method="POST",statusCode="200"\\}`),
        sample(`graphql_envelop_request\\{${labels}\\}`),
        sample(`graphql_envelop_request_duration_count\\{${labels}\\}`),
        sample(`graphql_envelop_phase_execute_count\\{${labels}\\}`),
        sample(`graphql_envelop_phase_context_count\\{${labels}\\}`),
      ];
    };
    await send(port, body, json(api.admin.secret));
    const before = await samples();
    const lane = await laneCount(api);
    for (let i = 0; i < 3; i++) await send(port, body, json(api.admin.secret));
    expect(await laneCount(api)).toBe(lane + 3);
    expect(await samples()).toEqual(before.map((n) => n + 3));
  });

  it("answers a query refused by its own resolvers as yoga does", async () => {
    const body = JSON.stringify({ query: "query LaneTooBig { jobs(first: 100000) { edges { node { id } } } }" });
    const headers = json(api.admin.secret, { accept: "application/graphql-response+json" });
    await send(port, body, headers);
    const before = await laneCount(api);
    const answer = await send(port, body, headers);
    expect(await laneCount(api)).toBe(before + 1);
    expect(comparable(answer)).toEqual(comparable(await viaYoga(api, body, headers)));
    expect(JSON.parse(answer.body)).toMatchObject({ data: null, errors: [{ path: ["jobs"], extensions: { code: "QUERY_TOO_COSTLY" } }] });
  });

  it("masks an unexpected error of a query as yoga does, and logs it with its stack under the request's id", async () => {
    // Tokens are remembered, so that requests still pass authentication once the database is gone.
    const db = createDb({ url: database.url, pooled: database.pooled });
    const logged: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (text: string) => void logged.push(text) } });
    const broken = await createTestApi({ ...database, db }, { logger, authCacheSeconds: 60 });
    const brokenPort = (await broken.app.start(0)).port;
    try {
      const body = JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } });
      const headers = json(broken.admin.secret, { "x-request-id": "lane-broken-1" });
      expect((await send(brokenPort, body, headers)).status).toBe(200);
      await db.$disconnect();
      const before = await laneCount(broken);
      const answer = await send(brokenPort, body, headers);
      expect(await laneCount(broken)).toBe(before + 1);
      expect(comparable(answer)).toEqual(comparable(await viaYoga(broken, body, headers)));
      expect(JSON.parse(answer.body)).toMatchObject({ data: { job: null }, errors: [{ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      const errors = logged.map((text) => JSON.parse(text) as Record<string, unknown>).filter((line) => line.level === "error" && line.requestId === "lane-broken-1");
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors[0]).toMatchObject({ msg: "unexpected error", err: { stack: expect.stringContaining("Error") } });
    } finally {
      await broken.app.stop();
    }
  });

  it("keeps serving when a client goes away in the middle of a body", async () => {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\nAuthorization: Bearer ${api.admin.secret}\r\n\r\n{"query":`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const answer = await send(port, JSON.stringify({ query: JOB_BY_ID, variables: { id: jobId } }), json(api.admin.secret));
    expect(answer.status).toBe(200);
  });
});

describe("the fast lane's hand-over to yoga", () => {
  it("hands over a body it read as a stream, which yoga's adapter does not take apart byte by byte", async () => {
    // A body given to yoga's Node adapter as a Buffer (or a string) has its keys listed: one
    // string per byte, a third of a second and tens of megabytes of garbage for a body of 900 KB,
    // for every first sight of a document.
    const handed: unknown[] = [];
    const yoga = Object.assign(
      (req: http.IncomingMessage, res: http.ServerResponse) => {
        handed.push((req as http.IncomingMessage & { body?: unknown }).body);
        res.end();
      },
      { graphqlEndpoint: "/graphql" },
    );
    const lane = new FastLane({
      maxBodyBytes: 2 * 1024 ** 2,
      exposedHeaders: [],
      documents: { validDocument: () => undefined },
    } as unknown as ConstructorParameters<typeof FastLane>[0]);
    const server = http.createServer(lane.listener(yoga as unknown as Parameters<typeof lane.listener>[0]));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const body = JSON.stringify({ query: `query Big { viewer { name } } # ${"x".repeat(900_000)}` });
      await send((server.address() as net.AddressInfo).port, body, { "content-type": "application/json" });
      expect(handed).toHaveLength(1);
      const stream = handed[0] as AsyncIterable<Buffer>;
      expect(Object.keys(stream).length).toBeLessThan(100);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(Buffer.concat(chunks).toString("utf8")).toBe(body);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
