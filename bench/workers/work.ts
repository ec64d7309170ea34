// One worker's loop, the same for every driver, and the checks run on what the workers did: no
// job acquired twice, none lost, every finish the workers saw recorded once, every task of every
// finished job started once and succeeded.
import pg from "pg";
import type { Driver, HeldJob } from "./drivers.js";
import { TASK_SEQUENCES, TASKS_PER_JOB } from "./queue.js";

/**
 * A job's mutations: acquire, start, each task started, reported once and finished, the job's
 * progress reported after each stage (sequence) of tasks, finish: 17 for 4 tasks in 2 stages.
 */
export const MUTATIONS_PER_JOB = 3 + 3 * TASKS_PER_JOB + TASK_SEQUENCES;
/**
 * A job's requests through the SDK: acquire, start (its answer holds the tasks), for each stage
 * one with its tasks' starts, one with their reports and one with their finishes and the job's
 * progress, then finish: 9 for 2 stages.
 */
export const REQUESTS_PER_JOB = 3 + 3 * TASK_SEQUENCES;

/** What one worker did. */
export type Tally = {
  /** UUIDs of the jobs it acquired, in order. */
  acquired: string[];
  /** Jobs finished before the measuring window closed. */
  completed: number;
  /** Jobs finished in all (a job held when the window closes is still finished). */
  finished: number;
  /** Mutations answered before the window closed. */
  mutations: number;
  /** Round trips of the acquisitions asked for before the window closed, in milliseconds. */
  claimMs: number[];
  /** Acquisitions that found no job: the queue ran dry. */
  empty: number;
  /** Log lines appended before the window closed. */
  logLines: number;
  failures: string[];
};

export const newTally = (): Tally => ({ acquired: [], completed: 0, finished: 0, mutations: 0, claimMs: [], empty: 0, logLines: 0, failures: [] });

/** When the measured window closes (performance.now() time); a phase that ends on a count moves it. */
export type Window = { end: number };

/**
 * Claims and works jobs while `mayClaim()` says so, finishing the one it holds when told to stop;
 * what happens before `window.end` is counted. A call that fails ends the worker: the job it held
 * is then counted as lost by the checks.
 */
