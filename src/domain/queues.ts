// Queues: named by the jobs in them, steered by an admin (paused, a concurrency limit), and read as
// a whole (counts, age, recent throughput, the nodes that can serve them).
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { sqlRows } from "../db/rows.js";
import { ForbiddenError, ValidationError } from "./errors.js";
import { isAdmin, type Principal } from "./principal.js";
import { refuseUnstorableText } from "./text.js";

const { sql } = Prisma;

/** A node is online while it has called the API within this long (auth records a node's calls at most once a minute). */
export const NODE_OFFLINE_AFTER_SECONDS = 180;

/** SQL true when the worker_nodes row `n` is online (see NODE_OFFLINE_AFTER_SECONDS). */
export const NODE_ONLINE = (n: string) => sql`(${Prisma.raw(n)}.last_seen_at > now() - make_interval(secs => ${NODE_OFFLINE_AFTER_SECONDS}::int))`;

/**
 * SQL over the job row `j`, true when its queue may hand it out as far as this statement's snapshot
 * shows: not paused and below its concurrency limit. A claim scans with it, to pass over closed
 * queues; QUEUE_SLOT then makes sure under the queue's lock. The closed queues are read once per
 * statement into an array, by jobgraph_closed_queues (see its migration for why a function). How
 * the test is said matters to the planner: as NOT EXISTS it became a join guessed to keep one job
 * in a thousand, and `<> all(...)` was guessed as selective, and either way the whole queue was
 * read and sorted rather than the claim index walked; a test of IS NOT NULL on an expression it
 * cannot see into, it takes to pass nearly every job, as it does.
 */
export const QUEUE_OPEN = sql`(case when j.queue = any((select jobgraph_closed_queues())::text[]) then null else true end) is not null`;

/**
 * SQL over the job row `j`, true when taking it keeps its queue within its limit: the queue has no
 * limit, or jobgraph_take_queue_slot (a hand-written function, see the migration that made queues)
 * locks its row, which claims of the queue then take one after another until they commit, and
 * counts its held jobs as they are once the lock is granted: below the limit, the slot is taken.
 */
export const QUEUE_SLOT = sql`(not exists (select 1 from queues q where q.name = j.queue and q.concurrency_limit is not null)
  or jobgraph_take_queue_slot(j.queue))`;

/** SQL: how many jobs of the queue named by the SQL `queue` are held (ACQUIRED or RUNNING) now; few are, through jobs_status_idx. */
export function heldIn(queue: string): Prisma.Sql {
  return sql`(select count(*)::int from jobs h where h.queue = ${Prisma.raw(queue)} and h.status in ('ACQUIRED', 'RUNNING'))`;
}

export type QueueSettings = { name: string; paused: boolean; concurrencyLimit: number | null; updatedAt: Date | null };

/** What a queue holds now. */
export type QueueCounts = {
  name: string;
  /** Jobs not deleted, by status. */
  counts: Record<JobStatus, number>;
  /** QUEUED jobs whose runAfter has passed: the ones a claim can take now. */
  claimable: number;
  /** When the longest-waiting claimable job became claimable (its runAfter). */
  oldestWaitingSince: Date | null;
};

/** What a queue finished over a recent window: jobs that ended in it, SUCCEEDED or FAILED. */
export type QueueWindow = { minutes: 5 | 60; succeeded: number; failed: number; meanRunSeconds: number | null; firstEnd: Date | null };

/** A queue's last 5 and last 60 minutes. */
export type QueueThroughput = { name: string; recent: [QueueWindow, QueueWindow] };

export const STATUSES: readonly JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

const MAX_NAME = 200;

/** What is wrong with a queue's name (null when nothing): as createJob takes one, trimmed, 1 to 200 printable characters. */
export function queueNameProblem(name: string): string | null {
  const trimmed = name.trim();
  return !trimmed || trimmed.length > MAX_NAME || /\p{Cc}/u.test(trimmed) ? `must be 1 to ${MAX_NAME} printable characters` : null;
}

/** The queue `name` names, as createJob takes a queue's name (trimmed), or a ValidationError. */
function checkName(name: string): string {
  refuseUnstorableText({ name });
  const problem = queueNameProblem(name);
  if (problem) throw new ValidationError(`a queue name is 1 to ${MAX_NAME} printable characters`, [{ path: ["name"], message: problem }]);
  return name.trim();
}

/**
 * Queues in name order, at most `limit` of them after the name `after` (from the first without
 * it): the names jobs use (read by skipping through jobs' queue index, one probe per name, however
 * many jobs there are) and those an admin configured. Anyone who creates jobs names queues at
 * will, so the walk stops at `limit` names: the first `limit` of both are among the first of each.
 */
export async function listQueueNames(db: Db, page: { after?: string | null; limit: number }): Promise<string[]> {
  const after = page.after ?? "";
  const rows = await sqlRows<{ name: string }>(db, sql`
    /* listQueueNames */
    with recursive used(name, n) as (
      (select queue, 1 from jobs where queue > ${after}::text order by queue limit 1)
      union all
      select (select queue from jobs where queue > used.name order by queue limit 1), n + 1 from used where used.name is not null and n < ${page.limit}::int
    )
    select name from used where name is not null
    union
    (select name from queues where name > ${after}::text order by name limit ${page.limit}::int)
    order by 1 limit ${page.limit}::int`);
  return rows.map((r) => r.name);
}

