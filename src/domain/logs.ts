// Job logs: lines a worker writes while it runs a job (or one of its tasks), appended in batches
// under the holder's lease, paged, and tailed live. They are not job events: they live in their own
// table, numbered per job, and never pass through the event stream, so that a chatty job cannot
// slow the delivery of anyone's events. Each job keeps at most a number of lines and of bytes; the
// oldest go first, and what went is counted.
import { isForeignKeyViolation, type Db } from "../db/client.js";
import { Prisma, type LogStream } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import type { Principal } from "./principal.js";
import { presentedLease } from "./lease.js";
import { isStorableText, UNSTORABLE_TEXT } from "./text.js";
import { whyNot } from "./transitions.js";

const { sql } = Prisma;

/** The most lines one append takes. */
export const MAX_BATCH_LINES = 1000;
/** The longest line, in UTF-8 bytes. */
export const MAX_LINE_BYTES = 65_536;

export type LogLimits = { maxLines: number; maxBytes: number };

/** What each job keeps unless JOBGRAPH_LOG_MAX_LINES and JOBGRAPH_LOG_MAX_BYTES say otherwise. */
export const DEFAULT_LOG_LIMITS: LogLimits = { maxLines: 10_000, maxBytes: 1_048_576 };

export type NewLogLine = { stream: LogStream; at?: Date | null; line: string };

export type LogLine = { id: bigint; jobId: string; seq: bigint; taskId: string | null; stream: LogStream; at: Date; line: string };

export type LogStats = { lines: bigint; bytes: bigint; droppedLines: bigint; droppedBytes: bigint };

const EMPTY_STATS: LogStats = { lines: 0n, bytes: 0n, droppedLines: 0n, droppedBytes: 0n };

function checkLines(lines: readonly NewLogLine[]): FieldError[] {
  const errors: FieldError[] = [];
  if (lines.length === 0 || lines.length > MAX_BATCH_LINES) {
    errors.push({ path: ["lines"], message: `must hold 1 to ${MAX_BATCH_LINES} lines` });
    return errors;
  }
  lines.forEach((l, i) => {
    if (Buffer.byteLength(l.line, "utf8") > MAX_LINE_BYTES) errors.push({ path: ["lines", String(i), "line"], message: `must be at most ${MAX_LINE_BYTES} bytes` });
    else if (!isStorableText(l.line)) errors.push({ path: ["lines", String(i), "line"], message: UNSTORABLE_TEXT });
    if (l.at && Number.isNaN(l.at.getTime())) errors.push({ path: ["lines", String(i), "at"], message: "must be a time" });
  });
  return errors;
}

/**
 * Appends a batch of lines to a job's log (to one of its tasks', with taskId), in order, under the
 * holder's lease: the node must hold the job (ACQUIRED or RUNNING) with this lease. Lines past the
 * job's limits push out its oldest ones (a batch longer than the limits keeps its newest lines),
 * and the drop is counted. Returns the job's log counters after the append and the last line's seq.
 *
 * One statement: it makes the job's counters row on the first append, or locks it (so appends to
 * one job take their seqs in commit order, and a tailer reading past the last seq it saw misses
 * nothing), checks the lease, inserts, trims and counts.
 */
