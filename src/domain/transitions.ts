// The job lifecycle: every transition is one guarded SQL statement that changes the job, bumps its
// version and appends its event together. When the guard matches no row, the job is read again to
// say precisely why (not found, not allowed, lease lost, wrong state); nothing is ever changed by
// a read-modify-write in TypeScript.
import type { Db } from "../db/client.js";
import { columnsOf, sqlRows } from "../db/rows.js";
import { Prisma, type Job } from "../db/generated/prisma/client.js";
import type { JobEventKind, JobStatus, TaskStatus } from "../db/generated/prisma/enums.js";
import { beginAttempt, endAttempt, retries, retryAt, timeLimitOf, type AttemptEnd } from "./attempts.js";
import { ConflictError, ForbiddenError, InvalidTransitionError, LeaseLostError, NotFoundError, ValidationError } from "./errors.js";
import { nextEventTxid } from "./event-order.js";
import { firstPagesOfJob, withFirstPages, type JobFirsts } from "./job-reads.js";
import { presentedLease } from "./lease.js";
import { allowedFrom, IN_PLAY, jobEnded, type JobAction } from "./lifecycle.js";
import { NODE_FITS, whyNodeCannotTake } from "./node-fit.js";
import { QUEUE_OPEN, QUEUE_SLOT, whyQueueRefuses } from "./queues.js";
import { taskCounts, taskEffect, withTaskCounts, type TaskEffect } from "./task-effects.js";
import { MAX_DETAIL_CHARS, MAX_NOTE_CHARS, refuseLongerThan, refuseUnstorableText, unstorableTextAt } from "./text.js";
import { mayActOn } from "./permissions.js";
import { isAdmin, type Principal } from "./principal.js";

const { sql, join, empty } = Prisma;

/** The client or a transaction of it: transitions run in either. */
type Queryable = Db | Prisma.TransactionClient;

/** How long a lease lasts unless renewed (by renewJobLease, startJob or a progress report). */
export type LeaseSettings = { leaseSeconds: number };

type Guard = { userId: string | null; nodeId: string | null; admin: boolean; leaseToken: string | null };

/**
 * The caller of a change: a user or a node, or null for the gateway's own housekeeping (time
 * limits, deadlines), which may do what an admin may and is recorded as no one.
 */
export type Actor = Principal | null;

function guardOf(actor: Actor, leaseToken?: string | null): Guard {
  return {
    userId: actor?.kind === "USER" ? actor.userId : null,
    nodeId: actor?.kind === "NODE" ? actor.nodeId : null,
    admin: actor === null || isAdmin(actor),
    leaseToken: presentedLease(leaseToken),
  };
}

/** SQL that is true when the actor holds the job with the lease token it presented. */
function holds(g: Guard): Prisma.Sql {
  return sql`(j.node_id = ${g.nodeId}::uuid and j.lease_token = ${g.leaseToken}::uuid)`;
}

function isCreator(g: Guard): Prisma.Sql {
  return sql`(j.creator_id = ${g.userId}::uuid)`;
}

/** The role part of each action's guard, as SQL over the job row `j` (see permissions.ts). */
function roleGuard(action: JobAction, g: Guard): Prisma.Sql {
  if (g.admin && action !== "acquire") return sql`true`;
  switch (action) {
    case "release":
    case "start":
    case "reportProgress":
    case "renewLease":
    case "finish":
    case "addOutput":
    case "deleteOutput":
      return holds(g);
    case "reset":
      return sql`(${holds(g)} or ${isCreator(g)})`;
    case "cancel":
    case "update":
    case "delete":
    case "reinstate":
      return isCreator(g);
    case "acquire":
      return sql`${g.nodeId}::uuid is not null`;
    case "abort":
    case "hardDelete":
      return sql`false`;
  }
}

type Change = {
  action: JobAction;
  /** The event's kind, or SQL over the changed row (`changed`) that gives it. */
  kind: JobEventKind | Prisma.Sql;
  /** Assignments to the job row (besides version and updated_at). */
  set?: Prisma.Sql;
  /** The new status for the event, if the action changes it; null: unchanged. */
  leaseToken?: string | null;
  progress?: number | null;
  /** The event's detail: a JSON value, or SQL over the changed row (`changed`) that gives one. */
  detail?: unknown;
  /** Extra condition on the job row. */
  extra?: Prisma.Sql;
  /** A further statement on the changed row (`changed`), run in the same statement. */
  alsoDo?: Prisma.Sql;
  /** What the change does to the job's tasks (see task-effects.ts); nothing when absent. */
  tasks?: TaskEffect;
  /** The change takes the job for a node: an attempt begins (see attempts.ts). */
  beginsAttempt?: boolean;
  /** How the attempt under way ends, if the job leaves the node's hands (see attempts.ts). */
  endsAttempt?: AttemptEnd;
  /** The caller's text (by argument name), refused if PostgreSQL cannot take it (see refuseUnstorableTextOf). */
  input?: Record<string, unknown>;
  /**
   * First pages of the job's lists to answer with, read in the same statement (see FirstPage).
   * Only of lists the change leaves alone: the statement's reads see the tables as they were
   * before it.
   */
  firsts?: JobFirsts | undefined;
};

