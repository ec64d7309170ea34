// The Prisma client over node-postgres. Prisma's query compiler runs as WebAssembly (engineType
// "client"), so no native engine is downloaded or loaded.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "./generated/prisma/client.js";

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
   * How long PostgreSQL lets one statement run (its statement_timeout, lock waits included)
   * before it cancels it; 0 or none for no limit. Set on each connection as it opens, which a
   * transaction-mode pooler would pass to other clients or refuse: behind one (`pooled`), the
   * database role's own setting applies instead (docs/deploy.md).
   */
  statementTimeoutMs?: number;
  /**
   * Where a statement gets its connection when none can be opened here (a read replica that
   * stopped): `pool`, after `failed` is told why. A statement run through the pool (not Prisma)
   * whose connection is lost while it runs runs again there too: a replica only reads, so the
   * statement changed nothing.
   */
  fallback?: { pool: pg.Pool; failed(error: Error): void };
};

/**
 * Errors that end a read for reasons not its own, so that it may run again elsewhere: its
 * connection went (the server shutting down or ending it, 57P01 to 57P03; the connection failing,
 * class 08; the socket closing under it), or a standby cancelled it as it conflicted with the WAL
 * it replays (40001).
 */
const CONNECTION_LOST_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);
const CONNECTION_LOST_MESSAGE = /^Connection terminated|^Client has encountered a connection error/;

function connectionLost(error: Error): boolean {
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === "string" && CONNECTION_LOST_CODES.has(code)) || CONNECTION_LOST_MESSAGE.test(error.message);
}

export function isRetryableRead(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return connectionLost(error) || (error as Error & { code?: unknown }).code === "40001";
}

/**
 * Besides a lost connection: PostgreSQL refusing one (08001, 08004, too many connections 53300),
 * its host out of reach or unknown, and Prisma's codes for the same (P1001 can't reach, P1002 and
 * P1008 timed out, P1017 connection closed, P2037 too many connections).
 */
const UNREACHABLE_CODES = new Set(["08001", "08004", "53300", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "P1001", "P1002", "P1008", "P1017", "P2037"]);

/**
 * Whether an error says the database could not be used at all, for no fault of the request: out of
 * reach, shutting down or starting up, its connection lost, or the pool's connections all busy for
 * their whole wait. The error may be wrapped (a GraphQLError's originalError, an Error's cause, a
 * Prisma error's driver adapter error, whose cause holds PostgreSQL's code as originalCode).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let at: unknown = error;
  for (let depth = 0; at && typeof at === "object" && depth < 6; depth++) {
    if (at instanceof Error && (connectionLost(at) || isPoolExhausted(at))) return true;
    const { code, originalCode, originalError, cause, meta } = at as { code?: unknown; originalCode?: unknown; originalError?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    for (const value of [code, originalCode]) {
      if (typeof value === "string" && (UNREACHABLE_CODES.has(value) || CONNECTION_LOST_CODES.has(value))) return true;
    }
    at = originalError ?? meta?.driverAdapterError ?? cause;
  }
  return false;
}

/**
 * Whether an error says PostgreSQL cancelled a statement that ran past its statement_timeout
 * (57014, which a cancel by an operator shares, told apart by its message), however wrapped (see
 * isDatabaseUnavailable).
 */
