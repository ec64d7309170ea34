// Claiming work and reclaiming it from nodes that went quiet.
import type { Db } from "../db/client.js";
import { columnsOf, nestUnder, sqlRows } from "../db/rows.js";
import { Prisma, type JobTemplate } from "../db/generated/prisma/client.js";
import { ForbiddenError } from "./errors.js";
import { nextEventTxid } from "./event-order.js";
import type { Principal } from "./principal.js";
import { NODE_FITS } from "./node-fit.js";
import { taskCounts, taskEffect, withTaskCounts } from "./task-effects.js";
import { refuseUnstorableText } from "./text.js";
import { beginAttempt, endAttempt, retries, retryAt } from "./attempts.js";
import { QUEUE_OPEN, QUEUE_SLOT } from "./queues.js";
import { handOver, JOB_COLUMNS, type ChangedJob, type LeaseSettings } from "./transitions.js";

const { sql, empty } = Prisma;

export type ClaimFilter = {
  /** Queues to take from; all queues when empty. */
  queues?: string[] | null;
  templateName?: string | null;
  executorName?: string | null;
  /** Only jobs carrying every one of these tags. */
  tags?: string[] | null;
};

/** A job just claimed, with its template: what a worker reads first (its executor, to run it). */
export type ClaimedJob = ChangedJob & { template: JobTemplate };

const TEMPLATE_COLUMNS = Prisma.raw(columnsOf("JobTemplate", "t", undefined, "template."));

/**
 * Takes the next claimable job for the calling node: QUEUED, not deleted, runAfter passed, in the
 * given queues and matching the filter, the node's executors, its cpu and memory and its labels
 * (every task of the job must fit too, see node-fit.ts), in a queue that is not paused and below its
 * concurrency limit; highest priority first, then oldest. A draining node gets nothing. Returns
 * null when there is none. Worker nodes.
 *
 * One statement: `for update skip locked` lets any number of nodes (and gateway instances) claim
 * at once without waiting for each other or taking a job twice. Two partial indexes hold only the
 * waiting jobs, in the order claims take them: jobs_claimable_idx by queue, for a claim from one
 * queue, and jobs_claim_order_idx for any other. The scan reads the jobs it passes over (locked by
 * other claimers, not yet runnable, or not for this node) and stops at the first it can take, so a
 * claim costs the same with a thousand jobs waiting as with a million. A limited queue's row is
 * locked by the claim that takes a slot in it (QUEUE_SLOT): claims of one limited queue follow one
 * another, and the count of its held jobs never passes the limit. The job comes with its template,
 * joined in the same statement rather than read after it.
 */
export async function acquireNextJob(
  db: Db,
  actor: Principal,
  filter: ClaimFilter,
  settings: LeaseSettings,
): Promise<ClaimedJob | null> {
  if (actor.kind !== "NODE") throw new ForbiddenError("only a worker node can acquire a job");
  refuseUnstorableText({ filter });
  // One queue as an equality, which the planner matches to jobs_claimable_idx's leading column.
  const queues =
    filter.queues?.length === 1
      ? sql`and j.queue = ${filter.queues[0]}::text`
      : filter.queues?.length
        ? sql`and j.queue = any(${filter.queues}::text[])`
        : empty;
  const tags = filter.tags?.length ? sql`and j.tags @> ${filter.tags}::text[]` : empty;
  const template =
    filter.templateName || filter.executorName
      ? sql`and exists (select 1 from job_templates t where t.id = j.template_id
              ${filter.templateName ? sql`and t.name = ${filter.templateName}::text` : empty}
              ${filter.executorName ? sql`and t.executor_name = ${filter.executorName}::text` : empty})`
      : empty;
  const rows = await sqlRows<ClaimedJob>(db, sql`
    /* acquireNextJob */
    with node as (
      select id, executors, cpu, memory, labels from worker_nodes where id = ${actor.nodeId}::uuid and not draining
    ), next as (
      select j.id from jobs j, node
       where j.status = 'QUEUED' and j.deleted_at is null and j.run_after <= now()
         ${queues} ${tags} ${template}
         -- Only what the node's executors, size and labels satisfy, the job's tasks included.
         and ${NODE_FITS}
         and ${QUEUE_OPEN}
       order by j.priority desc, j.number
       limit 1
       for update of j skip locked
    ), changed as (
      update jobs j set ${handOver(actor.nodeId, settings)}, version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from next where j.id = next.id and ${QUEUE_SLOT}
      returning j.*
    ), event as (
      insert into job_events (job_id, kind, from_status, to_status, actor_node_id, job_version, txid)
      select id, 'ACQUIRED', 'QUEUED', 'ACQUIRED', ${actor.nodeId}::uuid, version, event_txid from changed
    ), attempt as (${beginAttempt()})
    select ${JOB_COLUMNS}, ${TEMPLATE_COLUMNS} from changed join job_templates t on t.id = changed.template_id`);
  return nestUnder<ClaimedJob>(rows, [{ key: "template" }])[0] ?? null;
}

export type ReclaimResult = { requeued: number; failed: number };

