// The files output store (src/db/file-store.ts) beyond what every store does (output-uploads.test.ts):
// a long upload keeps itself listed, one swept while it writes stops, and no failure leaves a file.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContentPool } from "../../src/db/content-store.js";
import { contentPath, FileContentStore, storeFile } from "../../src/db/file-store.js";
import { ABANDONED_UPLOAD_SECONDS, sweepAbandonedUploads, sweepLeftoverContent, UploadAbandonedError, type OutputStorage } from "../../src/domain/outputs.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const MiB = 1 << 20;

describe("the files output store", () => {
  let database: TestDatabase;
  let folder: string;
  let storage: OutputStorage;
  /** Touches the database after every piece it writes. */
  let store: FileContentStore;
  let jobId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    folder = await fs.mkdtemp(path.join(os.tmpdir(), "jobgraph-test-files-"));
    const pool = createContentPool(database.url, 2);
    store = new FileContentStore(folder, pool, 0);
    storage = { pool, store, maxOutputBytes: 1 << 30 };
    [jobId] = (await createJobs(database.db, (await createTemplate(database.db)).id, 1)) as [string];
  });
  afterAll(async () => {
    await storage.pool.end();
    await fs.rm(folder, { recursive: true, force: true });
  });

  async function listUpload(): Promise<string> {
    const id = randomUUID();
    await database.pool.query(`insert into output_uploads (id, job_id) values ($1, $2)`, [id, jobId]);
    return id;
  }
  const goQuiet = (id: string) =>
    database.pool.query(`update output_uploads set touched_at = now() - make_interval(secs => $2::int) where id = $1`, [id, ABANDONED_UPLOAD_SECONDS + 1]);
  const exists = (id: string) => fs.stat(contentPath(folder, id)).then(() => true, () => false);
  async function* once(bytes: Uint8Array) {
    yield bytes;
  }
  const read = async (id: string, start: number, end: number) => {
    const pieces: Uint8Array[] = [];
    for await (const piece of store.read(id, { start, end })) pieces.push(piece);
    return Buffer.concat(pieces);
  };

  it("keeps a long upload listed as alive while it writes", async () => {
    const id = await listUpload();
    const content = randomBytes(3 * MiB);
    async function* slow() {
      yield content.subarray(0, MiB);
      // As if the upload had been quiet for long: the pieces written next must mark it alive again.
      await goQuiet(id);
      yield content.subarray(MiB);
    }
    await store.write(id, slow());
    expect(await sweepAbandonedUploads(storage)).toBe(0);
    expect((await read(id, 0, content.length - 1)).equals(content)).toBe(true);
  });

  it("stops an upload swept while it writes, and leaves no file", async () => {
    const id = await listUpload();
    async function* swept() {
      yield randomBytes(MiB);
      await goQuiet(id);
      expect(await sweepAbandonedUploads(storage)).toBe(1);
      yield randomBytes(2 * MiB);
    }
    await expect(store.write(id, swept())).rejects.toBeInstanceOf(UploadAbandonedError);
    expect(await exists(id)).toBe(false);
  });

  it("removes its file when the content fails midway", async () => {
    const id = await listUpload();
    async function* cutOff() {
      yield randomBytes(MiB + 10);
      throw new Error("the client went away");
    }
    await expect(store.write(id, cutOff())).rejects.toThrow("the client went away");
    expect(await exists(id)).toBe(false);
  });

  it("never overwrites content already stored under an id", async () => {
    const id = await listUpload();
    const first = randomBytes(100);
    await store.write(id, once(first));
    await expect(store.write(id, once(randomBytes(100)))).rejects.toMatchObject({ code: "EEXIST" });
    expect((await read(id, 0, 99)).equals(first)).toBe(true);
  });

  it("deletes, going round the whole folder, old content that nothing names, and only that", async () => {
    const longAgo = new Date(Date.now() - (ABANDONED_UPLOAD_SECONDS + 60) * 1000);
    async function content(id: string, when: Date) {
      await storeFile(folder, id, randomBytes(10));
      await fs.utimes(contentPath(folder, id), when, when);
      return id;
    }
    // Left by a crash: an upload swept without its content, long ago.
    const leftover = await content(randomUUID(), longAgo);
    // Named: an output, an upload still listed, a removal to come; and one too recent to judge.
    const output = await content(randomUUID(), longAgo);
    await database.pool.query(`insert into job_outputs (id, job_id, name, type, sha256) values ($1, $2, 'kept', 'bin', repeat('0', 64))`, [output, jobId]);
    const uploading = await content(await listUpload(), longAgo);
    const removing = await content(randomUUID(), longAgo);
    await database.pool.query(`insert into output_removals (output_id) values ($1)`, [removing]);
    const recent = await content(randomUUID(), new Date());

    let deleted = 0;
    for (let pass = 0; pass < 256; pass++) deleted += await sweepLeftoverContent(storage);
    expect(deleted).toBe(1);
    expect(await exists(leftover)).toBe(false);
    for (const id of [output, uploading, removing, recent]) expect(await exists(id)).toBe(true);
  });

  it("reads any range, and fails when the content is gone or shorter than asked", async () => {
    const id = await listUpload();
    const content = randomBytes(MiB + 100);
    await store.write(id, once(content));
    for (const [start, end] of [[0, 0], [65_535, 65_536], [MiB - 1, MiB + 99], [17, MiB + 99]] as const) {
      expect((await read(id, start, end)).equals(content.subarray(start, end + 1))).toBe(true);
    }
    await expect(read(id, MiB, MiB + 100)).rejects.toThrow(/ends before byte/);
    await store.discard(id);
    await store.discard(id);
    await expect(read(id, 0, 10)).rejects.toThrow(/is gone/);
  });
});
