// Uploads over a real HTTP connection, held open mid-stream: what the gateway does while content
// is still arriving, when the client goes away, and when uploads run side by side.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import http from "node:http";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";
import { outputStores, type StoreUnderTest } from "../helpers/stores.js";
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

/** Where a symbolic link points, or undefined once it is gone (a descriptor closed meanwhile). */
function readlinkOr(link: string): string | undefined {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
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

/** The gateway's output connections to this test's database, with their state (active, idle, idle in transaction). */
async function outputConnections(): Promise<Array<{ state: string; query: string }>> {
  return database.db.$queryRaw<Array<{ state: string; query: string }>>`
    select state, query from pg_stat_activity where application_name = 'jobgraph-outputs' and datname = current_database()`;
}

/**
 * Waits until the gateway has stored at least `bytes` bytes of uploads still in progress; in a
 * store that shows nothing of an upload until it is whole (S3), until an upload has begun.
 */
async function bytesWritten(store: StoreUnderTest, bytes: number) {
  if (!store.showsPartialUploads) {
    await eventually(() => database.db.outputUpload.count(), (n) => n > 0, "an upload to begin");
    return;
  }
  await eventually(
    async () => {
      const uploads = await database.db.outputUpload.findMany({ select: { id: true } });
      let sum = 0;
      for (const { id } of uploads) sum += await store.storedBytes(database, id);
      return sum;
    },
    (sum) => sum >= bytes,
    `${bytes} bytes to be stored`,
  );
}

async function stored(store: StoreUnderTest) {
  const [row] = await database.db.$queryRaw<Array<{ outputs: bigint; uploads: bigint; added: bigint }>>`
    select (select count(*) from job_outputs) as outputs, (select count(*) from output_uploads) as uploads,
           (select count(*) from job_events where kind = 'OUTPUT_ADDED') as added`;
  return { outputs: Number(row!.outputs), contents: (await store.storedIds(database)).length, uploads: Number(row!.uploads), added: Number(row!.added) };
}

/** Content that belongs to no output and no upload in progress, and is not due for removal: what nothing would ever remove. */
async function orphanContent(store: StoreUnderTest): Promise<string[]> {
  const ids = await store.storedIds(database);
  const { rows } = await database.pool.query<{ id: string }>(
    `select id::text from unnest($1::uuid[]) as s(id)
      where not exists (select 1 from job_outputs o where o.id = s.id)
        and not exists (select 1 from output_uploads u where u.id = s.id)
        and not exists (select 1 from output_removals r where r.output_id = s.id)`,
    [ids],
  );
  return rows.map((r) => r.id);
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

const stores = outputStores();

beforeAll(async () => {
  database = await createTestDatabase();
});

describe.each(stores)("uploads in flight ($name store)", (store) => {
  let templateId: string;

  beforeAll(async () => {
    api = await createTestApi(database, store.options);
    port = (await api.app.start(0)).port;
    templateId = (await createTemplate(database.db, `in-flight-${store.name}`)).id;
  });
  afterAll(() => api.app.stop());

  it("leaves nothing behind when the client goes away mid-upload, and the name stays free", async () => {
    const { jobId, id, node, lease } = await runningJob(templateId);
    const version = (await database.db.job.findUniqueOrThrow({ where: { id } })).version;
    const before = await stored(store);
    const upload = openUpload({ jobId, name: "model", type: "onnx", leaseToken: lease }, node.secret);
    await upload.send(randomBytes(3 * MiB));
    await bytesWritten(store, 2 * MiB);
    upload.cut();

    // Once the server notices, the upload's listing and the content it wrote go.
    expect(await eventually(() => stored(store), (s) => s.uploads === 0 && s.contents === before.contents, "the upload's listing and content to go")).toEqual(before);
    expect((await database.db.job.findUniqueOrThrow({ where: { id } })).version).toBe(version);

    const content = randomBytes(MiB + 7);
    const again = openUpload({ jobId, name: "model", type: "onnx", leaseToken: lease }, node.secret);
    await again.send(content);
    const reply = await again.finish();
    expect(reply.body.data?.addJobOutput).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: MiB + 7 } });
  });

  it("lets go of what a download holds when its client goes away midway, and serves the next one whole", async () => {
    const { jobId, node, lease } = await runningJob(templateId);
    // Larger than the sockets' buffers, so that each download is cut with most of it unsent.
    const content = randomBytes(16 * MiB);
    const upload = openUpload({ jobId, name: "cut-downloads", type: "bin", leaseToken: lease }, node.secret);
    await upload.send(content);
    const { downloadUrl } = (await upload.finish()).body.data!.addJobOutput.output as { downloadUrl: string };
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const request = http.get({ host: "127.0.0.1", port, path: downloadUrl, headers: { authorization: `Bearer ${api.admin.secret}` } }, (response) => {
          response.once("data", () => {
            request.destroy();
            resolve();
          });
        });
        request.on("error", (error) => (request.destroyed ? undefined : reject(error)));
      });
    }
    // Nothing stays open on the gateway's side: no file of the store, no connection at work.
    if (store.name === "files") {
      const folder = (store.options.outputStore as { folder: string }).folder;
      const openInStore = async () => readdirSync("/proc/self/fd").filter((fd) => (readlinkOr(`/proc/self/fd/${fd}`) ?? "").startsWith(folder)).length;
      expect(await eventually(openInStore, (n) => n === 0, "the store's files to be closed")).toBe(0);
    }
    expect(await eventually(outputConnections, (rows) => rows.every((r) => r.state !== "active"), "no output connection at work")).toSatisfy((rows: Array<{ state: string }>) =>
      rows.every((r) => r.state !== "active"),
    );
    expect(await download(downloadUrl)).toBe(createHash("sha256").update(content).digest("hex"));
  });

  it("keeps delivering other jobs' events while an upload streams, and announces the output once it is in", async () => {
    const uploading = await runningJob(templateId);
    const other = await runningJob(templateId);
    const events = await subscribeSse(api, `subscription { jobEvents { event { kind job { id } } } }`);
    try {
      const upload = openUpload({ jobId: uploading.jobId, name: "weights", type: "bin", leaseToken: uploading.lease }, uploading.node.secret);
      await upload.send(randomBytes(2 * MiB));
      await bytesWritten(store, MiB);

      // The upload is under way; a progress report of another job still comes through.
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
    const before = await stored(store);
    const upload = openUpload({ jobId, name: "late", type: "bin", leaseToken: lease }, node.secret);
    await upload.send(randomBytes(2 * MiB));
    await bytesWritten(store, MiB);
    await operate(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: jobId, lease }, node.secret);

    const reply = await upload.finish();
    expect(reply.body.data?.addJobOutput.__typename).toBe("LeaseLostError");
    expect(await stored(store)).toEqual(before);
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
    const outputs = await database.db.jobOutput.findMany({ where: { job: { id: decodeGlobalId(jobId).id } } });
    expect(outputs).toHaveLength(1);
    expect(await store.storedBytes(database, outputs[0]!.id)).toBe(Number(outputs[0]!.size));
    // The loser's content went with it.
    expect(await orphanContent(store)).toEqual([]);
    expect((await stored(store)).uploads).toBe(0);
  });

  it("holds no transaction, and no connection, while it waits for the client's next bytes", async () => {
    const { jobId, node, lease } = await runningJob(templateId);
    const upload = openUpload({ jobId, name: "slow", type: "bin", leaseToken: lease }, node.secret);
    await upload.send(randomBytes(2 * MiB + 10));
    await bytesWritten(store, 2 * MiB);
    // What came is stored, the client is quiet: every output connection is idle, none in a transaction.
    await eventually(outputConnections, (rows) => rows.every((r) => r.state === "idle"), "the output connections to be idle");
    await upload.send(randomBytes(10));
    expect((await upload.finish()).body.data?.addJobOutput).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: 2 * MiB + 20 } });
  });
});

