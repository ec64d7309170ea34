// Incremental delivery (@defer, @stream) as a real client that speaks it receives it: urql's fetch
// exchange over HTTP, once as multipart/mixed and once as server-sent events (and graphql-ws'
// client, a message a part), against a listening
// gateway (the fast lane in front of yoga). A job's detail comes first, its tasks and events after
// it, and what the parts add up to is exactly the answer of the same document without the
// directives.
import { Client, fetchExchange, gql, type OperationResult } from "@urql/core";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const TASKS = 30;

const DETAIL = `
  query JobDetail($id: ID!) {
    job(id: $id) {
      id number name status
      ... @defer(label: "tasks") {
        tasks(first: ${TASKS}) { totalCount edges @stream(initialCount: 2) { cursor node { id name sequence status progress } } }
      }
      ...JobEvents @defer(label: "events")
    }
  }
  fragment JobEvents on Job { events(first: 10) { totalCount edges { node { kind toStatus at } } } }
`;

/** The same document with neither directive: the answer the parts must add up to. */
const WHOLE = DETAIL.replace(/@defer\(label: "\w+"\)/g, "").replace(/@stream\(initialCount: 2\)/, "");

let database: TestDatabase;
let api: TestApi;
let url: string;
let jobId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  const template = await createTemplate(database.db, "incremental");
  jobId = (await createJobs(database.db, template.id, 1, { tasks: TASKS }))[0]!;
  await database.db.jobEvent.create({ data: { jobId: jobId!, kind: "CREATED", toStatus: "QUEUED", jobVersion: 1 } });
  const address = await api.app.start(0, "127.0.0.1");
  url = `http://127.0.0.1:${address.port}/graphql`;
});

afterAll(async () => {
  await api.app.stop();
});

type Detail = {
  job: {
    id: string;
    number: number;
    tasks?: { totalCount: number; edges: Array<{ node: { id: string } }> };
    events?: { totalCount: number };
  };
};

/**
 * Every result urql gives for one query, until the last part (hasNext false), and the media types
 * the gateway answered with. `accept` is the only Accept header sent.
 */
async function receive(document: string, accept: string): Promise<{ results: Array<OperationResult<Detail>>; contentTypes: string[] }> {
  const contentTypes: string[] = [];
  const client = new Client({
    url,
    exchanges: [fetchExchange],
    preferGetMethod: false,
    fetchOptions: { headers: { authorization: `Bearer ${api.admin.secret}`, accept } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      contentTypes.push(response.headers.get("content-type") ?? "");
      return response;
    },
  });
  const results: Array<OperationResult<Detail>> = [];
  await new Promise<void>((resolve, reject) => {
    const { unsubscribe } = client.query<Detail>(gql(document), { id: encodeGlobalId("Job", jobId) }, { requestPolicy: "network-only" }).subscribe((result) => {
      results.push(result);
      if (result.error) {
        unsubscribe();
        reject(result.error);
      } else if (!result.hasNext) {
        resolve();
      }
    });
  });
  return { results, contentTypes };
}

