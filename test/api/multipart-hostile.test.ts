// Malformed GraphQL multipart requests, sent as raw bytes over a real connection: each is answered
// with a 4xx and a code, nothing is stored, and the gateway goes on serving (a stream left unread
// without an `error` listener used to take the whole process down).
import { randomUUID } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

const MAX_FILES = 2;
const BOUNDARY = "----hostile";

let database: TestDatabase;
let api: TestApi;
let port: number;
let node: TestNode;
let jobId: string;
const leaseToken = randomUUID();

/** One raw HTTP exchange: `body` (already framed) sent as is, the connection's whole answer read. */
function exchange(head: Record<string, string>, body: Buffer, options: { cutAfter?: number } = {}): Promise<{ status: number; json: { errors?: Array<{ message: string; extensions?: { code?: string } }>; data?: unknown } | null; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (raw += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      const text = raw.slice(raw.indexOf("\r\n\r\n") + 4);
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        // A chunked answer, or none: the status is what matters then.
      }
      resolve({ status, json, raw });
    });
    const headers = {
      Host: "jobgraph.test",
      Authorization: `Bearer ${node.secret}`,
      "graphql-preflight": "1",
      Connection: "close",
      "Content-Length": String(body.length),
      ...head,
    };
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.write(`POST /graphql HTTP/1.1\r\n${lines}\r\n`);
    if (options.cutAfter !== undefined) {
      socket.write(body.subarray(0, options.cutAfter), () => setTimeout(() => socket.destroy(), 50));
    } else {
      socket.write(body);
    }
    socket.setTimeout(15_000, () => {
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(raw)}`));
    });
  });
}

const part = (name: string, value: string, filename?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n${filename ? "Content-Type: text/plain\r\n" : ""}\r\n${value}\r\n`;
const end = `--${BOUNDARY}--\r\n`;

function operations(files = 1): string {
  const args = Array.from({ length: files }, (_, i) => `$f${i}: File!`).join(", ");
  const fields = Array.from(
    { length: files },
    (_, i) => `a${i}: addJobOutput(jobId: $job, leaseToken: $lease, name: "out${i}", type: "txt", file: $f${i}) { __typename }`,
  ).join("\n");
  const variables: Record<string, unknown> = { job: encodeGlobalId("Job", jobId), lease: leaseToken };
  for (let i = 0; i < files; i++) variables[`f${i}`] = null;
  return JSON.stringify({ query: `mutation Up($job: ID!, $lease: String, ${args}) {\n${fields}\n}`, variables });
}

const map = (files = 1) => JSON.stringify(Object.fromEntries(Array.from({ length: files }, (_, i) => [String(i), [`variables.f${i}`]])));
const MULTIPART = { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` };

/** Each shape: its headers and body. The file parts carry content for a job the node really holds, so a resolver reads them. */
const shapes: Array<[string, Record<string, string>, () => string]> = [
  ["no boundary", { "Content-Type": "multipart/form-data" }, () => part("operations", operations()) + part("map", map()) + part("0", "x", "a.txt") + end],
  ["an empty boundary", { "Content-Type": "multipart/form-data; boundary=" }, () => part("operations", operations()) + end],
  ["a body without parts", MULTIPART, () => "nothing here"],
  ["an empty body", MULTIPART, () => ""],
  ["operations that are not JSON", MULTIPART, () => part("operations", "{nope") + part("map", map()) + part("0", "x", "a.txt") + end],
  ["operations twice", MULTIPART, () => part("operations", operations()) + part("operations", operations()) + part("map", map()) + part("0", "x", "a.txt") + end],
  ["map before operations", MULTIPART, () => part("map", map()) + part("operations", operations()) + part("0", "x", "a.txt") + end],
  ["map twice", MULTIPART, () => part("operations", operations()) + part("map", map()) + part("map", map()) + part("0", "x", "a.txt") + end],
  ["map that is a list", MULTIPART, () => part("operations", operations()) + part("map", "[1]") + part("0", "x", "a.txt") + end],
  ["map with a path that is no list", MULTIPART, () => part("operations", operations()) + part("map", '{"0":"variables.f0"}') + part("0", "x", "a.txt") + end],
  ["map naming a path that is not a null", MULTIPART, () => part("operations", operations()) + part("map", '{"0":["variables.job"]}') + part("0", "x", "a.txt") + end],
  ["map naming __proto__", MULTIPART, () => part("operations", operations()) + part("map", '{"0":["__proto__.x"]}') + part("0", "x", "a.txt") + end],
  ["map naming a part the body lacks", MULTIPART, () => part("operations", operations()) + part("map", map()) + end],
  ["a part absent from map", MULTIPART, () => part("operations", operations()) + part("map", map()) + part("0", "x", "a.txt") + part("9", "y", "b.txt") + end],
  ["a file before operations", MULTIPART, () => part("0", "x", "a.txt") + part("operations", operations()) + part("map", map()) + end],
  ["a field after a file", MULTIPART, () => part("operations", operations()) + part("map", map()) + part("0", "x".repeat(5000), "a.txt") + part("extra", "y") + end],
  ["an unknown field", MULTIPART, () => part("operations", operations()) + part("extra", "y") + part("map", map()) + part("0", "x", "a.txt") + end],
  ["the same file twice", MULTIPART, () => part("operations", operations()) + part("map", map()) + part("0", "x", "a.txt") + part("0", "x", "a.txt") + end],
  [`map naming ${MAX_FILES + 1} files`, MULTIPART, () => part("operations", operations(MAX_FILES + 1)) + part("map", map(MAX_FILES + 1)) + Array.from({ length: MAX_FILES + 1 }, (_, i) => part(String(i), "x", "a.txt")).join("") + end],
  [`${MAX_FILES + 5} file parts`, MULTIPART, () => part("operations", operations()) + part("map", map()) + Array.from({ length: MAX_FILES + 5 }, () => part("0", "x", "a.txt")).join("") + end],
  ["a body cut off mid-file", MULTIPART, () => part("operations", operations()) + part("map", map()) + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="a.txt"\r\n\r\nhalf a fi`],
  ["a body cut off mid-header", MULTIPART, () => part("operations", operations()) + part("map", map()) + `--${BOUNDARY}\r\nContent-Disposition: form-da`],
  ["a body without its closing boundary", MULTIPART, () => part("operations", operations()) + part("map", map()) + part("0", "x", "a.txt")],
];

