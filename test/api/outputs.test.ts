// Job outputs through the API: streamed multipart uploads, who may add and remove them, what is
// refused and that a refusal stores nothing, and how outputs go with resets and deletions.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { removeContentOfRemovedOutputs, type OutputStorage } from "../../src/domain/outputs.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate, type JobSpec } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { outputStores } from "../helpers/stores.js";
import { AddJobOutput, multipartUpload, randomContent, uploadVariables, type Upload } from "../helpers/uploads.js";

const Acquire = graphql(`
  mutation AcquireForOutputs($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } } }
`);
const Start = graphql(`
  mutation StartForOutputs($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }
`);
const Release = graphql(`
  mutation ReleaseForOutputs($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }
`);
const Finish = graphql(`
  mutation FinishForOutputs($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename } }
`);
const DeleteOutput = graphql(`
  mutation DeleteOutputForOutputs($jobId: ID!, $name: String!, $type: String!, $leaseToken: String) {
    deleteJobOutput(jobId: $jobId, name: $name, type: $type, leaseToken: $leaseToken) {
      __typename
      ... on DeleteJobOutputPayload { deletedOutputId name type size sha256 job { version outputs { totalCount } } }
      ... on NotFoundError { entity }
      ... on Error { message }
    }
  }
`);
const ResetJob = graphql(`
  mutation ResetForOutputs($id: ID!, $keepOutputs: Boolean) {
    resetJob(id: $id, keepOutputs: $keepOutputs) { __typename ... on JobPayload { job { status outputs { totalCount } } } ... on Error { message } }
  }
`);
const HardDeleteJob = graphql(`
  mutation HardDeleteForOutputs($id: ID!) { hardDeleteJob(id: $id) { __typename ... on Error { message } } }
`);
const OutputInfo = graphql(`
  query OutputInfoForOutputs($jobId: ID!, $name: String!, $type: String!) {
    jobOutput(jobId: $jobId, name: $name, type: $type) { id name type size sha256 contentType createdAt downloadUrl job { id } }
  }
`);
const JobOutputs = graphql(`
  query JobOutputsForOutputs($id: ID!) {
    job(id: $id) { viewerCanAddOutput outputs(first: 10) { totalCount edges { node { name type } } } }
  }
`);

/** What AddJobOutput (test/helpers/uploads.ts) selects, for every member of the result union. */
type AddResult = {
  __typename: string;
  message?: string;
  output?: { id: string; name: string; type: string; size: number; sha256: string; contentType: string; downloadUrl: string };
  job?: { version: number };
  fieldErrors?: Array<{ path: string[]; message: string }>;
  maxBytes?: number;
};
type GraphQLBody = { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const gid = (id: string) => encodeGlobalId("Job", id);
const outputUuid = (output: { id: string }) => decodeGlobalId(output.id).id;

/** Reads a response body piece by piece, as a client downloading a large output would. */
async function digest(response: Response): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    hash.update(next.value);
    size += next.value.byteLength;
  }
  return { size, sha256: hash.digest("hex") };
}

/** A field, or a file part; a file's mimeType null sends the part without a Content-Type header. */
type Part = { name: string; value: string } | { name: string; filename: string; content: Uint8Array; mimeType?: string | null };

/** A multipart body of exactly the parts given, in order: for requests the helpers would not build. */
function multipart(parts: Part[]): { contentType: string; body: Uint8Array<ArrayBuffer> } {
  const boundary = `----outputs${randomBytes(8).toString("hex")}`;
  const pieces = parts.flatMap((part) => {
    if ("value" in part) return [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`)];
    const type = part.mimeType === null ? "" : `Content-Type: ${part.mimeType ?? "application/octet-stream"}\r\n`;
    return [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n${type}\r\n`),
      Buffer.from(part.content),
      Buffer.from("\r\n"),
    ];
  });
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: new Uint8Array(Buffer.concat([...pieces, Buffer.from(`--${boundary}--\r\n`)])) };
}