/** Whether a queue of this name exists: a job names it or an admin configured it. */
export async function queueExists(db: Db, name: string): Promise<boolean> {
  const rows = await sqlRows<{ found: boolean }>(db, sql`
    /* queueExists */
    select exists (select 1 from jobs where queue = ${name}::text) or exists (select 1 from queues where name = ${name}::text) as found`);
  return rows[0]!.found;
}

/** The settings of the named queues (defaults for a queue nobody configured), in the order asked. */
export async function queueSettings(db: Db, names: readonly string[]): Promise<QueueSettings[]> {
  const rows = await sqlRows<{ name: string; paused: boolean; concurrency_limit: number | null; updated_at: Date | null }>(db, sql`
    /* queueSettings */
    select n.name, coalesce(q.paused, false) as paused, q.concurrency_limit, q.updated_at
      from unnest(${[...names]}::text[]) with ordinality n(name, i) left join queues q on q.name = n.name
     order by n.i`);
  return rows.map((r) => ({ name: r.name, paused: r.paused, concurrencyLimit: r.concurrency_limit, updatedAt: r.updated_at }));
}

/**
 * Counts and the age of the oldest claimable job of the named queues, in the order asked. Counting
 * by status reads every job of a queue, finished ones included (through jobs' queue index).
 */
export async function queueCounts(db: Db, names: readonly string[]): Promise<QueueCounts[]> {
  const rows = await sqlRows<{ name: string; counts: Partial<Record<JobStatus, number>> | null; claimable: number; oldest: Date | null }>(db, sql`
    /* queueCounts */
    select n.name,
           (select jsonb_object_agg(status, c) from (select status, count(*)::int as c from jobs
              where queue = n.name and deleted_at is null group by status) s) as counts,
           w.claimable, w.oldest
      from unnest(${[...names]}::text[]) with ordinality n(name, i)
      cross join lateral (
        select count(*)::int as claimable, min(run_after) as oldest from jobs
         where queue = n.name and status = 'QUEUED' and deleted_at is null and run_after <= now()) w
     order by n.i`);
  return rows.map((r) => ({
    name: r.name,
    counts: Object.fromEntries(STATUSES.map((s) => [s, r.counts?.[s] ?? 0])) as Record<JobStatus, number>,
    claimable: r.claimable,
    oldestWaitingSince: r.oldest,
  }));
}

/**
 * The jobs of the named queues that ended over the last 5 and 60 minutes, in the order asked: only
 * jobs that ended in the last hour are read (through jobs' end_time index).
 */
export async function queueThroughput(db: Db, names: readonly string[]): Promise<QueueThroughput[]> {
  const rows = await sqlRows<{
    name: string;
    s5: number;
    f5: number;
    run5: number | null;
    first5: Date | null;
    s60: number;
    f60: number;
    run60: number | null;
    first60: Date | null;
  }>(db, sql`
    /* queueThroughput */
    select n.name, r.*
      from unnest(${[...names]}::text[]) with ordinality n(name, i)
      cross join lateral (
        select count(*) filter (where status = 'SUCCEEDED' and end_time > now() - interval '5 minutes')::int as s5,
               count(*) filter (where status = 'FAILED' and end_time > now() - interval '5 minutes')::int as f5,
               avg(extract(epoch from end_time - start_time)) filter (where end_time > now() - interval '5 minutes')::float8 as run5,
               min(end_time) filter (where end_time > now() - interval '5 minutes') as first5,
               count(*) filter (where status = 'SUCCEEDED')::int as s60,
               count(*) filter (where status = 'FAILED')::int as f60,
               avg(extract(epoch from end_time - start_time))::float8 as run60,
               min(end_time) as first60
          from jobs
         where end_time > now() - interval '60 minutes' and queue = n.name and status in ('SUCCEEDED', 'FAILED')) r
     order by n.i`);
  return rows.map((r) => ({
    name: r.name,
    recent: [
      { minutes: 5, succeeded: r.s5, failed: r.f5, meanRunSeconds: r.run5, firstEnd: r.first5 },
      { minutes: 60, succeeded: r.s60, failed: r.f60, meanRunSeconds: r.run60, firstEnd: r.first60 },
    ],
  }));
}

/**
 * The online nodes, not draining, that can serve each named queue: those that run the executor of
 * at least one of its waiting jobs (every online node when none waits). Ids in name order.
 */
