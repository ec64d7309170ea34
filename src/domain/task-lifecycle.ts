// Tasks of a job (Arvados job_tasks, Flow Compute tasks): adding them, and the holding node moving
// them through QUEUED -> RUNNING -> SUCCEEDED | FAILED, stage by stage (sequence).
import { isUniqueViolation, type Db } from "../db/client.js";
import { Prisma, type Task } from "../db/generated/prisma/client.js";
import type { JobStatus, TaskType } from "../db/generated/prisma/enums.js";
import { columnsOf, sqlRows } from "../db/rows.js";
import { timeLimitOf } from "./attempts.js";
import { DomainError, ForbiddenError, InvalidTransitionError, LeaseLostError, NotFoundError, TimeLimitExceededError, ValidationError, type FieldError } from "./errors.js";
import { nextEventTxid } from "./event-order.js";
import { presentedLease } from "./lease.js";
import { checkRequiredLabels } from "./labels.js";
import { IN_PLAY, jobEnded } from "./lifecycle.js";
import { checkMap, childName, expandMaps, MAX_TASKS_PER_REQUEST, tasksAdded, tooManyTasks, type MapSpec, type TaskTally } from "./map-tasks.js";
import { withTasks } from "./task-effects.js";
import { failJobForTask, type Actor } from "./transitions.js";
import { MAX_DETAIL_CHARS, refuseLongerThan, unstorableTextAt, unstorableTextError, UNSTORABLE_TEXT } from "./text.js";
import { isAdmin, type Principal } from "./principal.js";

const { sql } = Prisma;

/** The client or a transaction of it: task changes run in either. */
type Queryable = Db | Prisma.TransactionClient;

export type TaskInputItem = { source: { uri?: string | null; spaceId?: string | null; key?: string | null }; target: { path: string } };

export type NewTask = {
  name: string;
  type?: TaskType | null;
  sequence?: number | null;
  executorName?: string | null;
  executorVersion?: string | null;
  hints?: unknown;
  inputs?: TaskInputItem[] | null;
  payload?: unknown;
  cpu?: number | null;
  memory?: number | null;
  maxExecutionTimeInSeconds?: number | null;
  maxAttempts?: number | null;
  /** Labels the claiming node must carry (see labels.ts). */
  requiredLabels?: unknown;
  parameters?: unknown;
  /** Another task of the same job, by id. */
  createdByTaskId?: string | null;
  /** A MAP task's template and list: it fans out to one task per value (see map-tasks.ts). */
  map?: MapSpec | null;
};

const CONTROL = /\p{Cc}/u;

function between(value: number | null | undefined, min: number, max: number, path: string[], errors: FieldError[]) {
  if (value != null && (!Number.isInteger(value) || value < min || value > max)) {
    errors.push({ path, message: `must be an integer from ${min} to ${max}` });
  }
}

/**
 * Flow Compute's rules for a task description, every problem at once; `before` is how many tasks
 * the request added before these (see TaskTally).
 */
export function checkTasks(tasks: NewTask[], path: string[], before = 0): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  const added = tasksAdded(tasks);
  if (added + before > MAX_TASKS_PER_REQUEST) {
    return [{ path, message: tooManyTasks(`${added} given`, before) }];
  }
  tasks.forEach((task, i) => {
    const at = [...path, String(i)];
    if (!task.name || task.name.length > 1000 || CONTROL.test(task.name)) {
      errors.push({ path: [...at, "name"], message: "must be 1 to 1000 printable characters" });
    } else if (names.has(task.name)) errors.push({ path: [...at, "name"], message: `"${task.name}" is given twice` });
    names.add(task.name);
    errors.push(...checkMap(task, at, checkTasks));
    task.map?.values.forEach((_value, j) => {
      const name = childName(task.name, j);
      if (task.type === "MAP" && names.has(name)) errors.push({ path: [...at, "map", "values", String(j)], message: `the task it makes, "${name}", has the name of another task` });
      names.add(name);
    });
    between(task.sequence, 0, 1_000_000, [...at, "sequence"], errors);
    if ((task.executorName?.length ?? 0) > 200) errors.push({ path: [...at, "executor", "name"], message: "must be at most 200 characters" });
    if ((task.executorVersion?.length ?? 0) > 200) errors.push({ path: [...at, "executor", "version"], message: "must be at most 200 characters" });
    between(task.cpu, 1, 16, [...at, "requirements", "cpu"], errors);
    between(task.memory, 1, 122_880, [...at, "requirements", "memory"], errors);
    between(task.maxExecutionTimeInSeconds, 1, 172_800, [...at, "limitations", "maxExecutionTimeInSeconds"], errors);
    between(task.maxAttempts, 1, 10, [...at, "maxAttempts"], errors);
    errors.push(...checkRequiredLabels(task.requiredLabels, [...at, "requiredLabels"]));
    (task.inputs ?? []).forEach((input, j) => {
      const where = [...at, "inputs", String(j)];
      const { uri, spaceId, key } = input.source;
      if (Boolean(uri) === Boolean(spaceId || key) || (!uri && !(spaceId && key))) {
        errors.push({ path: [...where, "source"], message: "must be either {uri} or {spaceId, key}" });
      }
      const target = input.target.path;
      if (!target || target.length > 4000 || target.startsWith("/") || CONTROL.test(target) || target.split("/").includes("..")) {
        errors.push({ path: [...where, "target", "path"], message: "must be a relative path of up to 4000 characters, without .. or control characters" });
      }
    });
  });
  return errors;
}

