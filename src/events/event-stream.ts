// Every gateway instance tails the job_events table and fans the events out to its own
// subscribers. Writes wake the tail at once in the writing instance, and through a NOTIFY sent
// after commit in every other instance that has subscribers; a short poll is the safety net for a
// lost signal.
//
// Tailing orders by (txid, id) and reads only below the oldest transaction still running, so an
// event whose transaction commits after a later-numbered one was read is still delivered, in
// order, exactly once; and each job's events carry txids that never decrease with its version
// (src/domain/event-order.ts), so every stream delivers a job's events in version order.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";
import { forgetPrincipals, TOKENS_CHANGED_CHANNEL } from "../domain/auth.js";
import { HistoryExpiredError } from "../domain/errors.js";
import { EVENT_HORIZON } from "../domain/event-order.js";
import type { JobEventKind, JobStatus } from "../db/generated/prisma/enums.js";

/** The channel instances wake each other on. The payload is empty: the table is the message. */
export const WAKE_CHANNEL = "jobgraph_events";

/** The channel an instance says on that a job's log grew; the payload is the job's id. */
export const LOGS_CHANNEL = "jobgraph_logs";

/**
 * The channel an instance with subscribers (to events or to logs) says so on, with its own id as
 * the payload, when the first comes and then every heartbeat while it has any. Writers send their
 * NOTIFYs only while some other instance has said so lately: a NOTIFY is a transaction of its own,
 * and PostgreSQL commits them one at a time, so a fleet of workers on instances nobody watches
 * would otherwise pay for announcements no one hears.
 */
export const TAILERS_CHANNEL = "jobgraph_tailers";

/** A thin event: what changed, not the changed object (subscribers read that themselves). */
export type StreamEvent = {
  id: bigint;
  /** Where the event is in the stream: pass back as `after` to resume behind it. */
  cursor: string;
  jobId: string | null;
  taskId: string | null;
  kind: JobEventKind;
  fromStatus: JobStatus | null;
  toStatus: JobStatus | null;
  progress: number | null;
  detail: unknown;
  jobVersion: number;
  at: Date;
};

type Row = {
  id: bigint;
  txid: string;
  job_id: string | null;
  task_id: string | null;
  kind: JobEventKind;
  from_status: JobStatus | null;
  to_status: JobStatus | null;
  progress: number | null;
  detail: unknown;
  job_version: number;
  at: Date;
};

export function encodeCursor(txid: string, id: bigint | string): string {
  return Buffer.from(`${txid}:${id}`).toString("base64url");
}

const MAX_TXID = 2n ** 64n - 1n;
const MAX_ID = 2n ** 63n - 1n;

/** A cursor's position, or null when the text is not a cursor the stream gave out. */
export function decodeCursor(cursor: string): { txid: string; id: string } | null {
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match || encodeCursor(match[1]!, match[2]!) !== cursor) return null;
  return BigInt(match[1]!) <= MAX_TXID && BigInt(match[2]!) <= MAX_ID ? { txid: match[1]!, id: match[2]! } : null;
}

function toEvent(row: Row): StreamEvent {
  return {
    id: row.id,
    cursor: encodeCursor(row.txid, row.id),
    jobId: row.job_id,
    taskId: row.task_id,
    kind: row.kind,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    progress: row.progress,
    detail: row.detail,
    jobVersion: row.job_version,
    at: row.at,
  };
}

const BATCH = 1000;

/** The first `limit` events after `after` that are safe to hand out (all that precede them have committed), as Rows. */
function eventsAfter(after: Position, limit: number): Prisma.Sql {
  return Prisma.sql`
    select id, txid::text as txid, job_id, task_id, kind::text as kind, from_status::text as from_status,
           to_status::text as to_status, progress, detail, job_version, at
      from job_events
     where (txid, id) > (${after.txid}::xid8, ${after.id}::bigint)
       and txid < ${EVENT_HORIZON}
     order by job_events.txid, job_events.id
     limit ${limit}::int`;
}

/** Events after `cursor` (or from the start) that are safe to hand out: all that precede them have committed. */
export async function readEvents(db: Db, after: Position | null, limit = BATCH): Promise<StreamEvent[]> {
  const rows = await sqlRows<Row>(db, Prisma.sql`/* tailEvents */ ${eventsAfter(after ?? ORIGIN, limit)}`);
  return rows.map(toEvent);
}

/** A place in the stream: behind the event with this txid and id. */
export type Position = { txid: string; id: string };