describe.each([
  ["multipart/mixed", /^multipart\/mixed/],
  ["text/event-stream", /^text\/event-stream/],
  // What urql sends by default: single answers first, then either stream.
  ["application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed", /^(text\/event-stream|multipart\/mixed)/],
])("incremental delivery for Accept: %s", (accept, contentType) => {
  it("sends the job first, then its tasks (streamed) and its events, which add up to the whole answer", async () => {
    const whole = await receive(WHOLE, "application/graphql-response+json");
    expect(whole.results).toHaveLength(1);
    const expected = whole.results[0]!.data!;
    expect(expected.job.tasks!.edges).toHaveLength(TASKS);

    // Twice: the second time the document is one the gateway has validated before, which its fast
    // lane would otherwise answer itself, compiled and all at once.
    for (let round = 0; round < 2; round++) {
      const { results, contentTypes } = await receive(DETAIL, accept);
      expect(contentTypes).toEqual([expect.stringMatching(contentType)]);
      // The job alone first: neither deferred part is in it.
      const first = results[0]!.data!;
      expect(first.job).toMatchObject({ id: expected.job.id, number: expected.job.number });
      expect(first.job.tasks).toBeUndefined();
      expect(first.job.events).toBeUndefined();
      expect(results[0]!.hasNext).toBe(true);
      // urql merges the parts that arrive together; what they add up to is the whole answer.
      expect(results.length).toBeGreaterThanOrEqual(2);
      expect(results.at(-1)!.data).toEqual(expected);
    }
  });

  it("on the wire: the first part, one for each deferred fragment, and the tasks after the first two as streamed items", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${api.admin.secret}`, "content-type": "application/json", accept },
      body: JSON.stringify({ query: DETAIL, variables: { id: encodeGlobalId("Job", jobId) } }),
    });
    expect(response.headers.get("content-type")).toMatch(contentType);
    const text = await response.text();
    // Each part is one JSON object on a line of its own (after "data: " as a server-sent event).
    const parts = text
      .split(/\r?\n/)
      .map((line) => line.replace(/^data: /, ""))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { data?: Detail; hasNext?: boolean; incremental?: Array<{ data?: unknown; items?: unknown[]; path: unknown[] }> });
    expect(parts[0]!.data!.job.tasks).toBeUndefined();
    expect(parts[0]!.hasNext).toBe(true);
    const incremental = parts.flatMap((part) => part.incremental ?? []);
    const deferred = incremental.filter((entry) => entry.data !== undefined);
    const streamed = incremental.filter((entry) => entry.items !== undefined).flatMap((entry) => entry.items!);
    expect(deferred.map((entry) => Object.keys(entry.data as object)).sort()).toEqual([["events"], ["tasks"]]);
    expect((deferred.find((entry) => "tasks" in (entry.data as object))!.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(2);
    expect(streamed).toHaveLength(TASKS - 2);
    expect(parts.at(-1)!.hasNext).toBe(false);
  });
});

describe("what the first part waits for", () => {
  it("the job's own statement reads no deferred list: its tasks and events are read for their part, after the first is sent", async () => {
    const statementsOf = async (query: string, accept: string) => {
      database.counter.reset();
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${api.admin.secret}`, "content-type": "application/json", accept },
        body: JSON.stringify({ query, variables: { id: encodeGlobalId("Job", jobId) } }),
      });
      await response.text();
      return database.counter.readStatements();
    };
    const whole = await statementsOf(WHOLE, "application/graphql-response+json");
    const parts = await statementsOf(DETAIL, "multipart/mixed");
    // Asked for at once, the job's statement reads its first pages and counts itself.
    expect(whole).toHaveLength(1);
    expect(whole[0]).toMatch(/from tasks/);
    // Deferred, the first statement is the job's alone; the lists' come after it.
    expect(parts[0]).toMatch(/from jobs j where j\.id = /);
    expect(parts[0]).not.toMatch(/tasks|job_events/);
    expect(parts.slice(1).some((text) => /from tasks/.test(text))).toBe(true);
    expect(parts.slice(1).some((text) => /from job_events/.test(text))).toBe(true);
  });
});

describe("incremental delivery over graphql-ws", () => {
  it("sends each part as a message of its own, the last with hasNext false", async () => {
    const client = createClient({ url: url.replace("http", "ws"), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${api.admin.secret}` }, retryAttempts: 0 });
    const parts: Array<{ data?: Detail; incremental?: Array<{ data?: Record<string, unknown>; items?: unknown[] }>; hasNext?: boolean }> = [];
    try {
      for await (const part of client.iterate({ query: DETAIL, variables: { id: encodeGlobalId("Job", jobId) } })) parts.push(part as (typeof parts)[number]);
    } finally {
      await client.dispose();
    }
    expect(parts[0]).toMatchObject({ data: { job: { id: encodeGlobalId("Job", jobId) } }, hasNext: true });
    expect(parts[0]!.data!.job.tasks).toBeUndefined();
    const incremental = parts.slice(1).flatMap((part) => part.incremental ?? []);
    expect(incremental.filter((entry) => entry.data).map((entry) => Object.keys(entry.data!)).sort()).toEqual([["events"], ["tasks"]]);
    expect(incremental.flatMap((entry) => entry.items ?? [])).toHaveLength(TASKS - 2);
    expect(parts.at(-1)!.hasNext).toBe(false);
  });
});

describe("incremental delivery refused", () => {
  it("a client that takes only a single JSON answer gets a clear error for a document with @defer", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${api.admin.secret}`, "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: DETAIL, variables: { id: encodeGlobalId("Job", jobId) } }),
    });
    expect(response.status).toBe(406);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: "The document uses @defer or @stream, whose answer comes in parts: send Accept: multipart/mixed or text/event-stream.",
        extensions: { code: "NOT_ACCEPTABLE" },
      },
    ]);
  });

  it("@defer on a mutation's root field is refused by validation", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${api.admin.secret}`, "content-type": "application/json", accept: "multipart/mixed" },
      body: JSON.stringify({ query: `mutation { ... @defer { cancelJob(id: "${encodeGlobalId("Job", jobId)}") { __typename } } }` }),
    });
    const text = await response.text();
    expect(text).toMatch(/defer/i);
    expect((await database.db.job.findUniqueOrThrow({ where: { id: jobId } })).status).not.toBe("CANCELLED");
  });
});