/** Every column of the changed row, named as Prisma names them. */
export const JOB_COLUMNS = Prisma.raw(columnsOf("Job", "changed"));

const statusList = (statuses: readonly JobStatus[]) => sql`array[${join(statuses.map((s) => sql`${s}`))}]::"JobStatus"[]`;

/** The job as a change left it: the whole row, which the API answers with without reading it again. */
export type ChangedJob = Job;

/**
 * Runs one transition as one statement: lock the job, update it where the state, the deletion
 * mark and the caller's role allow, and insert the event from what the update returned.
 */
async function transition(db: Queryable, actor: Actor, jobId: string, change: Change): Promise<ChangedJob> {
  if (change.input) await refuseUnstorableTextOf(db, actor, jobId, change.action, change.leaseToken, change.input);
  const g = guardOf(actor, change.leaseToken);
  const deleted = change.action === "reinstate" ? sql`j.deleted_at is not null` : change.action === "hardDelete" ? sql`true` : sql`j.deleted_at is null`;
  const detail = change.detail instanceof Prisma.Sql ? change.detail : sql`${change.detail === undefined ? null : JSON.stringify(change.detail)}::jsonb`;
  const kind = typeof change.kind === "string" ? sql`${change.kind}::"JobEventKind"` : sql`(${change.kind})::"JobEventKind"`;
  const rows = await sqlRows<ChangedJob & { from: JobStatus }>(db, sql`
    /* ${Prisma.raw(change.action)}Job */
    with target as (
      select id, status from jobs where id = ${jobId}::uuid for update
    ), changed as (
      update jobs j set ${change.set ? sql`${change.set}, ` : empty}version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from target t
       where j.id = t.id
         and t.status = any(${statusList(allowedFrom[change.action])})
         and ${deleted}
         and ${roleGuard(change.action, g)}
         ${change.extra ? sql`and ${change.extra}` : empty}
      returning j.*, t.status as from_status
    )${change.tasks ? sql`, task_effects as (${taskEffect(change.tasks)}), task_counts as (${taskCounts()})` : empty}, event as (
      insert into job_events (job_id, kind, from_status, to_status, progress, detail, actor_user_id, actor_node_id, job_version, txid)
      select id, ${kind}, from_status,
             case when status <> from_status then status end,
             ${change.progress ?? null}::double precision, ${change.tasks ? withTaskCounts(detail) : detail},
             ${g.userId}::uuid, ${g.nodeId}::uuid, version, event_txid
        from changed ${change.tasks ? sql`left join task_counts on task_counts.job_id = changed.id` : empty}
    )${change.alsoDo ? sql`, also as (${change.alsoDo})` : empty}${change.beginsAttempt ? sql`, attempt as (${beginAttempt()})` : empty}${
      change.endsAttempt ? sql`, attempt as (${endAttempt(change.endsAttempt)})` : empty}
    select ${JOB_COLUMNS}, from_status::text as "from"${Prisma.raw(firstPagesOfJob(change.firsts, "changed.id"))} from changed`);
  const row = rows[0];
  if (row) return withFirstPages([row], change.firsts)[0]!;
  throw await whyNot(db, actor, jobId, change.action, change.leaseToken);
}

/**
 * One statement that bumps the job's version (and so locks its row) where the action is allowed,
 * returning its id, new version and the txid its event must carry (see event-order.ts), or no
 * row: the guard of a change that spans statements of one transaction, or that other tables'
 * statements join as a CTE (outputs). `eventAt`: where the change's event goes in the stream, if
 * not at its transaction's id.
 */
export function jobGuard(
  actor: Principal,
  jobId: string,
  action: JobAction,
  leaseToken?: string | null,
  extra?: Prisma.Sql,
  eventAt?: Prisma.Sql,
): Prisma.Sql {
  const g = guardOf(actor, leaseToken);
  return sql`
    update jobs j set version = j.version + 1, updated_at = now(), ${nextEventTxid("j", eventAt)}
     where j.id = ${jobId}::uuid
       and j.status = any(${statusList(allowedFrom[action])})
       and j.deleted_at is null
       and ${roleGuard(action, g)}
       ${extra ? sql`and ${extra}` : empty}
    returning j.id, j.version, j.event_txid::text as event_txid`;
}