/**
 * Takes back every held job whose lease expired before `at` (the time limit of an attempt ends its
 * lease too, see handOver): the attempt ends as TIMED_OUT when the time limit ran out, else as
 * LEASE_EXPIRED, and the job goes back to QUEUED after its backoff when its retry policy retries
 * that and attempts remain, or else FAILED, with a TIMED_OUT or LEASE_EXPIRED event either way.
 * Safe to run in every gateway instance at once: rows another instance is reclaiming are skipped,
 * not waited for.
 */
export async function reclaimExpiredLeases(db: Db, at?: Date, limit = 500): Promise<ReclaimResult> {
  const now = sql`coalesce(${at ?? null}::timestamptz, now())`;
  const retry = retries(sql`e.failure`);
  const rows = await db.$queryRaw<Array<{ status: string }>>`
    /* reclaimExpiredLeases */
    with expired as (
      select id, status,
             (case when time_limit_at <= ${now} then 'TIMED_OUT' else 'LEASE_EXPIRED' end)::"JobFailureKind" as failure
        from jobs
       where status in ('ACQUIRED', 'RUNNING')
         and lease_expires_at < ${now}
       order by lease_expires_at
       limit ${limit}::int
       for update skip locked
    ), changed as (
      update jobs j
         set status = case when ${retry} then 'QUEUED'::"JobStatus" else 'FAILED'::"JobStatus" end,
             error_reason = case when not ${retry} then
                              case e.failure when 'TIMED_OUT' then format('timed out: attempt %s ran past the time limit of %s s', j.attempts, j.time_limit_seconds)
                                             else format('lease expired after %s attempts', j.attempts) end end,
             end_time = case when ${retry} then null else now() end,
             run_after = case when ${retry} then ${retryAt()} else j.run_after end,
             node_id = case when ${retry} then null else j.node_id end,
             lease_token = null, lease_expires_at = null, time_limit_at = null,
             start_time = case when ${retry} then null else j.start_time end,
             version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from expired e where j.id = e.id
      returning j.id, j.version, j.event_txid, j.status, j.attempts, j.run_after, j.time_limit_seconds, j.error_reason,
                e.status as from_status, e.failure
    ), task_effects as (${taskEffect({ kind: "follow" })}), task_counts as (${taskCounts()}), event as (
      insert into job_events (job_id, kind, from_status, to_status, detail, job_version, txid)
      select id, failure::text::"JobEventKind", from_status, status,
             ${withTaskCounts(sql`jsonb_build_object('attempts', attempts, 'retryAfter', case when status = 'QUEUED' then run_after end)
               || case when failure = 'TIMED_OUT' then jsonb_build_object('timeLimitSeconds', time_limit_seconds) else '{}'::jsonb end`)},
             version, event_txid
        from changed left join task_counts on task_counts.job_id = changed.id
    ), attempt as (${endAttempt({
      outcome: sql`c.failure::text`,
      error: sql`coalesce(c.error_reason, case c.failure when 'TIMED_OUT' then format('ran past the time limit of %s s', c.time_limit_seconds) else 'the lease expired' end)`,
    })})
    select status::text as status from changed`;
  return {
    requeued: rows.filter((r) => r.status === "QUEUED").length,
    failed: rows.filter((r) => r.status === "FAILED").length,
  };
}

/** The job's deadline as the API writes times (ISO 8601 in UTC, to the millisecond). */
const ISO_DEADLINE = sql`to_char(deadline at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Fails every job still in play (not deleted) whose deadline passed before `at`: FAILED with a
 * DEADLINE_EXCEEDED event, its attempt under way ended alike, its unfinished tasks cancelled. No
 * retry: a deadline is the job's, not an attempt's. Safe in every gateway instance at once.
 */
export async function failPastDeadlines(db: Db, at?: Date, limit = 500): Promise<number> {
  const now = sql`coalesce(${at ?? null}::timestamptz, now())`;
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    /* failPastDeadlines */
    with due as (
      select id, status from jobs
       where deadline < ${now} and deadline is not null and status in ('WAITING', 'QUEUED', 'ACQUIRED', 'RUNNING') and deleted_at is null
       order by deadline
       limit ${limit}::int
       for update skip locked
    ), changed as (
      update jobs j
         set status = 'FAILED', end_time = now(), lease_token = null, lease_expires_at = null, time_limit_at = null,
             error_reason = format('its deadline (%s) passed before it finished', ${ISO_DEADLINE}),
             version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from due where j.id = due.id
      returning j.id, j.version, j.event_txid, j.status, j.run_after, j.deadline, j.error_reason, due.status as from_status
    ), task_effects as (${taskEffect({ kind: "follow" })}), task_counts as (${taskCounts()}), event as (
      insert into job_events (job_id, kind, from_status, to_status, detail, job_version, txid)
      select id, 'DEADLINE_EXCEEDED', from_status, status, ${withTaskCounts(sql`jsonb_build_object('deadline', ${ISO_DEADLINE})`)}, version, event_txid
        from changed left join task_counts on task_counts.job_id = changed.id
    ), attempt as (${endAttempt({ outcome: "DEADLINE_EXCEEDED", error: sql`c.error_reason` })})
    select id from changed`;
  return rows.length;
}
