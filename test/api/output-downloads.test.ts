// Output downloads over plain HTTP (src/http/downloads.ts): routes, headers, conditional requests
// and byte ranges as RFC 9110 defines them, from each output store. PostgreSQL stores content in
// chunks of CHUNK_BYTES (and files are read in smaller pieces that divide it), so the ranges below
// start, end and cross chunk boundaries, where an off-by-one in a store would show.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHUNK_BYTES } from "../../src/db/content-store.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";
import { outputStores } from "../helpers/stores.js";
import { AddJobOutput, multipartUpload, uploadVariables } from "../helpers/uploads.js";

type Uploaded = { id: string; downloadUrl: string; sha256: string };
type Stored = Uploaded & { uuid: string; content: Buffer; etag: string; lastModified: string };

const sha256 = (bytes: Uint8Array, encoding: "hex" | "base64") => createHash("sha256").update(bytes).digest(encoding);
const bytesOf = async (response: Response) => Buffer.from(await response.arrayBuffer());

/**
 * A response's status. Its body, not read, is cancelled, as a client that wants no more does, so
 * that the store lets go of the content rather than leave a file for the garbage collector to close.
 */
async function statusOf(response: Promise<Response>): Promise<number> {
  const answered = await response;
  await answered.body?.cancel();
  return answered.status;
}