/**
 * Task rows for inserting, without job and qsequence: each MAP task followed by its children. A map
 * over nothing has succeeded as it is added.
 */
export function taskRows(tasks: NewTask[]) {
  return expandMaps(tasks).map((t) => ({
    ...(t.id ? { id: t.id } : {}),
    ...(t.mapTaskId ? { mapTaskId: t.mapTaskId, mapIndex: t.mapIndex, mapValue: (t.mapValue ?? Prisma.JsonNull) as Prisma.InputJsonValue } : {}),
    ...(t.type === "MAP" && !t.map?.values.length ? { status: "SUCCEEDED" as const, success: true, progress: 1, startTime: new Date(), endTime: new Date() } : {}),
    name: t.name,
    type: t.type ?? "TASK",
    sequence: t.sequence ?? 0,
    executorName: t.executorName ?? null,
    executorVersion: t.executorVersion ?? null,
    hints: (t.hints ?? Prisma.JsonNull) as Prisma.InputJsonValue,
    inputs: (t.inputs ?? []) as Prisma.InputJsonValue,
    payload: (t.payload ?? Prisma.JsonNull) as Prisma.InputJsonValue,
    cpu: t.cpu ?? null,
    memory: t.memory ?? null,
    maxExecutionTimeInSeconds: t.maxExecutionTimeInSeconds ?? null,
    maxAttempts: t.maxAttempts ?? 1,
    requiredLabels: (t.requiredLabels ?? {}) as Prisma.InputJsonValue,
    parameters: (t.parameters ?? {}) as Prisma.InputJsonValue,
    createdByTaskId: t.createdByTaskId ?? null,
  }));
}

/** A JSON column's value as jsonb_to_recordset reads it: Prisma's JSON null is the column's NULL, as it stores it. */
const jsonValue = (value: unknown) => (value === Prisma.JsonNull || value === Prisma.DbNull || value === undefined ? null : value);

/**
 * Inserts a job's task rows (taskRows', with the job and their qsequence) in one statement, the
 * rows as one JSON parameter. Prisma's createMany took half a millisecond a row (5.2 s for the
 * 9,009 tasks of 9 maps of 1,000 values, past its 5 s limit on a transaction: the client got an
 * unexpected error), against 0.3 s for the same statement in SQL; past PostgreSQL's limit of bind
 * parameters it also split the insert into statements sent at once on the transaction's one
 * connection, which failed a job's nested tasks on their foreign key, and which node-postgres
 * refuses from pg 9 on. Columns not given take their defaults, as with createMany.
 */
