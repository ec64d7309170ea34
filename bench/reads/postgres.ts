// The read benchmark's PostgreSQL: lib's database() with pg_stat_statements loaded, and what is
// measured on the server side: statements executed (pg_stat_statements) and CPU time of all its
// processes (/proc).
import pg from "pg";
import { database, postmasterOf, type Database } from "../lib.js";

export type Postgres = Database & {
  /** `select version()`. */
  serverVersion: string;
  /** Whether pg_stat_statements can count statements on this server. */
  statements: boolean;
  /** The postmaster's pid when the server runs on this machine and /proc shows it, else null. */
  postmasterPid: number | null;
  /** A connection of the benchmark's own, for reading and resetting statistics. */
  client: pg.Client;
};

/**
 * A migrated database with pg_stat_statements loaded. lib's embedded PostgreSQL starts without it,
 * and shared_preload_libraries takes effect only at a start: it is set with `alter system` (kept
 * in the cluster's postgresql.auto.conf) and the server started again. On DATABASE_URL the server
 * is left as it is; without the extension, statements are not counted (reported as such).
 */
export async function startPostgres(dir: string): Promise<Postgres> {
  let db = await database(dir);
  if (!process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query("alter system set shared_preload_libraries = 'pg_stat_statements'");
    await admin.end();
    await db.stop();
    db = await database(dir);
  }
  const client = new pg.Client({ connectionString: db.url });
  // Kept for the whole run: a connection PostgreSQL ends meanwhile must not end the run.
  client.on("error", () => undefined);
  await client.connect();
  const statements = await client.query("create extension if not exists pg_stat_statements").then(
    () => client.query("select 1 from pg_stat_statements limit 1").then(() => true),
    () => false,
  );
  const { rows } = await client.query<{ version: string; pid: number }>("select version(), pg_backend_pid() as pid");
  const stopServer = db.stop;
  return {
    ...db,
    serverVersion: rows[0]!.version,
    statements,
    postmasterPid: (await postmasterOf(rows[0]!.pid)) ?? null,
    client,
    async stop() {
      await client.end();
      await stopServer();
    },
  };
}

export async function resetStatements(client: pg.Client): Promise<void> {
  await client.query("select pg_stat_statements_reset()");
}

export type StatementCount = { total: number; top: Array<{ calls: number; query: string }> };

/**
 * The statements executed in this database since the last reset (BEGIN, COMMIT and SET included:
 * each is a round trip), leaving out the benchmark's own reads of pg_stat_statements; with the
 * most frequent ones, their text shortened.
 */
export async function countStatements(client: pg.Client): Promise<StatementCount> {
  const { rows } = await client.query<{ calls: string; query: string }>(/* sql */ `
    /* benchStatementCounts */
    select s.calls, s.query
      from pg_stat_statements s join pg_database d on d.oid = s.dbid
     where d.datname = current_database() and s.query not like '%pg_stat_statements%'
     order by s.calls desc, s.query`);
  const total = rows.reduce((sum, r) => sum + Number(r.calls), 0);
  const top = rows.slice(0, 8).map((r) => ({ calls: Number(r.calls), query: r.query.replace(/\s+/g, " ").trim().slice(0, 160) }));
  return { total, top };
}