export async function nodesServingQueues(db: Db, names: readonly string[]): Promise<string[][]> {
  const rows = await sqlRows<{ ids: string[] }>(db, sql`
    /* nodesServingQueues */
    select coalesce((
             select array_agg(node.id order by node.name)
               from worker_nodes node
              where ${NODE_ONLINE("node")} and not node.draining
                and (cardinality(node.executors) = 0
                     or not exists (select 1 from jobs j where j.queue = n.name and j.status = 'QUEUED' and j.deleted_at is null)
                     or exists (select 1 from job_templates t
                                 where t.executor_name = any(node.executors)
                                   and exists (select 1 from jobs j where j.queue = n.name and j.template_id = t.id
                                                  and j.status = 'QUEUED' and j.deleted_at is null)))
           ), '{}') as ids
      from unnest(${[...names]}::text[]) with ordinality n(name, i)
     order by n.i`);
  return rows.map((r) => r.ids);
}

function requireAdmin(actor: Principal | null, what: string): void {
  if (!isAdmin(actor)) throw new ForbiddenError(`only an admin may ${what}`);
}

/**
 * Changes a queue's settings in one statement that also writes its QUEUE_UPDATED event (a queue's
 * event belongs to no job).
 */
async function changeQueue(
  db: Db,
  actor: Principal,
  name: string,
  change: { paused?: boolean; concurrencyLimit?: number | null },
): Promise<QueueSettings> {
  name = checkName(name);
  const limit = change.concurrencyLimit;
  if (limit !== undefined && limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 1_000_000)) {
    throw new ValidationError("concurrencyLimit must be a whole number from 1 to 1000000, or null for none", [
      { path: ["concurrencyLimit"], message: "must be from 1 to 1000000, or null" },
    ]);
  }
  const rows = await sqlRows<{ name: string; paused: boolean; concurrency_limit: number | null; updated_at: Date }>(db, sql`
    /* changeQueue */
    with changed as (
      insert into queues as q (name, paused, concurrency_limit)
      values (${name}::text, coalesce(${change.paused ?? null}::boolean, false), ${limit ?? null}::int)
      on conflict (name) do update
         set paused = coalesce(${change.paused ?? null}::boolean, q.paused),
             concurrency_limit = ${limit === undefined ? sql`q.concurrency_limit` : sql`${limit}::int`},
             updated_at = now()
      returning q.*
    ), event as (
      insert into job_events (kind, detail, actor_user_id, job_version)
      select 'QUEUE_UPDATED', jsonb_build_object('queue', name, 'paused', paused, 'concurrencyLimit', concurrency_limit),
             ${actor.kind === "USER" ? actor.userId : null}::uuid, 0
        from changed
    )
    select name, paused, concurrency_limit, updated_at from changed`);
  const row = rows[0]!;
  return { name: row.name, paused: row.paused, concurrencyLimit: row.concurrency_limit, updatedAt: row.updated_at };
}

/** Stops a queue handing out jobs: claims pass over it until it is resumed. Jobs held go on. Admins. */
export function pauseQueue(db: Db, actor: Principal | null, name: string): Promise<QueueSettings> {
  requireAdmin(actor, "pause a queue");
  return changeQueue(db, actor!, name, { paused: true });
}

/** Lets a paused queue hand out jobs again. Admins. */
export function resumeQueue(db: Db, actor: Principal | null, name: string): Promise<QueueSettings> {
  requireAdmin(actor, "resume a queue");
  return changeQueue(db, actor!, name, { paused: false });
}

/**
 * Sets the most jobs of a queue that may be held (ACQUIRED or RUNNING) at once, or none with null.
 * Lowering it below what is held takes nothing back: claims wait until enough finish. Admins.
 */
export function updateQueue(db: Db, actor: Principal | null, name: string, input: { concurrencyLimit?: number | null }): Promise<QueueSettings> {
  requireAdmin(actor, "change a queue");
  return changeQueue(db, actor!, name, input);
}

/**
 * Why a node may not acquire the job for its queue or for itself, in words: the node is draining,
 * the job's queue is paused or at its limit. Null when neither holds (or either is gone).
 */
export async function whyQueueRefuses(db: Db | Prisma.TransactionClient, nodeId: string, jobId: string): Promise<string | null> {
  const rows = await sqlRows<{ draining: boolean | null; queue: string; paused: boolean | null; concurrency_limit: number | null; held: number | null }>(db, sql`
    /* whyQueueRefuses */
    select (select draining from worker_nodes where id = ${nodeId}::uuid) as draining, j.queue, q.paused, q.concurrency_limit, ${heldIn("j.queue")} as held
      from jobs j left join queues q on q.name = j.queue
     where j.id = ${jobId}::uuid`);
  const row = rows[0];
  if (!row) return null;
  if (row.draining) return "this node is draining: it takes no new work until an admin undrains it";
  if (row.paused) return `its queue "${row.queue}" is paused`;
  if (row.concurrency_limit !== null && row.held! >= row.concurrency_limit) {
    return `its queue "${row.queue}" is at its concurrency limit (${row.held} of ${row.concurrency_limit} held)`;
  }
  return null;
}

/** The queues the given jobs are in (each once). */
export async function queuesOfJobs(db: Db, jobIds: readonly string[]): Promise<string[]> {
  const rows = await sqlRows<{ queue: string }>(db, sql`
    /* queuesOfJobs */
    select distinct queue from jobs where id = any(${[...jobIds]}::uuid[])`);
  return rows.map((r) => r.queue);
}
