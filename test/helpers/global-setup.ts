// Runs once per test run: finds a PostgreSQL server (TEST_DATABASE_URL, or else an embedded one in
// a temporary folder), and migrates a template database that every test file clones.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL of the test server's maintenance database, for creating databases. */
    adminUrl: string;
    /** The migrated database each test file clones. */
    templateDatabase: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  const templateDatabase = `jobgraph_test_template_${process.pid}`;

  async function teardown() {
    if (adminUrl) {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${templateDatabase} with (force)`);
      await cleanup.end();
    }
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  try {
    if (!adminUrl) {
      dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-test-"));
      // mkdtemp makes the folder private; PostgreSQL may run as another user (see embedded.ts).
      chmodSync(dataDir, 0o755);
      embedded = await startEmbeddedPostgres({ dataDir });
      adminUrl = embedded.adminUrl;
    }
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${templateDatabase}`);
    await admin.query(`create database ${templateDatabase}`);
    await admin.end();
    await migrate(withDatabase(adminUrl, templateDatabase));

    project.provide("adminUrl", adminUrl);
    project.provide("templateDatabase", templateDatabase);
  } catch (error) {
    // Without this, a failed set-up would leave a PostgreSQL running and its folder behind.
    await teardown().catch(() => {});
    throw error;
  }

  return teardown;
}
