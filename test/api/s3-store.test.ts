// The S3 output store against a real S3-compatible server (s3rver), beyond what every store is
// tested for (test/api/outputs.test.ts and the other files of test/helpers/stores.ts's
// outputStores): a bucket that fails mid-upload or is down, downloads redirected to presigned
// URLs, the housekeeping of what nothing names, and the gateway process set up as docs/deploy.md
// says.
import { createHash, randomBytes } from "node:crypto";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultLimits, type S3StoreConfig } from "../../src/config.js";
import { createContentPool } from "../../src/db/content-store.js";
import { S3ContentStore } from "../../src/db/s3-store.js";
import { ABANDONED_UPLOAD_SECONDS, removeContentOfRemovedOutputs, sweepLeftoverContent, type OutputStorage } from "../../src/domain/outputs.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { ageObject, failingProxy, S3RVER_CREDENTIALS, TEST_BUCKET, type FailingProxy } from "../helpers/s3.js";
import { graphql, runServerToExit, startServer } from "../helpers/server-process.js";
import { s3Settings, s3TestClient } from "../helpers/stores.js";
import { AddJobOutput, multipartUpload, uploadVariables } from "../helpers/uploads.js";

const MiB = 1024 * 1024;

let database: TestDatabase;
let templateId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  templateId = (await createTemplate(database.db, "s3")).id;
});

/** A new job's global ID. */
async function newJob(): Promise<string> {
  const [id] = (await createJobs(database.db, templateId, 1)) as [string];
  return encodeGlobalId("Job", id);
}

type AddAnswer = { __typename: string; message?: string; retryAfterSeconds?: number; output?: { id: string; size: number; sha256: string } };

async function add(api: TestApi, jobId: string, name: string, content: Uint8Array): Promise<AddAnswer> {
  const { contentType, body } = multipartUpload({ query: AddJobOutput, variables: uploadVariables({ jobId, name, type: "bin" }) }, content);
  const response = await api.fetch("/graphql", { method: "POST", headers: { "content-type": contentType, "graphql-preflight": "1" }, body, duplex: "half" } as RequestInit);
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { data: { addJobOutput: AddAnswer }; errors?: unknown };
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  return answer.data.addJobOutput;
}

