// The Prisma client over node-postgres. Prisma's query compiler runs as WebAssembly (engineType
// "client"), so no native engine is downloaded or loaded.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.js";

export type Db = PrismaClient;

const INT8 = 20;

export type DbOptions = {
  url: string;
  poolSize?: number;
  /** How long a statement waits for a free connection before it fails (see createDb). */
  poolWaitMs?: number;
  /** A pg.Client subclass, e.g. one that counts statements in tests. */
  Client?: typeof pg.Client;
  /**
   * Whether url is a transaction-mode pooler (PgBouncer): each transaction may run on another
   * server connection, so no statement is prepared under a name (see src/db/rows.ts).
   */
  pooled?: boolean;
  /**
   * Where a statement gets its connection when none can be opened here (a read replica that
   * stopped): `pool`, after `failed` is told why.
   */
  fallback?: { pool: pg.Pool; failed(error: Error): void };
};

type Connected = (error: Error | undefined, client: pg.PoolClient | undefined, release: (error?: Error) => void) => void;

/**
 * A pool that hands out a connection of another pool when it cannot open one of its own. Every
 * statement, from Prisma or straight from the pool, gets its connection through connect().
 */
class FallbackPool extends pg.Pool {
  readonly #fallback: NonNullable<DbOptions["fallback"]>;

  constructor(config: pg.PoolConfig, fallback: NonNullable<DbOptions["fallback"]>) {
    super(config);
    this.#fallback = fallback;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: Connected): void;
  override connect(callback?: Connected): Promise<pg.PoolClient> | void {
    const connected = super.connect().catch((error: Error) => {
      // A pool whose connections are all busy is not out of reach: that wait stays this pool's.
      if (isPoolExhausted(error)) throw error;
      this.#fallback.failed(error);
      return this.#fallback.pool.connect();
    });
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (error) => client.release(error)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }
}

// Found by the client's identity only: a transaction's client must never reach the pool, which would
// run its statements outside the transaction.
const pools = new WeakMap<Db, pg.Pool>();
const pooledDbs = new WeakSet<Db>();

export function createDb({ url, poolSize = 10, poolWaitMs = 30_000, Client, pooled = false, fallback }: DbOptions): Db {
  // The pool is made here rather than by the adapter so that its use can be measured (dbPool).
  const config: pg.PoolConfig = {
    connectionString: url,
    max: poolSize,
    // int8 as BigInt, as Prisma gives it, for the statements src/db/rows.ts runs here (Prisma's own
    // queries bring their own parsers).
    types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? BigInt : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser },
    // A burst of requests (a thousand dashboards reconnecting after a restart) waits its turn
    // rather than failing; past this, a request is answered SERVICE_UNAVAILABLE (src/graphql/mask.ts).
    connectionTimeoutMillis: poolWaitMs,
    ...(Client ? { Client } : {}),
  };
  const pool = fallback ? new FallbackPool(config, fallback) : new pg.Pool(config);
  // An idle connection that the server closes (a restart, a failover, PostgreSQL stopping before
  // this process) is reported here; unheard, it would crash the process. The pool drops it and
  // opens another when one is needed.
  pool.on("error", () => undefined);
  // Prisma ends a pool it was given only when told to; $disconnect must still close every connection.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  if (pooled) pooledDbs.add(db);
  return db;
}

/** Whether a client made by createDb may prepare statements under a name: not through a transaction-mode pooler. */
export function preparesStatements(db: Db): boolean {
  return !pooledDbs.has(db);
}

/** The connection pool under a client made by createDb: its total, idle and waiting counts. */
export function dbPool(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

/**
 * Whether an error says a pool had no connection free within its wait: pg-pool tells it only by
 * this message, whether the statement came through Prisma or straight from the pool.
 */
export function isPoolExhausted(error: unknown): boolean {
  return error instanceof Error && error.message === "timeout exceeded when trying to connect";
}