/** Whether `a` comes before `b` in the stream. */
export function isBefore(a: Position, b: Position): boolean {
  const [at, bt] = [BigInt(a.txid), BigInt(b.txid)];
  return at < bt || (at === bt && BigInt(a.id) < BigInt(b.id));
}

/**
 * As readEvents, for a subscriber replaying from its cursor: HistoryExpiredError when events after
 * `after` were deleted (src/domain/retention.ts), read in the same statement as the events, so that
 * a batch read while the history is pruned is either whole or refused.
 */
export async function replayEvents(db: Db, after: Position, limit = BATCH): Promise<StreamEvent[]> {
  const rows = await sqlRows<Partial<Row> & { pruned_txid: string; pruned_id: bigint }>(db, Prisma.sql`
    /* replayEvents */
    select h.pruned_txid::text as pruned_txid, h.pruned_id, e.*
      from event_history h
      left join lateral (${eventsAfter(after, limit)}) e on true`);
  const history = rows[0];
  if (history && isBefore(after, { txid: history.pruned_txid, id: String(history.pruned_id) })) throw new HistoryExpiredError();
  return rows.filter((row): row is Row & { pruned_txid: string; pruned_id: bigint } => row.id != null).map(toEvent);
}

/** The very beginning of the stream, before any event. */
const ORIGIN: Position = { txid: "0", id: "0" };

/** The position of the newest event safe to hand out now: a live stream starts behind it. */
async function currentPosition(db: Db): Promise<Position> {
  const rows = await sqlRows<{ txid: string; id: bigint }>(db, Prisma.sql`
    /* eventStreamHead */
    select txid::text as txid, id from job_events
     where txid < ${EVENT_HORIZON}
     order by job_events.txid desc, job_events.id desc limit 1`);
  const head = rows[0];
  return head ? { txid: head.txid, id: String(head.id) } : ORIGIN;
}

export type Listener = (events: StreamEvent[]) => void;

/** What watches one job's events (src/events/watch.ts): called for each of them, in stream order. */
export type JobListener = { receive(event: StreamEvent): void };

export type EventStreamOptions = {
  db: Db;
  /** A connection string for the LISTEN connection; without it, only local wake-ups and the poll. */
  listenUrl?: string;
  pollIntervalMs?: number;
  /** After a NOTIFY, further changes wait this many milliseconds to share the next (default 20). */
  notifyCoalesceMs?: number;
  /**
   * How often an instance with subscribers says so on TAILERS_CHANNEL (default 10 s). Another
   * instance's word holds for two and a half heartbeats; for as long after this instance starts
   * listening, it does not know who has subscribers, and announces every change.
   */
  tailerHeartbeatMs?: number;
};

export class EventStream {
  /** Behind the last event handed out; null until the stream has started. */
  private position: Position | null = null;
  private readonly listeners = new Set<Listener>();
  /**
   * Listeners of one job each, by job: an event reaches only its own job's. A subscription to a
   * job costs one entry here rather than a listener of every event that looks at each (with tens
   * of thousands of subscribers, most of the work of every wake-up).
   */
  private readonly jobListeners = new Map<string, Set<JobListener>>();
  private readonly logListeners = new Set<(jobId: string) => void>();
  private reading: Promise<void> | undefined;
  private again = false;
  private poll: NodeJS.Timeout | undefined;
  private listen: pg.Client | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private notifyPending = false;
  private readonly logsToAnnounce = new Set<string>();
  private logsTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** This instance's id on TAILERS_CHANNEL, to tell its own word from others'. */
  private readonly instanceId = randomUUID();
  /** When the LISTEN connection in use came up (Date.now()), or undefined while there is none. */
  private listeningSince: number | undefined;
  /** Until when (Date.now()) another instance is known to have subscribers. */
  private othersTailUntil = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When this instance last said it has subscribers. */
  private saidTailing = 0;

  constructor(private readonly options: EventStreamOptions) {}

  private async begin(): Promise<void> {
    this.position = await currentPosition(this.options.db);
    this.poll = setInterval(() => this.wake(), this.options.pollIntervalMs ?? 1000);
    this.poll.unref();
    await this.listenForAnnouncements();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    clearInterval(this.poll);
    clearTimeout(this.notifyTimer);
    clearTimeout(this.logsTimer);
    clearInterval(this.heartbeat);
    await this.reading;
    await this.listen?.end().catch(() => undefined);
  }

