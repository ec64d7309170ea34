// Uploads in progress are listed in output_uploads while their content is written, in either
// output store; one that goes quiet for ABANDONED_UPLOAD_SECONDS is swept with what it wrote, and
// can write nothing after.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ABANDONED_UPLOAD_SECONDS, sweepAbandonedUploads, UploadAbandonedError, type OutputStorage } from "../../src/domain/outputs.js";
import { Reclaimer } from "../../src/domain/reclaimer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { outputStores } from "../helpers/stores.js";

describe.each(outputStores())("uploads in progress ($name store)", (store) => {
  let database: TestDatabase;
  let storage: OutputStorage;
  let jobId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    storage = store.storage(database);
    [jobId] = (await createJobs(database.db, (await createTemplate(database.db)).id, 1)) as [string];
  });
  afterAll(() => storage.pool.end());

  async function listUpload(quietSeconds: number): Promise<string> {
    const id = randomUUID();
    await database.pool.query(
      `insert into output_uploads (id, job_id, touched_at) values ($1, $2, now() - make_interval(secs => $3::int))`,
      [id, jobId, quietSeconds],
    );
    return id;
  }

  const bytesOf = (id: string) => store.storedBytes(database, id);
  const listed = async (id: string) => (await database.pool.query(`select 1 from output_uploads where id = $1`, [id])).rowCount === 1;

  async function* content(bytes: number) {
    yield randomBytes(bytes);
  }

  it("writes the content of a listed upload, marking it alive", async () => {
    const id = await listUpload(ABANDONED_UPLOAD_SECONDS - 60);
    await storage.store.write(id, content((1 << 20) + 5));
    expect(await bytesOf(id)).toBe((1 << 20) + 5);
    expect(await sweepAbandonedUploads(storage)).toBe(0);
    expect(await listed(id)).toBe(true);
  });

  it("sweeps an upload quiet for longer than ABANDONED_UPLOAD_SECONDS, with its content, and leaves the others", async () => {
    const quiet = await listUpload(0);
    await storage.store.write(quiet, content(1000));
    await database.pool.query(`update output_uploads set touched_at = now() - make_interval(secs => $2::int) where id = $1`, [quiet, ABANDONED_UPLOAD_SECONDS + 1]);
    const busy = await listUpload(0);
    await storage.store.write(busy, content(1000));

    expect(await sweepAbandonedUploads(storage)).toBe(1);
    expect([await listed(quiet), await bytesOf(quiet)]).toEqual([false, 0]);
    expect([await listed(busy), await bytesOf(busy)]).toEqual([true, 1000]);
  });

  it("refuses to write for an upload that was swept, and writes nothing", async () => {
    const id = await listUpload(ABANDONED_UPLOAD_SECONDS + 1);
    expect(await sweepAbandonedUploads(storage)).toBe(1);
    await expect(storage.store.write(id, content(10))).rejects.toBeInstanceOf(UploadAbandonedError);
    expect(await bytesOf(id)).toBe(0);
    expect(await store.storedIds(database)).not.toContain(id);
  });

  it("are cleared by the gateway's housekeeping on its own, with the content of removed outputs", async () => {
    const abandoned = await listUpload(0);
    await storage.store.write(abandoned, content(1));
    await database.pool.query(`update output_uploads set touched_at = now() - make_interval(secs => $2::int) where id = $1`, [abandoned, ABANDONED_UPLOAD_SECONDS + 1]);
    // An output that existed, then was deleted: the trigger lists it for removal.
    const output = await listUpload(0);
    await storage.store.write(output, content(1));
    await database.pool.query(`delete from output_uploads where id = $1`, [output]);
    await database.pool.query(`insert into job_outputs (id, job_id, name, type, sha256) values ($1, $2, 'gone', 'bin', repeat('0', 64))`, [output, jobId]);
    await database.pool.query(`delete from job_outputs where id = $1`, [output]);
    expect(await bytesOf(output)).toBe(1);

    const housekeeping = new Reclaimer(database.db, 50, () => undefined, storage);
    housekeeping.start();
    try {
      // The content goes first, then its removal's row: the poll waits for both.
      const removalsLeft = async () => (await database.pool.query(`select count(*)::int as n from output_removals`)).rows[0].n as number;
      await expect
        .poll(async () => [await bytesOf(abandoned), await bytesOf(output), await listed(abandoned), await removalsLeft()], { timeout: 10_000 })
        .toEqual([0, 0, false, 0]);
    } finally {
      await housekeeping.stop();
    }
  });
});