describe.each(outputStores())("output downloads ($name store)", (store) => {
  let database: TestDatabase;
  let api: TestApi;
  let jobId: string;
  let jobNumber: bigint;
  /** 2.5 chunks of random bytes: two full chunks and a half one. */
  let model: Stored;
  let empty: Stored;
  /** A non-ASCII name, served with the content type it was uploaded with. */
  let resume: Stored;

  async function upload(name: string, type: string, content: Buffer, contentType?: string): Promise<Stored> {
    const { contentType: multipart, body } = multipartUpload(
      { query: AddJobOutput, variables: uploadVariables({ jobId: encodeGlobalId("Job", jobId), name, type, contentType: contentType ?? null }) },
      content,
    );
    const response = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": multipart, "graphql-preflight": "1" },
      body,
      duplex: "half",
    } as RequestInit);
    const output = ((await response.json()) as { data: { addJobOutput: { output: Uploaded } } }).data.addJobOutput.output;
    const uuid = output.downloadUrl.slice("/outputs/".length);
    const row = await database.db.jobOutput.findUniqueOrThrow({ where: { id: uuid }, select: { createdAt: true } });
    // HTTP dates carry whole seconds.
    const lastModified = new Date(Math.floor(row.createdAt.getTime() / 1000) * 1000).toUTCString();
    return { ...output, uuid, content, etag: `"${output.sha256}"`, lastModified };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, store.options);
    const template = await createTemplate(database.db);
    [jobId] = (await createJobs(database.db, template.id, 1)) as [string];
    jobNumber = (await database.db.job.findUniqueOrThrow({ where: { id: jobId }, select: { number: true } })).number;
    model = await upload("model", "onnx", randomBytes(2 * CHUNK_BYTES + CHUNK_BYTES / 2));
    empty = await upload("empty", "txt", Buffer.alloc(0));
    resume = await upload("résumé", "json", Buffer.from('{"name":"Zoë"}'), "application/json");
  });

  afterAll(() => api.app.stop());

  describe("GET /outputs/{id}", () => {
    it("serves the whole content with its metadata", async () => {
      const response = await api.fetch(model.downloadUrl);
      expect(response.status).toBe(200);
      expect(sha256(model.content, "hex")).toBe(model.sha256);
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
      expect(Object.fromEntries(response.headers)).toMatchObject({
        etag: model.etag,
        "last-modified": model.lastModified,
        "accept-ranges": "bytes",
        "content-type": "application/octet-stream",
        "content-length": String(model.content.length),
        "content-disposition": `attachment; filename="model.onnx"; filename*=UTF-8''model.onnx`,
        // Computed here from the bytes sent, not from the sha256 the server stored.
        "repr-digest": `sha-256=:${sha256(model.content, "base64")}:`,
        "x-content-type-options": "nosniff",
        "cache-control": "private, max-age=31536000, immutable",
      });
      expect(response.headers.get("content-security-policy")).toMatch(/\bsandbox\b/);
    });

    it("accepts the output's global ID, URL-encoded, as well as its UUID", async () => {
      const response = await api.fetch(`/outputs/${encodeURIComponent(model.id)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("etag")).toBe(model.etag);
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
    });

    it("serves a zero-byte output as an empty 200", async () => {
      const response = await api.fetch(empty.downloadUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe("0");
      expect(response.headers.get("etag")).toBe(`"${sha256(Buffer.alloc(0), "hex")}"`);
      expect(await bytesOf(response)).toHaveLength(0);
    });

    it("serves a non-ASCII name with an ASCII fallback file name and the stored content type", async () => {
      const response = await api.fetch(resume.downloadUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="r_sum_.json"; filename*=UTF-8''r%C3%A9sum%C3%A9.json`);
      expect(await response.json()).toEqual({ name: "Zoë" });
    });

    it("percent-encodes the characters RFC 8187 leaves out of filename*", async () => {
      // attr-char excludes ' ( ) *, which encodeURIComponent leaves as they are; "'" is the very
      // delimiter of charset'language'value.
      const quoted = await upload("it's (final)", "txt", Buffer.from("done"));
      const response = await api.fetch(quoted.downloadUrl);
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="it's (final).txt"; filename*=UTF-8''it%27s%20%28final%29.txt`);
      expect((await bytesOf(response)).toString()).toBe("done");
    });

    it("answers HEAD with the headers of a GET and no body", async () => {
      const response = await api.fetch(model.downloadUrl, { method: "HEAD" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe(String(model.content.length));
      expect(response.headers.get("etag")).toBe(model.etag);
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="model.onnx"; filename*=UTF-8''model.onnx`);
      expect(await bytesOf(response)).toHaveLength(0);
    });
  });

  describe("Range", () => {
    const size = 2 * CHUNK_BYTES + CHUNK_BYTES / 2;
    const last = size - 1;
    // [Range, first byte, last byte] of a 206.
    const satisfiable: [string, number, number][] = [
      ["bytes=0-0", 0, 0],
      ["bytes=0-99", 0, 99],
      [`bytes=${CHUNK_BYTES - 5}-${CHUNK_BYTES + 4}`, CHUNK_BYTES - 5, CHUNK_BYTES + 4],
      [`bytes=${CHUNK_BYTES - 1}-${CHUNK_BYTES}`, CHUNK_BYTES - 1, CHUNK_BYTES],
      [`bytes=${CHUNK_BYTES}-${2 * CHUNK_BYTES - 1}`, CHUNK_BYTES, 2 * CHUNK_BYTES - 1],
      [`bytes=1000-${last - 1000}`, 1000, last - 1000],
      [`bytes=${2 * CHUNK_BYTES + 100}-${2 * CHUNK_BYTES + 199}`, 2 * CHUNK_BYTES + 100, 2 * CHUNK_BYTES + 199],
      [`bytes=${CHUNK_BYTES + 7}-`, CHUNK_BYTES + 7, last],
      [`bytes=${last}-${last}`, last, last],
      [`bytes=${last - 9}-${size + 1000}`, last - 9, last],
      ["bytes=-1", last, last],
      ["bytes=-1000", size - 1000, last],
      [`bytes=-${CHUNK_BYTES + 1}`, size - CHUNK_BYTES - 1, last],
      [`bytes=-${size * 2}`, 0, last],
      [`Bytes=5-9`, 5, 9],
    ];

    it.each(satisfiable)("%s → 206 with bytes %i-%i", async (range, start, end) => {
      const response = await api.fetch(model.downloadUrl, { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
      expect(response.headers.get("content-length")).toBe(String(end - start + 1));
      expect(response.headers.get("etag")).toBe(model.etag);
      expect((await bytesOf(response)).equals(model.content.subarray(start, end + 1))).toBe(true);
    });

    it.each([`bytes=${size}-`, `bytes=${size + 5}-${size + 10}`, "bytes=-0"])("%s → 416", async (range) => {
      const response = await api.fetch(model.downloadUrl, { headers: { range } });
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe(`bytes */${size}`);
      expect(await bytesOf(response)).toHaveLength(0);
    });

    it.each(["bytes=0-", "bytes=-1"])("%s of a zero-byte output → 416", async (range) => {
      const response = await api.fetch(empty.downloadUrl, { headers: { range } });
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe("bytes */0");
    });

    // Several ranges would need multipart/byteranges; RFC 9110 lets a server send everything instead,
    // and it must ignore a range unit it does not know.
    it.each(["bytes=0-9,20-29", `bytes=0-0, ${last}-${last}`, "items=0-9"])("%s → the whole content as 200", async (range) => {
      const response = await api.fetch(model.downloadUrl, { headers: { range } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-range")).toBeNull();
      expect(response.headers.get("content-length")).toBe(String(size));
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
    });

    it("is ignored by HEAD, for which RFC 9110 defines no ranges", async () => {
      const response = await api.fetch(model.downloadUrl, { method: "HEAD", headers: { range: "bytes=0-9" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe(String(size));
    });
  });

  describe("conditional requests", () => {
    const get = (headers: Record<string, string>, method = "GET") => api.fetch(model.downloadUrl, { method, headers });
    const before = () => new Date(Date.parse(model.lastModified) - 1000).toUTCString();
    // Now rather than a fixed step ahead: a date in the future is no valid If-Modified-Since.
    const after = () => new Date().toUTCString();

    it.each([
      ["the ETag", () => model.etag],
      ["the weak form of the ETag", () => `W/${model.etag}`],
      ["a list holding the ETag", () => `"other", ${model.etag}`],
      ["*", () => "*"],
    ])("If-None-Match with %s → 304 with the ETag and no body", async (_, tag) => {
      const response = await get({ "if-none-match": tag() });
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(model.etag);
      expect(response.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
      expect(await bytesOf(response)).toHaveLength(0);
    });

    it("If-None-Match with another tag → 200 with the content", async () => {
      const response = await get({ "if-none-match": `"${"0".repeat(64)}"` });
      expect(response.status).toBe(200);
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
    });

    it("If-None-Match answers HEAD too", async () => {
      expect(await statusOf(get({ "if-none-match": model.etag }, "HEAD"))).toBe(304);
    });

    it("If-Match compares strongly: another or a weak tag → 412, the ETag → 200", async () => {
      expect(await statusOf(get({ "if-match": '"other"' }))).toBe(412);
      expect(await statusOf(get({ "if-match": `W/${model.etag}` }))).toBe(412);
      const response = await get({ "if-match": model.etag });
      expect(response.status).toBe(200);
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
    });

    it("If-Unmodified-Since before Last-Modified → 412, at it → 200", async () => {
      expect(await statusOf(get({ "if-unmodified-since": before() }))).toBe(412);
      expect(await statusOf(get({ "if-unmodified-since": model.lastModified }))).toBe(200);
    });

    it("If-Modified-Since at or after Last-Modified → 304, before it → 200", async () => {
      expect(await statusOf(get({ "if-modified-since": model.lastModified }))).toBe(304);
      expect(await statusOf(get({ "if-modified-since": after() }))).toBe(304);
      expect(await statusOf(get({ "if-modified-since": before() }))).toBe(200);
    });

    it("If-None-Match overrides If-Modified-Since", async () => {
      // RFC 9110 13.2.2: If-Modified-Since is evaluated only when If-None-Match is absent.
      expect(await statusOf(get({ "if-none-match": '"other"', "if-modified-since": after() }))).toBe(200);
    });

    it.each([
      ["the ETag", 206, () => model.etag],
      ["the Last-Modified date", 206, () => model.lastModified],
      ["another tag", 200, () => '"other"'],
      ["the weak form of the ETag", 200, () => `W/${model.etag}`],
      ["an earlier date", 200, before],
    ])("If-Range with %s → %i", async (_, status, validator) => {
      const response = await get({ range: `bytes=${CHUNK_BYTES - 2}-${CHUNK_BYTES + 1}`, "if-range": validator() });
      expect(response.status).toBe(status);
      const expected = status === 206 ? model.content.subarray(CHUNK_BYTES - 2, CHUNK_BYTES + 2) : model.content;
      expect((await bytesOf(response)).equals(expected)).toBe(true);
    });
  });

  describe("GET /jobs/{jobId}/outputs/{name}/{type}", () => {
    it.each([
      ["UUID", () => jobId],
      ["global ID", () => encodeURIComponent(encodeGlobalId("Job", jobId))],
      ["number", () => String(jobNumber)],
    ])("finds the job by its %s", async (_, job) => {
      const response = await api.fetch(`/jobs/${job()}/outputs/model/onnx`);
      expect(response.status).toBe(200);
      expect(response.headers.get("etag")).toBe(model.etag);
      // The name may later stand for a replacement, so caches must revalidate.
      expect(response.headers.get("cache-control")).toBe("private, no-cache");
      expect((await bytesOf(response)).equals(model.content)).toBe(true);
    });

    it("takes URL-encoded names", async () => {
      const response = await api.fetch(`/jobs/${jobId}/outputs/${encodeURIComponent("résumé")}/json`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: "Zoë" });
    });

    it("serves ranges and HEAD by name as well", async () => {
      const range = await api.fetch(`/jobs/${jobNumber}/outputs/model/onnx`, { headers: { range: `bytes=${2 * CHUNK_BYTES - 3}-${2 * CHUNK_BYTES + 2}` } });
      expect(range.status).toBe(206);
      expect((await bytesOf(range)).equals(model.content.subarray(2 * CHUNK_BYTES - 3, 2 * CHUNK_BYTES + 3))).toBe(true);
      const head = await api.fetch(`/jobs/${jobNumber}/outputs/model/onnx`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(model.content.length));
      expect(await bytesOf(head)).toHaveLength(0);
    });

    it("describes the output at /info", async () => {
      const row = await database.db.jobOutput.findUniqueOrThrow({ where: { id: resume.uuid } });
      const response = await api.fetch(`/jobs/${jobNumber}/outputs/${encodeURIComponent("résumé")}/json/info`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({
        id: resume.uuid,
        jobId,
        name: "résumé",
        type: "json",
        size: resume.content.length,
        sha256: sha256(resume.content, "hex"),
        contentType: "application/json",
        createdAt: row.createdAt.toISOString(),
        downloadUrl: resume.downloadUrl,
      });
    });

    it("answers HEAD at /info like GET, without a body", async () => {
      // RFC 9110 9.1: a general-purpose server MUST support HEAD wherever it supports GET.
      const response = await api.fetch(`/jobs/${jobId}/outputs/model/onnx/info`, { method: "HEAD" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await bytesOf(response)).toHaveLength(0);
    });
  });

  describe("refusals", () => {
    it.each([
      ["an unknown output UUID", () => "/outputs/00000000-0000-4000-8000-000000000000"],
      ["a garbage output id", () => "/outputs/not-an-id"],
      ["a malformed percent-escape", () => "/outputs/%ZZ"],
      ["a global ID of another type", () => `/outputs/${encodeURIComponent(encodeGlobalId("Job", model.uuid))}`],
      ["an unknown name", () => `/jobs/${jobId}/outputs/nothing/onnx`],
      ["an unknown type", () => `/jobs/${jobId}/outputs/model/json`],
      ["an unknown job number", () => `/jobs/${jobNumber + 1000n}/outputs/model/onnx`],
      ["an output's global ID as the job", () => `/jobs/${encodeURIComponent(model.id)}/outputs/model/onnx`],
      ["info of an unknown output", () => `/jobs/${jobId}/outputs/nothing/onnx/info`],
    ])("404 for %s", async (_, path) => {
      const response = await api.fetch(path());
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "no such output" });
    });

    it.each([
      ["no token", null],
      ["an unknown token", "jgu_nonsense"],
    ])("401 with WWW-Authenticate for %s, before saying whether the output exists", async (_, token) => {
      for (const path of [model.downloadUrl, "/outputs/00000000-0000-4000-8000-000000000000", `/jobs/${jobId}/outputs/model/onnx/info`]) {
        const response = await api.fetch(path, {}, { token });
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      }
    });

    it("401 for a revoked token", async () => {
      const user = await createTestUser(database.db);
      await database.db.apiToken.update({ where: { id: user.tokenId }, data: { revokedAt: new Date() } });
      expect(await statusOf(api.fetch(model.downloadUrl, {}, { token: user.secret }))).toBe(401);
    });

    it.each(["POST", "DELETE", "PUT"])("405 with Allow for %s", async (method) => {
      for (const path of [model.downloadUrl, `/jobs/${jobId}/outputs/model/onnx`]) {
        const response = await api.fetch(path, { method });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("GET, HEAD");
      }
      const info = await api.fetch(`/jobs/${jobId}/outputs/model/onnx/info`, { method });
      expect(info.status).toBe(405);
      expect(info.headers.get("allow")).toMatch(/\bGET\b/);
    });
  });

  describe("who may download", () => {
    it("any authenticated caller: a plain user and a worker node holding no job", async () => {
      const user = await createTestUser(database.db, "USER");
      const node = await createTestNode(database.db);
      for (const token of [user.secret, node.secret]) {
        const response = await api.fetch(model.downloadUrl, { headers: { range: "bytes=0-15" } }, { token });
        expect(response.status).toBe(206);
        expect((await bytesOf(response)).equals(model.content.subarray(0, 16))).toBe(true);
        expect(await statusOf(api.fetch(`/jobs/${jobId}/outputs/model/onnx/info`, {}, { token }))).toBe(200);
      }
    });
  });

  describe("over a real HTTP server", () => {
    it("keeps Content-Length and bodies through Node's HTTP layer, and sends HEAD without a body", async () => {
      const address = await api.app.start(0);
      const url = `http://127.0.0.1:${address.port}${model.downloadUrl}`;
      const authorization = `Bearer ${api.admin.secret}`;

      const whole = await fetch(url, { headers: { authorization } });
      expect(whole.status).toBe(200);
      expect(whole.headers.get("content-length")).toBe(String(model.content.length));
      expect((await bytesOf(whole)).equals(model.content)).toBe(true);

      const part = await fetch(url, { headers: { authorization, range: `bytes=${CHUNK_BYTES - 10}-${CHUNK_BYTES + 9}` } });
      expect(part.status).toBe(206);
      expect(part.headers.get("content-length")).toBe("20");
      expect(part.headers.get("content-range")).toBe(`bytes ${CHUNK_BYTES - 10}-${CHUNK_BYTES + 9}/${model.content.length}`);
      expect((await bytesOf(part)).equals(model.content.subarray(CHUNK_BYTES - 10, CHUNK_BYTES + 10))).toBe(true);

      const head = await fetch(url, { method: "HEAD", headers: { authorization } });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(model.content.length));
      expect(await bytesOf(head)).toHaveLength(0);
    });
  });
});
