// Uploads over a real HTTP connection, held open mid-stream: what the gateway does while content
// is still arriving, when the client goes away, and when uploads run side by side.
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";
import { AddJobOutput, multipartFrame, uploadVariables, type Upload } from "../helpers/uploads.js";

const MiB = 1024 * 1024;

type Reply = { status: number; body: { data?: { addJobOutput: Record<string, unknown> }; errors?: unknown[] } };

/** An upload whose content the test sends piece by piece, over its own HTTP connection. */
type OpenUpload = {
  send(bytes: Uint8Array): Promise<void>;
  finish(): Promise<Reply>;
  /** Cuts the connection, as a client that crashes mid-upload would. */
  cut(): void;
};

let database: TestDatabase;
let api: TestApi;
let port: number;

function openUpload(upload: Upload, token: string): OpenUpload {
  const { contentType, head, tail } = multipartFrame({ query: AddJobOutput, variables: uploadVariables(upload) });
  const request = http.request({
    host: "127.0.0.1",
    port,
    path: "/graphql",
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${token}`, "graphql-preflight": "1" },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (piece: string) => (text += piece));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on("error", reject);
  });
  // A cut connection rejects the reply; a test that cuts does not wait for it.
  reply.catch(() => undefined);
  const send = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => request.write(bytes, (e) => (e ? reject(e) : resolve())));
  void send(head);
  return {
    send,
    async finish() {
      request.end(tail);
      return reply;
    },
    cut: () => request.destroy(),
  };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The gateway's upload connections to this test's database that are inside a transaction. */
async function uploadTransactions(): Promise<Array<{ query: string }>> {
  return database.db.$queryRaw<Array<{ query: string }>>`
    select query from pg_stat_activity
     where application_name = 'jobgraph-outputs' and datname = current_database() and xact_start is not null`;
}

/** Waits until the gateway is writing an upload's chunks, inside its still-open transaction. */
function writingChunks() {
  return eventually(uploadTransactions, (rows) => rows.some((r) => r.query.includes("job_output_chunks")), "chunks being written");
}

async function stored() {
  const [row] = await database.db.$queryRaw<Array<{ outputs: bigint; chunks: bigint; uploads: bigint; added: bigint }>>`
    select (select count(*) from job_outputs) as outputs, (select count(*) from job_output_chunks) as chunks,
           (select count(*) from output_uploads) as uploads,
           (select count(*) from job_events where kind = 'OUTPUT_ADDED') as added`;
  return { outputs: Number(row!.outputs), chunks: Number(row!.chunks), uploads: Number(row!.uploads), added: Number(row!.added) };
}

const Acquire = `mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`;
const Start = `mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`;

async function operate(query: string, variables: Record<string, unknown>, token: string) {
  const response = await api.fetch(
    "/graphql",
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) },
    { token },
  );
  return ((await response.json()) as { data: Record<string, Record<string, unknown>> }).data;
}

/** A RUNNING job held by a new node: its global ID, the node and the lease token. */
async function runningJob(templateId: string): Promise<{ jobId: string; id: string; node: TestNode; lease: string }> {
  const [id] = (await createJobs(database.db, templateId, 1)) as [string];
  const node = await createTestNode(database.db);
  const jobId = encodeGlobalId("Job", id);
  const acquired = await operate(Acquire, { id: jobId }, node.secret);
  const lease = (acquired.acquireJob as { lease: { token: string } }).lease.token;
  await operate(Start, { id: jobId, lease }, node.secret);
  return { jobId, id, node, lease };
}

async function download(url: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, { headers: { authorization: `Bearer ${api.admin.secret}` } });
  expect(response.status).toBe(200);
  return createHash("sha256").update(Buffer.from(await response.arrayBuffer())).digest("hex");
}

describe("uploads in flight", () => {
  let templateId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    port = (await api.app.start(0)).port;
    templateId = (await createTemplate(database.db)).id;
  });
  afterAll(() => api.app.stop());

  it("leaves nothing behind when the client goes away mid-upload, and the name stays free", async () => {
    const { jobId, id, node, lease } = await runningJob(templateId);
    const version = (await database.db.job.findUniqueOrThrow({ where: { id } })).version;
    const upload = openUpload({ jobId, name: "model", type: "onnx", leaseToken: lease }, node.secret);
    await upload.send(randomBytes(3 * MiB));
    await writingChunks();
    upload.cut();

    // The transaction ends (rolled back) once the server notices, and its listing goes with it.
    await eventually(uploadTransactions, (rows) => rows.length === 0, "the upload's transaction to end");
    expect(await eventually(stored, (s) => s.uploads === 0, "the upload's listing to go")).toEqual({ outputs: 0, chunks: 0, uploads: 0, added: 0 });
    expect((await database.db.job.findUniqueOrThrow({ where: { id } })).version).toBe(version);

    const content = randomBytes(MiB + 7);
    const again = openUpload({ jobId, name: "model", type: "onnx", leaseToken: lease }, node.secret);
    await again.send(content);
    const reply = await again.finish();
    expect(reply.body.data?.addJobOutput).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: MiB + 7 } });
  });

  it("keeps delivering other jobs' events while an upload streams, and announces the output once it is in", async () => {
    const uploading = await runningJob(templateId);
    const other = await runningJob(templateId);
    const events = await subscribeSse(api, `subscription { jobEvents { event { kind job { id } } } }`);
    try {
      const upload = openUpload({ jobId: uploading.jobId, name: "weights", type: "bin", leaseToken: uploading.lease }, uploading.node.secret);
      await upload.send(randomBytes(2 * MiB));
      await writingChunks();

      // The upload's transaction is open; a progress report of another job still comes through.
      await operate(
        `mutation ($id: ID!, $lease: String!) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5) { __typename } }`,
        { id: other.jobId, lease: other.lease },
        other.node.secret,
      );
      expect((await events.next(5000)).data).toEqual({ jobEvents: { event: { kind: "PROGRESS", job: { id: other.jobId } } } });

      await upload.send(randomBytes(MiB));
      const reply = await upload.finish();
      expect(reply.body.data?.addJobOutput.__typename).toBe("AddJobOutputPayload");
      expect((await events.next(5000)).data).toEqual({ jobEvents: { event: { kind: "OUTPUT_ADDED", job: { id: uploading.jobId } } } });
    } finally {
      await events.close();
    }
  });

  it("stores nothing when the node loses the job while its content streams in", async () => {
    const { jobId, node, lease } = await runningJob(templateId);
    const before = await stored();
    const upload = openUpload({ jobId, name: "late", type: "bin", leaseToken: lease }, node.secret);
    await upload.send(randomBytes(2 * MiB));
    await writingChunks();
    await operate(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: jobId, lease }, node.secret);

    const reply = await upload.finish();
    expect(reply.body.data?.addJobOutput.__typename).toBe("LeaseLostError");
    expect(await stored()).toEqual(before);
  });

  it("takes uploads to different jobs side by side, each stored whole", async () => {
    const jobs = await Promise.all(Array.from({ length: 4 }, () => runningJob(templateId)));
    const contents = jobs.map((_, i) => randomBytes(2 * MiB + i * 1000));
    const uploads = jobs.map((job) => openUpload({ jobId: job.jobId, name: "result", type: "bin", leaseToken: job.lease }, job.node.secret));
    // Interleaved, so that every upload is mid-stream at once.
    for (const offset of [0, MiB]) {
      await Promise.all(uploads.map((upload, i) => upload.send(contents[i]!.subarray(offset, offset + MiB))));
    }
    await Promise.all(uploads.map((upload, i) => upload.send(contents[i]!.subarray(2 * MiB))));
    const replies = await Promise.all(uploads.map((upload) => upload.finish()));

    for (const [i, reply] of replies.entries()) {
      const output = reply.body.data?.addJobOutput.output as { sha256: string; size: number; downloadUrl: string };
      const expected = createHash("sha256").update(contents[i]!).digest("hex");
      expect(output).toMatchObject({ sha256: expected, size: contents[i]!.length });
      expect(await download(output.downloadUrl)).toBe(expected);
    }
  });

  it("lets one of two racing uploads of the same output win, and refuses the other", async () => {
    const { jobId } = await runningJob(templateId);
    const first = openUpload({ jobId, name: "race", type: "bin" }, api.admin.secret);
    const second = openUpload({ jobId, name: "race", type: "bin" }, api.admin.secret);
    await Promise.all([first.send(randomBytes(MiB + 1)), second.send(randomBytes(MiB + 2))]);
    const replies = await Promise.all([first.finish(), second.finish()]);
    const kinds = replies.map((r) => r.body.data?.addJobOutput.__typename).sort();
    expect(kinds).toEqual(["AddJobOutputPayload", "AlreadyExistsError"]);
    const [row] = await database.db.$queryRaw<Array<{ outputs: bigint; chunks: bigint }>>`
      select count(distinct o.id) as outputs, count(c.seq) as chunks
        from job_outputs o join job_output_chunks c on c.output_id = o.id
       where o.job_id = ${(await database.db.job.findFirstOrThrow({ where: { outputs: { some: { name: "race" } } } })).id}::uuid`;
    expect({ outputs: Number(row!.outputs), chunks: Number(row!.chunks) }).toEqual({ outputs: 1, chunks: 2 });
  });
});