export async function work(driver: Driver, tally: Tally, mayClaim: () => boolean, window: Window): Promise<void> {
  const inWindow = () => performance.now() < window.end;
  const answered = () => {
    if (inWindow()) tally.mutations++;
  };
  const counted = async (mutation: Promise<void>) => {
    await mutation;
    answered();
  };
  while (mayClaim()) {
    try {
      const asked = performance.now();
      const job: HeldJob | null = await driver.acquire();
      if (asked < window.end) tally.claimMs.push(performance.now() - asked);
      answered();
      if (!job) {
        tally.empty++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      tally.acquired.push(job.id);
      // As a handler under runWorker does: the tasks come with the job's start; a stage's tasks run
      // at once, so the SDK sends their starts together, then their reports, then their finishes
      // with the job's progress (src/sdk/batch.ts).
      const tasks = await driver.start(job);
      answered();
      if (driver.log) {
        const lines = await driver.log(job);
        if (inWindow()) tally.logLines += lines;
      }
      const stages = [...new Set(tasks.map((task) => task.sequence))].sort((a, b) => a - b);
      for (const [done, stage] of stages.entries()) {
        const now = tasks.filter((t) => t.sequence === stage);
        await Promise.all(now.map((task) => counted(driver.startTask(job, task))));
        await Promise.all(now.map((task) => counted(driver.taskProgress(job, task, 0.5))));
        await Promise.all([...now.map((task) => counted(driver.finishTask(job, task))), counted(driver.progress(job, (done + 1) / stages.length, done + 1))]);
      }
      await driver.finish(job);
      answered();
      tally.finished++;
      if (inWindow()) tally.completed++;
    } catch (error) {
      tally.failures.push((error as Error).message);
      return;
    }
  }
}

export type Checks = {
  /** Workflow phases: jobs acquired before a dependency had succeeded (none may be), and diamonds whose last job succeeded. */
  acquiredTooEarly?: number;
  diamondsCompleted?: number;
  /** Acquisitions the workers saw, and ACQUIRED events written meanwhile. */
  acquired: number;
  acquiredEvents: number;
  /** Finishes the workers saw, and SUCCEEDED events written meanwhile. */
  finished: number;
  succeededEvents: number;
  /** Jobs held by two workers at once: handed to two workers, or acquired again without going back to the queue in between. */
  doubleAcquisitions: number;
  /** Jobs finished twice. */
  doubleFinishes: number;
  /** Jobs acquired that ended neither SUCCEEDED nor back in the queue. */
  lostJobs: number;
  /** Tasks started (TASK_STARTED events) and finished (TASK_FINISHED) meanwhile: TASKS_PER_JOB per finished job each. */
  taskStarts: number;
  taskFinishes: number;
  /** Tasks the jobs that succeeded have: TASKS_PER_JOB each, none lost or added. */
  tasksOfSucceeded: number;
  /** Tasks of the jobs that succeeded that did not succeed, or were not started exactly once (by their attempts and their TASK_STARTED events). */
  tasksAmiss: number;
  emptyClaims: number;
  failures: number;
  /** Everything wrong, in words; empty when the run is sound. */
  problems: string[];
};

/**
 * Checks what the workers did since the event `fromEventId` against the database. With
 * `recentMs` (a soak whose gateways delete old events and finished jobs), only the jobs that
 * finished within it are checked against the database, as the others' rows and events are gone
 * or going; every job the workers were handed still counts for double acquisitions.
 */
export async function check(pool: pg.Pool, fromEventId: string, tallies: Tally[], recentMs?: number): Promise<Checks> {
  const handed = tallies.flatMap((t) => t.acquired);
  const seen = new Set<string>();
  const handedTwice = new Set<string>();
  for (const id of handed) (seen.has(id) ? handedTwice : seen).add(id);
  let acquired = handed;
  let finished = tallies.reduce((sum, t) => sum + t.finished, 0);
  // The jobs the database's events are read for: all of them (null), or those still kept.
  let scope: string[] | null = null;
  if (recentMs !== undefined) {
    const { rows } = await pool.query<{ id: string }>(
      "select id::text as id from jobs where id = any($1::uuid[]) and end_time > now() - make_interval(secs => $2::double precision)",
      [handed, recentMs / 1000],
    );
    scope = rows.map((row) => row.id);
    const kept = new Set(scope);
    acquired = handed.filter((id) => kept.has(id));
    finished = acquired.length;
  }
  // An ACQUIRED event whose job's previous acquisition never went back to the queue (every way
  // back, from release to an expired lease, writes an event with to_status QUEUED; so does CREATED).
  const { rows: acquiredTwice } = await pool.query<{ id: string }>(
    `with touched as (
       select distinct job_id from job_events where id > $1::bigint and kind = 'ACQUIRED' and ($2::uuid[] is null or job_id = any($2::uuid[]))
     ), history as (
       select e.job_id, e.kind, lag(e.kind) over (partition by e.job_id order by e.job_version, e.id) as before
         from job_events e join touched using (job_id)
        where e.kind = 'ACQUIRED' or e.to_status = 'QUEUED'
     )
     select distinct job_id::text as id from history where kind = 'ACQUIRED' and before = 'ACQUIRED'`,
    [fromEventId, scope],
  );
  const { rows: counts } = await pool.query<{ acquired: number; succeeded: number; finished_twice: number; lost: number }>(
    `with events as (
       select job_id, kind from job_events where id > $1::bigint and kind in ('ACQUIRED', 'SUCCEEDED', 'FAILED') and ($3::uuid[] is null or job_id = any($3::uuid[]))
     ), claimed as (
       select job_id from events where kind = 'ACQUIRED' union select unnest($2::uuid[])
     )
     select (select count(*) from events where kind = 'ACQUIRED')::int as acquired,
            (select count(*) from events where kind = 'SUCCEEDED')::int as succeeded,
            (select count(*) from (select job_id from events where kind <> 'ACQUIRED' group by job_id having count(*) > 1) f)::int as finished_twice,
            (select count(*) from jobs where id in (select job_id from claimed) and status not in ('SUCCEEDED', 'QUEUED'))::int as lost`,
    [fromEventId, acquired, scope],
  );
  const c = counts[0]!;
  const { rows: taskCounts } = await pool.query<{ starts: number; finishes: number; tasks: number; amiss: number }>(
    `with succeeded as (
       select id from jobs where id = any($2::uuid[]) and status = 'SUCCEEDED'
     ), started as (
       select task_id, count(*) as times from job_events where id > $1::bigint and kind = 'TASK_STARTED' and ($3::uuid[] is null or job_id = any($3::uuid[])) group by task_id
     )
     select (select count(*) from job_events where id > $1::bigint and kind = 'TASK_STARTED' and ($3::uuid[] is null or job_id = any($3::uuid[])))::int as starts,
            (select count(*) from job_events where id > $1::bigint and kind = 'TASK_FINISHED' and ($3::uuid[] is null or job_id = any($3::uuid[])))::int as finishes,
            (select count(*) from tasks t join succeeded s on s.id = t.job_id)::int as tasks,
            (select count(*) from tasks t join succeeded s on s.id = t.job_id left join started on started.task_id = t.id
              where t.status <> 'SUCCEEDED' or t.attempts <> 1 or started.times is distinct from 1)::int as amiss`,
    [fromEventId, acquired, scope],
  );
  const t = taskCounts[0]!;
  const failures = tallies.flatMap((t) => t.failures);
  const checks: Checks = {
    acquired: acquired.length,
    acquiredEvents: c.acquired,
    finished,
    succeededEvents: c.succeeded,
    doubleAcquisitions: new Set([...handedTwice, ...acquiredTwice.map((r) => r.id)]).size,
    doubleFinishes: c.finished_twice,
    lostJobs: c.lost,
    taskStarts: t.starts,
    taskFinishes: t.finishes,
    tasksOfSucceeded: t.tasks,
    tasksAmiss: t.amiss,
    emptyClaims: tallies.reduce((sum, t) => sum + t.empty, 0),
    failures: failures.length,
    problems: [],
  };
  const problems = checks.problems;
  if (checks.doubleAcquisitions) problems.push(`${checks.doubleAcquisitions} jobs acquired twice`);
  if (checks.doubleFinishes) problems.push(`${checks.doubleFinishes} jobs finished twice`);
  if (checks.lostJobs) problems.push(`${checks.lostJobs} jobs lost (acquired, then neither finished nor queued again)`);
  if (checks.acquired !== checks.acquiredEvents) problems.push(`workers acquired ${checks.acquired} jobs, the database recorded ${checks.acquiredEvents}`);
  if (checks.finished !== checks.succeededEvents) problems.push(`workers finished ${checks.finished} jobs, the database recorded ${checks.succeededEvents}`);
  const tasksDone = checks.finished * TASKS_PER_JOB;
  if (checks.taskStarts !== tasksDone || checks.taskFinishes !== tasksDone) {
    problems.push(`workers finished ${checks.finished} jobs of ${TASKS_PER_JOB} tasks; the database recorded ${checks.taskStarts} task starts and ${checks.taskFinishes} finishes`);
  }
  if (checks.tasksOfSucceeded !== checks.succeededEvents * TASKS_PER_JOB) {
    problems.push(`${checks.succeededEvents} jobs of ${TASKS_PER_JOB} tasks succeeded; they have ${checks.tasksOfSucceeded} tasks`);
  }
  if (checks.tasksAmiss) problems.push(`${checks.tasksAmiss} tasks of succeeded jobs did not succeed, or were not started exactly once`);
  if (checks.emptyClaims) problems.push(`the queue ran dry (${checks.emptyClaims} acquisitions found nothing): raise BENCH_QUEUE_DEPTH`);
  if (failures.length) problems.push(`${failures.length} calls failed, first: ${failures[0]}`);
  return checks;
}