const HOLDER_ACTIONS: readonly JobAction[] = ["release", "start", "reportProgress", "renewLease", "finish", "addOutput", "deleteOutput"];

/**
 * Reads the job again after a refused transition and names the reason, in this order: no such
 * job; the caller's role does not allow the action; the job is deleted; for a node acting as the
 * job's holder (every holder action, and a reset by a node), a lease that is not the current one
 * of a job still in play (QUEUED, ACQUIRED, RUNNING: reclaimed, released, aborted or acquired by
 * another node), or a job that finished or was cancelled, which tells the node more than "lease
 * lost" would; the job's state does not allow the action.
 */
export async function whyNot(db: Queryable, actor: Actor, jobId: string, action: JobAction, leaseToken?: string | null): Promise<Error> {
  const g = guardOf(actor, leaseToken);
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { status: true, deletedAt: true, creatorId: true, nodeId: true, leaseToken: true, runAfter: true },
  });
  if (!job) return new NotFoundError("job", jobId);
  // A node resets a job only as its holder; for a holder's action any node may try: whether it
  // holds the job is the lease's to say.
  const holderAction = HOLDER_ACTIONS.includes(action) || (action === "reset" && actor?.kind === "NODE");
  const roleAllows =
    actor === null ||
    (holderAction ? g.admin || actor.kind === "NODE" : mayActOn(actor, action, { ...job, status: allowedFrom[action][0] ?? job.status }));
  if (!roleAllows) return new ForbiddenError(`you may not ${action} this job`);
  if (action === "reinstate" && !job.deletedAt) return new InvalidTransitionError(job.status, action, "the job is not deleted");
  if (action !== "reinstate" && action !== "hardDelete" && job.deletedAt) {
    return new InvalidTransitionError(job.status, action, `cannot ${action} a deleted job; reinstate it first`);
  }
  if (holderAction && !g.admin) {
    // A time limit that ended the node's attempt is what it must hear, whatever became of the job.
    const stale = !IN_PLAY.includes(job.status) || job.nodeId !== g.nodeId || job.leaseToken !== g.leaseToken;
    const timedOut = stale ? await timeLimitOf(db, jobId, g.leaseToken) : null;
    if (timedOut) return timedOut;
    if (!IN_PLAY.includes(job.status)) return jobEnded(job.status, action);
    if (job.nodeId !== g.nodeId || job.leaseToken !== g.leaseToken) return new LeaseLostError();
  }
  if (!allowedFrom[action].includes(job.status)) return new InvalidTransitionError(job.status, action);
  if (action === "acquire" && job.runAfter > new Date()) {
    return new InvalidTransitionError(job.status, action, `the job may not be acquired before ${job.runAfter.toISOString()}`);
  }
  if (action === "acquire" && g.nodeId) {
    const closed = await whyQueueRefuses(db, g.nodeId, jobId);
    if (closed) return new InvalidTransitionError(job.status, action, closed);
    const why = await whyNodeCannotTake(db, g.nodeId, jobId);
    if (why) return new InvalidTransitionError(job.status, action, `this node cannot take the job: ${why}`);
  }
  return new InvalidTransitionError(job.status, action);
}

/**
 * Refuses text PostgreSQL cannot take (see text.ts) in the input of an action on a job, with a
 * ValidationError naming it, but only after the caller learns what comes first: that there is no
 * such job, or that it may not act on it (whyNot's NotFoundError or ForbiddenError).
 */
export async function refuseUnstorableTextOf(
  db: Queryable,
  actor: Actor,
  jobId: string,
  action: JobAction,
  leaseToken: string | null | undefined,
  input: Record<string, unknown>,
): Promise<void> {
  if (!unstorableTextAt(input)) return;
  const refusal = await whyNot(db, actor, jobId, action, leaseToken);
  if (refusal instanceof NotFoundError || refusal instanceof ForbiddenError) throw refusal;
  refuseUnstorableText(input);
}

/** A lease from now, which never outlasts the attempt's time limit: the reclaimer ends both alike. */
function leaseFor(settings: LeaseSettings): Prisma.Sql {
  return sql`least(now() + make_interval(secs => ${settings.leaseSeconds}::int), j.time_limit_at)`;
}

/**
 * The assignments that hand the job `j` to a node with a new lease, beginning an attempt: the
 * attempt's time limit starts now, and the lease ends with it at the latest.
 */