export function isStatementTimeout(error: unknown): boolean {
  let at: unknown = error;
  for (let depth = 0; at && typeof at === "object" && depth < 6; depth++) {
    const { code, originalCode, message, originalMessage, originalError, cause, meta } = at as {
      code?: unknown;
      originalCode?: unknown;
      message?: unknown;
      originalMessage?: unknown;
      originalError?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    const cancelled = code === "57014" || originalCode === "57014" || code === "P2010";
    if (cancelled && [message, originalMessage].some((text) => typeof text === "string" && text.includes("statement timeout"))) return true;
    at = originalError ?? meta?.driverAdapterError ?? cause;
  }
  return false;
}

/**
 * Whether an error is a unique constraint's violation: through Prisma's client (P2002), or in a
 * statement of our own SQL (P2010 with PostgreSQL's 23505).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === "P2002") return true;
  return error.code === "P2010" && /23505/.test(String((error.meta as { code?: string } | undefined)?.code ?? error.message));
}

/**
 * Whether an error is the violation of one of the foreign keys `constraints`: through Prisma's
 * client (P2003), in a statement of our own SQL through it (P2010 with PostgreSQL's 23503), or
 * on the pool's own connections (node-postgres' error, src/db/rows.ts).
 */
export function isForeignKeyViolation(error: unknown, ...constraints: string[]): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const said = `${error.message} ${JSON.stringify(error.meta ?? {})}`;
    return (error.code === "P2003" || (error.code === "P2010" && said.includes("23503"))) && constraints.some((c) => said.includes(c));
  }
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === "23503" && typeof constraint === "string" && constraints.includes(constraint);
}

/** A statement node-postgres runs as an object (src/db/rows.ts' Statement): what it needs to run again. */
type Runnable = { text: string; values?: unknown[]; name?: string; submit: unknown };

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

  override query(...args: unknown[]): never {
    const result = (pg.Pool.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    const [statement] = args as [Runnable | undefined];
    // The statements src/db/rows.ts runs: one object, answered by a promise.
    if (args.length !== 1 || !(result instanceof Promise) || typeof statement?.submit !== "function") return result as never;
    return result.catch((error: unknown) => {
      if (!isRetryableRead(error)) throw error;
      this.#fallback.failed(error as Error);
      return this.#fallback.pool.query({ text: statement.text, values: statement.values ?? [], ...(statement.name ? { name: statement.name } : {}) });
    }) as never;
  }
}

/**
 * Makes `pool` hear the end of each of its connections that the server closes (a restart, a
 * failover, PostgreSQL stopping before this process, pg_terminate_backend); unheard, node-postgres'
 * 'error' event is an uncaught exception that ends the process. The pool hears it for the
 * connections it holds idle, and drops them; a connection someone holds between two statements
 * (a transaction, an upload) reports it on the client, where it is heard here: its holder learns
 * of it from its next statement, which fails, and the pool drops the connection once it is given back.
 */
export function hearConnectionErrors<P extends pg.Pool>(pool: P): P {
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

// Found by the client's identity only: a transaction's client must never reach the pool, which would
// run its statements outside the transaction.
const pools = new WeakMap<Db, pg.Pool>();
const pooledDbs = new WeakSet<Db>();


export function createDb({ url, poolSize = 10, poolWaitMs = 30_000, Client, pooled = false, statementTimeoutMs, fallback }: DbOptions): Db {
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
    // Sent in the connection's start-up message: no statement of its own.
    ...(statementTimeoutMs && !pooled ? { statement_timeout: statementTimeoutMs } : {}),
    ...(Client ? { Client } : {}),
  };
  const pool = hearConnectionErrors(fallback ? new FallbackPool(config, fallback) : new pg.Pool(config));
  // Prisma ends a pool it was given only when told to; $disconnect must still close every connection.
  // An interactive transaction waits for its connection as long as any statement does: Prisma's
  // own 2 s made a burst of createJob answer "Unexpected error" long before the pool's wait ran
  // out. Its time to run stays Prisma's 5 s (createWorkflow asks for more): a transaction whose
  // connection PostgreSQL's restart cut holds its request until then, and a longer one kept
  // workers' requests waiting long after the database was back.
  const db = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
    transactionOptions: { maxWait: poolWaitMs },
  });
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
 * this message, whether the statement came through Prisma or straight from the pool; Prisma says
 * so of an interactive transaction that did not start within its wait (P2028) in its own words.
 */
export function isPoolExhausted(error: unknown): boolean {
  return error instanceof Error && (error.message === "timeout exceeded when trying to connect" || error.message.includes("Unable to start a transaction in the given time"));
}
