// The output stores (src/db/content-store.ts, src/db/file-store.ts, src/db/s3-store.ts), for
// suites that run the same tests against each: how to build an app on one, and how to see from
// outside what it holds.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, inject } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { defaultLimits, type S3StoreConfig } from "../../src/config.js";
import { createContentPool, PostgresContentStore } from "../../src/db/content-store.js";
import { contentPath, FileContentStore } from "../../src/db/file-store.js";
import { S3ContentStore } from "../../src/db/s3-store.js";
import type { OutputStorage } from "../../src/domain/outputs.js";
import type { TestDatabase } from "./db.js";
import { S3RVER_CREDENTIALS, TEST_BUCKET } from "./s3.js";

export type StoreUnderTest = {
  name: "postgres" | "files" | "s3";
  /** What createTestApi needs for an app on this store (every app of a file shares its folder). */
  options: Pick<AppDeps, "outputStore">;
  /** The same store as the app's, on a pool of its own (end it after use), for housekeeping and direct writes. */
  storage(database: TestDatabase): OutputStorage;
  /** How many bytes are stored for `outputId`: 0 when nothing is. */
  storedBytes(database: TestDatabase, outputId: string): Promise<number>;
  /** The ids of the outputs and uploads that have content stored. */
  storedIds(database: TestDatabase): Promise<string[]>;
  /**
   * Whether an upload's content shows in storedBytes while it is still coming in: not in S3,
   * where an object appears whole once its upload completes.
   */
  showsPartialUploads: boolean;
};

const postgres: StoreUnderTest = {
  name: "postgres",
  showsPartialUploads: true,
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
    showsPartialUploads: true,
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

/** The settings of an S3 store on the tests' S3 server (test/helpers/s3.ts), under a prefix of its own. */
export function s3Settings(overrides: Partial<S3StoreConfig> = {}): S3StoreConfig {
  return {
    bucket: TEST_BUCKET,
    prefix: `test-${randomUUID()}/`,
    endpoint: inject("s3Endpoint"),
    region: "us-east-1",
    forcePathStyle: true,
    presignSeconds: 0,
    credentials: S3RVER_CREDENTIALS,
    ...overrides,
  };
}

/** A client of the tests' S3 server, to look at what a store put there. */
export function s3TestClient(endpoint = inject("s3Endpoint")): S3Client {
  return new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

/** An S3 store under a prefix of its own, on the tests' S3 server. */
function s3(): StoreUnderTest {
  const settings = s3Settings();
  const client = s3TestClient();
  afterAll(() => client.destroy());
  return {
    name: "s3",
    showsPartialUploads: false,
    options: { outputStore: { kind: "s3", ...settings } },
    storage(database) {
      const pool = createContentPool(database.url, 2);
      return { pool, store: new S3ContentStore(settings, pool, defaultLimits.maxOutputBytes), maxOutputBytes: defaultLimits.maxOutputBytes };
    },
    async storedBytes(_database, outputId) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}${outputId}` }));
        return head.ContentLength ?? 0;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return 0;
        throw error;
      }
    },
    async storedIds() {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix, ContinuationToken: token }));
        ids.push(...(page.Contents ?? []).map((object) => object.Key!.slice(settings.prefix.length)));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return ids.sort();
    },
  };
}

/** Every store, for describe.each: call it at the top of a test file. */
export function outputStores(): StoreUnderTest[] {
  return [postgres, files(), s3()];
}