export async function insertTasks(tx: Prisma.TransactionClient, rows: Prisma.TaskCreateManyInput[]): Promise<void> {
  if (!rows.length) return;
  const records = rows.map((row) => ({
    id: row.id ?? null,
    job_id: row.jobId,
    name: row.name,
    type: row.type ?? null,
    sequence: row.sequence ?? null,
    qsequence: row.qsequence,
    executor_name: row.executorName ?? null,
    executor_version: row.executorVersion ?? null,
    hints: jsonValue(row.hints),
    inputs: jsonValue(row.inputs),
    payload: jsonValue(row.payload),
    cpu: row.cpu ?? null,
    memory: row.memory ?? null,
    max_execution_time_in_seconds: row.maxExecutionTimeInSeconds ?? null,
    parameters: jsonValue(row.parameters),
    required_labels: jsonValue(row.requiredLabels),
    progress: row.progress ?? null,
    success: row.success ?? null,
    max_attempts: row.maxAttempts ?? null,
    map_task_id: row.mapTaskId ?? null,
    map_index: row.mapIndex ?? null,
    map_value: jsonValue(row.mapValue),
    created_by_task_id: row.createdByTaskId ?? null,
    status: row.status ?? null,
    start_time: row.startTime ?? null,
    end_time: row.endTime ?? null,
  }));
  await tx.$executeRaw`
    /* insertTasks */
    insert into tasks (id, job_id, name, type, sequence, qsequence, executor_name, executor_version, hints, inputs, payload, cpu, memory,
      max_execution_time_in_seconds, parameters, required_labels, progress, success, max_attempts, map_task_id, map_index, map_value,
      created_by_task_id, status, start_time, end_time)
    select coalesce(r.id, gen_random_uuid()), r.job_id, r.name, coalesce(r.type, 'TASK')::"TaskType", coalesce(r.sequence, 0), r.qsequence,
      r.executor_name, r.executor_version, r.hints, coalesce(r.inputs, '[]'), r.payload, r.cpu, r.memory, r.max_execution_time_in_seconds,
      coalesce(r.parameters, '{}'), coalesce(r.required_labels, '{}'), coalesce(r.progress, 0), r.success, coalesce(r.max_attempts, 1),
      r.map_task_id, r.map_index, r.map_value, r.created_by_task_id, coalesce(r.status, 'QUEUED')::"TaskStatus", r.start_time, r.end_time
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(id uuid, job_id uuid, name text, type text, sequence int, qsequence int,
      executor_name text, executor_version text, hints jsonb, inputs jsonb, payload jsonb, cpu int, memory int, max_execution_time_in_seconds int,
      parameters jsonb, required_labels jsonb, progress float8, success boolean, max_attempts int, map_task_id uuid, map_index int, map_value jsonb,
      created_by_task_id uuid, status text, start_time timestamptz, end_time timestamptz)`;
}

/**
 * Adds tasks to a job that has not finished. qsequence numbers them in order of arrival within the
 * job: the job row is locked while they are numbered, so concurrent additions never collide.
 * The job's creator, the node holding it (with its lease), or an admin.
 */
export async function addTasks(
  db: Db,
  actor: Principal,
  jobId: string,
  tasks: NewTask[],
  leaseToken?: string | null,
  tally: TaskTally = { tasksAdded: 0 },
) {
  // Text PostgreSQL cannot take is refused once the caller is known to be allowed (below).
  const unstorable = unstorableTextAt({ tasks, leaseToken });
  const errors = unstorable ? [] : checkTasks(tasks, ["tasks"], tally.tasksAdded);
  if (!tasks.length) errors.push({ path: ["tasks"], message: "give at least one task" });
  if (errors.length) throw new ValidationError("the tasks are not valid", errors);
  try {
    const ids = await db.$transaction(async (tx) => {
      const [job] = await tx.$queryRaw<Array<{ status: string; creator_id: string | null; node_id: string | null; lease_token: string | null; deleted_at: Date | null }>>`
        /* lockJobForTasks */
        select status::text, creator_id, node_id, lease_token, deleted_at from jobs where id = ${jobId}::uuid for update`;
      if (!job) throw new NotFoundError("job", jobId);
      const admin = isAdmin(actor);
      const creator = actor.kind === "USER" && job.creator_id === actor.userId;
      // A node adds tasks only as the job's holder; whether it holds the job is the lease's to say.
      if (!admin && !creator && actor.kind !== "NODE") throw new ForbiddenError("only the job's creator, its holding node or an admin may add tasks");
      if (job.deleted_at) throw new InvalidTransitionError(job.status, "addTasks", "cannot add tasks to a job that is deleted");
      const inPlay = IN_PLAY.includes(job.status as JobStatus);
      if (actor.kind === "NODE") {
        const stale = !inPlay || job.node_id !== actor.nodeId || job.lease_token !== presentedLease(leaseToken);
        const timedOut = stale ? await timeLimitOf(tx, jobId, presentedLease(leaseToken)) : null;
        if (timedOut) throw timedOut;
        if (!inPlay) throw jobEnded(job.status as JobStatus, "addTasks");
        if (stale) throw new LeaseLostError();
      }
      if (unstorable) throw new ValidationError(`the input at ${unstorable.join(".")} ${UNSTORABLE_TEXT}`, [unstorableTextError(unstorable)]);
      if (!inPlay) throw new InvalidTransitionError(job.status, "addTasks", `cannot add tasks to a job that is ${job.status}`);
      const creators = tasks.map((t) => t.createdByTaskId).filter((id): id is string => Boolean(id));
      if (creators.length) {
        const found = await tx.task.count({ where: { id: { in: creators }, jobId } });
        if (found !== new Set(creators).size) {
          throw new ValidationError("createdByTask must be a task of the same job", [{ path: ["tasks"], message: "createdByTask must be a task of the same job" }]);
        }
      }
      const next = await tx.task.aggregate({ where: { jobId }, _max: { qsequence: true } });
      const first = (next._max.qsequence ?? -1) + 1;
      await insertTasks(tx, taskRows(tasks).map((row, i) => ({ ...row, jobId, qsequence: first + i })));
      await recordJobChange(tx, actor, jobId, "TASK_ADDED", { tasks: tasks.map((t) => t.name) });
      return tx.task.findMany({ where: { jobId, qsequence: { gte: first } }, orderBy: { qsequence: "asc" }, select: { id: true } });
    });
    tally.tasksAdded += ids.length;
    return ids;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError("a task with this name exists in the job", [{ path: ["tasks"], message: "task names must be unique within the job" }]);
    }
    throw error;
  }
}