export function handOver(nodeId: string, settings: LeaseSettings): Prisma.Sql {
  const limit = sql`now() + make_interval(secs => j.time_limit_seconds)`;
  return sql`status = 'ACQUIRED', node_id = ${nodeId}::uuid, lease_token = gen_random_uuid(),
             lease_expires_at = least(now() + make_interval(secs => ${settings.leaseSeconds}::int), ${limit}),
             time_limit_at = ${limit}, attempts = j.attempts + 1, last_report_at = now(), stalled_at = null`;
}

/** What every change that takes a job from its node clears. */
const LEASE_ENDED = sql`lease_token = null, lease_expires_at = null, time_limit_at = null`;

/** Takes a QUEUED job for the calling node, with a new lease (a fencing token). Worker nodes. */
export function acquireJob(db: Db, actor: Principal, jobId: string, settings: LeaseSettings) {
  if (actor.kind !== "NODE") throw new ForbiddenError("only a worker node can acquire a job");
  return transition(db, actor, jobId, {
    action: "acquire",
    kind: "ACQUIRED",
    set: handOver(actor.nodeId, settings),
    beginsAttempt: true,
    extra: sql`j.run_after <= now() and exists (select 1 from worker_nodes node where node.id = ${actor.nodeId}::uuid and not node.draining and ${NODE_FITS})
               and ${QUEUE_OPEN} and ${QUEUE_SLOT}`,
  });
}

/** Gives a held job back to the queue. The holding node. */
export function releaseJob(db: Db, actor: Principal, jobId: string, leaseToken: string | null) {
  return transition(db, actor, jobId, {
    action: "release",
    kind: "RELEASED",
    leaseToken,
    input: { leaseToken },
    set: sql`status = 'QUEUED', node_id = null, ${LEASE_ENDED}, start_time = null`,
    tasks: { kind: "follow" },
    endsAttempt: { outcome: "RELEASED" },
  });
}

// By the read a document asks for, the same object for each request of it: the first pages'
// SQL is made once per read (see firstPagesOfJob).
const startFirsts = new WeakMap<JobFirsts, JobFirsts | undefined>();

/** The first pages of `firsts` that a start can read with the job: not its events (see startJob). */
function firstsOfStart(firsts: JobFirsts | undefined): JobFirsts | undefined {
  if (!firsts) return undefined;
  if (!startFirsts.has(firsts)) startFirsts.set(firsts, firsts.tasks || firsts.outputs ? { tasks: firsts.tasks, outputs: firsts.outputs } : undefined);
  return startFirsts.get(firsts);
}

/**
 * Starts work on an acquired job; renews the lease. The holding node. The first pages of its
 * tasks and outputs in `firsts` come with the job (a worker reads its tasks from startJob's
 * answer); a first page of its events would miss the one this change writes, and is read apart.
 */
export function startJob(db: Db, actor: Principal, jobId: string, leaseToken: string | null, settings: LeaseSettings, firsts?: JobFirsts) {
  return transition(db, actor, jobId, {
    action: "start",
    kind: "STARTED",
    leaseToken,
    input: { leaseToken },
    set: sql`status = 'RUNNING', start_time = now(), lease_expires_at = ${leaseFor(settings)}, last_report_at = now()`,
    firsts: firstsOfStart(firsts),
  });
}

/** Records progress (0..1) with any JSON detail; renews the lease. The holding node. */
export function reportJobProgress(
  db: Db,
  actor: Principal,
  jobId: string,
  input: { leaseToken: string | null; progress: number; detail?: unknown },
  settings: LeaseSettings,
) {
  if (!(input.progress >= 0 && input.progress <= 1)) {
    throw new ValidationError("progress must be between 0 and 1", [{ path: ["progress"], message: "must be between 0 and 1" }]);
  }
  // Stored with the job and with the report's event, at every report.
  refuseLongerThan(JSON.stringify(input.detail ?? null), MAX_DETAIL_CHARS, ["detail"]);
  return transition(db, actor, jobId, {
    action: "reportProgress",
    kind: "PROGRESS",
    leaseToken: input.leaseToken,
    input: { leaseToken: input.leaseToken, detail: input.detail },
    progress: input.progress,
    detail: input.detail ?? null,
    set: sql`progress = ${input.progress}::double precision, progress_detail = ${JSON.stringify(input.detail ?? null)}::jsonb,
             lease_expires_at = ${leaseFor(settings)}, last_report_at = now()`,
  });
}

/** Extends the lease of a held job. The holding node. */
export function renewJobLease(db: Db, actor: Principal, jobId: string, leaseToken: string | null, settings: LeaseSettings) {
  return transition(db, actor, jobId, {
    action: "renewLease",
    kind: "LEASE_RENEWED",
    leaseToken,
    input: { leaseToken },
    set: sql`lease_expires_at = ${leaseFor(settings)}, last_report_at = now()`,
  });
}