export async function appendJobLog(
  db: Db,
  actor: Principal,
  input: { jobId: string; leaseToken: string | null; taskId?: string | null; lines: readonly NewLogLine[] },
  limits: LogLimits,
): Promise<{ stats: LogStats; lastSeq: bigint; accepted: number }> {
  const leaseToken = presentedLease(input.leaseToken);
  const errors = checkLines(input.lines);
  if (errors.length || !isStorableText(input.leaseToken ?? "")) {
    const refusal = await whyNot(db, actor, input.jobId, "renewLease", leaseToken);
    if (refusal instanceof NotFoundError || refusal instanceof ForbiddenError) throw refusal;
    throw new ValidationError("the log lines are not valid", errors.length ? errors : [{ path: ["leaseToken"], message: UNSTORABLE_TEXT }]);
  }
  const now = new Date();
  const nodeId = actor.kind === "NODE" ? actor.nodeId : null;
  // Only the newest lines a job keeps are sent: a batch bigger than the limits drops its oldest.
  let lines = input.lines.map((l) => ({ stream: l.stream, at: l.at ?? now, line: l.line, bytes: Buffer.byteLength(l.line, "utf8") }));
  let droppedLines = 0;
  let droppedBytes = 0;
  while (lines.length > limits.maxLines || lines.reduce((n, l) => n + l.bytes, 0) > limits.maxBytes) {
    droppedLines++;
    droppedBytes += lines[0]!.bytes;
    lines = lines.slice(1);
  }
  let cumulative = 0;
  const cums = lines.map((l) => (cumulative += l.bytes));
  const added = lines.length;
  // The newest line to drop, given the counters before the append, for the limit of lines and for
  // the limit of bytes. Both drop a prefix of the log (lines are numbered, and their bytes summed,
  // in order), so the line is found from the oldest forward, in the primary key's order, reading
  // no further than the first line kept: an append costs the same with 10 lines kept as with
  // 10,000. The batch itself fits the limits (it was cut above), so at worst every older line goes.
  const lastDropped = (job: Prisma.Sql, before: { lines: Prisma.Sql; bytes: Prisma.Sql }) => sql`greatest(
    ${before.lines} + ${added}::int - ${limits.maxLines}::bigint,
    case when ${before.bytes} + ${cumulative}::bigint - ${limits.maxBytes}::bigint > 0 then
      coalesce((select k.seq - 1 from job_log_lines k
                 where k.job_id = ${job} and k.cum_bytes > ${before.bytes} + ${cumulative}::bigint - ${limits.maxBytes}::bigint
                 order by k.seq limit 1), ${before.lines})
    else 0 end)`;
  // Only for the job's holder: a refused append leaves nothing behind.
  const rows = await appended<{ lines: bigint; bytes: bigint; dropped_lines: bigint; dropped_bytes: bigint }>(db, sql`
    /* appendJobLog */
    with held as (
      select j.id from jobs j
       where j.id = ${input.jobId}::uuid and j.status in ('ACQUIRED', 'RUNNING') and j.deleted_at is null
         and j.node_id = ${nodeId}::uuid and j.lease_token = ${leaseToken}::uuid
         and (${input.taskId ?? null}::uuid is null or exists (select 1 from tasks k where k.id = ${input.taskId ?? null}::uuid and k.job_id = j.id))
    ), counted as (
      -- The job's first append makes its counters; a later one locks them, and its update works
      -- on their newest version, committed after this statement began or not. The row is written
      -- once, here, so what the append drops is counted here too: the lines the delete below
      -- removes, found the same way.
      insert into job_log_stats as s (job_id, lines, bytes, dropped_lines, dropped_bytes)
      select held.id, ${added}::int, ${cumulative}::bigint, ${droppedLines}::int, ${droppedBytes}::bigint from held
      on conflict (job_id) do update
         set lines = s.lines + ${added}::int, bytes = s.bytes + ${cumulative}::bigint,
             (dropped_lines, dropped_bytes) = (
               select s.dropped_lines + ${droppedLines}::int + count(*), s.dropped_bytes + ${droppedBytes}::bigint + coalesce(sum(octet_length(d.line)), 0)
                 from job_log_lines d
                where d.job_id = s.job_id and d.seq <= ${lastDropped(sql`s.job_id`, { lines: sql`s.lines`, bytes: sql`s.bytes` })})
      returning s.job_id, s.lines - ${added}::int as lines_before, s.bytes - ${cumulative}::bigint as bytes_before,
                s.lines, s.bytes, s.dropped_lines, s.dropped_bytes
    ), appended as (
      insert into job_log_lines (job_id, seq, task_id, stream, at, line, cum_bytes)
      select c.job_id, c.lines_before + l.i, ${input.taskId ?? null}::uuid, l.stream, l.at, l.line, c.bytes_before + l.cum
        from counted c, unnest(${lines.map((l) => l.stream)}::"LogStream"[], ${lines.map((l) => l.at)}::timestamptz[],
                               ${lines.map((l) => l.line)}::text[], ${cums}::bigint[]) with ordinality l(stream, at, line, cum, i)
    ), dropped as (
      delete from job_log_lines d using counted c
       where d.job_id = c.job_id and d.seq <= ${lastDropped(sql`c.job_id`, { lines: sql`c.lines_before`, bytes: sql`c.bytes_before` })}
    )
    select lines, bytes, dropped_lines, dropped_bytes from counted`);
  const row = rows[0];
  if (!row) {
    if (input.taskId && (await db.task.count({ where: { id: input.taskId, jobId: input.jobId } })) === 0) {
      const job = await db.job.count({ where: { id: input.jobId } });
      if (job) throw new NotFoundError("task of this job", input.taskId);
    }
    throw await whyNot(db, actor, input.jobId, "renewLease", leaseToken);
  }
  return {
    stats: { lines: row.lines, bytes: row.bytes, droppedLines: row.dropped_lines, droppedBytes: row.dropped_bytes },
    lastSeq: row.lines,
    accepted: lines.length,
  };
}