/** Bumps the job's version and appends its event for a change to its tasks. */
async function recordJobChange(db: Prisma.TransactionClient | Db, actor: Principal, jobId: string, kind: "TASK_ADDED", detail: unknown) {
  await db.$executeRaw`
    /* recordTaskChange */
    with bumped as (
      update jobs j set version = j.version + 1, updated_at = now(), ${nextEventTxid()} where j.id = ${jobId}::uuid
      returning j.id, j.version, j.event_txid
    )
    insert into job_events (job_id, kind, detail, actor_user_id, actor_node_id, job_version, txid)
    select id, ${kind}::"JobEventKind", ${JSON.stringify(detail)}::jsonb,
           ${actor.kind === "USER" ? actor.userId : null}::uuid, ${actor.kind === "NODE" ? actor.nodeId : null}::uuid, version, event_txid
      from bumped`;
}

type TaskChange = {
  name: string;
  kind: "TASK_STARTED" | "TASK_PROGRESS" | "TASK_FINISHED" | "TASK_RESET" | "TASK_TIMED_OUT";
  /** The event's kind as SQL over the changed task (`changed`), when the change decides it. */
  eventKind?: Prisma.Sql;
  /**
   * A further change of other tasks of the job, as a CTE body that may read `changed` and returns
   * a row per task it changed; the event counts them under detail.tasks[key].
   */
  cascade?: { body: Prisma.Sql; key: string };
  from: string[];
  set: Prisma.Sql;
  /** Whether tasks of lower sequence must all have succeeded first. */
  staged?: boolean;
  /** A further condition on the task row `t`. */
  extra?: Prisma.Sql;
  progress?: number | null;
  detail?: unknown;
  /** The caller's text (by argument name), refused if PostgreSQL cannot take it, after whyNotTask's NotFoundError or ForbiddenError. */
  input?: Record<string, unknown>;
};

/**
 * One statement per task transition: the job must be RUNNING and held by the caller with this
 * lease; the task's state must allow the change; the job's version and events record it; and,
 * unless the node reports the job's progress itself, the job's progress becomes the mean of its
 * tasks' (a succeeded task counts as done).
 */
/** Every column of the changed task, named as Prisma names them: the API answers with this row. */
const TASK_COLUMNS = Prisma.raw(columnsOf("Task", "changed"));

/** A task as a change left it: the whole row, which the API answers with without reading it again. */
export type ChangedTask = Task;

