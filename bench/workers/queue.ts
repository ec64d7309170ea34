// The queue the workers drain: a template and worker nodes made through the API, and jobs
// inserted with SQL as createJob writes them (QUEUED, runnable now, with their tasks and their
// CREATED event; no fingerprint, which only findOrCreate reads). createJob through GraphQL would load the gateways
// being measured, and could not refill the queue at the floor's pace.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { graphql, type Gateway } from "../lib.js";

/** The queue, template and executor of the benchmark's jobs. */
export const QUEUE = "bench";
const TEMPLATE = "bench-workers";
const EXECUTOR = "bench";

export type BenchNode = { id: string; name: string; secret: string };
export type Queue = { templateId: string; creatorId: string; nodes: BenchNode[] };

/**
 * Makes a template and `count` worker nodes (each with its own token) through the API. Node names
 * carry a run tag, so that runs against the same DATABASE_URL do not collide.
 */
export async function createQueue(gw: Gateway, count: number): Promise<Queue> {
  const { createJobTemplate: t } = await graphql<{ createJobTemplate: { jobTemplate?: { id: string }; message?: string } }>(
    gw,
    `mutation { createJobTemplate(input: { name: "${TEMPLATE}", executor: { name: "${EXECUTOR}" } }) {
       ... on JobTemplatePayload { jobTemplate { id } } ... on Error { message } } }`,
  );
  if (!t.jobTemplate) throw new Error(`createJobTemplate: ${t.message}`);
  const { viewer } = await graphql<{ viewer: { user: { id: string } } }>(gw, "{ viewer { user { id } } }");
  const run = randomBytes(3).toString("hex");
  const nodes: BenchNode[] = [];
  for (let i = 0; i < count; i++) {
    const name = `bench-${run}-${String(i + 1).padStart(2, "0")}`;
    const { registerWorkerNode: r } = await graphql<{ registerWorkerNode: { secret?: string; node?: { id: string }; message?: string } }>(
      gw,
      `mutation ($name: String!) { registerWorkerNode(input: { name: $name, executors: ["${EXECUTOR}"], cpu: 4, memory: 8192 }) {
         ... on RegisterWorkerNodePayload { secret node { id } } ... on Error { message } } }`,
      { name },
    );
    if (!r.secret) throw new Error(`registerWorkerNode: ${r.message}`);
    nodes.push({ id: uuidOf(r.node!.id), name, secret: r.secret });
  }
  return { templateId: uuidOf(t.jobTemplate.id), creatorId: uuidOf(viewer.user.id), nodes };
}

/** The UUID inside a global ID (base64 of "Type:uuid"). */
export function uuidOf(globalId: string): string {
  const decoded = Buffer.from(globalId, "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1);
}

const INSERT_BATCH = 10_000;

/** Each job's tasks: 4, in 2 sequences (stages) of 2, as a job split into parts is. */
export const TASKS_PER_JOB = 4;
export const TASK_SEQUENCES = 2;

/** What the queue is filled with: independent jobs, or workflows of a diamond of 4 jobs. */
export type Shape = "jobs" | "diamonds";

/** Each diamond's jobs: a first, then two after it at once, then one after both. */
export const DIAMOND_JOBS = 4;

/**
 * Fills the queue up to `depth` waiting jobs, each with its tasks. Jobs carry a short name, as real
 * ones do (its trigram index is part of what every update of a job costs). Diamonds are inserted
 * as createWorkflow writes them: the workflow, its first job QUEUED and the others WAITING with
 * the count of what they wait for, the edges, and the mark on the jobs others wait for; the jobs
 * waiting count towards the depth.
 */
export async function topUp(pool: pg.Pool, queue: Queue, depth: number, shape: Shape = "jobs"): Promise<void> {
  const { rows } = await pool.query<{ waiting: number }>(
    `select count(*)::int as waiting from jobs where status = any($2::"JobStatus"[]) and deleted_at is null and queue = $1`,
    [QUEUE, shape === "jobs" ? ["QUEUED"] : ["QUEUED", "WAITING"]],
  );
  const missing = Math.max(0, depth - rows[0]!.waiting);
  const tasks = `tasks as (
         insert into tasks (job_id, name, sequence, qsequence)
         select created.id, 'part-' || part, part / ${TASKS_PER_JOB / TASK_SEQUENCES}, part
           from created cross join generate_series(0, ${TASKS_PER_JOB - 1}) part
       )`;
  if (shape === "diamonds") {
    for (let added = 0; added < missing; added += INSERT_BATCH) {
      const diamonds = Math.ceil(Math.min(INSERT_BATCH, missing - added) / DIAMOND_JOBS);
      await pool.query(
        `with w as (
           insert into workflows (name, creator_id) select 'bench diamond', $3::uuid from generate_series(1, $4::int) returning id
         ), created as (
           insert into jobs (queue, name, template_id, creator_id, workflow_id, status, waiting_on, has_dependents)
           select $1, 'bench ' || k.key, $2::uuid, $3::uuid, w.id,
                  (case when k.key = 'a' then 'QUEUED' else 'WAITING' end)::"JobStatus",
                  case k.key when 'a' then 0 when 'd' then 2 else 1 end, k.key <> 'd'
             from w cross join (values ('a'), ('b'), ('c'), ('d')) k(key)
           returning id, workflow_id, name, status
         ), edges as (
           insert into job_dependencies (job_id, depends_on_id)
           select d.id, u.id from created d join created u on u.workflow_id = d.workflow_id
            where (d.name in ('bench b', 'bench c') and u.name = 'bench a') or (d.name = 'bench d' and u.name in ('bench b', 'bench c'))
         ), ${tasks}
         insert into job_events (job_id, kind, to_status, actor_user_id, job_version)
         select id, 'CREATED', status, $3::uuid, 1 from created`,
        [QUEUE, queue.templateId, queue.creatorId, diamonds],
      );
    }
    return;
  }
  for (let added = 0; added < missing; added += INSERT_BATCH) {
    await pool.query(
      `with created as (
         insert into jobs (queue, name, template_id, creator_id)
         select $1, 'bench job', $2::uuid, $3::uuid from generate_series(1, $4::int)
         returning id
       ), ${tasks}
       insert into job_events (job_id, kind, to_status, actor_user_id, job_version)
       select id, 'CREATED', 'QUEUED', $3::uuid, 1 from created`,
      [QUEUE, queue.templateId, queue.creatorId, Math.min(INSERT_BATCH, missing - added)],
    );
  }
}

/**
 * Cancels the waiting jobs of the other shape, so that a phase drains only jobs of its own: before
 * a phase of diamonds the independent jobs the phase before left, and after it its unfinished
 * diamonds. A job no worker took is no work lost.
 */
export async function clearQueue(pool: pg.Pool, of: Shape): Promise<void> {
  await pool.query(
    `update jobs set status = 'CANCELLED', end_time = now()
      where queue = $1 and status in ('WAITING', 'QUEUED') and (workflow_id is not null) = $2`,
    [QUEUE, of === "diamonds"],
  );
}

/** Diamonds whose last job succeeded since the event `fromEventId`. */
export async function diamondsCompleted(pool: pg.Pool, fromEventId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from job_events s join jobs j on j.id = s.job_id
      where s.id > $1::bigint and s.kind = 'SUCCEEDED' and j.workflow_id is not null and j.name = 'bench d'`,
    [fromEventId],
  );
  return rows[0]!.n;
}

/**
 * Jobs acquired since the event `fromEventId` before one of their dependencies had succeeded: a
 * breach of the one rule of workflows.
 */
export async function acquiredTooEarly(pool: pg.Pool, fromEventId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n
       from job_events acq join job_dependencies e on e.job_id = acq.job_id
      where acq.id > $1::bigint and acq.kind = 'ACQUIRED'
        and not exists (select 1 from job_events s where s.job_id = e.depends_on_id and s.kind = 'SUCCEEDED' and s.id < acq.id)`,
    [fromEventId],
  );
  return rows[0]!.n;
}

