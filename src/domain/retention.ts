// Bounded history: events older than JOBGRAPH_EVENT_RETENTION and jobs finished longer ago than
// JOBGRAPH_JOB_RETENTION are deleted, a batch at a time, by every gateway instance on an interval.
//
// Each batch is one short statement, so no lock is held for long and autovacuum keeps up behind it:
// the tables stay the size of what the settings keep, however long the gateway runs. Instances
// take turns (an advisory lock of the pruning transaction, which a transaction-mode pooler keeps
// too): two pruning the same oldest rows at once would each scan past the other's.
//
// Events go oldest first in stream order ((txid, id), the order every subscriber reads them in), and
// only as a prefix of it: an old event behind a newer one waits for it. The newest position deleted
// is kept in event_history, so that a subscriber resuming from an older cursor is told its stream
// would have a gap (HistoryExpiredError) rather than silently given one.
//
// A finished job goes with its tasks, outputs and log, as hardDeleteJob takes it, and leaves a
// HARD_DELETED event (reason "retention") for the streams that watch it. A job some unfinished job
// still waits for, or is the parent of, stays until that one finishes.
import { isStatementTimeout, type Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";
import { EVENT_HORIZON } from "./event-order.js";
import { Periodic } from "./periodic.js";
import { DELETED_JOB_SNAPSHOT } from "./transitions.js";

const { sql } = Prisma;

/** Rows one statement deletes at most: a few milliseconds of work, and of row locks. */
export const PRUNE_BATCH = 1000;

/** The advisory locks (of the pruning transaction) that let one instance prune events, and jobs, at a time. */
const PRUNE_EVENTS_LOCK = 0x6a6f6267726170n; // "jobgrap"
const PRUNE_JOBS_LOCK = 0x6a6f6267726171n;

/** Batches one pass runs at most, so that a pass after a long pause does not run for minutes. */
const BATCHES_PER_PASS = 200;

/**
 * Deletes up to `batch` of the oldest events (in stream order) written before `before`; returns
 * how many. The newest position deleted becomes event_history's, in the same transaction.
 */
export async function pruneEvents(db: Db, before: Date, batch = PRUNE_BATCH): Promise<number> {
  const [row] = await sqlRows<{ deleted: bigint }>(db, sql`
    /* pruneEvents */
    with turn as (
      select pg_try_advisory_xact_lock(${PRUNE_EVENTS_LOCK}::bigint) as mine
    ), head as (
      -- From the last event deleted on: every event before it is gone, and starting there spares
      -- the scan the index entries of deleted events that vacuum has not cleared yet.
      select id, txid, at from job_events
       where (txid, id) > (select pruned_txid, pruned_id from event_history)
         and txid < ${EVENT_HORIZON} and (select mine from turn)
       order by txid, id
       limit ${batch}::int
    ), kept as (
      select txid, id from head where at >= ${before}::timestamptz order by txid, id limit 1
    ), doomed as (
      select h.id from head h where not exists (select from kept k where (h.txid, h.id) >= (k.txid, k.id))
    ), gone as (
      delete from job_events e using doomed d where e.id = d.id returning e.txid, e.id
    ), newest as (
      select txid, id from gone order by txid desc, id desc limit 1
    ), moved as (
      update event_history h set pruned_txid = n.txid, pruned_id = n.id, pruned_at = now()
        from newest n where (n.txid, n.id) > (h.pruned_txid, h.pruned_id)
    )
    select count(*) as deleted from gone`);
  return Number(row?.deleted ?? 0);
}

const FINISHED = sql`('SUCCEEDED', 'FAILED', 'CANCELLED')`;

/**
 * Deletes up to `batch` jobs that finished before `before` (with their tasks, outputs and logs),
 * each leaving a HARD_DELETED event; returns how many. Jobs an unfinished job waits for or
 * descends from stay.
 */
export async function pruneFinishedJobs(db: Db, before: Date, batch = PRUNE_BATCH): Promise<number> {
  const [row] = await sqlRows<{ deleted: bigint }>(db, sql`
    /* pruneFinishedJobs */
    with turn as (
      select pg_try_advisory_xact_lock(${PRUNE_JOBS_LOCK}::bigint) as mine
    ), doomed as (
      select j.id from jobs j
       where j.end_time < ${before}::timestamptz
         and (select mine from turn)
         and j.status in ${FINISHED}
         and not exists (select from job_dependencies e join jobs d on d.id = e.job_id
                          where e.depends_on_id = j.id and d.status not in ${FINISHED})
         and not exists (select from jobs c where c.parent_id = j.id and c.status not in ${FINISHED})
       order by j.end_time
       limit ${batch}::int
         -- A job some transaction holds (an admin resetting it) is passed over, not waited for.
         for update of j skip locked
    ), removed as (
      delete from jobs j using doomed d where j.id = d.id returning j.*
    ), events as (
      insert into job_events (job_id, kind, from_status, detail, job_version, txid)
      select id, 'HARD_DELETED', status,
             jsonb_build_object('jobId', id, 'number', number, 'job', ${DELETED_JOB_SNAPSHOT}, 'reason', 'retention'),
             version + 1, greatest(event_txid, pg_current_xact_id())
        from removed
    )
    select count(*) as deleted from removed`);
  return Number(row?.deleted ?? 0);
}

/** How long events and finished jobs are kept, in milliseconds; undefined: for ever. */
export type RetentionSettings = { eventsMs?: number; finishedJobsMs?: number };

/** What a pass deleted. */
export type PruneResult = { events: number; jobs: number };

/**
 * One pass: batches of finished jobs, then of events, until a batch comes back short (or the
 * pass has run BATCHES_PER_PASS of them). Jobs go first, so their HARD_DELETED events are the
 * newest, and outlive them by the event retention.
 */
export async function pruneHistory(db: Db, settings: RetentionSettings, now = new Date()): Promise<PruneResult> {
  const result = { events: 0, jobs: 0 };
  const pass = { batches: 0 };
  if (settings.finishedJobsMs !== undefined) {
    const before = new Date(now.getTime() - settings.finishedJobsMs);
    result.jobs = await inBatches(pass, (batch) => pruneFinishedJobs(db, before, batch));
  }
  if (settings.eventsMs !== undefined) {
    const before = new Date(now.getTime() - settings.eventsMs);
    result.events = await inBatches(pass, (batch) => pruneEvents(db, before, batch));
  }
  return result;
}

/**
 * Runs `prune` a batch at a time until a batch comes back short or the pass has run its batches;
 * returns how many rows went. A batch PostgreSQL cancels at the statement timeout deleted nothing
 * (its statement is all or nothing) and is tried again a quarter the size: finished jobs with
 * thousands of tasks each make a batch of a thousand jobs millions of rows, which must not stop
 * retention for good.
 */
async function inBatches(pass: { batches: number }, prune: (batch: number) => Promise<number>): Promise<number> {
  let deleted = 0;
  let size = PRUNE_BATCH;
  while (pass.batches < BATCHES_PER_PASS) {
    pass.batches++;
    let n: number;
    try {
      n = await prune(size);
    } catch (error) {
      if (!isStatementTimeout(error) || size === 1) throw error;
      size = Math.ceil(size / 4);
      continue;
    }
    deleted += n;
    if (n < size) break;
  }
  return deleted;
}

/** Runs pruneHistory on an interval in every gateway instance, when a retention is set. */
export class HistoryPruner {
  private readonly periodic: Periodic;

  constructor(
    db: Db,
    settings: RetentionSettings,
    intervalMs: number,
    /** Told of a pass that deleted jobs (whose HARD_DELETED events are to be announced) or events. */
    onPruned: (result: PruneResult) => void,
    onError: (error: unknown) => void,
  ) {
    const active = settings.eventsMs !== undefined || settings.finishedJobsMs !== undefined;
    this.periodic = new Periodic(
      active ? intervalMs : 0,
      async () => {
        const result = await pruneHistory(db, settings);
        if (result.events + result.jobs > 0) onPruned(result);
      },
      onError,
    );
  }

  start(): void {
    this.periodic.start(true);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
