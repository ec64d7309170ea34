// Output content in PostgreSQL, as rows of job_output_chunks.
//
// Chunked rows rather than large objects: rows are removed with their output by a trigger on
// job_outputs (large objects need lo_unlink, or they leak); they need no privileges beyond the
// tables', survive pg_dump and logical replication like any row, and let a Range request read
// only the chunks it covers. Each gateway instance reads the same rows, so no shared filesystem is
// needed.
import pg from "pg";
import { connect, UploadAbandonedError, type ByteRange, type ContentStore } from "../domain/outputs.js";
import { hearConnectionErrors } from "./client.js";

/**
 * Every chunk but an output's last holds exactly this many bytes, which is how a byte offset maps
 * to a chunk. Changing it requires rewriting the stored chunks.
 */
export const CHUNK_BYTES = 1 << 20;

/** How many chunks of one upload are written at once, each on its own connection. */
const WRITES_IN_FLIGHT = 2;

/** The pieces a chunk is read in. */
const SLICE_BYTES = 48 * 1024;

export class PostgresContentStore implements ContentStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Writes each chunk in a transaction of its own, on a connection taken for it
   * and given back at once, so that an upload holds no connection while it waits for its client.
   * Up to WRITES_IN_FLIGHT chunks are written at once, on as many connections, while the next one
   * is read from the request: PostgreSQL's work on a chunk (TOAST and WAL) is most of an upload's
   * cost, and one backend would leave the other cores idle. A chunk is written only while its
   * upload is listed in output_uploads, in the statement that marks it alive, so a swept upload
   * can leave no chunk behind.
   */
  async write(outputId: string, content: AsyncIterable<Uint8Array>): Promise<void> {
    let seq = 0;
    // The chunk being filled: bytes are copied into it once, as they arrive (the source may
    // reuse its buffers once it is handed the next piece). Its buffer is one of a few, each
    // reused once its write has ended: a megabyte allocated per chunk kept the garbage collector
    // busy for a quarter of an upload's CPU time.
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const spare: Array<typeof chunk> = [];
    let filled = 0;
    const writing: Array<{ done: Promise<void>; buffer: typeof chunk }> = [];
    const flush = async (data: Buffer) => {
      if (writing.length >= WRITES_IN_FLIGHT) {
        const oldest = writing.shift()!;
        await oldest.done;
        spare.push(oldest.buffer);
      }
      const done = this.writeChunk(outputId, seq++, data);
      // Observed at once: a write that fails while others are awaited must not crash the process.
      done.catch(() => undefined);
      writing.push({ done, buffer: chunk });
    };
    let reading: { error: unknown } | undefined;
    try {
      for await (const piece of content) {
        let offset = 0;
        while (offset < piece.byteLength) {
          const take = Math.min(CHUNK_BYTES - filled, piece.byteLength - offset);
          chunk.set(piece.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === CHUNK_BYTES) {
            await flush(chunk);
            chunk = spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
            filled = 0;
          }
        }
      }
      if (filled) await flush(chunk.subarray(0, filled));
    } catch (error) {
      reading = { error };
    }
    // Every write ends before the upload does, whether it succeeded or not: what a failed upload
    // wrote is then removed, and nothing is written after. The content's own failure (too large,
    // cut off) comes first.
    const failed = (await Promise.allSettled(writing.map((w) => w.done))).find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (reading) throw reading.error;
    if (failed) throw failed.reason;
  }

  /** Runs a statement on a connection taken for it (BusyError when none comes free in time). */
  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await connect(this.pool);
    try {
      return await client.query<R>(text, values);
    } finally {
      client.release();
    }
  }

  /**
   * A chunk commits without waiting for its WAL to reach the disk (each would wait for an fsync,
   * which held uploads to about 30 MiB/s): an output's row commits synchronously at the end
   * (commitOutput), and flushing that commit flushes every chunk written before it. A crash before
   * then loses only chunks of an upload that had not succeeded. The setting is the transaction's,
   * not the connection's, so that it holds through a transaction-mode pooler too.
   */
  private async writeChunk(outputId: string, seq: number, chunk: Buffer): Promise<void> {
    const client = await connect(this.pool);
    let broken: Error | undefined;
    try {
      await client.query("begin");
      await client.query("set local synchronous_commit = off");
      const { rowCount } = await client.query(
        `/* writeOutputChunk */
         with upload as (update output_uploads set touched_at = now() where id = $1::uuid returning id)
         insert into job_output_chunks (output_id, seq, data) select id, $2::int, $3::bytea from upload`,
        [outputId, seq, chunk],
      );
      await client.query("commit");
      if (rowCount !== 1) throw new UploadAbandonedError();
    } catch (error) {
      if (!(error instanceof UploadAbandonedError)) {
        broken = error as Error;
        await client.query("rollback").catch(() => undefined);
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async discard(outputId: string): Promise<void> {
    await this.query("/* discardOutputChunks */ delete from job_output_chunks where output_id = $1::uuid", [outputId]);
  }

  async *read(outputId: string, { start, end }: ByteRange): AsyncIterable<Uint8Array> {
    for (let seq = Math.floor(start / CHUNK_BYTES); seq * CHUNK_BYTES <= end; seq++) {
      const from = Math.max(start - seq * CHUNK_BYTES, 0);
      const to = Math.min(end - seq * CHUNK_BYTES, CHUNK_BYTES - 1);
      // A chunk comes as slices: rows travel as hex text of twice their size, and strings under
      // V8's large-object size are reclaimed young, which keeps a download's memory flat.
      // substring() of a value stored uncompressed (STORAGE EXTERNAL) reads only what it covers.
      const { rows } = await this.query<{ data: Buffer }>(
        `select substring(c.data from s.at for $5::int) as data
           from job_output_chunks c, generate_series($3::int, $4::int, $5::int) as s(at)
          where c.output_id = $1::uuid and c.seq = $2::int
          order by s.at`,
        [outputId, seq, from + 1, to + 1, Math.min(SLICE_BYTES, to - from + 1)],
      );
      let received = 0;
      for (const row of rows) {
        const slice = row.data.subarray(0, Math.min(row.data.length, to - from + 1 - received));
        received += slice.length;
        yield slice;
      }
      // The output was replaced or removed while it was being read.
      if (received !== to - from + 1) throw new Error(`chunk ${seq} of output ${outputId} is gone`);
    }
  }
}

/** The connections output content is written and read through (Prisma's client is not fit for bulk bytes). */
export function createContentPool(url: string, size: number, waitMs = 30_000): pg.Pool {
  // A chunk holds a connection for one transaction, so a wait of `waitMs` means the pool is far
  // too small for the uploads and downloads under way: the request is then answered BusyError.
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    application_name: "jobgraph-outputs",
    connectionTimeoutMillis: waitMs,
  });
  return hearConnectionErrors(pool);
}