/** How many unfinished tasks a refusal to finish names. */
const NAMED_TASKS = 5;

/**
 * The job's tasks in `statuses`, for a message: how many, and the first few names in order of
 * arrival followed by how many more.
 */
async function tasksIn(db: Queryable, jobId: string, statuses: TaskStatus[]): Promise<{ total: number; list: string }> {
  const [row] = await db.$queryRaw<Array<{ names: string[] | null; total: number }>>`
    /* tasksIn */
    select (array_agg(name order by qsequence))[1:${NAMED_TASKS}::int] as names, count(*)::int as total
      from tasks where job_id = ${jobId}::uuid and status = any(${statuses}::"TaskStatus"[])`;
  const names = row!.names ?? [];
  return { total: row!.total, list: names.join(", ") + (row!.total > names.length ? ` and ${row!.total - names.length} more` : "") };
}

/** The error of a failure its node gave no words for. */
const NO_REASON = "failed without a reason given";

/**
 * Finishes a running job: SUCCEEDED, or FAILED with the error given, its unfinished tasks
 * CANCELLED. A failure the node calls `retryable` is another attempt's to mend, when the job's
 * retry policy retries errors and attempts remain: the job goes back to QUEUED after its backoff
 * (ATTEMPT_FAILED), its running tasks with it and its finished ones kept. Success is refused while
 * any task is unfinished (QUEUED or RUNNING). With `fromTasks`, the tasks decide: SUCCEEDED when
 * every task did, else FAILED naming those that did not. The holding node.
 */
export async function finishJob(
  db: Db,
  actor: Principal,
  jobId: string,
  input: { leaseToken: string | null; error?: string | null; retryable?: boolean | null; fromTasks?: boolean | null },
) {
  // An error given is a failure, an empty one too (a handler that threw ""): what the node could
  // not put in words is still no success.
  const failed = input.error != null;
  refuseLongerThan(input.error, MAX_NOTE_CHARS, ["error"]);
  if (failed && input.fromTasks) {
    throw new ValidationError("give an error or fromTasks, not both", [{ path: ["fromTasks"], message: "leave out with an error: the tasks cannot decide a failure already given" }]);
  }
  if (input.retryable && !failed) {
    throw new ValidationError("only a failure can be retryable", [{ path: ["retryable"], message: "give the error that makes the attempt worth retrying" }]);
  }
  if (failed) return finishWith(db, actor, jobId, input.leaseToken, input.error!.trim() ? input.error! : NO_REASON, Boolean(input.retryable));
  if (!input.fromTasks) return finishWith(db, actor, jobId, input.leaseToken, null);
  return db.$transaction(async (tx) => {
    // The job's row is locked first, as every change of the job and its tasks locks it, so the
    // tasks read are the tasks the job finishes with.
    await tx.$executeRaw`/* lockJobToFinish */ select 1 from jobs where id = ${jobId}::uuid for update`;
    const { total, list } = await tasksIn(tx, jobId, ["FAILED", "CANCELLED"]);
    const error = total ? `${total === 1 ? "a task" : `${total} tasks`} did not succeed: ${list}` : null;
    return finishWith(tx, actor, jobId, input.leaseToken, error);
  });
}

async function finishWith(db: Queryable, actor: Principal, jobId: string, leaseToken: string | null, error: string | null, retryable = false) {
  const unfinished = sql`not exists (select 1 from tasks t where t.job_id = j.id and t.status in ('QUEUED', 'RUNNING'))`;
  try {
    if (!error) {
      return await transition(db, actor, jobId, {
        action: "finish",
        kind: "SUCCEEDED",
        leaseToken,
        input: { leaseToken },
        set: sql`status = 'SUCCEEDED', end_time = now(), progress = 1, ${LEASE_ENDED}`,
        extra: unfinished,
        endsAttempt: { outcome: "SUCCEEDED" },
      });
    }
    const retry = retryable ? retries("ERROR") : sql`false`;
    return await transition(db, actor, jobId, {
      action: "finish",
      kind: sql`case when changed.status = 'QUEUED' then 'ATTEMPT_FAILED' else 'FAILED' end`,
      leaseToken,
      input: { leaseToken, error },
      detail: sql`jsonb_build_object('error', ${error}::text)
        || case when ${retryable}::boolean then jsonb_build_object('retryable', true, 'attempts', changed.attempts,
                'retryAfter', case when changed.status = 'QUEUED' then changed.run_after end) else '{}'::jsonb end`,
      set: sql`status = (case when ${retry} then 'QUEUED' else 'FAILED' end)::"JobStatus",
               end_time = case when ${retry} then null else now() end,
               error_reason = case when ${retry} then null else ${error}::text end,
               node_id = case when ${retry} then null else j.node_id end,
               start_time = case when ${retry} then null else j.start_time end,
               run_after = case when ${retry} then ${retryAt()} else j.run_after end,
               ${LEASE_ENDED}`,
      tasks: { kind: "follow" },
      endsAttempt: { outcome: "FAILED", error, retryable },
    });
  } catch (refusal) {
    // The guard that refused may have been the tasks': say so, naming them.
    if (error || !(refusal instanceof InvalidTransitionError) || refusal.from !== "RUNNING") throw refusal;
    const { total, list } = await tasksIn(db, jobId, ["QUEUED", "RUNNING"]);
    if (!total) throw refusal;
    throw new InvalidTransitionError(
      "RUNNING",
      "finish",
      `cannot finish the job as SUCCEEDED while ${total === 1 ? "a task is" : `${total} tasks are`} unfinished: ${list}; finish ${total === 1 ? "it" : "them"} first, or finish the job with an error`,
    );
  }
}