async function taskTransition(db: Queryable, actor: Actor, taskId: string, presented: string | null, change: TaskChange): Promise<ChangedTask> {
  const leaseToken = presentedLease(presented);
  const unstorable = unstorableTextAt({ leaseToken: presented, ...change.input });
  if (unstorable) {
    const refusal = await whyNotTask(db, actor, taskId, leaseToken, change);
    if (refusal instanceof NotFoundError || refusal instanceof ForbiddenError) throw refusal;
    throw new ValidationError(`the input at ${unstorable.join(".")} ${UNSTORABLE_TEXT}`, [unstorableTextError(unstorable)]);
  }
  const admin = actor === null || isAdmin(actor);
  const nodeId = actor?.kind === "NODE" ? actor.nodeId : null;
  const userId = actor?.kind === "USER" ? actor.userId : null;
  const detail = sql`${change.detail === undefined ? null : JSON.stringify(change.detail)}::jsonb`;
  const staged = change.staged
    ? sql`and not exists (select 1 from tasks o where o.job_id = t.job_id and o.sequence < t.sequence and o.status <> 'SUCCEEDED')`
    : sql``;
  const extra = change.extra ? sql`and ${change.extra}` : sql``;
  // On the gateway's pool, prepared, as the job's transitions run (src/db/rows.ts): a worker sends
  // these all the time.
  const changed = await sqlRows<ChangedTask>(db, sql`
    /* ${Prisma.raw(change.name)} */
    with held as materialized (
      -- The job's row is locked before the task's, as a change of the job that changes its tasks
      -- locks them (src/domain/task-effects.ts): locked the other way round, the two could deadlock.
      -- The job is found by its key alone and checked below: with its status beside the key, the
      -- planner guessed few RUNNING jobs and walked jobs_status_idx over every running job (and
      -- every dead index entry a running job left) on each task change.
      select j.id, j.status, j.deleted_at, j.node_id, j.lease_token from jobs j
       where j.id = (select job_id from tasks where id = ${taskId}::uuid)
       for update of j
    ), target as (
      select t.id, t.job_id, t.sequence, t.status from tasks t
        join held on held.id = t.job_id
       where t.id = ${taskId}::uuid and held.status = 'RUNNING' and held.deleted_at is null
         and (${admin}::boolean or (held.node_id = ${nodeId}::uuid and held.lease_token = ${leaseToken}::uuid))
       for update of t
    ), changed as (
      update tasks t set ${change.set}, updated_at = now()
        from target
       where t.id = target.id and target.status = any(${change.from}::"TaskStatus"[]) ${staged} ${extra}
      returning t.*
    ), job as (
      -- Other statements of this query see the task as it was, so the changed row is taken from
      -- the update's result when averaging.
      update jobs j set version = j.version + 1, updated_at = now(), ${nextEventTxid()},
             -- The holder reporting on a task is a report too (see stalls.ts).
             last_report_at = case when ${nodeId}::uuid is not null then now() else j.last_report_at end,
             progress = case
               when exists (select 1 from job_events e where e.job_id = j.id and e.kind = 'PROGRESS') then j.progress
               else coalesce((select avg(case when coalesce(c.status, o.status) = 'SUCCEEDED' then 1 else coalesce(c.progress, o.progress) end)
                                from tasks o left join changed c on c.id = o.id where o.job_id = j.id and o.type <> 'MAP'), j.progress)
             end
        from changed where j.id = changed.job_id
      returning j.id, j.version, j.event_txid
    )${change.cascade ? sql`, cascaded as (${change.cascade.body})` : sql``}, event as (
      insert into job_events (job_id, task_id, kind, progress, detail, actor_user_id, actor_node_id, job_version, txid)
      select job.id, changed.id, ${change.eventKind ?? sql`${change.kind}::"JobEventKind"`}, ${change.progress ?? null}::double precision,
             ${change.cascade ? withCascade(detail, change.cascade.key) : detail}, ${userId}::uuid, ${nodeId}::uuid, job.version, job.event_txid
        from changed join job on job.id = changed.job_id
    )
    select ${TASK_COLUMNS} from changed`);
  if (changed[0]) return changed[0];
  throw await whyNotTask(db, actor, taskId, leaseToken, change);
}

/** The event detail `detail` with the count of the cascade's tasks under tasks[key], when it changed any. */
function withCascade(detail: Prisma.Sql, key: string): Prisma.Sql {
  return withTasks(detail, sql`(select jsonb_build_object(${key}::text, count(*)) from cascaded having count(*) > 0)`);
}

