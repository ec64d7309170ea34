// Reads on streaming replicas (DATABASE_REPLICA_URLS). Query operations (pages, lists, lookups) may
// run on a replica; mutations, claims, subscriptions and the event tail stay on the primary. A
// replica lags, so a client that has just written must not read from one that has not replayed its
// write: every write's position in the WAL is remembered for its principal on this instance, and
// handed to the client (a response header and a cookie) to bring along to any other instance. A
// read that must see a position goes to a replica that has replayed it, waits a bounded time for
// one to, or else runs on the primary. A replica that is down, promoted, or further behind than
// the lag allowed serves nothing until it is back.
import pg from "pg";
import { createDb, dbPool, type Db } from "./client.js";

/** A position in the WAL, as PostgreSQL writes it (`16/B374D848`). */
export type Lsn = bigint;

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** A position from its text; undefined when the text is not one. */
export function parseLsn(text: string | null | undefined): Lsn | undefined {
  const match = text ? LSN.exec(text.trim()) : null;
  return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : undefined;
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export type ReplicaSettings = {
  urls: readonly string[];
  /** How long a read that must see a write waits for a replica to replay it before it runs on the primary. */
  waitMs: number;
  /** A replica further behind the primary than this serves no reads until it has caught up. */
  maxLagSeconds: number;
};

/** What a replica was found to be at its last check, for logs and metrics. */
export type ReplicaState = {
  /** host:port/database, without credentials. */
  name: string;
  usable: boolean;
  /** Why it serves no reads, when it does not. */
  reason?: string;
  /** How far behind the primary it was, in seconds (0 when it had replayed all the primary had written). */
  lagSeconds?: number;
};

/** How often each replica's position is checked, and the primary's sampled to tell lag in time. */
const CHECK_INTERVAL_MS = 1_000;
/** How often a replica is asked for its position while a read waits for it. */
const POLL_MS = 2;
/** A check that takes longer than this counts as failed: the replica is out of reach. */
const CHECK_TIMEOUT_MS = 2_000;
/** Principals whose last write this instance remembers (a write older than the lag allowed is forgotten). */
const MAX_WRITERS = 10_000;

type Waiter = { lsn: Lsn; resolve(reached: boolean): void };

type Replica = {
  url: string;
  name: string;
  db: Db;
  /** The connection its position is read on, opened when needed. */
  check?: pg.Client;
  /** Where it had replayed to when last asked; 0 when never asked. */
  replayed: Lsn;
  /** Whether the last check found a standby that answers. */
  up: boolean;
  lagMs: number;
  reason?: string;
  waiters: Waiter[];
  polling: boolean;
};

function describe(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

export class ReadReplicas {
  readonly #primary: Db;
  readonly #replicas: Replica[];
  readonly #waitMs: number;
  readonly #maxLagMs: number;
  readonly #onChange: (state: ReplicaState) => void;
  /** The primary's position at each check, oldest first, over the lag allowed and a little more. */
  readonly #history: Array<{ at: number; lsn: Lsn }> = [];
  /** Each principal's last write on this instance, oldest first. */
  readonly #writes = new Map<string, { lsn: Lsn; at: number }>();
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #reads = { replica: 0, primary: 0 };
  #checking: Promise<void> | undefined;

  constructor(
    primary: Db,
    settings: ReplicaSettings,
    {
      poolSize = 10,
      poolWaitMs,
      statementTimeoutMs,
      onChange = () => undefined,
    }: { poolSize?: number; poolWaitMs?: number; statementTimeoutMs?: number; onChange?: (state: ReplicaState) => void } = {},
  ) {
    this.#primary = primary;
    this.#waitMs = settings.waitMs;
    this.#maxLagMs = settings.maxLagSeconds * 1000;
    this.#onChange = onChange;
    const primaryPool = dbPool(primary)!;
    this.#replicas = settings.urls.map((url) => {
      const replica: Replica = { url, name: describe(url), db: undefined as unknown as Db, replayed: 0n, up: false, lagMs: 0, reason: "not checked yet", waiters: [], polling: false };
      replica.db = createDb({
        url,
        poolSize,
        ...(poolWaitMs !== undefined ? { poolWaitMs } : {}),
        ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
        // A replica that stopped since its last check: the read takes a connection of the
        // primary's instead (which has all the replica had, and more), and the replica is left
        // out until a check finds it back.
        fallback: {
          pool: primaryPool,
          failed: (error) => this.#down(replica, `connecting failed: ${error.message}`),
        },
      });
      return replica;
    });
  }

  /** Query operations so far, by where they read. */
  get reads(): Readonly<Record<"replica" | "primary", number>> {
    return this.#reads;
  }

  /** Each replica's connection pool, by the replica's name. */
  get pools(): Record<string, pg.Pool | undefined> {
    return Object.fromEntries(this.#replicas.map((replica) => [`replica ${replica.name}`, dbPool(replica.db)]));
  }

  /** The replicas as last checked. */
  get states(): ReplicaState[] {
    return this.#replicas.map((replica) => this.#state(replica));
  }

  /** Checks every replica now, then again every second until stopped. */
  async start(): Promise<void> {
    await this.#checkAll();
    this.#timer = setInterval(() => void this.#checkAll(), CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking;
    for (const replica of this.#replicas) {
      for (const waiter of replica.waiters.splice(0)) waiter.resolve(false);
      await replica.check?.end().catch(() => undefined);
      replica.check = undefined;
      await replica.db.$disconnect();
    }
  }

  /**
   * The database a query runs on: a usable replica that has replayed `after` (when given), one
   * that does so within the wait, or else the primary.
   */
  async forRead(after: Lsn | undefined): Promise<Db> {
    const replica = await this.#replicaFor(after);
    this.#reads[replica ? "replica" : "primary"]++;
    return replica?.db ?? this.#primary;
  }

  /** The primary, for a read that must run there (a position that is none). */
  primaryRead(): Db {
    this.#reads.primary++;
    return this.#primary;
  }

  async #replicaFor(after: Lsn | undefined): Promise<Replica | undefined> {
    const usable = this.#replicas.filter((replica) => this.#usable(replica));
    if (!usable.length) return undefined;
    if (after === undefined) return this.#pick(usable);
    const ready = usable.filter((replica) => replica.replayed >= after);
    if (ready.length) return this.#pick(ready);
    return this.#firstToReach(usable, after);
  }

  /**
   * After a principal's write has committed: the primary's position now (past the write's commit),
   * remembered as the position that principal's reads on this instance must see.
   */
  async wrote(principal: string): Promise<Lsn> {
    const { rows } = await dbPool(this.#primary)!.query<{ lsn: string }>("/* writePosition */ select pg_current_wal_lsn()::text as lsn");
    const lsn = parseLsn(rows[0]!.lsn)!;
    const last = this.#writes.get(principal);
    this.#writes.delete(principal);
    this.#writes.set(principal, { lsn: last && last.lsn > lsn ? last.lsn : lsn, at: Date.now() });
    if (this.#writes.size > MAX_WRITERS) this.#writes.delete(this.#writes.keys().next().value!);
    return lsn;
  }

  /**
   * The position a principal's last write on this instance reached, while a replica may still lack
   * it; a write older than the lag allowed is on every replica that serves reads.
   */
  lastWrite(principal: string): Lsn | undefined {
    const last = this.#writes.get(principal);
    if (!last) return undefined;
    if (Date.now() - last.at > this.#maxLagMs) {
      this.#writes.delete(principal);
      return undefined;
    }
    return last.lsn;
  }

  /** How long a client needs to bring a write's position along: past that, every replica in use has it. */
  get rememberSeconds(): number {
    return Math.ceil(this.#maxLagMs / 1000);
  }

  #usable(replica: Replica): boolean {
    return replica.up && replica.lagMs <= this.#maxLagMs;
  }

  #pick(replicas: Replica[]): Replica {
    this.#next = (this.#next + 1) % replicas.length;
    return replicas[this.#next]!;
  }

  #state(replica: Replica): ReplicaState {
    const usable = this.#usable(replica);
    const reason = replica.up ? (usable ? undefined : `${(replica.lagMs / 1000).toFixed(1)} s behind the primary`) : replica.reason;
    return { name: replica.name, usable, ...(reason ? { reason } : {}), ...(replica.up ? { lagSeconds: replica.lagMs / 1000 } : {}) };
  }

  /** Runs `change` and reports the replica when whether it serves reads changed. */
  #changing(replica: Replica, change: () => void): void {
    const before = this.#usable(replica);
    change();
    if (this.#usable(replica) !== before) this.#onChange(this.#state(replica));
  }

  #down(replica: Replica, reason: string): void {
    this.#changing(replica, () => {
      replica.up = false;
      replica.reason = reason;
    });
    const check = replica.check;
    replica.check = undefined;
    void check?.end().catch(() => undefined);
  }

  /** The replica's replay position, asked on its own connection; undefined when it does not answer as a standby. */
  async #position(replica: Replica): Promise<Lsn | undefined> {
    try {
      if (!replica.check) {
        const client = new pg.Client({ connectionString: replica.url, connectionTimeoutMillis: CHECK_TIMEOUT_MS, query_timeout: CHECK_TIMEOUT_MS });
        client.on("error", () => undefined);
        replica.check = client;
        await client.connect();
      }
      const { rows } = await replica.check.query<{ standby: boolean; replayed: string | null }>(
        "select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as replayed",
      );
      const { standby, replayed } = rows[0]!;
      if (!standby) {
        this.#down(replica, "it is not a standby (pg_is_in_recovery() is false): promoted, or not a replica at all");
        return undefined;
      }
      const lsn = parseLsn(replayed) ?? 0n;
      if (lsn > replica.replayed) replica.replayed = lsn;
      return replica.replayed;
    } catch (error) {
      this.#down(replica, `checking failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  #checkAll(): Promise<void> {
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    let primary: Lsn | undefined;
    try {
      const { rows } = await dbPool(this.#primary)!.query<{ lsn: string }>("/* primaryPosition */ select pg_current_wal_lsn()::text as lsn");
      primary = parseLsn(rows[0]!.lsn);
    } catch {
      // The primary out of reach: the replicas' lag cannot be told, and stays as it was.
    }
    const now = Date.now();
    if (primary !== undefined) {
      this.#history.push({ at: now, lsn: primary });
      while (this.#history.length > 2 && this.#history[1]!.at < now - this.#maxLagMs - 2 * CHECK_INTERVAL_MS) this.#history.shift();
    }
    await Promise.all(
      this.#replicas.map(async (replica) => {
        const replayed = await this.#position(replica);
        if (replayed === undefined) return;
        // Behind by the age of the oldest position of the primary it has not replayed.
        const missing = this.#history.find((sample) => sample.lsn > replayed);
        this.#changing(replica, () => {
          replica.up = true;
          replica.reason = undefined;
          replica.lagMs = missing ? Date.now() - missing.at : 0;
        });
      }),
    );
  }

  /** The first of `replicas` to replay `lsn` within the wait; undefined when none does. */
  #firstToReach(replicas: Replica[], lsn: Lsn): Promise<Replica | undefined> {
    return new Promise((resolve) => {
      let pending = replicas.length;
      let done = false;
      const timer = setTimeout(() => finish(undefined), this.#waitMs);
      const finish = (replica: Replica | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const each of replicas) each.waiters = each.waiters.filter((waiter) => !waiters.includes(waiter));
        resolve(replica);
      };
      const waiters = replicas.map((replica) => {
        const waiter: Waiter = {
          lsn,
          resolve: (reached) => {
            if (reached) finish(replica);
            else if (--pending === 0) finish(undefined);
          },
        };
        replica.waiters.push(waiter);
        void this.#poll(replica);
        return waiter;
      });
    });
  }

  /** Asks a replica for its position, again and again, while reads wait for it. */
  async #poll(replica: Replica): Promise<void> {
    if (replica.polling) return;
    replica.polling = true;
    try {
      while (replica.waiters.length) {
        const replayed = await this.#position(replica);
        if (replayed === undefined) {
          for (const waiter of replica.waiters.splice(0)) waiter.resolve(false);
          break;
        }
        const reached = replica.waiters.filter((waiter) => waiter.lsn <= replayed);
        replica.waiters = replica.waiters.filter((waiter) => waiter.lsn > replayed);
        for (const waiter of reached) waiter.resolve(true);
        if (replica.waiters.length) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      replica.polling = false;
    }
  }
}