describe.each(outputStores())("job outputs ($name store)", (store) => {
  let database: TestDatabase;
  let api: TestApi;
  let templateId: string;
  let alice: TestUser;
  /** The same storage as the gateway's, for the background removal of content nobody can reach. */
  let storage: OutputStorage;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, store.options);
    templateId = (await createTemplate(database.db)).id;
    alice = await createTestUser(database.db, "USER", "alice");
    storage = store.storage(database);
  });
  afterAll(async () => {
    await api.app.stop();
    await storage.pool.end();
  });

  /** A job created by alice. */
  async function newJob(spec: JobSpec = {}) {
    const [id] = (await createJobs(database.db, templateId, 1, { spec: () => spec })) as [string];
    await database.db.job.update({ where: { id }, data: { creatorId: alice.id } });
    return id;
  }

  /** A RUNNING job of alice's, held by a new node through the API. */
  async function heldJob(): Promise<{ id: string; node: TestNode; lease: string }> {
    const id = await newJob();
    const node = await createTestNode(database.db);
    const lease = await acquire(id, node);
    expect((await api.query(Start, { id: gid(id), lease }, { token: node.secret })).startJob.__typename).toBe("LeasePayload");
    return { id, node, lease };
  }

  async function acquire(id: string, node: TestNode): Promise<string> {
    const { acquireJob } = await api.query(Acquire, { id: gid(id) }, { token: node.secret });
    if (acquireJob.__typename !== "AcquireJobPayload") throw new Error(`acquireJob answered ${acquireJob.__typename}`);
    return acquireJob.lease!.token;
  }

  async function postMultipart(contentType: string, body: BodyInit, token?: string, via = api): Promise<Response> {
    return via.fetch(
      "/graphql",
      { method: "POST", headers: { "content-type": contentType, "graphql-preflight": "1" }, body, duplex: "half" } as RequestInit,
      { token },
    );
  }

  /** Sends addJobOutput (target.jobId: the job's UUID) with `content` as its file, as the admin unless a token is given. */
  async function add(
    target: Upload,
    content: Uint8Array | AsyncIterable<Uint8Array>,
    { token, mimeType, via = api }: { token?: string; mimeType?: string; via?: TestApi } = {},
  ): Promise<AddResult> {
    const { contentType, body } = multipartUpload({ query: AddJobOutput, variables: uploadVariables({ ...target, jobId: gid(target.jobId) }) }, content, { mimeType });
    const response = await postMultipart(contentType, body, token, via);
    const result = (await response.json()) as GraphQLBody;
    expect(result.errors).toBeUndefined();
    return (result.data as { addJobOutput: AddResult }).addJobOutput;
  }

  /**
   * The Content-Type a download is served with. Its body is cancelled, as a client that reads no
   * further does, so that the store lets go of the content (a file left for the garbage collector
   * to close, otherwise).
   */
  async function servedContentType(url: string): Promise<string | null> {
    const response = await api.fetch(url);
    await response.body?.cancel();
    return response.headers.get("content-type");
  }

  /** The outputs there are, and the outputs and uploads whose content is stored. */
  async function stored(): Promise<{ outputs: number; contents: string[] }> {
    return { outputs: await database.db.jobOutput.count(), contents: await store.storedIds(database) };
  }

  function bytesOf(outputId: string): Promise<number> {
    return store.storedBytes(database, outputId);
  }

  /**
   * Checks that a removed output's content is listed for removal, then that the background
   * removal (the gateway's housekeeping) deletes it.
   */
  async function expectContentRemoved(outputId: string): Promise<void> {
    expect(await database.db.outputRemoval.count({ where: { outputId } })).toBe(1);
    while ((await removeContentOfRemovedOutputs(storage)) > 0);
    expect(await bytesOf(outputId)).toBe(0);
    expect(await store.storedIds(database)).not.toContain(outputId);
    expect(await database.db.outputRemoval.count({ where: { outputId } })).toBe(0);
  }

  it("clears the content of many removed outputs in one pass of the housekeeping, not a batch of them", async () => {
    const id = await newJob();
    const outputIds: string[] = [];
    for (let i = 0; i < 45; i++) {
      const result = await add({ jobId: id, name: `many-${i}`, type: "bin" }, randomBytes(10));
      outputIds.push(outputUuid(result.output!));
    }
    await database.pool.query("delete from job_outputs where id = any($1::uuid[])", [outputIds]);
    expect(await database.db.outputRemoval.count({ where: { outputId: { in: outputIds } } })).toBe(45);
    expect(await removeContentOfRemovedOutputs(storage)).toBeGreaterThanOrEqual(45);
    expect(await database.db.outputRemoval.count({ where: { outputId: { in: outputIds } } })).toBe(0);
    const left = await store.storedIds(database);
    for (const outputId of outputIds) expect(left).not.toContain(outputId);
  });

  describe("content", () => {
    it.each([
      ["empty", 0],
      ["one byte", 1],
      ["one byte over a chunk", MiB + 1],
    ])("stores %s content and serves the same bytes back", async (_label, size) => {
      const id = await newJob();
      const content = randomBytes(size);
      const result = await add({ jobId: id, name: `size-${size}`, type: "bin" }, content);
      expect(result).toMatchObject({ __typename: "AddJobOutputPayload", output: { size, sha256: sha256(content) } });
      expect(await bytesOf(outputUuid(result.output!))).toBe(size);
      const download = await api.fetch(result.output!.downloadUrl);
      expect(download.status).toBe(200);
      expect(await digest(download)).toEqual({ size, sha256: sha256(content) });
    });

    it("streams 50 MB in and out", async () => {
      const size = 50 * MiB;
      const id = await newJob();
      // Hashed as it is generated: the content is never held whole, on either side.
      const sent = createHash("sha256");
      async function* hashed() {
        for await (const piece of randomContent(size, 256 * 1024)) {
          sent.update(piece);
          yield piece;
        }
      }
      const result = await add({ jobId: id, name: "big", type: "bin" }, hashed());
      const expected = sent.digest("hex");
      expect(result).toMatchObject({ __typename: "AddJobOutputPayload", output: { size, sha256: expected } });
      expect(await bytesOf(outputUuid(result.output!))).toBe(size);
      const download = await api.fetch(result.output!.downloadUrl);
      expect(download.headers.get("content-length")).toBe(String(size));
      expect(await digest(download)).toEqual({ size, sha256: expected });
    });
  });

  describe("contentType", () => {
    it("comes from the file part's Content-Type unless the argument overrides it, and is served with the content", async () => {
      const id = await newJob();
      const fromPart = await add({ jobId: id, name: "table", type: "csv" }, Buffer.from("a,b\n1,2\n"), { mimeType: "text/csv" });
      expect(fromPart.output!.contentType).toBe("text/csv");
      expect(await servedContentType(fromPart.output!.downloadUrl)).toBe("text/csv");
      const overridden = await add({ jobId: id, name: "doc", type: "json", contentType: "application/json" }, Buffer.from("{}"), { mimeType: "text/plain" });
      expect(overridden.output!.contentType).toBe("application/json");
    });

    it("takes a charset and other parameters from the argument; from the file part, the media type alone", async () => {
      // The multipart parser keeps only the part's media type, so parameters need the argument.
      const id = await newJob();
      const fromPart = await add({ jobId: id, name: "log", type: "txt" }, Buffer.from("é", "utf16le"), { mimeType: "Text/Plain; charset=utf-16le" });
      expect(fromPart.output!.contentType).toBe("text/plain");
      const fromArgument = await add(
        { jobId: id, name: "log2", type: "txt", contentType: "text/plain; charset=utf-16le" },
        Buffer.from("é", "utf16le"),
        { mimeType: "text/plain" },
      );
      expect(fromArgument.output!.contentType).toBe("text/plain; charset=utf-16le");
      expect(await servedContentType(fromArgument.output!.downloadUrl)).toBe("text/plain; charset=utf-16le");
    });

    it("is text/plain when neither the argument nor the file part gives one, as RFC 7578 says", async () => {
      const id = await newJob();
      const { contentType, body } = multipart([
        { name: "operations", value: JSON.stringify({ query: AddJobOutput, variables: { ...uploadVariables({ jobId: gid(id), name: "raw", type: "bin" }), file: null } }) },
        { name: "map", value: JSON.stringify({ 0: ["variables.file"] }) },
        { name: "0", filename: "raw.bin", content: randomBytes(16), mimeType: null },
      ]);
      const result = (await (await postMultipart(contentType, body)).json()) as { data: { addJobOutput: AddResult } };
      expect(result.data.addJobOutput).toMatchObject({ __typename: "AddJobOutputPayload", output: { contentType: "text/plain" } });
    });
  });

  describe("who may add outputs", () => {
    it("the node holding the job, with its lease", async () => {
      const { id, node, lease } = await heldJob();
      const before = await database.db.job.findUniqueOrThrow({ where: { id } });
      const result = await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(100), { token: node.secret });
      expect(result).toMatchObject({ __typename: "AddJobOutputPayload", job: { version: before.version + 1 } });
      const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: id, kind: "OUTPUT_ADDED" } });
      expect(event).toMatchObject({
        actorNodeId: node.id,
        jobVersion: before.version + 1,
        detail: { outputId: outputUuid(result.output!), name: "model", type: "onnx", replaced: null },
      });
    });

    it("not the same node with the lease it had before releasing and reacquiring the job", async () => {
      const { id, node, lease } = await heldJob();
      expect((await api.query(Release, { id: gid(id), lease }, { token: node.secret })).releaseJob.__typename).toBe("JobPayload");
      const current = await acquire(id, node);
      expect(current).not.toBe(lease);
      const before = await stored();
      const result = await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(100), { token: node.secret });
      expect(result.__typename).toBe("LeaseLostError");
      expect(await stored()).toEqual(before);
    });

    it("not another node, which is told its lease is lost", async () => {
      // Any node may try a holder's action; whether it holds the job is the lease's to say.
      const { id, lease } = await heldJob();
      const other = await createTestNode(database.db);
      const before = await stored();
      for (const leaseToken of [lease, null]) {
        const result = await add({ jobId: id, name: "model", type: "onnx", leaseToken }, randomBytes(100), { token: other.secret });
        expect(result.__typename).toBe("LeaseLostError");
      }
      expect(await stored()).toEqual(before);
    });

    it("not a user, even the job's creator", async () => {
      const { id } = await heldJob();
      const before = await stored();
      const result = await add({ jobId: id, name: "model", type: "onnx" }, randomBytes(100), { token: alice.secret });
      expect(result.__typename).toBe("ForbiddenError");
      expect(await stored()).toEqual(before);
    });

    it("an admin, whatever the job's status", async () => {
      for (const status of ["QUEUED", "SUCCEEDED"] as const) {
        const id = await newJob({ status });
        const content = randomBytes(100);
        const result = await add({ jobId: id, name: "report", type: "json" }, content);
        expect(result).toMatchObject({ __typename: "AddJobOutputPayload", output: { sha256: sha256(content) } });
        expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(1);
      }
    });

    it("nobody on a soft-deleted job", async () => {
      const { id, node, lease } = await heldJob();
      await database.db.job.update({ where: { id }, data: { deletedAt: new Date() } });
      const before = await stored();
      expect((await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(100), { token: node.secret })).__typename).toBe(
        "InvalidTransitionError",
      );
      expect((await add({ jobId: id, name: "model", type: "onnx" }, randomBytes(100))).__typename).toBe("InvalidTransitionError");
      expect(await stored()).toEqual(before);
    });

    it("nobody on a job that does not exist", async () => {
      const before = await stored();
      const result = await add({ jobId: "00000000-0000-4000-8000-000000000000", name: "model", type: "onnx" }, randomBytes(100));
      expect(result.__typename).toBe("NotFoundError");
      expect(await stored()).toEqual(before);
    });
  });

  describe("an existing name and type", () => {
    it("is refused without replace, and replaced with it: a new output, the old content gone", async () => {
      const id = await newJob();
      const key = { jobId: id, name: "weights", type: "bin" };
      const first = randomBytes(MiB + 10);
      const original = (await add(key, first)).output!;

      const refused = await add(key, randomBytes(10));
      expect(refused.__typename).toBe("AlreadyExistsError");
      expect(await database.db.jobOutput.findFirstOrThrow({ where: { jobId: id } })).toMatchObject({ id: outputUuid(original), sha256: sha256(first) });

      const second = randomBytes(20);
      const replaced = await add({ ...key, replace: true }, second);
      expect(replaced).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: 20, sha256: sha256(second) } });
      expect(replaced.output!.id).not.toBe(original.id);
      await expectContentRemoved(outputUuid(original));
      expect(await bytesOf(outputUuid(replaced.output!))).toBe(20);
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(1);
      expect((await api.fetch(original.downloadUrl)).status).toBe(404);
      const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: id, kind: "OUTPUT_ADDED" }, orderBy: { id: "desc" } });
      expect(event.detail).toEqual({ outputId: outputUuid(replaced.output!), name: "weights", type: "bin", replaced: outputUuid(original) });
    });
  });

  describe("validation", () => {
    it("refuses bad names, types and content types with the fields' paths, storing nothing", async () => {
      const id = await newJob();
      const before = await stored();
      const cases: Array<[Partial<Upload>, string[][]]> = [
        [{ name: "" }, [["name"]]],
        [{ name: "a".repeat(201) }, [["name"]]],
        [{ name: "a/b" }, [["name"]]],
        [{ type: "a\\b" }, [["type"]]],
        [{ name: "tab\there" }, [["name"]]],
        [{ type: "nul\u0000" }, [["type"]]],
        [{ name: "." }, [["name"]]],
        [{ type: ".." }, [["type"]]],
        [{ contentType: "not a media type" }, [["contentType"]]],
        [{ contentType: "" }, [["contentType"]]],
        [{ contentType: " " }, [["contentType"]]],
        [{ name: "..", type: "", contentType: "text" }, [["name"], ["type"], ["contentType"]]],
      ];
      for (const [change, paths] of cases) {
        const result = await add({ jobId: id, name: "ok", type: "ok", ...change }, randomBytes(10));
        expect(result.__typename, JSON.stringify(change)).toBe("ValidationError");
        expect(result.fieldErrors!.map((e) => e.path), JSON.stringify(change)).toEqual(paths);
      }
      expect(await stored()).toEqual(before);
      // The limits are inclusive.
      expect((await add({ jobId: id, name: "a".repeat(200), type: "t" }, randomBytes(10))).__typename).toBe("AddJobOutputPayload");
    });
  });

  describe("size limit", () => {
    // Just over two chunks, so that a refused upload has written whole chunks before it is cut off.
    const limit = 2 * MiB + 1;
    let small: TestApi;

    beforeAll(async () => {
      small = await createTestApi(database, { ...store.options, limits: { ...defaultLimits, maxOutputBytes: limit } });
    });
    afterAll(() => small.app.stop());

    it("accepts content of exactly the limit", async () => {
      const id = await newJob();
      const content = randomBytes(limit);
      const result = await add({ jobId: id, name: "full", type: "bin" }, content, { via: small });
      expect(result).toMatchObject({ __typename: "AddJobOutputPayload", output: { size: limit, sha256: sha256(content) } });
      expect(await bytesOf(outputUuid(result.output!))).toBe(limit);
    });

    it("refuses content over the limit with TooLargeError, storing nothing", async () => {
      const id = await newJob();
      const version = (await database.db.job.findUniqueOrThrow({ where: { id } })).version;
      const before = await stored();
      for (const size of [limit + 1, 8 * MiB]) {
        const result = await add({ jobId: id, name: "over", type: "bin" }, randomContent(size), { via: small });
        expect(result).toEqual({ __typename: "TooLargeError", maxBytes: limit, message: expect.any(String) });
      }
      expect(await stored()).toEqual(before);
      expect(await database.db.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ version });
      expect(await database.db.jobEvent.count({ where: { jobId: id, kind: "OUTPUT_ADDED" } })).toBe(0);
    });
  });

  describe("deleteJobOutput", () => {
    it("removes the output and its content for the holding node, with an event and a new version", async () => {
      const { id, node, lease } = await heldJob();
      const added = (await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(MiB + 1), { token: node.secret })).output!;
      expect(await bytesOf(outputUuid(added))).toBe(MiB + 1);
      const version = (await database.db.job.findUniqueOrThrow({ where: { id } })).version;

      const { deleteJobOutput } = await api.query(DeleteOutput, { jobId: gid(id), name: "model", type: "onnx", leaseToken: lease }, { token: node.secret });
      expect(deleteJobOutput).toEqual({
        __typename: "DeleteJobOutputPayload",
        deletedOutputId: added.id,
        name: "model",
        type: "onnx",
        size: MiB + 1,
        sha256: added.sha256,
        job: { version: version + 1, outputs: { totalCount: 0 } },
      });
      await expectContentRemoved(outputUuid(added));
      expect((await api.fetch(added.downloadUrl)).status).toBe(404);
      const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: id, kind: "OUTPUT_DELETED" } });
      expect(event).toMatchObject({ actorNodeId: node.id, jobVersion: version + 1, detail: { outputId: outputUuid(added), name: "model", type: "onnx" } });
    });

    it("is allowed to an admin and refused to a user", async () => {
      const { id, node, lease } = await heldJob();
      await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(10), { token: node.secret });
      const key = { jobId: gid(id), name: "model", type: "onnx" };
      expect((await api.query(DeleteOutput, key, { token: alice.secret })).deleteJobOutput.__typename).toBe("ForbiddenError");
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(1);
      expect((await api.query(DeleteOutput, key)).deleteJobOutput.__typename).toBe("DeleteJobOutputPayload");
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(0);
    });

    it("answers NotFoundError for an output or a job that does not exist", async () => {
      const id = await newJob();
      expect((await api.query(DeleteOutput, { jobId: gid(id), name: "missing", type: "bin" })).deleteJobOutput).toMatchObject({
        __typename: "NotFoundError",
        entity: "output",
      });
      expect(
        (await api.query(DeleteOutput, { jobId: gid("00000000-0000-4000-8000-000000000000"), name: "missing", type: "bin" })).deleteJobOutput,
      ).toMatchObject({ __typename: "NotFoundError", entity: "job" });
    });

    it("is refused to the node once its job has finished, as adding is, and the output stays", async () => {
      const { id, node, lease } = await heldJob();
      await add({ jobId: id, name: "model", type: "onnx", leaseToken: lease }, randomBytes(10), { token: node.secret });
      expect((await api.query(Finish, { id: gid(id), lease }, { token: node.secret })).finishJob.__typename).toBe("JobPayload");
      const key = { jobId: gid(id), name: "model", type: "onnx", leaseToken: lease };
      expect((await add({ ...key, jobId: id, name: "late" }, randomBytes(10), { token: node.secret })).__typename).toBe("InvalidTransitionError");
      expect((await api.query(DeleteOutput, key, { token: node.secret })).deleteJobOutput.__typename).toBe("InvalidTransitionError");
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(1);
    });

    it("is refused on a soft-deleted job, whose outputs stay", async () => {
      const id = await newJob();
      await add({ jobId: id, name: "model", type: "onnx" }, randomBytes(10));
      await database.db.job.update({ where: { id }, data: { deletedAt: new Date() } });
      expect((await api.query(DeleteOutput, { jobId: gid(id), name: "model", type: "onnx" })).deleteJobOutput.__typename).toBe("InvalidTransitionError");
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(1);
    });
  });

  describe("outputs and the job's lifecycle", () => {
    it("resetJob removes outputs and their content unless keepOutputs", async () => {
      const id = await newJob({ status: "SUCCEEDED" });
      const output = (await add({ jobId: id, name: "model", type: "onnx" }, randomBytes(MiB + 1))).output!;

      expect((await api.query(ResetJob, { id: gid(id), keepOutputs: true })).resetJob).toMatchObject({ job: { status: "QUEUED", outputs: { totalCount: 1 } } });
      expect(await bytesOf(outputUuid(output))).toBe(MiB + 1);

      await database.db.job.update({ where: { id }, data: { status: "SUCCEEDED" } });
      expect((await api.query(ResetJob, { id: gid(id) })).resetJob).toMatchObject({ job: { status: "QUEUED", outputs: { totalCount: 0 } } });
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(0);
      await expectContentRemoved(outputUuid(output));
    });

    it("hardDeleteJob removes the job's outputs and their content", async () => {
      const id = await newJob({ status: "SUCCEEDED" });
      const output = (await add({ jobId: id, name: "model", type: "onnx" }, randomBytes(MiB + 1))).output!;
      expect((await api.query(HardDeleteJob, { id: gid(id) })).hardDeleteJob.__typename).toBe("HardDeleteJobPayload");
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(0);
      await expectContentRemoved(outputUuid(output));
    });
  });

  describe("reading outputs", () => {
    it("jobOutput answers an output's info by name and type, and null when there is none", async () => {
      const id = await newJob();
      const content = randomBytes(123);
      const added = (await add({ jobId: id, name: "metrics", type: "json", contentType: "application/json" }, content)).output!;
      const { jobOutput } = await api.query(OutputInfo, { jobId: gid(id), name: "metrics", type: "json" });
      expect(jobOutput).toEqual({
        id: added.id,
        name: "metrics",
        type: "json",
        size: 123,
        sha256: sha256(content),
        contentType: "application/json",
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        downloadUrl: `/outputs/${outputUuid(added)}`,
        job: { id: gid(id) },
      });
      expect((await api.query(OutputInfo, { jobId: gid(id), name: "metrics", type: "csv" })).jobOutput).toBeNull();
      expect((await api.query(OutputInfo, { jobId: gid(id), name: "other", type: "json" })).jobOutput).toBeNull();
    });

    it("lists a job's outputs, and tells who may add them", async () => {
      const { id, node, lease } = await heldJob();
      await add({ jobId: id, name: "b", type: "json", leaseToken: lease }, randomBytes(1), { token: node.secret });
      await add({ jobId: id, name: "a", type: "json", leaseToken: lease }, randomBytes(1), { token: node.secret });
      const asNode = await api.query(JobOutputs, { id: gid(id) }, { token: node.secret });
      expect(asNode.job).toEqual({
        viewerCanAddOutput: true,
        outputs: { totalCount: 2, edges: expect.arrayContaining([{ node: { name: "a", type: "json" } }, { node: { name: "b", type: "json" } }]) },
      });
      expect((await api.query(JobOutputs, { id: gid(id) })).job!.viewerCanAddOutput).toBe(true);
      expect((await api.query(JobOutputs, { id: gid(id) }, { token: alice.secret })).job!.viewerCanAddOutput).toBe(false);
    });
  });

  describe("multipart protocol", () => {
    async function refused(response: Response, message: RegExp) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as GraphQLBody;
      expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
    }

    it("answers 400 to malformed requests and stores nothing", async () => {
      const id = await newJob();
      const operations = JSON.stringify({ query: AddJobOutput, variables: { ...uploadVariables({ jobId: gid(id), name: "x", type: "bin" }), file: null } });
      const map = JSON.stringify({ 0: ["variables.file"] });
      const file = { name: "0", filename: "x.bin", content: randomBytes(100) };
      const before = await stored();

      const noMap = multipart([{ name: "operations", value: operations }, file]);
      await refused(await postMultipart(noMap.contentType, noMap.body), /"operations" and "map" must come before the files/);
      const notJson = multipart([{ name: "operations", value: "{not json" }, { name: "map", value: map }, file]);
      await refused(await postMultipart(notJson.contentType, notJson.body), /"operations" is not valid JSON/);
      const noFile = multipart([{ name: "operations", value: operations }, { name: "map", value: map }]);
      // The operation runs once "map" is in; its resolver learns at the body's end that the file never came.
      await refused(await postMultipart(noFile.contentType, noFile.body), /no file for the field "0"/);

      expect(await stored()).toEqual(before);
    });

    it("refuses a File variable sent in a JSON request", async () => {
      const before = await stored();
      const response = await api.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query: AddJobOutput, variables: { ...uploadVariables({ jobId: gid(await newJob()), name: "x", type: "bin" }), file: "content" } }),
      });
      await refused(response, /a File must be sent as a file part of a multipart request/);
      expect(await stored()).toEqual(before);
    });

    it("stores every file of a request carrying two", async () => {
      const id = await newJob();
      const [a, b] = [randomBytes(MiB + 5), randomBytes(7)];
      const query = `mutation TwoOutputs($jobId: ID!, $a: File!, $b: File!) {
        first: addJobOutput(jobId: $jobId, name: "a", type: "bin", file: $a) { __typename ... on AddJobOutputPayload { output { size sha256 } } }
        second: addJobOutput(jobId: $jobId, name: "b", type: "bin", file: $b) { __typename ... on AddJobOutputPayload { output { size sha256 } } }
      }`;
      const { contentType, body } = multipart([
        { name: "operations", value: JSON.stringify({ query, variables: { jobId: gid(id), a: null, b: null } }) },
        { name: "map", value: JSON.stringify({ 0: ["variables.a"], 1: ["variables.b"] }) },
        { name: "0", filename: "a.bin", content: a },
        { name: "1", filename: "b.bin", content: b },
      ]);
      const result = (await (await postMultipart(contentType, body)).json()) as GraphQLBody;
      expect(result).toEqual({
        data: {
          first: { __typename: "AddJobOutputPayload", output: { size: a.length, sha256: sha256(a) } },
          second: { __typename: "AddJobOutputPayload", output: { size: b.length, sha256: sha256(b) } },
        },
      });
      const outputs = await database.db.jobOutput.findMany({ where: { jobId: id }, orderBy: { name: "asc" } });
      expect(outputs.map((o) => [o.name, o.sha256])).toEqual([
        ["a", sha256(a)],
        ["b", sha256(b)],
      ]);
    });
  });
});