function sha256(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

async function objectExists(settings: S3StoreConfig, outputId: string): Promise<boolean> {
  const client = s3TestClient();
  try {
    await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}${outputId}` }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  } finally {
    client.destroy();
  }
}

describe("an S3 store that fails", () => {
  let proxy: FailingProxy;
  let settings: S3StoreConfig;
  let api: TestApi;

  beforeAll(async () => {
    proxy = await failingProxy(inject("s3Endpoint"));
    settings = s3Settings({ endpoint: proxy.endpoint });
    api = await createTestApi(database, { outputStore: { kind: "s3", ...settings } });
  });
  afterAll(async () => {
    await api.app.stop();
    await proxy.stop();
  });

  it("mid-upload: the client is answered BusyError, nothing is stored and the multipart upload is aborted; a retry then succeeds", async () => {
    const jobId = await newJob();
    // Three parts of 5 MiB: the connection of every part but the first is cut as it is sent.
    const content = randomBytes(12 * MiB);
    proxy.failParts = true;
    proxy.seen.length = 0;
    const failed = await add(api, jobId, "big", content);
    expect(failed).toMatchObject({ __typename: "BusyError", retryAfterSeconds: 5 });
    expect(failed.message).toMatch(/output store did not take the content; nothing was stored/);
    expect(await database.db.jobOutput.count({ where: { jobId: decodeGlobalId(jobId).id } })).toBe(0);
    expect(await database.db.outputUpload.count({ where: { jobId: decodeGlobalId(jobId).id } })).toBe(0);
    expect(proxy.seen.some((request) => request.startsWith("DELETE ") && request.includes("uploadId="))).toBe(true);
    expect(proxy.seen.some((request) => request.startsWith("POST ") && request.includes("uploadId="))).toBe(false);

    proxy.failParts = false;
    const added = await add(api, jobId, "big", content);
    expect(added).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: 12 * MiB, sha256: sha256(content) } });
    const download = await api.fetch(`/outputs/${added.output!.id}`);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(content));
    const range = await api.fetch(`/outputs/${added.output!.id}`, { headers: { range: `bytes=${5 * MiB - 2}-${5 * MiB + 1}` } });
    expect(range.status).toBe(206);
    expect([...new Uint8Array(await range.arrayBuffer())]).toEqual([...content.subarray(5 * MiB - 2, 5 * MiB + 2)]);
  });

  it("down: uploads are answered BusyError and downloads 503 with Retry-After; both work again once it is back", async () => {
    const jobId = await newJob();
    const content = randomBytes(1000);
    const stored = await add(api, jobId, "small", content);
    expect(stored.__typename).toBe("AddJobOutputPayload");

    proxy.down = true;
    try {
      expect(await add(api, jobId, "other", randomBytes(1000))).toMatchObject({ __typename: "BusyError", retryAfterSeconds: 5 });
      const download = await api.fetch(`/outputs/${stored.output!.id}`);
      expect(download.status).toBe(503);
      expect(download.headers.get("retry-after")).toBe("5");
      expect(await download.json()).toEqual({ error: "the output store did not answer; retry in 5 seconds or later" });
      // What the gateway answers from the output's row alone does not need the store.
      expect((await api.fetch(`/outputs/${stored.output!.id}`, { method: "HEAD" })).status).toBe(200);
    } finally {
      proxy.down = false;
    }
    expect(await database.db.jobOutput.count({ where: { jobId: decodeGlobalId(jobId).id } })).toBe(1);
    expect(new Uint8Array(await (await api.fetch(`/outputs/${stored.output!.id}`)).arrayBuffer())).toEqual(new Uint8Array(content));
  });

  it("aborts the multipart uploads a killed gateway left open once they are old, and not those of uploads under way", async () => {
    const pool = createContentPool(database.url, 2);
    const storage: OutputStorage = { pool, store: new S3ContentStore(settings, pool, defaultLimits.maxOutputBytes), maxOutputBytes: defaultLimits.maxOutputBytes };
    const [leftover, finished, live, young] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    // A long upload of a live gateway: begun long ago, still listed as under way.
    await database.pool.query("insert into output_uploads (id, job_id) values ($1, $2)", [live, decodeGlobalId(await newJob()).id]);
    const longAgo = new Date(Date.now() - (ABANDONED_UPLOAD_SECONDS + 60) * 1000);
    proxy.openUploads = [
      { key: `${settings.prefix}${leftover}`, uploadId: "left-open", initiated: longAgo },
      { key: `${settings.prefix}${finished}`, uploadId: "gone-since", initiated: longAgo, gone: true },
      { key: `${settings.prefix}${live}`, uploadId: "under-way", initiated: longAgo },
      { key: `${settings.prefix}${young}`, uploadId: "just-begun", initiated: new Date() },
    ];
    proxy.seen.length = 0;
    try {
      // An upload completed or aborted since it was listed answers NoSuchUpload: no failure.
      expect(await sweepLeftoverContent(storage)).toBe(2);
      const aborts = proxy.seen.filter((request) => request.startsWith("DELETE ") && request.includes("uploadId=")).sort();
      expect(aborts).toEqual(
        [
          `DELETE /${TEST_BUCKET}/${settings.prefix}${leftover}?uploadId=left-open&x-id=AbortMultipartUpload`,
          `DELETE /${TEST_BUCKET}/${settings.prefix}${finished}?uploadId=gone-since&x-id=AbortMultipartUpload`,
        ].sort(),
      );
    } finally {
      proxy.openUploads = [];
      storage.store.close?.();
      await pool.end();
    }
  });
});

describe("downloads redirected to presigned URLs", () => {
  let api: TestApi;
  let output: { id: string };
  const content = randomBytes(100_000);

  beforeAll(async () => {
    api = await createTestApi(database, { outputStore: { kind: "s3", ...s3Settings({ presignSeconds: 300 }) } });
    const added = await add(api, await newJob(), "report.json", content);
    output = added.output!;
  });
  afterAll(() => api.app.stop());

  it("sends a GET to the bucket with the gateway's headers; the content, and a range of it, come from there", async () => {
    const redirect = await api.fetch(`/outputs/${output.id}`, { redirect: "manual" });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get("cache-control")).toBe("private, no-store");
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(inject("s3Endpoint"))).toBe(true);
    expect(location).toContain("X-Amz-Expires=300");

    const whole = await fetch(location);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("application/octet-stream");
    expect(whole.headers.get("content-disposition")).toBe(`attachment; filename="report.json.bin"; filename*=UTF-8''report.json.bin`);
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(content));

    const part = await fetch(location, { headers: { range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([...content.subarray(10, 20)]);
  });

  it("answers 503 with Retry-After when the credentials to sign with cannot be had for now", async () => {
    const settings = s3Settings({ presignSeconds: 300 });
    const writer = await createTestApi(database, { outputStore: { kind: "s3", ...settings } });
    const failing = await createTestApi(database, {
      outputStore: {
        kind: "s3",
        ...settings,
        credentials: (async () => {
          throw new Error("the instance metadata service did not answer");
        }) as never,
      },
    });
    try {
      const added = await add(writer, await newJob(), "signed-later.json", randomBytes(1000));
      const answer = await failing.fetch(`/outputs/${added.output!.id}`, { redirect: "manual" });
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(await answer.json()).toEqual({ error: "the output store did not answer; retry in 5 seconds or later" });
      expect((await writer.fetch(`/outputs/${added.output!.id}`, { redirect: "manual" })).status).toBe(307);
    } finally {
      await writer.app.stop();
      await failing.app.stop();
    }
  });

  it("still asks for a token, and answers conditions and HEAD itself", async () => {
    expect((await api.fetch(`/outputs/${output.id}`, { redirect: "manual" }, { token: null })).status).toBe(401);
    const head = await api.fetch(`/outputs/${output.id}`, { method: "HEAD", redirect: "manual" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(content.length));
    const etag = head.headers.get("etag")!;
    expect((await api.fetch(`/outputs/${output.id}`, { headers: { "if-none-match": etag }, redirect: "manual" })).status).toBe(304);
    expect((await api.fetch(`/outputs/${output.id}`, { headers: { "if-match": '"other"' }, redirect: "manual" })).status).toBe(412);
  });
});

describe("the S3 store's housekeeping", () => {
  let settings: S3StoreConfig;
  let storage: OutputStorage;
  let api: TestApi;

  beforeAll(async () => {
    settings = s3Settings();
    api = await createTestApi(database, { outputStore: { kind: "s3", ...settings } });
    const pool = createContentPool(database.url, 2);
    storage = { pool, store: new S3ContentStore(settings, pool, defaultLimits.maxOutputBytes), maxOutputBytes: defaultLimits.maxOutputBytes };
  });
  afterAll(async () => {
    await api.app.stop();
    storage.store.close?.();
    await storage.pool.end();
  });

  it("deletes objects under its prefix that nothing names once they are old, and nothing else", async () => {
    const client = s3TestClient();
    const put = (key: string) => client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key, Body: "x" }));
    const orphan = crypto.randomUUID();
    const fresh = crypto.randomUUID();
    await put(`${settings.prefix}${orphan}`);
    await put(`${settings.prefix}${fresh}`);
    // Not an output's: another application's object under the same prefix, and another prefix's.
    await put(`${settings.prefix}notes.txt`);
    const elsewhere = `other-${crypto.randomUUID()}/${crypto.randomUUID()}`;
    await put(elsewhere);
    const kept = decodeGlobalId((await add(api, await newJob(), "kept", randomBytes(10))).output!.id).id;
    const old = ABANDONED_UPLOAD_SECONDS + 60;
    for (const key of [`${settings.prefix}${orphan}`, `${settings.prefix}notes.txt`, elsewhere, `${settings.prefix}${kept}`]) {
      ageObject(inject("s3Directory"), TEST_BUCKET, key, old);
    }
    client.destroy();

    expect(await sweepLeftoverContent(storage)).toBe(1);
    expect(await objectExists(settings, orphan)).toBe(false);
    expect(await objectExists(settings, fresh)).toBe(true);
    expect(await objectExists(settings, kept)).toBe(true);
    expect(await objectExists({ ...settings, prefix: "" }, `${settings.prefix}notes.txt`)).toBe(true);
    expect(await objectExists({ ...settings, prefix: "" }, elsewhere)).toBe(true);
  });

  it("is run by two instances at once over one bucket without an error, each orphan deleted and every output's object kept", async () => {
    const pool = createContentPool(database.url, 2);
    const other: OutputStorage = { pool, store: new S3ContentStore(settings, pool, defaultLimits.maxOutputBytes), maxOutputBytes: defaultLimits.maxOutputBytes };
    try {
      const client = s3TestClient();
      const orphans = Array.from({ length: 30 }, () => crypto.randomUUID());
      for (const orphan of orphans) await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${settings.prefix}${orphan}`, Body: "x" }));
      client.destroy();
      const outputs: string[] = [];
      for (let i = 0; i < 5; i++) outputs.push(decodeGlobalId((await add(api, await newJob(), `shared-${i}`, randomBytes(10))).output!.id).id);
      for (const key of [...orphans, ...outputs]) ageObject(inject("s3Directory"), TEST_BUCKET, `${settings.prefix}${key}`, ABANDONED_UPLOAD_SECONDS + 60);
      // Both list the same page and race to delete the same objects; deleting one already gone succeeds.
      const swept = await Promise.all([sweepLeftoverContent(storage), sweepLeftoverContent(other)]);
      expect(swept[0] + swept[1]).toBeGreaterThanOrEqual(orphans.length);
      for (const orphan of orphans) expect(await objectExists(settings, orphan)).toBe(false);
      for (const output of outputs) expect(await objectExists(settings, output)).toBe(true);
    } finally {
      other.store.close?.();
      await pool.end();
    }
  });

  it("deletes an output's object when the output is deleted", async () => {
    const id = decodeGlobalId((await add(api, await newJob(), "gone", randomBytes(10))).output!.id).id;
    expect(await objectExists(settings, id)).toBe(true);
    await database.pool.query("delete from job_outputs where id = $1", [id]);
    expect(await removeContentOfRemovedOutputs(storage)).toBe(1);
    expect(await objectExists(settings, id)).toBe(false);
  });
});