/**
 * Fails the running job one of whose tasks failed for good (the FAIL_JOB policy), in the caller's
 * transaction, under the same guard as the task's change: its unfinished tasks are cancelled.
 */
export function failJobForTask(tx: Prisma.TransactionClient, actor: Actor, jobId: string, leaseToken: string | null, error: string, taskId: string) {
  return transition(tx, actor, jobId, {
    action: "finish",
    kind: "FAILED",
    leaseToken,
    detail: { error, failedTask: taskId },
    set: sql`status = 'FAILED', end_time = now(), error_reason = ${error}::text, ${LEASE_ENDED}`,
    tasks: { kind: "follow" },
    endsAttempt: { outcome: "FAILED", error },
  });
}

export type ResetInput = { leaseToken?: string | null; keepOutputs?: boolean | null; keepSucceededTasks?: boolean | null; resetDependents?: boolean | null };

/**
 * Returns a job to QUEUED as if new (WAITING while a dependency has not succeeded): node, lease,
 * times, progress and error cleared, and its tasks with it (the SUCCEEDED ones kept with
 * `keepSucceededTasks`); its outputs are removed unless kept. With `resetDependents`, every job
 * that depends on it, directly or through others, and has started or finished is reset too, in
 * the same transaction (each as the caller may: one the caller may not reset refuses the whole),
 * and waits for it again. The holding node, the creator, or an admin.
 */
export async function resetJob(db: Db, actor: Principal, jobId: string, input: ResetInput) {
  if (!input.resetDependents) return resetOne(db, actor, jobId, input);
  return db.$transaction(async (tx) => {
    const changed = await resetOne(tx, actor, jobId, input);
    const downstream = await tx.$queryRaw<Array<{ id: string }>>`
      /* dependentsToReset */
      with recursive below as (
        select e.job_id as id, 1 as depth from job_dependencies e where e.depends_on_id = ${jobId}::uuid
        union
        select e.job_id, b.depth + 1 from job_dependencies e join below b on e.depends_on_id = b.id where b.depth < 1000
      )
      select j.id from jobs j join (select id, max(depth) as depth from below group by id) b using (id)
       where j.status = any(${statusList(allowedFrom.reset)}) and j.deleted_at is null
       order by b.depth, j.number`;
    // Nearest first: by the time a job is reset, what it waits for is waiting again.
    for (const { id } of downstream) await resetOne(tx, actor, id, { keepOutputs: input.keepOutputs, keepSucceededTasks: input.keepSucceededTasks });
    return changed;
  }, { timeout: 60_000 });
}

function resetOne(db: Queryable, actor: Principal, jobId: string, input: ResetInput) {
  return transition(db, actor, jobId, {
    action: "reset",
    kind: "RESET",
    leaseToken: input.leaseToken ?? null,
    input: { leaseToken: input.leaseToken },
    detail: { keepOutputs: Boolean(input.keepOutputs), keepSucceededTasks: Boolean(input.keepSucceededTasks) },
    // A job whose dependencies have not all succeeded waits for them again.
    set: sql`status = (case when j.waiting_on > 0 then 'WAITING' else 'QUEUED' end)::"JobStatus", node_id = null, ${LEASE_ENDED}, start_time = null,
             end_time = null, progress = 0, progress_detail = null, error_reason = null, attempts = 0, run_after = now()`,
    alsoDo: input.keepOutputs ? undefined : sql`delete from job_outputs where job_id in (select id from changed)`,
    tasks: { kind: "reset", keepSucceeded: Boolean(input.keepSucceededTasks) },
    endsAttempt: { outcome: "RESET" },
  });
}

