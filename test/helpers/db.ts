// A fresh database per test file, cloned from the migrated template in a few milliseconds.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";

/**
 * The maintenance database of this file's PostgreSQL server: the server of the worker running the
 * file (see workers.ts), so files running side by side never share one.
 */
export function adminUrl(): string {
  const urls = inject("adminUrls");
  return urls[(Number(process.env.VITEST_POOL_ID ?? 1) - 1) % urls.length]!;
}

export function databaseUrl(database: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${database}`;
  return u.toString();
}

/** The URL of `database` through this file's server's PgBouncer (TEST_POOLER=pgbouncer), or undefined without one. */
function pooledUrl(database: string): string | undefined {
  const urls = inject("poolerUrls");
  if (!urls.length) return undefined;
  const u = new URL(urls[(Number(process.env.VITEST_POOL_ID ?? 1) - 1) % urls.length]!);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Counts every statement sent through connections made with it (see createTestDatabase). */
export class StatementCounter {
  count = 0;
  statements: string[] = [];
  /** Each statement's parameters, in the same order. */
  parameters: unknown[][] = [];
  /**
   * Statements sent on a connection while another still ran on it: node-postgres queues them now,
   * with a deprecation warning, and will refuse them from pg 9 on.
   */
  overlapping: string[] = [];
  reset() {
    this.count = 0;
    this.statements = [];
    this.parameters = [];
    this.overlapping = [];
  }

  /** The statements since the last reset that read what a request asked for: authenticating its caller is one of its own, whatever the query. */
  readStatements(): string[] {
    return this.statements.filter((sql) => !/\/\* (authenticate|touchToken) \*\//.test(sql));
  }
}

export type TestDatabase = {
  /** What gateways connect to: the database, or (TEST_POOLER) a transaction-mode pooler in front of it. */
  url: string;
  /** The database itself, for LISTEN; url when there is no pooler. */
  directUrl: string;
  /** Whether url is a transaction-mode pooler (createDb's option of that name). */
  pooled: boolean;
  db: Db;
  counter: StatementCounter;
  /** A plain pg pool on the same database, for arranging rows and checking them from outside. */
  pool: pg.Pool;
};

/**
 * Creates a database for the calling test file and drops it after the file's tests. The Prisma
 * client it returns counts its statements, so a test can pin how many a request costs.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `jobgraph_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`create database ${name} template ${inject("templateDatabase")}`));
  const directUrl = databaseUrl(name);
  const pooled = pooledUrl(name);
  const url = pooled ?? directUrl;
  const counter = new StatementCounter();

  class CountingClient extends pg.Client {
    override query(...args: unknown[]): never {
      const first = args[0] as string | { text?: string; values?: unknown[] };
      const text = typeof first === "string" ? first : first?.text;
      if ((this as unknown as { _queryQueue: unknown[] })._queryQueue.length > 0) counter.overlapping.push(text ?? "");
      if (text !== undefined) {
        counter.count++;
        counter.statements.push(text);
        counter.parameters.push((typeof first === "string" ? args[1] : first.values) as unknown[] ?? []);
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  }

  const db = createDb({ url, Client: CountingClient, pooled: pooled !== undefined });
  const pool = new pg.Pool({ connectionString: directUrl, max: 4 });
  // An idle connection that the server ends (the test database dropped, PostgreSQL stopping) is
  // reported here; unheard, it would end the test run.
  pool.on("error", () => undefined);
  afterAll(async () => {
    await db.$disconnect();
    await pool.end();
    await admin((c) => c.query(`drop database if exists ${name} with (force)`));
  });
  return { url, directUrl, pooled: pooled !== undefined, db, counter, pool };
}

/**
 * The pages (shared buffers hit or read) the last counted statement carrying `marker` (its
 * leading comment, such as "/* acquireNextJob *\/") reads when run again, in a transaction rolled
 * back: what a change of the statement or of its plan costs, steadier than its time.
 *
 * It is run twice and the second run counted: on a connection new to the statement (the pool
 * closes idle ones, so a slow test gets a fresh one) the first run also reads the catalog to fill
 * the connection's caches, which counted as the statement's own pages (167 against 90).
 */
export async function pagesRead(database: TestDatabase, marker: string): Promise<number> {
  const at = database.counter.statements.findLastIndex((text) => text.includes(marker));
  if (at < 0) throw new Error(`no statement marked ${marker} was counted`);
  const client = await database.pool.connect();
  try {
    let pages = 0;
    for (let run = 0; run < 2; run++) {
      await client.query("begin");
      try {
        const { rows } = await client.query({
          text: `explain (analyze, buffers, format json) ${database.counter.statements[at]}`,
          values: database.counter.parameters[at],
        });
        const plan = rows[0]["QUERY PLAN"][0].Plan as { "Shared Hit Blocks": number; "Shared Read Blocks": number };
        pages = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"];
      } finally {
        await client.query("rollback").catch(() => undefined);
      }
    }
    return pages;
  } finally {
    client.release();
  }
}
