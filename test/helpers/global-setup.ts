// Runs once per test run: compiles src/ for the processes the tests start, as `npm start` does
// (unless dist/ holds a build of the sources as they are; scripts/build.mjs), finds the PostgreSQL
// servers (TEST_DATABASE_URL, or else one embedded server per test worker, each in a temporary
// folder; see workers.ts), and migrates on each a template database that every test file clones.
// With TEST_POOLER=pgbouncer, a PgBouncer in transaction mode stands in front of each server, and
// the gateways the tests build connect through it (see db.ts). An S3-compatible server (s3rver)
// serves the tests of the S3 output store (see stores.ts).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrate.js";
import { ensureBuilt } from "../../scripts/build.mjs";
import { startPgBouncer, type PgBouncer } from "./pgbouncer.js";
import { startS3Server, type S3Server } from "./s3.js";
import { testWorkers } from "./workers.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URLs of the test servers' maintenance databases, for creating databases: one per worker, or one in all. */
    adminUrls: string[];
    /** The migrated database each test file clones, on every server. */
    templateDatabase: string;
    /** With TEST_POOLER=pgbouncer: each server's maintenance database through its PgBouncer, in adminUrls' order; otherwise empty. */
    poolerUrls: string[];
    /** The S3-compatible server's address (its bucket is TEST_BUCKET). */
    s3Endpoint: string;
    /** The folder it keeps its objects in (see ageObject). */
    s3Directory: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  const embedded: Array<{ server: EmbeddedPostgres; dataDir: string }> = [];
  const adminUrls: string[] = [];
  const poolers: PgBouncer[] = [];
  let s3: S3Server | undefined;
  const templateDatabase = `jobgraph_test_template_${process.pid}`;

  async function teardown() {
    await Promise.all(poolers.map((pooler) => pooler.stop()));
    await s3?.stop();
    await Promise.all(adminUrls.map((url) => onServer(url, `drop database if exists ${templateDatabase} with (force)`).catch(() => {})));
    await Promise.all(
      embedded.map(async ({ server, dataDir }) => {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }),
    );
  }

  try {
    await ensureBuilt();
    if (process.env.TEST_DATABASE_URL) {
      adminUrls.push(process.env.TEST_DATABASE_URL);
    } else {
      await Promise.all(
        Array.from({ length: testWorkers }, async () => {
          const dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-test-"));
          // mkdtemp makes the folder private; PostgreSQL may run as another user (see embedded.ts).
          chmodSync(dataDir, 0o755);
          const server = await startEmbeddedPostgres({ dataDir });
          embedded.push({ server, dataDir });
          adminUrls.push(server.adminUrl);
        }),
      );
    }
    await Promise.all(
      adminUrls.map(async (url) => {
        await onServer(url, `drop database if exists ${templateDatabase}`);
        await onServer(url, `create database ${templateDatabase}`);
        await migrate(withDatabase(url, templateDatabase));
      }),
    );

    if (process.env.TEST_POOLER === "pgbouncer") {
      for (const url of adminUrls) poolers.push(await startPgBouncer(url));
    } else if (process.env.TEST_POOLER) {
      throw new Error(`TEST_POOLER=${process.env.TEST_POOLER}: the only pooler the tests know is pgbouncer`);
    }
    project.provide("adminUrls", adminUrls);
    project.provide("poolerUrls", poolers.map((pooler, i) => pooler.url(new URL(adminUrls[i]!).pathname.slice(1) || "postgres")));
    project.provide("templateDatabase", templateDatabase);
    s3 = await startS3Server();
    project.provide("s3Endpoint", s3.endpoint);
    project.provide("s3Directory", s3.directory);
  } catch (error) {
    // Without this, a failed set-up would leave PostgreSQL servers running and their folders behind.
    await teardown().catch(() => {});
    throw error;
  }

  return teardown;
}