/** Takes a held job from a node presumed dead and queues it again at once. Admins only. */
export function abortJob(db: Db, actor: Principal, jobId: string) {
  return transition(db, actor, jobId, {
    action: "abort",
    kind: "ABORTED",
    set: sql`status = 'QUEUED', node_id = null, ${LEASE_ENDED}, start_time = null, run_after = now()`,
    tasks: { kind: "follow" },
    endsAttempt: { outcome: "ABORTED" },
  });
}

/** Soft-deletes a job: hidden from lists, out of the lifecycle, reinstatable. Its creator or an admin. */
export function deleteJob(db: Db, actor: Principal, jobId: string) {
  return transition(db, actor, jobId, { action: "delete", kind: "DELETED", set: sql`deleted_at = now()` });
}

/** Undoes deleteJob. Its creator or an admin. */
export function reinstateJob(db: Db, actor: Principal, jobId: string) {
  return transition(db, actor, jobId, { action: "reinstate", kind: "REINSTATED", set: sql`deleted_at = null` });
}

export type JobUpdate = {
  description?: string | null;
  priority?: number | null;
  tags?: string[] | null;
  /** Refuse the change unless the job is still at this version. */
  expectedVersion?: number | null;
};

/** Changes a job's description, priority or tags. Its creator or an admin. */
export async function updateJob(db: Db, actor: Principal, jobId: string, input: JobUpdate) {
  await refuseUnstorableTextOf(db, actor, jobId, "update", null, { description: input.description, tags: input.tags });
  const errors = [
    ...((input.description?.length ?? 0) > 10_000 ? [{ path: ["description"], message: "must be at most 10000 characters" }] : []),
    ...checkTags(input.tags),
  ];
  if (errors.length) throw new ValidationError("the update is not valid", errors);
  const sets = [
    input.description != null ? sql`description = ${input.description}::text` : null,
    input.priority != null ? sql`priority = ${input.priority}::int` : null,
    input.tags != null ? sql`tags = ${input.tags}::text[]` : null,
  ].filter((s): s is Prisma.Sql => s !== null);
  if (!sets.length) throw new ValidationError("nothing to change", [{ path: [], message: "give description, priority or tags" }]);
  try {
    return await transition(db, actor, jobId, {
      action: "update",
      kind: "UPDATED",
      detail: { description: input.description ?? undefined, priority: input.priority ?? undefined, tags: input.tags ?? undefined },
      set: join(sets, ", "),
      extra: input.expectedVersion != null ? sql`j.version = ${input.expectedVersion}::int` : undefined,
    });
  } catch (error) {
    if (error instanceof InvalidTransitionError && input.expectedVersion != null) {
      const job = await db.job.findUnique({ where: { id: jobId }, select: { version: true } });
      if (job && job.version !== input.expectedVersion) {
        throw new ConflictError(`the job is at version ${job.version}, not ${input.expectedVersion}`, job.version);
      }
    }
    throw error;
  }
}

export function checkTags(tags: string[] | null | undefined) {
  const errors: Array<{ path: string[]; message: string }> = [];
  if (!tags) return errors;
  if (tags.length > 50) errors.push({ path: ["tags"], message: "at most 50 tags" });
  tags.forEach((tag, i) => {
    if (!tag.trim() || tag.length > 100 || /\p{Cc}/u.test(tag)) {
      errors.push({ path: ["tags", String(i)], message: "must be 1 to 100 printable characters" });
    }
  });
  return errors;
}

/**
 * Cancels a job and, in the same statement, every descendant that is still queued or held. The
 * holding nodes learn it on their next call (their job is no longer RUNNING). Creator or admin.
 */
export function cancelJob(db: Db, actor: Principal, jobId: string, reason?: string | null) {
  refuseLongerThan(reason, MAX_NOTE_CHARS, ["reason"]);
  return db.$transaction((tx) => cancelJobIn(tx, actor, jobId, reason));
}

/** cancelJob in the caller's transaction (a schedule's tick cancels the job of the tick before it). */
export async function cancelJobIn(tx: Prisma.TransactionClient, actor: Principal, jobId: string, reason?: string | null) {
  const job = await transition(tx, actor, jobId, {
    action: "cancel",
    kind: "CANCELLED",
    input: { reason },
    detail: reason ? { reason } : null,
    set: sql`status = 'CANCELLED', end_time = now(), ${LEASE_ENDED}`,
    tasks: { kind: "follow" },
    endsAttempt: { outcome: "CANCELLED", error: reason ?? null },
  });
  await cancelDescendants(tx, actor, jobId);
  return job;
}