async function outputsStored(): Promise<number> {
  return database.db.jobOutput.count();
}

async function stillServes(): Promise<void> {
  const response = await api.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ viewer { kind } }" }),
  });
  expect(response.status).toBe(200);
  const real = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${api.admin.secret}` },
    body: JSON.stringify({ query: "{ viewer { kind } }" }),
  });
  expect(await real.json()).toEqual({ data: { viewer: { kind: "USER" } } });
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database, { limits: { ...defaultLimits, maxUploadFiles: MAX_FILES } });
  port = (await api.app.start(0)).port;
  node = await createTestNode(database.db);
  const template = await createTemplate(database.db);
  [jobId] = (await createJobs(database.db, template.id, 1)) as [string];
  await database.db.job.update({ where: { id: jobId }, data: { status: "RUNNING", nodeId: node.id, leaseToken, leaseExpiresAt: new Date(Date.now() + 3_600_000) } });
});

afterAll(async () => {
  await api.app.stop();
});

describe("malformed multipart requests", () => {
  it.each(shapes)("%s: a 4xx with a code, nothing stored, and the gateway serves on", async (_name, head, body) => {
    const answer = await exchange(head, Buffer.from(body(), "latin1"));
    expect(answer.status, answer.raw).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.raw).toBeLessThan(500);
    expect(answer.json?.errors?.length, answer.raw).toBeGreaterThan(0);
    for (const error of answer.json!.errors!) expect(typeof error.extensions?.code, answer.raw).toBe("string");
    expect(answer.raw).not.toContain("INTERNAL_SERVER_ERROR");
    expect(await outputsStored()).toBe(0);
    await stillServes();
  });

  it("a client that goes away mid-file leaves nothing stored and the gateway serving", async () => {
    const body = Buffer.from(part("operations", operations()) + part("map", map()) + part("0", "x".repeat(200_000), "a.txt") + end, "latin1");
    await exchange(MULTIPART, body, { cutAfter: 100_000 });
    await stillServes();
    expect(await outputsStored()).toBe(0);
  });

  it("a well-formed upload after all that is stored", async () => {
    const answer = await exchange(MULTIPART, Buffer.from(part("operations", operations()) + part("map", map()) + part("0", "fine", "a.txt") + end, "latin1"));
    expect(answer.json).toEqual({ data: { a0: { __typename: "AddJobOutputPayload" } } });
    expect(await outputsStored()).toBe(1);
  });
});
