// Every acquisition of a job is an attempt, kept in job_attempts after it ends: by whom, when, how
// it ended and why, and when the job may run again. Attempts begin and end inside the statement of
// the job's change, as CTEs over its `changed` rows, so the history never disagrees with the job.
import { Prisma } from "../db/generated/prisma/client.js";
import type { AttemptOutcome, JobFailureKind } from "../db/generated/prisma/enums.js";
import { TimeLimitExceededError } from "./errors.js";

const { sql } = Prisma;

/** The client or a transaction of it. */
type Queryable = { $queryRaw: Prisma.TransactionClient["$queryRaw"] };

/**
 * When the job `j` (its row as it was before the change) may be acquired again after a failed
 * attempt: the backoff min(cap, base × 2^(attempts − 1)), less a random part of up to `jitter` of
 * it, so that jobs that failed together do not all come back at once.
 */
export function retryAt(j = "j"): Prisma.Sql {
  const r = Prisma.raw(j);
  return sql`now() + make_interval(secs => least(${r}.retry_backoff_cap_seconds,
    ${r}.retry_backoff_base_seconds * power(2, greatest(${r}.attempts - 1, 0))) * (1 - ${r}.retry_jitter * random()))`;
}

/** True when the job `j`'s policy retries a failure of this kind and it has attempts left. */
export function retries(kind: JobFailureKind | Prisma.Sql, j = "j"): Prisma.Sql {
  const r = Prisma.raw(j);
  const k = typeof kind === "string" ? sql`${kind}::"JobFailureKind"` : kind;
  return sql`(${k} = any(${r}.retry_on) and ${r}.attempts < ${r}.max_attempts)`;
}

/** A CTE body that begins an attempt for each row of `changed` (just acquired: node and lease set). */
export function beginAttempt(changed = "changed"): Prisma.Sql {
  const c = Prisma.raw(changed);
  return sql`
    insert into job_attempts (job_id, number, node_id, lease_token)
    select c.id, coalesce((select max(p.number) from job_attempts p where p.job_id = c.id), 0) + 1, c.node_id, c.lease_token
      from ${c} c`;
}

export type AttemptEnd = {
  /** How it ended: an outcome, or SQL over the changed row `c` that gives one. */
  outcome: AttemptOutcome | Prisma.Sql;
  /** The error it ended with: SQL over `c`, or a value. */
  error?: string | null | Prisma.Sql;
  /** Whether the node said its failure was worth another attempt. */
  retryable?: boolean | null;
};

/**
 * A CTE body that ends the attempt under way of each row of `changed` (with its `id`, `status` and
 * `run_after`) that is no longer held, noting when it may run again if it went back to the queue.
 */
export function endAttempt(end: AttemptEnd, changed = "changed"): Prisma.Sql {
  const c = Prisma.raw(changed);
  const outcome = typeof end.outcome === "string" ? sql`${end.outcome}` : end.outcome;
  const error = end.error instanceof Prisma.Sql ? end.error : sql`${end.error ?? null}::text`;
  return sql`
    update job_attempts a set end_time = now(), outcome = (${outcome})::"AttemptOutcome", error = ${error},
                              retryable = ${end.retryable ?? null}::boolean,
                              retry_at = case when c.status = 'QUEUED' then c.run_after end
      from ${c} c
     where a.job_id = c.id and a.end_time is null and c.status not in ('ACQUIRED', 'RUNNING')`;
}

/**
 * Why the attempt made under `leaseToken` ended, when a time limit ended it: the error its holder's
 * next write is refused with. Null for any other end (the caller says the lease is lost).
 */
export async function timeLimitOf(db: Queryable, jobId: string, leaseToken: string | null): Promise<TimeLimitExceededError | null> {
  if (!leaseToken) return null;
  const [attempt] = await db.$queryRaw<Array<{ outcome: AttemptOutcome; end_time: Date; limit_seconds: number | null; deadline: Date | null; status: string }>>`
    /* attemptTimeLimit */
    select a.outcome, a.end_time, j.time_limit_seconds as limit_seconds, j.deadline, j.status::text
      from job_attempts a join jobs j on j.id = a.job_id
     where a.job_id = ${jobId}::uuid and a.lease_token = ${leaseToken}::uuid and a.outcome in ('TIMED_OUT', 'DEADLINE_EXCEEDED')`;
  if (!attempt) return null;
  const fate = attempt.status === "QUEUED" ? "the job was queued again" : `the job is ${attempt.status}`;
  if (attempt.outcome === "DEADLINE_EXCEEDED") {
    return new TimeLimitExceededError("DEADLINE", null, attempt.end_time, `the job's deadline (${attempt.deadline?.toISOString()}) passed before it finished: ${fate}; stop working on it`);
  }
  return new TimeLimitExceededError(
    "JOB_TIME_LIMIT",
    attempt.limit_seconds,
    attempt.end_time,
    `this attempt ran past the job's time limit of ${attempt.limit_seconds} s and was ended: ${fate}; stop working on it`,
  );
}
