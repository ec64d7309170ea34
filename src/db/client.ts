// The Prisma client over node-postgres. Prisma's query compiler runs as WebAssembly (engineType
// "client"), so no native engine is downloaded or loaded.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.js";

export type Db = PrismaClient;

export type DbOptions = {
  url: string;
  poolSize?: number;
  /** A pg.Client subclass, e.g. one that counts statements in tests. */
  Client?: typeof pg.Client;
};

// Kept on the client itself, so that a wrapper of it (a Proxy, as tests make) still finds its pool.
const POOL = Symbol("jobgraph.pool");

export function createDb({ url, poolSize = 10, Client }: DbOptions): Db {
  // The pool is made here rather than by the adapter so that its use can be measured (dbPool).
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A refused connection should fail a request quickly, not hang it.
    connectionTimeoutMillis: 5_000,
    ...(Client ? { Client } : {}),
  });
  // An idle connection that the server closes (a restart, a failover, PostgreSQL stopping before
  // this process) is reported here; unheard, it would crash the process. The pool drops it and
  // opens another when one is needed.
  pool.on("error", () => undefined);
  // Prisma ends a pool it was given only when told to; $disconnect must still close every connection.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  Object.defineProperty(db, POOL, { value: pool });
  return db;
}

/** The connection pool under a client made by createDb: its total, idle and waiting counts. */
export function dbPool(db: Db): pg.Pool | undefined {
  return (db as Db & { [POOL]?: pg.Pool })[POOL];
}