async function whyNotTask(db: Queryable, actor: Actor, taskId: string, leaseToken: string | null, change: TaskChange): Promise<Error> {
  const task = await db.task.findUnique({
    where: { id: taskId },
    select: {
      status: true,
      type: true,
      sequence: true,
      jobId: true,
      timedOutAt: true,
      maxExecutionTimeInSeconds: true,
      job: { select: { status: true, nodeId: true, leaseToken: true, deletedAt: true, taskTimeLimitSeconds: true } },
    },
  });
  if (!task) return new NotFoundError("task", taskId);
  const admin = actor === null || isAdmin(actor);
  if (!admin && actor.kind !== "NODE") return new ForbiddenError("only the node holding the job may work on its tasks");
  const job = task.job;
  if (job.deletedAt) return new InvalidTransitionError(job.status, change.name, "the job is deleted, not RUNNING");
  // As for the job's own actions (whyNot in transitions.ts): a node is told that a time limit ended
  // its attempt, that the job finished or was cancelled; a node that does not hold a job still in
  // play has lost its lease.
  if (!admin) {
    const stale = !IN_PLAY.includes(job.status) || job.nodeId !== (actor.kind === "NODE" ? actor.nodeId : null) || job.leaseToken !== leaseToken;
    const timedOut = stale ? await timeLimitOf(db, task.jobId, leaseToken) : null;
    if (timedOut) return timedOut;
    if (!IN_PLAY.includes(job.status)) return jobEnded(job.status, change.name);
    if (stale) return new LeaseLostError();
  }
  if (job.status !== "RUNNING") return new InvalidTransitionError(job.status, change.name, `the job is ${job.status}, not RUNNING`);
  if (task.type === "MAP" && RUN_BY_WORKERS.includes(change.name)) {
    return new InvalidTransitionError(task.status, change.name, "a MAP task runs as its children (the tasks whose mapTask it is): start, report and finish them");
  }
  // The holder still writing to a run its time limit ended is told so, not that the task is QUEUED.
  if (task.timedOutAt && task.status !== "RUNNING" && change.from.includes("RUNNING") && !change.from.includes(task.status)) {
    const limit = task.maxExecutionTimeInSeconds ?? job.taskTimeLimitSeconds;
    return new TimeLimitExceededError(
      "TASK_TIME_LIMIT",
      limit,
      task.timedOutAt,
      `the task's run went past its time limit of ${limit} s and was ended: it is ${task.status}${task.status === "QUEUED" ? ", to be started again" : ""}`,
    );
  }
  if (!change.from.includes(task.status)) return new InvalidTransitionError(task.status, change.name, `cannot ${change.name} a task that is ${task.status}`);
  const blocking = await db.task.findMany({
    where: { jobId: task.jobId, sequence: { lt: task.sequence }, status: { not: "SUCCEEDED" } },
    select: { name: true },
    orderBy: { qsequence: "asc" },
    take: 10,
  });
  return new InvalidTransitionError(
    task.status,
    change.name,
    `tasks of a lower sequence have not succeeded yet: ${blocking.map((b) => b.name).join(", ")}`,
  );
}

/** A MAP task runs as its children: no worker starts, reports or finishes it. */
const NOT_A_MAP = sql`t.type <> 'MAP'`;
const RUN_BY_WORKERS = ["startTask", "reportTaskProgress", "finishTask"];

/** Starts a queued task once every task of a lower sequence has succeeded. The holding node. */
export function startTask(db: Db, actor: Principal, taskId: string, leaseToken: string | null) {
  return taskTransition(db, actor, taskId, leaseToken, {
    name: "startTask",
    kind: "TASK_STARTED",
    from: ["QUEUED"],
    staged: true,
    extra: NOT_A_MAP,
    // The run's time limit: the task's own, else its job's default for tasks.
    set: sql`status = 'RUNNING', start_time = now(), attempts = t.attempts + 1, timed_out_at = null, reason = null,
             time_limit_at = now() + make_interval(secs => coalesce(t.max_execution_time_in_seconds,
                                                                   (select task_time_limit_seconds from jobs where id = t.job_id)))`,
  });
}

/** Records a running task's progress (0..1). The holding node. */
export function reportTaskProgress(db: Db, actor: Principal, taskId: string, leaseToken: string | null, progress: number) {
  if (!(progress >= 0 && progress <= 1)) {
    throw new ValidationError("progress must be between 0 and 1", [{ path: ["progress"], message: "must be between 0 and 1" }]);
  }
  return taskTransition(db, actor, taskId, leaseToken, {
    name: "reportTaskProgress",
    kind: "TASK_PROGRESS",
    from: ["RUNNING"],
    extra: NOT_A_MAP,
    progress,
    set: sql`progress = ${progress}::double precision`,
  });
}

/**
 * Finishes a running task with its output. A success is final. A failure queues the task again
 * while it has attempts left (TASK_RETRIED); once they are spent the task FAILED for good, and the
 * job's onTaskFailure says what follows, in the same transaction: FAIL_JOB fails the job, naming
 * the task (its unfinished tasks are cancelled); CONTINUE cancels the tasks that depend on it
 * (higher sequences), naming it, and the job goes on with the rest. The holding node.
 */
