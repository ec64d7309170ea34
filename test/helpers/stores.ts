// The output stores (src/db/content-store.ts, src/db/file-store.ts), for suites that run the same
// tests against each: how to build an app on one, and how to see from outside what it holds.
import { mkdtempSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { defaultLimits } from "../../src/config.js";
import { createContentPool, PostgresContentStore } from "../../src/db/content-store.js";
import { contentPath, FileContentStore } from "../../src/db/file-store.js";
import type { OutputStorage } from "../../src/domain/outputs.js";
import type { TestDatabase } from "./db.js";

export type StoreUnderTest = {
  name: "postgres" | "files";
  /** What createTestApi needs for an app on this store (every app of a file shares its folder). */
  options: Pick<AppDeps, "outputStore">;
  /** The same store as the app's, on a pool of its own (end it after use), for housekeeping and direct writes. */
  storage(database: TestDatabase): OutputStorage;
  /** How many bytes are stored for `outputId`: 0 when nothing is. */
  storedBytes(database: TestDatabase, outputId: string): Promise<number>;
  /** The ids of the outputs and uploads that have content stored. */
  storedIds(database: TestDatabase): Promise<string[]>;
};

const postgres: StoreUnderTest = {
  name: "postgres",
  options: { outputStore: { kind: "postgres" } },
  storage(database) {
    const pool = createContentPool(database.url, 2);
    return { pool, store: new PostgresContentStore(pool), maxOutputBytes: defaultLimits.maxOutputBytes };
  },
  async storedBytes(database, outputId) {
    const { rows } = await database.pool.query<{ n: number }>(
      "select coalesce(sum(octet_length(data)), 0)::int as n from job_output_chunks where output_id = $1::uuid",
      [outputId],
    );
    return rows[0]!.n;
  },
  async storedIds(database) {
    const { rows } = await database.pool.query<{ id: string }>("select distinct output_id::text as id from job_output_chunks order by 1");
    return rows.map((r) => r.id);
  },
};

/** A files store in a folder of its own, removed after the calling file's tests. */
function files(): StoreUnderTest {
  const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-test-outputs-"));
  afterAll(() => fs.rm(folder, { recursive: true, force: true }));
  return {
    name: "files",
    options: { outputStore: { kind: "files", folder } },
    storage(database) {
      const pool = createContentPool(database.url, 2);
      return { pool, store: new FileContentStore(folder, pool), maxOutputBytes: defaultLimits.maxOutputBytes };
    },
    async storedBytes(_database, outputId) {
      const stat = await fs.stat(contentPath(folder, outputId)).catch(() => undefined);
      return stat?.size ?? 0;
    },
    async storedIds() {
      const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    },
  };
}

/** Both stores, for describe.each: call it at the top of a test file. */
export function outputStores(): StoreUnderTest[] {
  return [postgres, files()];
}