  /**
   * Registers a listener for every event from now on; returns the position it starts behind (a
   * replay up to and including it, followed by what the listener receives, has neither gap nor
   * duplicate) and a function that unregisters it. Starts the stream on first use.
   */
  async subscribe(listener: Listener): Promise<{ position: Position; unsubscribe: () => void }> {
    await this.ensureStarted();
    this.listeners.add(listener);
    this.sayTailing();
    return { position: this.position ?? ORIGIN, unsubscribe: () => this.listeners.delete(listener) };
  }

  /**
   * Registers a listener for the events of one job from now on (as `subscribe` does for every
   * event, and starting the stream likewise); `unwatchJob` unregisters it.
   */
  async watchJob(jobId: string, listener: JobListener): Promise<void> {
    await this.ensureStarted();
    let listeners = this.jobListeners.get(jobId);
    if (!listeners) this.jobListeners.set(jobId, (listeners = new Set()));
    listeners.add(listener);
    this.sayTailing();
  }

  unwatchJob(jobId: string, listener: JobListener): void {
    const listeners = this.jobListeners.get(jobId);
    if (!listeners?.delete(listener) || listeners.size) return;
    this.jobListeners.delete(jobId);
  }

  /** How many listeners this instance holds: of every event, and of one job's (by job). */
  listenerCounts(): { all: number; jobs: Map<string, number> } {
    return { all: this.listeners.size, jobs: new Map([...this.jobListeners].map(([jobId, listeners]) => [jobId, listeners.size])) };
  }

  private starting: Promise<void> | undefined;

  /** Whether the LISTEN connection is up, so that other instances' announcements are heard. */
  get listening(): boolean {
    return this.listen !== undefined;
  }

  private listenerStarting: Promise<void> | undefined;

  /**
   * Opens the LISTEN connection now, for token announcements, without tailing events before
   * anyone subscribes (the stream starts at the first subscription, using the same connection).
   */
  listenForAnnouncements(): Promise<void> {
    if (!this.options.listenUrl) return Promise.resolve();
    this.listenerStarting ??= this.connectListener();
    return this.listenerStarting;
  }

  private ensureStarted(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  /** Reads what is new now (coalesced: one read at a time, one more if woken meanwhile). */
  wake(): void {
    if (this.stopped || !this.position) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /**
   * Calls `listener` with a job's id whenever its log grows, through any instance (a NOTIFY on
   * LOGS_CHANNEL, sent after the append committed); returns a function that stops it. Log lines
   * never go through the event table: this only says where to look.
   */
  async onLogs(listener: (jobId: string) => void): Promise<() => void> {
    await this.listenForAnnouncements();
    this.logListeners.add(listener);
    this.sayTailing();
    return () => this.logListeners.delete(listener);
  }

  /**
   * After this instance committed lines to a job's log: its own tailers at once, other instances'
   * (when one may have subscribers) through a NOTIFY. As for events, a burst is announced at most
   * once per coalescing interval, one NOTIFY naming every job whose log grew (workers of many jobs
   * each append every half second: a statement per append would cost PostgreSQL more than the
   * appends' own).
   */
  logsWritten(jobId: string): void {
    this.logsGrew(jobId);
    if (!this.options.listenUrl || !this.othersMayListen()) return;
    this.logsToAnnounce.add(jobId);
    if (!this.logsTimer) this.announceLogs();
  }

  private announceLogs(): void {
    const jobIds = [...this.logsToAnnounce];
    this.logsToAnnounce.clear();
    // A NOTIFY's payload holds under 8,000 bytes: 200 ids of 37 characters fit.
    for (let i = 0; i < jobIds.length; i += 200) {
      const payload = jobIds.slice(i, i + 200).join(" ");
      sqlRows(this.options.db, Prisma.sql`/* announceLogs */ select pg_notify(${LOGS_CHANNEL}::text, ${payload}::text)`).catch(() => undefined);
    }
    this.logsTimer = setTimeout(() => {
      this.logsTimer = undefined;
      if (this.logsToAnnounce.size && !this.stopped) this.announceLogs();
    }, this.options.notifyCoalesceMs ?? 20);
  }

  private logsGrew(jobId: string): void {
    for (const listener of this.logListeners) listener(jobId);
  }

  /**
   * After this instance committed a change: wake the local tail at once, and the other instances
   * (when one may have subscribers, see TAILERS_CHANNEL) through a NOTIFY sent outside the write's
   * transaction. A change after a quiet spell is announced at once; changes within the coalescing
   * window after an announcement share one more at the window's end, since every NOTIFY is a
   * transaction of its own, and a busy gateway would otherwise send one per mutation.
   */
  written(): void {
    this.wake();
    if (!this.options.listenUrl || !this.othersMayListen()) return;
    if (this.notifyTimer) {
      this.notifyPending = true;
      return;
    }
    this.announce();
  }

  private announce(): void {
    sqlRows(this.options.db, Prisma.sql`/* wakeInstances */ select pg_notify(${WAKE_CHANNEL}::text, '')`).catch(() => undefined);
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      if (!this.notifyPending || this.stopped) return;
      this.notifyPending = false;
      this.announce();
    }, this.options.notifyCoalesceMs ?? 20);
  }