export async function finishTask(db: Db, actor: Principal, taskId: string, leaseToken: string | null, input: { success: boolean; output?: string | null }) {
  refuseLongerThan(input.output, MAX_DETAIL_CHARS, ["output"]);
  if (input.success) {
    return taskTransition(db, actor, taskId, leaseToken, {
      name: "finishTask",
      kind: "TASK_FINISHED",
      from: ["RUNNING"],
      extra: NOT_A_MAP,
      input: { output: input.output },
      detail: { success: true },
      set: sql`status = 'SUCCEEDED', success = true, progress = 1, end_time = now(), output = ${input.output ?? null}::text`,
    });
  }
  return (await db.$transaction((tx) => failTask(tx, actor, taskId, leaseToken, { output: input.output ?? null })))!;
}

/**
 * A running task's failure, by its holder (finishTask) or by its time limit (`timedOut`, the
 * gateway's housekeeping): queued again while it has attempts left, else FAILED for good and the
 * job's onTaskFailure applies. Returns the task as it changed it, or null when the housekeeping
 * found nothing to do.
 */
async function failTask(
  tx: Prisma.TransactionClient,
  actor: Actor,
  taskId: string,
  leaseToken: string | null,
  how: { output: string | null } | { timedOut: Date },
): Promise<ChangedTask | null> {
  const retry = sql`t.attempts < t.max_attempts`;
  const timedOut = "timedOut" in how;
  const failure = timedOut
    ? {
        kind: "TASK_TIMED_OUT" as const,
        detail: { success: false, timedOut: true },
        extra: sql`t.time_limit_at < ${how.timedOut}::timestamptz`,
        set: sql`timed_out_at = now(), reason = format('ran past its time limit of %s s', extract(epoch from t.time_limit_at - t.start_time)::int)`,
      }
    : {
        kind: "TASK_FINISHED" as const,
        extra: NOT_A_MAP,
        eventKind: sql`(case when changed.status = 'QUEUED' then 'TASK_RETRIED' else 'TASK_FINISHED' end)::"JobEventKind"`,
        input: { output: how.output },
        detail: { success: false },
        set: sql`output = ${how.output}::text`,
      };
  let changed: ChangedTask;
  try {
    changed = await taskTransition(tx, actor, taskId, leaseToken, {
      name: timedOut ? "timeOutTask" : "finishTask",
      from: ["RUNNING"],
      ...failure,
      set: sql`status = (case when ${retry} then 'QUEUED' else 'FAILED' end)::"TaskStatus",
               success = case when ${retry} then null else false end,
               start_time = case when ${retry} then null else t.start_time end,
               end_time = case when ${retry} then null else now() end,
               progress = case when ${retry} then 0 else t.progress end,
               ${failure.set}`,
    });
  } catch (refusal) {
    // The housekeeping found the task finished, or its job no longer running, in the meantime.
    if (timedOut && refusal instanceof DomainError) return null;
    throw refusal;
  }
  if (changed.status !== "FAILED") return changed;
  const [job] = await tx.$queryRaw<Array<{ policy: string }>>`
    /* failedTaskPolicy */ select on_task_failure::text as policy from jobs where id = ${changed.jobId}::uuid`;
  const why = `task "${changed.name}" ${timedOut ? "timed out" : "failed"}${changed.attempts > 1 ? ` after ${changed.attempts} attempts` : ""}`;
  if (job!.policy === "FAIL_JOB") await failJobForTask(tx, actor, changed.jobId, leaseToken, why, taskId);
  else await stopDependents(tx, actor, changed.jobId, { id: taskId, sequence: changed.sequence, why });
  return changed;
}

/**
 * Ends the runs of tasks that went past their time limit before `at` (the task's
 * maxExecutionTimeInSeconds, else its job's default for tasks), as failures of the task
 * (TASK_TIMED_OUT): queued again while attempts remain, else failed for good with the job's
 * onTaskFailure applied. The holder's next write to the task is refused with
 * TimeLimitExceededError. Each task in a transaction of its own, so that one job's trouble holds
 * up no other; safe in every gateway instance at once (a task another instance ended is left).
 */