async function cancelDescendants(db: Queryable, actor: Principal, jobId: string) {
  const g = guardOf(actor);
  await db.$executeRaw`
    /* cancelDescendants */
    with recursive tree as (
      select id from jobs where parent_id = ${jobId}::uuid
      union
      select c.id from jobs c join tree on c.parent_id = tree.id
    ), target as (
      select j.id, j.status from jobs j join tree using (id)
       where j.status = any(${statusList(allowedFrom.cancel)}) and j.deleted_at is null
       for update of j
    ), changed as (
      update jobs j set status = 'CANCELLED', end_time = now(), ${LEASE_ENDED},
                        version = j.version + 1, updated_at = now(), ${nextEventTxid()}
        from target t where j.id = t.id
      returning j.id, j.status, j.version, j.event_txid, j.run_after, t.status as from_status
    ), task_effects as (${taskEffect({ kind: "follow" })}), task_counts as (${taskCounts()}),
    attempt as (${endAttempt({ outcome: "CANCELLED", error: `cancelled with job ${jobId}` })})
    insert into job_events (job_id, kind, from_status, to_status, detail, actor_user_id, actor_node_id, job_version, txid)
    select id, 'CANCELLED', from_status, 'CANCELLED', ${withTaskCounts(sql`${JSON.stringify({ cascadedFrom: jobId })}::jsonb`)},
           ${g.userId}::uuid, ${g.nodeId}::uuid, version, event_txid
      from changed left join task_counts on task_counts.job_id = changed.id`;
}

/**
 * What a job's HARD_DELETED event keeps of it (under detail.job): the columns a job filter reads,
 * so that a stream filtered by them can still tell whether the gone job's history matches
 * (src/domain/job-filter.ts). Nothing a reader of the job could not see while it existed.
 */
export const DELETED_JOB_SNAPSHOT = Prisma.raw(`jsonb_build_object(${[
  "id",
  "status",
  "queue",
  "template_id",
  "node_id",
  "creator_id",
  "parent_id",
  "workflow_id",
  "tags",
  "created_at",
  "updated_at",
  "end_time",
  "deleted_at",
  "name",
  "description",
]
  .map((column) => `'${column}', ${column}`)
  .join(", ")})`);

/**
 * Deletes a job for good, with its tasks and outputs; its events stay as the audit trail. The jobs
 * waiting for it are cancelled. Admins only.
 */
export async function hardDeleteJob(db: Db, actor: Principal, jobId: string): Promise<{ id: string; number: bigint }> {
  if (!isAdmin(actor)) {
    const exists = await db.job.findUnique({ where: { id: jobId }, select: { id: true } });
    throw exists ? new ForbiddenError("only an admin may delete a job for good") : new NotFoundError("job", jobId);
  }
  const g = guardOf(actor);
  const [row] = await db.$queryRaw<Array<{ id: string; number: bigint }>>`
    /* hardDeleteJob */
    with removed as (
      delete from jobs where id = ${jobId}::uuid returning *
    ), event as (
      insert into job_events (job_id, kind, from_status, detail, actor_user_id, actor_node_id, job_version, txid)
      select id, 'HARD_DELETED', status, jsonb_build_object('jobId', id, 'number', number, 'job', ${DELETED_JOB_SNAPSHOT}),
             ${g.userId}::uuid, ${g.nodeId}::uuid, version + 1, greatest(event_txid, pg_current_xact_id())
        from removed
    ), orphaned as (
      -- A job waiting for it can never run now, whatever its policy: it is cancelled, naming it
      -- (and the jobs waiting for that one follow, through jobs_follow_dependencies).
      update jobs d set status = 'CANCELLED', end_time = now(), error_reason = format('its dependency, job #%s, was deleted', r.number),
                        version = d.version + 1, updated_at = now(), ${nextEventTxid("d")}
        from removed r join job_dependencies e on e.depends_on_id = r.id
       where d.id = e.job_id and d.status = 'WAITING'
      returning d.id, d.version, d.event_txid, d.error_reason, r.id as dependency_id, r.number as dependency_number
    ), orphan_events as (
      insert into job_events (job_id, kind, from_status, to_status, detail, actor_user_id, actor_node_id, job_version, txid)
      select id, 'CANCELLED', 'WAITING', 'CANCELLED',
             jsonb_build_object('reason', error_reason, 'dependency', jsonb_build_object('id', dependency_id, 'number', dependency_number, 'status', 'DELETED')),
             ${g.userId}::uuid, ${g.nodeId}::uuid, version, event_txid
        from orphaned
    ), orphan_tasks as (
      update tasks t set status = 'CANCELLED', reason = 'cancelled with its job', end_time = now(), updated_at = now()
        from orphaned o where t.job_id = o.id and t.status in ('QUEUED', 'RUNNING')
    )
    select id, number from removed`;
  if (!row) throw new NotFoundError("job", jobId);
  return row;
}
