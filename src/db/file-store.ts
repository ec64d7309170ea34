// Output content as files in a folder, one file per output, named by the output's id.
//
// For a gateway that runs beside its database on one machine (the embedded PostgreSQL's default):
// content goes straight to the disk, where PostgreSQL would spend several times the CPU of the copy
// on TOAST and WAL. Every instance must see the same folder, so instances on different machines
// need a shared filesystem, or the PostgreSQL store. The output row is still what makes content
// visible: a file whose output row never committed, or whose output was removed, is unreachable
// and deleted by the same housekeeping as the PostgreSQL store's chunks (src/domain/outputs.ts).
import { constants } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { touchUpload, type ByteRange, type ContentStore } from "../domain/outputs.js";

/** What content files are named: their output's id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Bytes gathered before each write: a few large writes cost the event loop less than many small ones. */
const WRITE_BYTES = 1 << 20;

/** The pieces a file is read in. */
const READ_BYTES = 64 * 1024;

/**
 * How often a long upload tells the database it is alive, so that it is not swept as abandoned
 * (ABANDONED_UPLOAD_SECONDS is far longer); the same statement finds out whether it was.
 */
const TOUCH_MS = 30_000;

/**
 * Where the content of `outputId` is kept in `folder`: outputs are spread over 256 subfolders by
 * the first two hex digits of their id, so that no folder grows huge.
 */
export function contentPath(folder: string, outputId: string): string {
  return path.join(folder, outputId.slice(0, 2), outputId);
}

export class FileContentStore implements ContentStore {
  /** `folder` is created when the first output is written; `pool` serves the upload's bookkeeping. */
  constructor(
    private readonly folder: string,
    private readonly pool: pg.Pool,
    private readonly touchMs = TOUCH_MS,
  ) {}

  private pathOf(outputId: string): string {
    return contentPath(this.folder, outputId);
  }

  /**
   * Writes the content to its file, gathered into pieces of WRITE_BYTES with one write in flight
   * while the next piece fills, and makes it durable (the file and its folder entry) before
   * returning: the output row that commits next must never name content a crash could lose. A
   * write that fails removes its file.
   */
  async write(outputId: string, content: AsyncIterable<Uint8Array>): Promise<void> {
    await writeDurably(this.pathOf(outputId), async (handle) => {
      // After the file exists: a sweep of the upload from now on removes the file too, and one
      // before it is found here. Either way nothing is left behind.
      await touchUpload(this.pool, outputId);
      await this.copy(outputId, content, handle);
    });
  }

  private async copy(outputId: string, content: AsyncIterable<Uint8Array>, handle: fs.FileHandle): Promise<void> {
    let touched = Date.now();
    // Two buffers, reused: one being written, one filling. The source may reuse its buffers once
    // it is handed the next piece, so bytes are copied as they arrive.
    let filling: Buffer = Buffer.allocUnsafe(WRITE_BYTES);
    let spare: Buffer | undefined = Buffer.allocUnsafe(WRITE_BYTES);
    let filled = 0;
    let writing: Promise<Buffer> | undefined;
    const flush = async () => {
      if (writing) spare = await writing;
      const data = filling;
      writing = writeAll(handle, data, filled).then(() => data);
      // Observed at once: a write that fails while the next piece is read must not crash the process.
      writing.catch(() => undefined);
      filling = spare!;
      spare = undefined;
      filled = 0;
      if (Date.now() - touched >= this.touchMs) {
        await touchUpload(this.pool, outputId);
        touched = Date.now();
      }
    };
    try {
      for await (const piece of content) {
        let offset = 0;
        while (offset < piece.byteLength) {
          const take = Math.min(WRITE_BYTES - filled, piece.byteLength - offset);
          filling.set(piece.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === WRITE_BYTES) await flush();
        }
      }
      if (filled) await flush();
    } finally {
      // The last write ends before the file is closed or removed, whether the content failed or not.
      await writing?.catch(() => undefined);
    }
    await writing;
  }

  /** The subfolder the next olderContents call looks in: one of 256 per call, round and round. */
  private nextFolder = 0;

  async olderContents(seconds: number): Promise<string[]> {
    const folder = path.join(this.folder, this.nextFolder.toString(16).padStart(2, "0"));
    this.nextFolder = (this.nextFolder + 1) % 256;
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    const before = Date.now() - seconds * 1000;
    const old: string[] = [];
    for (const name of names) {
      if (!UUID.test(name)) continue;
      const stat = await fs.stat(path.join(folder, name)).catch(() => undefined);
      if (stat && stat.mtimeMs < before) old.push(name);
    }
    return old;
  }

  async discard(outputId: string): Promise<void> {
    await fs.rm(this.pathOf(outputId), { force: true });
  }

  async *read(outputId: string, { start, end }: ByteRange): AsyncIterable<Uint8Array> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(outputId), constants.O_RDONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`the content of output ${outputId} is gone`);
      throw error;
    }
    try {
      for (let at = start; at <= end; ) {
        // A fresh buffer each time: what is yielded may be held by the response after the next read.
        const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, end - at + 1));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
        // The file is shorter than its output row says: it was removed or cut short under us.
        if (bytesRead === 0) throw new Error(`the content of output ${outputId} ends before byte ${at}`);
        at += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * Stores content that is whole in memory (the demo data's) as FileContentStore.write would, for a
 * caller that writes its output rows itself, after this returns.
 */
export function storeFile(folder: string, outputId: string, content: Uint8Array): Promise<void> {
  return writeDurably(contentPath(folder, outputId), (handle) => writeAll(handle, content, content.byteLength));
}

/**
 * Creates `file` (and its folder), has `fill` write it, and makes it durable: its data and its
 * name in the folder. A fill that fails removes the file.
 */
async function writeDurably(file: string, fill: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Exclusive: an id is never reused, so an existing file is a bug to stop at, not to overwrite.
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await fill(handle);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await syncFolder(path.dirname(file));
  } catch (error) {
    await fs.rm(file, { force: true });
    throw error;
  }
}

async function writeAll(handle: fs.FileHandle, data: Uint8Array, length: number): Promise<void> {
  for (let written = 0; written < length; ) {
    const { bytesWritten } = await handle.write(data, written, length - written);
    written += bytesWritten;
  }
}

/** Makes a new file's name in `folder` durable (POSIX leaves it to an fsync of the folder). */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
