// Stalled jobs: a running job whose holder has reported nothing (no start, progress report, lease
// renewal or task report) for longer than its template's stallAfterSeconds. A lease keeps a job
// from being lost to a dead node; a stall says that a live node's work has stopped moving.
//
// Whether a job is stalled is read from its columns (stalledCondition), so it is true the moment
// the time passes. Its events come from a sweep that every gateway instance runs with the lease
// reclaimer: one STALLED when a job stalls and one RECOVERED when its holder reports again. The
// reports themselves only write last_report_at, which no index covers, so that progress reports
// stay HOT updates.
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";
import { nextEventTxid } from "./event-order.js";

const { sql } = Prisma;

/** SQL over the jobs row `j`, true when the job is stalled at `now` (SQL for a timestamptz). */
export function stalledCondition(j: string, now = "now()"): string {
  return `(${j}.status = 'RUNNING' and ${j}.stall_after_seconds is not null and ${j}.last_report_at < ${now} - make_interval(secs => ${j}.stall_after_seconds))`;
}

/** When a job of these columns stalled (its last report plus its stallAfterSeconds), or null while it is not stalled. */
export function stalledSince(job: { status: string; stallAfterSeconds: number | null; lastReportAt: Date | null }, now = Date.now()): Date | null {
  if (job.status !== "RUNNING" || job.stallAfterSeconds === null || job.lastReportAt === null) return null;
  const since = job.lastReportAt.getTime() + job.stallAfterSeconds * 1000;
  return since < now ? new Date(since) : null;
}

export type StallSweep = { stalled: number; recovered: number };

/**
 * Marks the running jobs that stalled since the last sweep (a STALLED event each, with
 * stallAfterSeconds and lastReportAt) and unmarks those whose holder reported since they were
 * marked (a RECOVERED event each, with stalledSeconds: how long they were marked). Each job's
 * mark changes once per stall, so neither event is written twice for one stall, however many
 * instances sweep at once: rows another sweep has locked are skipped. `at`: the time to sweep at.
 */
export async function sweepStalls(db: Db, at?: Date, limit = 500): Promise<StallSweep> {
  const now = sql`coalesce(${at ?? null}::timestamptz, now())`;
  const rows = await sqlRows<{ stalls: boolean }>(db, sql`
    /* sweepStalls */
    with due as (
      select id, stalled_at is null as stalls, stalled_at as was from jobs
       where status = 'RUNNING'
         and ((stalled_at is null and stall_after_seconds is not null and last_report_at < ${now} - make_interval(secs => stall_after_seconds))
              or (stalled_at is not null and (last_report_at > stalled_at or stall_after_seconds is null)))
       order by id
       limit ${limit}::int
       for update skip locked
    ), changed as (
      update jobs j set stalled_at = case when due.stalls then now() end, version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from due where j.id = due.id
      returning j.id, j.version, j.event_txid, j.node_id, j.stall_after_seconds, j.last_report_at, due.stalls, due.was
    ), event as (
      insert into job_events (job_id, kind, detail, job_version, txid)
      select id, case when stalls then 'STALLED' else 'RECOVERED' end::"JobEventKind",
             case when stalls
                  then jsonb_build_object('stallAfterSeconds', stall_after_seconds,
                                          'lastReportAt', to_char(last_report_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                  else jsonb_build_object('stalledSeconds', round(extract(epoch from greatest(last_report_at, was) - was)::numeric, 3)) end,
             version, event_txid
        from changed
    )
    select stalls from changed`);
  return { stalled: rows.filter((r) => r.stalls).length, recovered: rows.filter((r) => !r.stalls).length };
}