// PostgreSQL's store: the one whose every write takes an output connection.
describe("uploads with few output connections (postgres store)", () => {
  const store = stores.find((s) => s.name === "postgres")!;
  let small: TestApi;
  let smallPort: number;
  let templateId: string;

  beforeAll(async () => {
    api = await createTestApi(database, store.options);
    port = (await api.app.start(0)).port;
    // Long enough that six uploads sharing two connections never wait it out on a machine busy
    // with the rest of the suite (500 ms once did); the BusyError test waits it out on purpose.
    small = await createTestApi(database, { ...store.options, outputPoolSize: 2, outputWaitMs: 2000 });
    smallPort = (await small.app.start(0)).port;
    templateId = (await createTemplate(database.db, "few-connections")).id;
  });
  afterAll(async () => {
    await small.app.stop();
    await api.app.stop();
  });

  /** openUpload, against the gateway with two output connections. */
  function openSmall(upload: Upload, token: string): OpenUpload {
    const saved = port;
    port = smallPort;
    try {
      return openUpload(upload, token);
    } finally {
      port = saved;
    }
  }

  it("takes three times as many uploads at once as it has output connections, each stored whole", async () => {
    const jobs = await Promise.all(Array.from({ length: 6 }, () => runningJob(templateId)));
    const contents = jobs.map((_, i) => randomBytes(3 * MiB + i * 100));
    const uploads = jobs.map((job) => openSmall({ jobId: job.jobId, name: "many", type: "bin", leaseToken: job.lease }, job.node.secret));
    for (const offset of [0, MiB, 2 * MiB]) {
      await Promise.all(uploads.map((upload, i) => upload.send(contents[i]!.subarray(offset, offset + MiB))));
    }
    await Promise.all(uploads.map((upload, i) => upload.send(contents[i]!.subarray(3 * MiB))));
    const replies = await Promise.all(uploads.map((upload) => upload.finish()));
    for (const [i, reply] of replies.entries()) {
      expect(reply.body).toMatchObject({
        data: {
          addJobOutput: {
            __typename: "AddJobOutputPayload",
            output: { size: contents[i]!.length, sha256: createHash("sha256").update(contents[i]!).digest("hex") },
          },
        },
      });
    }
    expect(await orphanContent(store)).toEqual([]);
  });

  it("answers BusyError when no output connection frees up in time, stores nothing, and serves the rest", async () => {
    const jobs = await Promise.all(Array.from({ length: 3 }, () => runningJob(templateId)));
    const before = await stored(store);
    // Chunk writes wait for this lock, each holding one of the two output connections.
    const blocker = await database.pool.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table job_output_chunks in share mode");
      const held = jobs.slice(0, 2).map((job) => openSmall({ jobId: job.jobId, name: "held", type: "bin", leaseToken: job.lease }, job.node.secret));
      await Promise.all(held.map((upload) => upload.send(randomBytes(MiB + 1))));
      await eventually(outputConnections, (rows) => rows.filter((r) => r.state === "active").length === 2, "both output connections to wait");

      const third = openSmall({ jobId: jobs[2]!.jobId, name: "turned-away", type: "bin", leaseToken: jobs[2]!.lease }, jobs[2]!.node.secret);
      await third.send(randomBytes(1000));
      const refused = await third.finish();
      expect(refused.status).toBe(200);
      expect(refused.body.data?.addJobOutput).toMatchObject({ __typename: "BusyError", retryAfterSeconds: expect.any(Number) });
      // Reads and other writes go on meanwhile.
      expect((await small.request(parse(`{ jobs(first: 1) { totalCount } }`))).errors).toBeUndefined();

      await blocker.query("commit");
      const replies = await Promise.all(held.map((upload) => upload.finish()));
      expect(replies.map((r) => r.body.data?.addJobOutput.__typename)).toEqual(["AddJobOutputPayload", "AddJobOutputPayload"]);
    } finally {
      await blocker.query("rollback").catch(() => undefined);
      blocker.release();
    }
    expect(await stored(store)).toMatchObject({ outputs: before.outputs + 2, uploads: 0 });
    expect(await orphanContent(store)).toEqual([]);
  });

  it("answers a download 503 with Retry-After when no output connection frees up in time", async () => {
    const { jobId, node, lease } = await runningJob(templateId);
    const content = randomBytes(MiB + 3);
    const upload = openSmall({ jobId, name: "wanted", type: "bin", leaseToken: lease }, node.secret);
    await upload.send(content);
    const { downloadUrl } = (await upload.finish()).body.data!.addJobOutput.output as { downloadUrl: string };
    const get = () => fetch(`http://127.0.0.1:${smallPort}${downloadUrl}`, { headers: { authorization: `Bearer ${small.admin.secret}` } });

    const blocker = await database.pool.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table job_output_chunks in access exclusive mode");
      const waiting = [get(), get()];
      await eventually(outputConnections, (rows) => rows.filter((r) => r.state === "active").length === 2, "both output connections to wait");
      const refused = await get();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      await blocker.query("commit");
      for (const response of await Promise.all(waiting)) {
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);
      }
    } finally {
      await blocker.query("rollback").catch(() => undefined);
      blocker.release();
    }
  });
});