/**
 * The append's rows; none when the job was deleted for good while the append waited for its
 * counters (their row locked by the deletion): the job is then gone, as if it had been before.
 */
async function appended<T>(db: Db, statement: Prisma.Sql): Promise<T[]> {
  try {
    return await sqlRows<T>(db, statement);
  } catch (error) {
    if (isForeignKeyViolation(error, "job_log_stats_job_id_fkey", "job_log_lines_job_id_fkey", "job_log_lines_task_id_fkey")) return [];
    throw error;
  }
}

const LINE_COLUMNS = sql`l.job_id as "jobId", l.seq, l.seq as id, l.task_id as "taskId", l.stream, l.at, l.line`;

/** Which lines: after or before a seq; how many and from which end. */
export type LogPage = { after?: bigint | null; before?: bigint | null; take: number; backward: boolean };

/** A job's whole log (taskId null), or the lines of one of its tasks. */
export type LogOf = { jobId: string; taskId: string | null };

/**
 * A page of each log asked for, in the order asked, oldest first within the page: `take` lines
 * after `after` (or, backward, before `before`, the newest of them). One statement for every log
 * asked about, jobs' and tasks' alike.
 */
export async function logPages(db: Db, logs: readonly LogOf[], page: LogPage): Promise<LogLine[][]> {
  const after = page.after != null ? sql`and l.seq > ${page.after}::bigint` : sql``;
  const before = page.before != null ? sql`and l.seq < ${page.before}::bigint` : sql``;
  const rows = await sqlRows<LogLine & { i: bigint }>(db, sql`
    /* logPages */
    select k.i, p.* from unnest(${logs.map((l) => l.jobId)}::uuid[], ${logs.map((l) => l.taskId)}::uuid[]) with ordinality k(job_id, task_id, i)
     cross join lateral (
       select ${LINE_COLUMNS} from job_log_lines l
        where l.job_id = k.job_id and (k.task_id is null or l.task_id = k.task_id) ${after} ${before}
        order by l.seq ${page.backward ? sql`desc` : sql`asc`}
        limit ${page.take}::int) p`);
  const found = logs.map((): LogLine[] => []);
  for (const { i, ...line } of rows) found[Number(i) - 1]!.push(line);
  if (page.backward) for (const lines of found) lines.reverse();
  return found;
}

/** Each job's log counters, by job id (zeros for a job that has logged nothing). */
export async function logStats(db: Db, jobIds: readonly string[]): Promise<Map<string, LogStats>> {
  const rows = await sqlRows<{ job_id: string; lines: bigint; bytes: bigint; dropped_lines: bigint; dropped_bytes: bigint }>(db, sql`
    /* jobLogStats */
    select job_id, lines, bytes, dropped_lines, dropped_bytes from job_log_stats where job_id = any(${[...jobIds]}::uuid[])`);
  const found = new Map<string, LogStats>(jobIds.map((id) => [id, EMPTY_STATS]));
  for (const r of rows) found.set(r.job_id, { lines: r.lines, bytes: r.bytes, droppedLines: r.dropped_lines, droppedBytes: r.dropped_bytes });
  return found;
}