export async function timeOutTasks(db: Db, at = new Date(), limit = 100): Promise<number> {
  const due = await db.$queryRaw<Array<{ id: string }>>`
    /* tasksPastTimeLimit */
    select id from tasks where status = 'RUNNING' and time_limit_at is not null and time_limit_at < ${at}::timestamptz
     order by time_limit_at limit ${limit}::int`;
  let ended = 0;
  for (const { id } of due) {
    if (await db.$transaction((tx) => failTask(tx, null, id, null, { timedOut: at }))) ended++;
  }
  return ended;
}

/**
 * Cancels the queued tasks of higher sequences than a task that failed for good (they could never
 * start), naming it, with a TASKS_STOPPED event; nothing when there are none.
 */
async function stopDependents(tx: Prisma.TransactionClient, actor: Actor, jobId: string, failed: { id: string; sequence: number; why: string }) {
  await tx.$executeRaw`
    /* stopDependentTasks */
    with stopped as (
      update tasks t set status = 'CANCELLED', end_time = now(), reason = ${`stopped: ${failed.why}`}::text,
                         stopped_by_task_id = ${failed.id}::uuid, updated_at = now()
       where t.job_id = ${jobId}::uuid and t.sequence > ${failed.sequence}::int and t.status = 'QUEUED'
      returning t.id
    ), bumped as (
      update jobs j set version = j.version + 1, updated_at = now(), ${nextEventTxid()}
       where j.id = ${jobId}::uuid and exists (select 1 from stopped)
      returning j.id, j.version, j.event_txid
    )
    insert into job_events (job_id, task_id, kind, detail, actor_user_id, actor_node_id, job_version, txid)
    select id, ${failed.id}::uuid, 'TASKS_STOPPED',
           ${withTasks(sql`jsonb_build_object('reason', ${failed.why}::text)`, sql`jsonb_build_object('cancelled', (select count(*) from stopped))`)},
           ${actor?.kind === "USER" ? actor.userId : null}::uuid, ${actor?.kind === "NODE" ? actor.nodeId : null}::uuid, version, event_txid
      from bumped`;
}

/** What resetTask and retryTask make of a task, and of the tasks its failure stopped. */
const AS_NEW = sql`status = 'QUEUED', progress = 0, output = null, success = null, start_time = null, end_time = null,
                   reason = null, stopped_by_task_id = null`;

/**
 * What goes again with the changed task: the tasks its failure stopped (CONTINUE), as new; and a
 * MAP task's children (as new for a reset; those that failed or were cancelled for a retry, with
 * one more attempt), with the tasks their failures stopped.
 */
function restartWith(retry: boolean) {
  const child = sql`s.map_task_id = changed.id`;
  return {
    key: "reset",
    body: sql`
      update tasks s set ${AS_NEW},
                         attempts = case when ${child} and ${retry}::boolean then s.attempts else 0 end,
                         max_attempts = case when ${child} and ${retry}::boolean then least(10, greatest(s.max_attempts, s.attempts + 1)) else s.max_attempts end,
                         updated_at = now()
        from changed
       where (s.status = 'CANCELLED' and (s.stopped_by_task_id = changed.id
                                           or s.stopped_by_task_id in (select c.id from tasks c where c.map_task_id = changed.id)))
          or (${child} and (not ${retry}::boolean or s.status in ('FAILED', 'CANCELLED')))
      returning s.id`,
  };
}

/**
 * Returns a task to QUEUED as new: attempts, progress, output and times cleared, with the tasks its
 * failure stopped. The holding node, or an admin, while the job runs.
 */
export function resetTask(db: Db, actor: Principal, taskId: string, leaseToken: string | null) {
  return taskTransition(db, actor, taskId, leaseToken, {
    name: "resetTask",
    kind: "TASK_RESET",
    from: ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"],
    detail: { retry: false },
    set: sql`${AS_NEW}, attempts = 0`,
    cascade: restartWith(false),
  });
}

/**
 * Gives a task that FAILED or was CANCELLED another attempt: QUEUED, its attempts so far kept and
 * one more allowed, with the tasks its failure stopped. The holding node, or an admin, while the
 * job runs.
 */
export function retryTask(db: Db, actor: Principal, taskId: string, leaseToken: string | null) {
  return taskTransition(db, actor, taskId, leaseToken, {
    name: "retryTask",
    kind: "TASK_RESET",
    from: ["FAILED", "CANCELLED"],
    detail: { retry: true },
    set: sql`${AS_NEW}, max_attempts = least(10, greatest(t.max_attempts, t.attempts + 1))`,
    cascade: restartWith(true),
  });
}