describe("the gateway process on an S3 store", () => {
  it("serves uploads and downloads with the bucket, prefix and endpoint of docs/deploy.md's settings, and credentials from the AWS variables", async () => {
    const prefix = `process-${crypto.randomUUID()}/`;
    const server = await startServer({
      JOBGRAPH_OUTPUT_STORE: "s3",
      JOBGRAPH_S3_BUCKET: TEST_BUCKET,
      JOBGRAPH_S3_PREFIX: prefix,
      JOBGRAPH_S3_ENDPOINT: inject("s3Endpoint"),
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      JOBGRAPH_ADMIN_TOKEN: "s3-process-admin-token-0123456789",
    });
    try {
      const token = "s3-process-admin-token-0123456789";
      // The demo data's outputs went to the bucket with the rest.
      const { jobs } = await graphql<{ jobs: { edges: Array<{ node: { id: string; outputs: { edges: Array<{ node: { id: string; size: number; sha256: string } }> } } }> } }>(
        server,
        token,
        `{ jobs(first: 100) { edges { node { id outputs(first: 10) { edges { node { id size sha256 } } } } } } }`,
      );
      const seeded = jobs.edges.flatMap((job) => job.node.outputs.edges.map((edge) => edge.node));
      expect(seeded.length).toBeGreaterThan(0);
      for (const output of seeded) {
        expect(await objectExists({ ...s3Settings(), prefix }, decodeGlobalId(output.id).id)).toBe(true);
        const download = await fetch(`${server.baseUrl}/outputs/${output.id}`, { headers: { authorization: `Bearer ${token}` } });
        expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(output.sha256);
      }

      const content = randomBytes(6 * MiB);
      const { contentType, body } = multipartUpload({ query: AddJobOutput, variables: uploadVariables({ jobId: jobs.edges[0]!.node.id, name: "data", type: "bin" }) }, content);
      const response = await fetch(server.graphqlUrl, {
        method: "POST",
        headers: { "content-type": contentType, "graphql-preflight": "1", authorization: `Bearer ${token}` },
        body,
        duplex: "half",
      } as RequestInit);
      const added = ((await response.json()) as { data: { addJobOutput: AddAnswer } }).data.addJobOutput;
      expect(added).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: 6 * MiB, sha256: sha256(content) } });
      expect(await objectExists({ ...s3Settings(), prefix }, decodeGlobalId(added.output!.id).id)).toBe(true);
      const download = await fetch(`${server.baseUrl}/outputs/${added.output!.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(content));
    } finally {
      await server.dispose();
    }
    // A process of its own, with its own embedded PostgreSQL, seeded.
  }, 120_000);

  it("refuses to start, saying why, when the bucket cannot be used", async () => {
    const { code, stderr, stdout } = await runServerToExit({
      JOBGRAPH_OUTPUT_STORE: "s3",
      JOBGRAPH_S3_BUCKET: "no-such-bucket",
      JOBGRAPH_S3_ENDPOINT: inject("s3Endpoint"),
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
    expect(code).not.toBe(0);
    expect(stderr + stdout).toContain(`the output bucket no-such-bucket at ${inject("s3Endpoint")} cannot be used: it does not exist`);
  }, 60_000);
});