  private get heartbeatMs(): number {
    return this.options.tailerHeartbeatMs ?? 10_000;
  }

  /**
   * Whether another instance may have subscribers: one said so within the last two and a half
   * heartbeats, or this instance has not listened long enough to know (or cannot listen at all).
   */
  private othersMayListen(): boolean {
    const now = Date.now();
    const heard = 2.5 * this.heartbeatMs;
    return this.listeningSince === undefined || now - this.listeningSince < heard || now < this.othersTailUntil;
  }

  private hasSubscribers(): boolean {
    return this.listeners.size > 0 || this.jobListeners.size > 0 || this.logListeners.size > 0;
  }

  /** Says on TAILERS_CHANNEL that this instance has subscribers, unless it said so within the last heartbeat. */
  private sayTailing(): void {
    if (!this.options.listenUrl || this.stopped || Date.now() - this.saidTailing < this.heartbeatMs) return;
    this.saidTailing = Date.now();
    sqlRows(this.options.db, Prisma.sql`/* sayTailing */ select pg_notify(${TAILERS_CHANNEL}::text, ${this.instanceId}::text)`).catch(() => {
      this.saidTailing = 0;
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const events = await readEvents(this.options.db, this.position);
        if (!events.length) return;
        const last = events.at(-1)!;
        this.position = decodeCursor(last.cursor);
        for (const listener of this.listeners) listener(events);
        if (this.jobListeners.size) this.toJobListeners(events);
        if (events.length < BATCH) return;
      }
    } catch {
      // The database is away; the poll tries again, from the same position.
    }
  }

  private toJobListeners(events: StreamEvent[]): void {
    for (const event of events) {
      const listeners = event.jobId === null ? undefined : this.jobListeners.get(event.jobId);
      if (listeners) for (const listener of listeners) listener.receive(event);
    }
  }

  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.listenUrl, application_name: "jobgraph-listen" });
    // The same connection hears token revocations, for the principals authentication remembers.
    client.on("notification", (message) => {
      if (message.channel === TOKENS_CHANGED_CHANNEL) forgetPrincipals();
      else if (message.channel === TAILERS_CHANNEL) {
        if (message.payload !== this.instanceId) this.othersTailUntil = Date.now() + 2.5 * this.heartbeatMs;
      } else if (message.channel === LOGS_CHANNEL) for (const jobId of (message.payload ?? "").split(" ")) this.logsGrew(jobId);
      else this.wake();
    });
    // A dropped connection is replaced, and the table read again, so nothing is missed meanwhile.
    client.on("error", () => undefined);
    client.on("end", () => {
      if (this.listen === client) {
        this.listen = undefined;
        this.listeningSince = undefined;
      }
      if (this.stopped) return;
      setTimeout(() => void this.connectListener().catch(() => undefined), 1000).unref();
    });
    await client.connect();
    await client.query(`listen ${WAKE_CHANNEL}; listen ${TOKENS_CHANGED_CHANNEL}; listen ${LOGS_CHANNEL}; listen ${TAILERS_CHANNEL}`);
    this.listen = client;
    this.listeningSince = Date.now();
    if (!this.heartbeat) {
      // Said at every heartbeat while there are subscribers; others take it to hold for two and a
      // half, so that a timer firing late does not let it lapse.
      this.heartbeat = setInterval(() => {
        if (this.hasSubscribers()) {
          this.saidTailing = 0;
          this.sayTailing();
        }
      }, this.heartbeatMs);
      this.heartbeat.unref();
    }
    // What was announced while no connection listened is unknown.
    forgetPrincipals();
    this.wake();
  }
}
