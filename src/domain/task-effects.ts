// What a job's change does to its tasks (the table in docs/api.md, "Tasks follow their job"), as
// SQL that joins the statement of the job's change: tasks change in the same statement as their
// job, and the job's event counts what happened to them (detail.tasks), so the stream tells
// subscribers to read the tasks again in the order of the job's versions.
import { Prisma } from "../db/generated/prisma/client.js";

const { sql } = Prisma;

/**
 * How the tasks of a job follow it:
 * - `follow`: the job went back to QUEUED (released, aborted, its lease expired): RUNNING tasks
 *   go back to QUEUED, to run again under the next holder, and finished ones stay, so the next
 *   holder resumes where the last one stopped (as Arvados' jobs do). The job ended otherwise
 *   (cancelled, failed): unfinished tasks are CANCELLED. SUCCEEDED and FAILED tasks stay.
 * - `reset`: every task is QUEUED as if new (progress, output, success and times cleared), or
 *   every task but the SUCCEEDED ones with `keepSucceeded`.
 */
export type TaskEffect = { kind: "follow" } | { kind: "reset"; keepSucceeded: boolean };

/**
 * A CTE body that applies `effect` to the tasks of the jobs in `changed` (a CTE returning the
 * changed jobs' `id` and new `status`), returning each changed task's job_id and what happened
 * to it (`requeued`, `cancelled` or `reset`).
 */
export function taskEffect(effect: TaskEffect, changed = "changed"): Prisma.Sql {
  const c = Prisma.raw(changed);
  if (effect.kind === "reset") {
    return sql`
      update tasks t set status = 'QUEUED', progress = 0, output = null, success = null, start_time = null, end_time = null,
                         attempts = 0, reason = null, stopped_by_task_id = null, updated_at = now()
        from ${c} c
       where t.job_id = c.id and (t.status <> 'QUEUED' or t.attempts > 0)
         and not (${effect.keepSucceeded}::boolean and t.status = 'SUCCEEDED')
      returning t.job_id, 'reset'::text as effect`;
  }
  return sql`
    update tasks t set status = case when c.status = 'QUEUED' then 'QUEUED' else 'CANCELLED' end::"TaskStatus",
                       reason = case c.status when 'QUEUED' then null when 'FAILED' then 'its job failed' else 'cancelled with its job' end,
                       start_time = case when c.status = 'QUEUED' then null else t.start_time end,
                       end_time = case when c.status = 'QUEUED' then null else now() end,
                       progress = case when c.status = 'QUEUED' then 0 else t.progress end,
                       -- An attempt cut short by its job's going back to the queue is not the task's failure.
                       attempts = case when c.status = 'QUEUED' and t.status = 'RUNNING' then greatest(t.attempts - 1, 0) else t.attempts end,
                       updated_at = now()
      from ${c} c
     where t.job_id = c.id
       and (t.status = 'RUNNING' or (t.status = 'QUEUED' and c.status in ('CANCELLED', 'FAILED')))
    returning t.job_id, case when c.status = 'QUEUED' then 'requeued' else 'cancelled' end as effect`;
}

/**
 * A CTE body counting, per job, what `taskEffect` (the CTE named `effects`) did: `{requeued: 2}`,
 * for the job's event detail.
 */
export function taskCounts(effects = "task_effects"): Prisma.Sql {
  return sql`
    select job_id, jsonb_object_agg(effect, n) as counts
      from (select job_id, effect, count(*) as n from ${Prisma.raw(effects)} group by job_id, effect) per_effect
     group by job_id`;
}

/**
 * The event detail `detail` (SQL, possibly null) with `counts` (SQL: a JSON object of task counts,
 * or null when no task changed) added under `tasks`: every event that counts tasks says so alike.
 */
export function withTasks(detail: Prisma.Sql, counts: Prisma.Sql): Prisma.Sql {
  return sql`case when ${counts} is null then ${detail} else coalesce(nullif(${detail}, 'null'::jsonb), '{}'::jsonb) || jsonb_build_object('tasks', ${counts}) end`;
}

/** The event detail `detail` with the counts of its job's row of taskCounts (`task_counts`, joined to the event's row). */
export function withTaskCounts(detail: Prisma.Sql): Prisma.Sql {
  return withTasks(detail, sql`task_counts.counts`);
}