/**
 * Keeps `depth` jobs waiting while workers drain the queue, topping it up every `everyMs`, so that
 * workers never run out of work and the queue table holds as many live rows at the end of a phase
 * as at its start; returns a function that stops it and waits for a top-up under way.
 */
export function keepFull(pool: pg.Pool, queue: Queue, depth: number, shape: Shape = "jobs", everyMs = 200): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // A failed top-up is reported; if the queue then runs dry, the phase's checks say so.
    running ??= topUp(pool, queue, depth, shape)
      .catch((error: Error) => console.error(`topping up the queue failed: ${error.message}`))
      .finally(() => (running = undefined));
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Gives every phase the same start: no dead rows left by the phase before, fresh statistics, and
 * no checkpoint owed (CHECKPOINT needs a superuser or pg_checkpoint; without it, skipped).
 */
export async function settle(pool: pg.Pool): Promise<void> {
  await pool.query("vacuum (analyze) jobs, tasks");
  await pool.query("checkpoint").catch(() => undefined);
}

/** The last event written so far: a phase's events are the ones after it. */
export async function lastEventId(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>("select coalesce(max(id), 0)::text as id from job_events");
  return rows[0]!.id;
}

/** What docs/deploy.md recommends for the queue table. */
const AUTOVACUUM = { autovacuum_vacuum_scale_factor: "0.01", autovacuum_vacuum_threshold: "1000" };

/**
 * Applies AUTOVACUUM unless the table already has settings of its own (from a migration, or a
 * DBA): with the defaults autovacuum waits for 20% of the table to change, and dead rows slow
 * claiming down. Says what is in effect.
 */
export async function tuneAutovacuum(pool: pg.Pool): Promise<{ appliedByBenchmark: boolean; reloptions: string[]; naptime: string }> {
  const current = async () =>
    (await pool.query<{ reloptions: string[] | null }>("select reloptions from pg_class where oid = 'jobs'::regclass")).rows[0]!.reloptions ?? [];
  // How often autovacuum visits a database at most: a server setting no table can lower.
  const { rows } = await pool.query<{ naptime: string }>("select current_setting('autovacuum_naptime') as naptime");
  const naptime = rows[0]!.naptime;
  const before = await current();
  if (before.some((option) => option.startsWith("autovacuum_vacuum_scale_factor="))) return { appliedByBenchmark: false, reloptions: before, naptime };
  const settings = Object.entries(AUTOVACUUM).map(([name, value]) => `${name} = ${value}`);
  await pool.query(`alter table jobs set (${settings.join(", ")})`);
  return { appliedByBenchmark: true, reloptions: await current(), naptime };
}

/** Updates of the jobs table so far, and how many were HOT (no index entries written). */
export async function jobUpdates(pool: pg.Pool): Promise<{ updates: number; hot: number; autovacuums: number }> {
  const { rows } = await pool.query<{ updates: string; hot: string; autovacuums: string }>(
    `select n_tup_upd::text as updates, n_tup_hot_upd::text as hot, autovacuum_count::text as autovacuums
       from pg_stat_user_tables where relid = 'jobs'::regclass`,
  );
  return { updates: Number(rows[0]!.updates), hot: Number(rows[0]!.hot), autovacuums: Number(rows[0]!.autovacuums) };
}
