// Creating jobs from templates, with validation against the template, idempotent retries, and
// Arvados' find-or-create reuse of an equivalent earlier job.
import { randomUUID } from "node:crypto";
import { isForeignKeyViolation, isUniqueViolation, type Db } from "../db/client.js";
import { Prisma, type JobTemplate } from "../db/generated/prisma/client.js";
import type { DependencyFailurePolicy, JobStatus, TaskFailurePolicy } from "../db/generated/prisma/enums.js";
import { bindOutputs, checkDependencies, edgesOf, existingJobs, linkDependencies, lockDependencies, waitingCount, type Binding, type JobsFound } from "./dependencies.js";
import { checkRequiredLabels } from "./labels.js";
import { tasksAdded, type TaskTally } from "./map-tasks.js";
import { checkTimeLimits, jobPolicy, type RetryPolicyInput } from "./retry-policy.js";
import { ForbiddenError, ValidationError, type FieldError } from "./errors.js";
import { isAdmin, type Principal, type UserPrincipal } from "./principal.js";
import { refuseUnstorableText } from "./text.js";
import { checkTasks, insertTasks, taskRows, type NewTask } from "./task-lifecycle.js";
import { checkTags } from "./transitions.js";
import { checkValues, fingerprint, keyedOutputRefs, outputRefs, type Declaration, type SuppliedValue, type TypedValues } from "./values.js";

export type NewJob = {
  templateId?: string | null;
  templateName?: string | null;
  templateVersion?: number | null;
  queue?: string | null;
  name?: string | null;
  description?: string | null;
  inputs?: SuppliedValue[] | null;
  parameters?: SuppliedValue[] | null;
  parentId?: string | null;
  priority?: number | null;
  tags?: string[] | null;
  /** Attempts allowed (as retryPolicy.maxAttempts). */
  maxAttempts?: number | null;
  /** Within what the template allows; the template's policy unless given. */
  retryPolicy?: RetryPolicyInput | null;
  /** Longest an attempt may last; the template's unless given. */
  timeLimitSeconds?: number | null;
  /** Longest a task's run may last when the task sets no limit of its own; the template's unless given. */
  taskTimeLimitSeconds?: number | null;
  /** The job fails unless it has finished by then. */
  deadline?: Date | null;
  onTaskFailure?: TaskFailurePolicy | null;
  /** Labels the claiming node must carry (see labels.ts). */
  requiredLabels?: unknown;
  runAfter?: Date | null;
  nondeterministic?: boolean | null;
  idempotencyKey?: string | null;
  findOrCreate?: boolean | null;
  /** With findOrCreate: which versions of the template an earlier job may have been made from (the same one unless given). */
  reuse?: ReuseVersions | null;
  /** Tasks to create with the job, numbered (qsequence) in the order given. */
  tasks?: NewTask[] | null;
  /** Jobs (by id) that must all have succeeded before this one may be claimed. */
  dependsOn?: string[] | null;
  /** What the job does when one of its dependencies fails for good; CANCEL unless given. */
  onDependencyFailure?: DependencyFailurePolicy | null;
};

/**
 * Arvados' minimum_script_version and exclude_script_versions: the template versions whose jobs
 * findOrCreate may reuse. Nothing given: the version the new job is made from, alone.
 */
export type ReuseVersions = { anyVersion?: boolean | null; minimumVersion?: number | null; excludedVersions?: number[] | null };

/** A job considered for reuse and why it was not taken. */
export type PassedOver = { jobId: string; reason: string };

export type CreateJobResult = {
  jobId: string;
  /** How the job came to be returned. */
  outcome: "CREATED" | "REUSED" | "IDEMPOTENT_REPLAY";
  /** Why a reused job was chosen. */
  reason: string | null;
  passedOver: PassedOver[];
};

/** Templates found for the jobs of one request, by how each job named its template. */
export type TemplatesFound = Map<string, Promise<JobTemplate | null>>;

function lookUpTemplate(db: Db, input: NewJob): Promise<JobTemplate | null> {
  return input.templateId
    ? db.jobTemplate.findUnique({ where: { id: input.templateId } })
    : input.templateVersion != null
      ? db.jobTemplate.findUnique({ where: { name_version: { name: input.templateName!, version: input.templateVersion } } })
      : db.jobTemplate.findFirst({ where: { name: input.templateName!, deletedAt: null }, orderBy: { version: "desc" } });
}

async function findTemplate(db: Db, input: NewJob, errors: FieldError[], found?: TemplatesFound) {
  if ((input.templateId == null) === (input.templateName == null)) {
    errors.push({ path: ["template"], message: "give either the template's id or its name" });
    return null;
  }
  const key = JSON.stringify([input.templateId, input.templateName, input.templateVersion]);
  let lookup = found?.get(key);
  if (!lookup) {
    lookup = lookUpTemplate(db, input);
    found?.set(key, lookup);
  }
  const template = await lookup;
  if (!template) errors.push({ path: ["template"], message: "no such template" });
  else if (template.deletedAt) errors.push({ path: ["template"], message: `version ${template.version} of "${template.name}" is deleted` });
  return template;
}

function checkFields(input: NewJob, errors: FieldError[], tasksBefore: number) {
  const queue = input.queue?.trim() ?? "default";
  if (!queue || queue.length > 200 || /\p{Cc}/u.test(queue)) errors.push({ path: ["queue"], message: "must be 1 to 200 printable characters" });
  if ((input.name?.length ?? 0) > 1000) errors.push({ path: ["name"], message: "must be at most 1000 characters" });
  if ((input.description?.length ?? 0) > 10_000) errors.push({ path: ["description"], message: "must be at most 10000 characters" });
  if (input.maxAttempts != null && (input.maxAttempts < 1 || input.maxAttempts > 100)) {
    errors.push({ path: ["maxAttempts"], message: "must be between 1 and 100" });
  }
  if (input.maxAttempts != null && input.retryPolicy?.maxAttempts != null && input.maxAttempts !== input.retryPolicy.maxAttempts) {
    errors.push({ path: ["maxAttempts"], message: "differs from retryPolicy.maxAttempts: give one" });
  }
  checkTimeLimits(input, errors);
  if (input.deadline && !(input.deadline.getTime() > Date.now())) errors.push({ path: ["deadline"], message: "must be in the future" });
  if (input.idempotencyKey != null && (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 200)) {
    errors.push({ path: ["idempotencyKey"], message: "must be 1 to 200 characters" });
  }
  errors.push(...checkTags(input.tags));
  errors.push(...checkRequiredLabels(input.requiredLabels, ["requiredLabels"]));
  if (input.reuse) {
    if (!input.findOrCreate) errors.push({ path: ["reuse"], message: "applies to findOrCreate: set findOrCreate too" });
    const { minimumVersion, excludedVersions } = input.reuse;
    if (minimumVersion != null && !(Number.isInteger(minimumVersion) && minimumVersion >= 1)) errors.push({ path: ["reuse", "minimumVersion"], message: "must be a version, 1 or more" });
    if ((excludedVersions?.length ?? 0) > 100) errors.push({ path: ["reuse", "excludedVersions"], message: "at most 100 versions" });
    else if (excludedVersions?.some((v) => !(Number.isInteger(v) && v >= 1))) errors.push({ path: ["reuse", "excludedVersions"], message: "must be versions, 1 or more" });
  }
  const tasks = input.tasks ?? [];
  errors.push(...checkTasks(tasks, ["tasks"], tasksBefore));
  tasks.forEach((task, i) => {
    if (task.createdByTaskId) errors.push({ path: ["tasks", String(i), "createdByTask"], message: "tasks created with their job have no creating task" });
  });
  return queue;
}

/**
 * Checks that every output reference names an output that exists, and stores each the same way
 * however it was given (by the output's id, or by its job, name and type): with all four, so that
 * equal references make equal fingerprints and readers get both ways of finding the output.
 * A reference by job, name and type to one of the job's dependencies is a binding instead: the
 * output need not exist yet, and is taken when the dependency succeeds (`bindings`). So is one by
 * the key of a job of the same workflow, where there is one (`inWorkflow`).
 */
async function normalizeOutputRefs(
  db: Db,
  values: TypedValues,
  path: string,
  errors: FieldError[],
  dependsOn: ReadonlySet<string>,
  inWorkflow: boolean,
  bindings: Binding[],
) {
  for (const { name, ref } of keyedOutputRefs(values)) {
    if (inWorkflow) bindings.push({ input: name, key: ref.after });
    else errors.push({ path: [path, name, "after"], message: 'names a job by its key in a workflow: outside createWorkflow, give the job\'s ID in "job" and the job in dependsOn' });
  }
  for (const { name, ref } of outputRefs(values)) {
    if (ref.job !== undefined && ref.output === undefined && dependsOn.has(ref.job)) {
      bindings.push({ input: name, job: ref.job });
      values[name] = { type: "output", value: { job: ref.job, name: ref.name, type: ref.type } };
      continue;
    }
    const byId = ref.job === undefined;
    const output = await db.jobOutput.findFirst({
      where: byId ? { id: ref.output } : { jobId: ref.job, name: ref.name, type: ref.type, ...(ref.output ? { id: ref.output } : {}) },
      select: { id: true, jobId: true, name: true, type: true },
    });
    if (!output) {
      errors.push({
        path: [path, name],
        message: byId ? "no such output" : `the job has no output "${ref.name}" of type "${ref.type}"${ref.output ? " with that id" : " (to wait for it, put the job in dependsOn)"}`,
      });
      continue;
    }
    values[name] = { type: "output", value: { job: output.jobId, name: output.name, type: output.type, output: output.id } };
  }
}

// Every status a reusable job may be in, the most advanced first.
const REUSABLE_ORDER: JobStatus[] = ["SUCCEEDED", "RUNNING", "ACQUIRED", "QUEUED", "WAITING"];

/** Why a job made from template version `version` may not stand in, under `reuse`; null when it may. */
function versionRefusal(version: number, own: number, reuse: ReuseVersions): string | null {
  if (reuse.excludedVersions?.includes(version)) return `made from version ${version} of the template, which is excluded`;
  if (reuse.minimumVersion != null) return version < reuse.minimumVersion ? `made from version ${version} of the template, below the minimum ${reuse.minimumVersion}` : null;
  if (reuse.anyVersion) return null;
  return version === own ? null : `made from version ${version} of the template, not ${own}`;
}

/**
 * Arvados' rule: an earlier job with the same template, inputs and parameters that is not
 * nondeterministic and neither failed, cancelled nor deleted may stand in for a new one; a
 * succeeded one is preferred. Jobs of every version of the template are looked at, so that the
 * ones `reuse` rules out are named with the others passed over.
 */
export async function findReusable(
  db: Db | Prisma.TransactionClient,
  template: { id: string; name: string; version: number },
  inputs: TypedValues,
  parameters: TypedValues,
  reuse: ReuseVersions,
): Promise<{ chosen: { jobId: string; reason: string } | null; passedOver: PassedOver[] }> {
  const versions = await db.jobTemplate.findMany({ where: { name: template.name }, select: { id: true, version: true } });
  const versionOf = new Map(versions.map((v) => [fingerprint(v.id, inputs, parameters), v.version]));
  const candidates = await db.job.findMany({
    where: { fingerprint: { in: [...versionOf.keys()] } },
    select: { id: true, status: true, deletedAt: true, nondeterministic: true, createdAt: true, fingerprint: true },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
  const passedOver: PassedOver[] = [];
  const usable = [];
  for (const job of candidates) {
    const version = versionOf.get(job.fingerprint!)!;
    const refused = versionRefusal(version, template.version, reuse);
    if (refused) passedOver.push({ jobId: job.id, reason: refused });
    else if (job.deletedAt) passedOver.push({ jobId: job.id, reason: "deleted" });
    else if (job.nondeterministic) passedOver.push({ jobId: job.id, reason: "nondeterministic" });
    else if (job.status === "FAILED" || job.status === "CANCELLED") passedOver.push({ jobId: job.id, reason: job.status.toLowerCase() });
    else usable.push(job);
  }
  usable.sort((a, b) => REUSABLE_ORDER.indexOf(a.status) - REUSABLE_ORDER.indexOf(b.status));
  const chosen = usable[0];
  if (!chosen) return { chosen: null, passedOver };
  for (const other of usable.slice(1)) passedOver.push({ jobId: other.id, reason: `a ${chosen.status.toLowerCase()} job was preferred` });
  const version = versionOf.get(chosen.fingerprint!)!;
  const made = version === template.version ? "with the same template version" : `made from version ${version} of the template`;
  const reason = `an earlier job ${made}, inputs and parameters ${chosen.status === "SUCCEEDED" ? "succeeded" : `is ${chosen.status.toLowerCase()}`}`;
  return { chosen: { jobId: chosen.id, reason }, passedOver };
}

/**
 * Takes the turn of findOrCreate on jobs of the named templates, for the rest of the transaction:
 * one request at a time looks for an equivalent job and creates one if none is found, so that
 * equivalent requests at once make one job (createJob's and createWorkflow's alike). The names in
 * one order, so that two requests never wait for each other.
 */
export async function lockFindOrCreate(tx: Prisma.TransactionClient, templateNames: readonly string[]): Promise<void> {
  for (const name of [...new Set(templateNames)].sort()) {
    await tx.$executeRaw`/* lockFindOrCreate */ select pg_advisory_xact_lock(hashtextextended(${`find-or-create:${name}`}::text, 0))`;
  }
}

/** A job checked against its template, ready to be written. */
export type PreparedJob = NonNullable<Awaited<ReturnType<typeof prepareJob>>>;

/**
 * Checks a new job against its template and the rules for every field, adding each problem to
 * `errors` under `at` (the path of the job in the request); null when the template was not found.
 * Writes nothing.
 */
export async function prepareJob(
  db: Db,
  input: NewJob,
  errors: FieldError[],
  at: string[],
  {
    inWorkflow = false,
    tasksBefore = 0,
    templates,
    jobs,
    creator,
  }: { inWorkflow?: boolean; tasksBefore?: number; templates?: TemplatesFound; jobs?: JobsFound; creator?: UserPrincipal } = {},
) {
  const before = errors.length;
  const own: FieldError[] = [];
  const found = await prepareOwn(db, input, own, inWorkflow, tasksBefore, templates, jobs, creator);
  errors.push(...own.map((e) => ({ ...e, path: [...at, ...e.path] })));
  return errors.length > before ? null : found;
}

async function prepareOwn(
  db: Db,
  input: NewJob,
  errors: FieldError[],
  inWorkflow: boolean,
  tasksBefore: number,
  templates?: TemplatesFound,
  jobs?: JobsFound,
  creator?: UserPrincipal,
) {
  const queue = checkFields(input, errors, tasksBefore);
  const template = await findTemplate(db, input, errors, templates);
  let inputs: TypedValues = {};
  let parameters: TypedValues = {};
  let policy = null;
  const bindings: Binding[] = [];
  if (template) {
    const limit = template.maxAttemptsLimit;
    if (input.maxAttempts != null && input.maxAttempts > limit && input.maxAttempts <= 100) {
      errors.push({ path: ["maxAttempts"], message: `must be at most ${limit}, the most the template allows` });
    }
    policy = jobPolicy(
      { ...input.retryPolicy, maxAttempts: input.retryPolicy?.maxAttempts ?? (input.maxAttempts != null && input.maxAttempts >= 1 && input.maxAttempts <= limit ? input.maxAttempts : null) },
      {
        maxAttempts: template.maxAttempts,
        maxAttemptsLimit: limit,
        backoffBaseSeconds: template.retryBackoffBaseSeconds,
        backoffCapSeconds: template.retryBackoffCapSeconds,
        jitter: template.retryJitter,
        retryOn: template.retryOn,
      },
      errors,
    );
    const checkedInputs = checkValues(template.inputs as Declaration[], input.inputs ?? [], "inputs");
    const checkedParameters = checkValues(template.parameters as Declaration[], input.parameters ?? [], "parameters");
    inputs = checkedInputs.values;
    parameters = checkedParameters.values;
    errors.push(...checkedInputs.errors, ...checkedParameters.errors);
    // Outputs are bound to inputs, which the worker downloads; a parameter is a setting.
    for (const { name } of keyedOutputRefs(parameters)) errors.push({ path: ["parameters", name, "after"], message: "outputs are bound to inputs, not parameters" });
    await normalizeOutputRefs(db, inputs, "inputs", errors, new Set(input.dependsOn ?? []), inWorkflow, bindings);
  }
  if (input.parentId) {
    const parent = (jobs ?? (await existingJobs(db, [input.parentId]))).get(input.parentId);
    if (!parent) errors.push({ path: ["parent"], message: "no such job" });
    else if (parent.deletedAt) errors.push({ path: ["parent"], message: `job #${parent.number} is deleted: reinstate it, or leave it out` });
    // A job's children are its creator's to make: they are listed, counted and cancelled with it.
    else if (creator && !isAdmin(creator) && parent.creatorId !== creator.userId) {
      errors.push({ path: ["parent"], message: `job #${parent.number} is another user's: only its creator or an admin may create jobs under it` });
    }
  }
  if (!template || !policy) return null;
  return { template, queue, inputs, parameters, policy, bindings };
}

/**
 * Where a new job stands among others: its workflow, how many dependencies it waits for, whether
 * others wait for it, and its inputs as stored when bindings already took outputs (its fingerprint
 * is of the inputs as prepared, so that a job bound to a dependency matches an earlier one bound
 * to the same dependency whenever the outputs were taken).
 */
export type JobPlace = {
  workflowId?: string;
  waitingOn: number;
  hasDependents?: boolean;
  inputs?: TypedValues;
  /** The schedule and tick that made it, named in its CREATED event. */
  schedule?: { id: string; tickAt: Date };
};

/** A prepared job to write, under the id it is given, and where it stands; `at` is its input's path in the request. */
export type JobToInsert = { id: string; input: NewJob; prepared: PreparedJob; place: JobPlace; at?: string[] };

/** A job's row as insertJobs' statement reads it (jsonb_to_recordset: the columns by name). */
function jobRecord(creator: UserPrincipal, { id, input, prepared, place }: JobToInsert, number: bigint | null) {
  const { template, queue, parameters, policy } = prepared;
  return {
    id,
    number: number === null ? null : String(number),
    template_id: template.id,
    queue,
    name: input.name ?? null,
    description: input.description ?? "",
    input_values: place.inputs ?? prepared.inputs,
    parameter_values: parameters,
    parent_id: input.parentId ?? null,
    priority: input.priority ?? 0,
    tags: input.tags ?? [],
    max_attempts: policy.maxAttempts,
    retry_backoff_base_seconds: policy.backoffBaseSeconds,
    retry_backoff_cap_seconds: policy.backoffCapSeconds,
    retry_jitter: policy.jitter,
    retry_on: policy.retryOn,
    time_limit_seconds: input.timeLimitSeconds ?? template.timeLimitSeconds,
    task_time_limit_seconds: input.taskTimeLimitSeconds ?? template.taskTimeLimitSeconds,
    stall_after_seconds: template.stallAfterSeconds,
    deadline: input.deadline ?? null,
    on_task_failure: input.onTaskFailure ?? "FAIL_JOB",
    required_labels: input.requiredLabels ?? {},
    run_after: input.runAfter ?? null,
    nondeterministic: input.nondeterministic ?? false,
    idempotency_key: input.idempotencyKey ?? null,
    fingerprint: fingerprint(template.id, prepared.inputs, parameters),
    creator_id: creator.userId,
    status: statusOf(place),
    waiting_on: place.waitingOn,
    on_dependency_failure: input.onDependencyFailure ?? "CANCEL",
    has_dependents: place.hasDependents ?? false,
    workflow_id: place.workflowId ?? null,
  };
}

/** What a job's CREATED event says of where it came from. */
function createdDetail(place: JobPlace): unknown {
  if (place.workflowId) return { workflow: place.workflowId };
  if (place.schedule) return { schedule: place.schedule.id, tick: place.schedule.tickAt.toISOString() };
  return null;
}

const statusOf = (place: JobPlace): JobStatus => (place.waitingOn > 0 ? "WAITING" : "QUEUED");

/**
 * Writes prepared jobs, their tasks and their CREATED events in the caller's transaction, in a few
 * statements however many jobs, the rows as one JSON parameter each: one by one through Prisma's
 * client, a workflow of 1,000 jobs took 5,000 statements and 9 s, and Prisma's createMany took
 * 2 s for its jobs and their events. Each job is WAITING while it waits for dependencies, else
 * QUEUED, and the jobs are numbered in the order given.
 */
export async function insertJobs(tx: Prisma.TransactionClient, creator: UserPrincipal, jobs: JobToInsert[]): Promise<void> {
  if (!jobs.length) return;
  let numbers: bigint[] | null = null;
  if (jobs.length > 1) {
    // Drawn first and given in order: which row of one insert draws its number first is not
    // PostgreSQL's to promise, and a job's number follows the jobs it waits for.
    const drawn = await tx.$queryRaw<Array<{ n: bigint }>>`
      /* jobNumbers */
      select nextval(pg_get_serial_sequence('jobs', 'number')) as n from generate_series(1, ${jobs.length}::int)`;
    numbers = drawn.map((r) => r.n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const records = jobs.map((job, i) => jobRecord(creator, job, numbers?.[i] ?? null));
  const events = jobs.map(({ id, place }) => ({ job_id: id, status: statusOf(place), detail: createdDetail(place) }));
  // The jobs' event_txid and their first events' txid are both this transaction's id (their default).
  await parentsKept(jobs, tx.$executeRaw`
    /* insertJobs */
    with created as (
      insert into jobs (id, number, template_id, queue, name, description, input_values, parameter_values, parent_id, priority, tags,
        max_attempts, retry_backoff_base_seconds, retry_backoff_cap_seconds, retry_jitter, retry_on, time_limit_seconds,
        task_time_limit_seconds, stall_after_seconds, deadline, on_task_failure, required_labels, run_after, nondeterministic,
        idempotency_key, fingerprint, creator_id, status, waiting_on, on_dependency_failure, has_dependents, workflow_id)
      select r.id, coalesce(r.number, nextval(pg_get_serial_sequence('jobs', 'number'))), r.template_id, r.queue, r.name, r.description,
        r.input_values, r.parameter_values, r.parent_id, r.priority, r.tags, r.max_attempts, r.retry_backoff_base_seconds,
        r.retry_backoff_cap_seconds, r.retry_jitter, r.retry_on::"JobFailureKind"[], r.time_limit_seconds, r.task_time_limit_seconds,
        r.stall_after_seconds, r.deadline, r.on_task_failure::"TaskFailurePolicy", r.required_labels, coalesce(r.run_after, now()),
        r.nondeterministic, r.idempotency_key, r.fingerprint, r.creator_id, r.status::"JobStatus", r.waiting_on,
        r.on_dependency_failure::"DependencyFailurePolicy", r.has_dependents, r.workflow_id
      from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(id uuid, number bigint, template_id uuid, queue text, name text,
        description text, input_values jsonb, parameter_values jsonb, parent_id uuid, priority int, tags text[], max_attempts int,
        retry_backoff_base_seconds float8, retry_backoff_cap_seconds float8, retry_jitter float8, retry_on text[], time_limit_seconds int,
        task_time_limit_seconds int, stall_after_seconds int, deadline timestamptz, on_task_failure text, required_labels jsonb,
        run_after timestamptz, nondeterministic boolean, idempotency_key text, fingerprint text, creator_id uuid, status text,
        waiting_on int, on_dependency_failure text, has_dependents boolean, workflow_id uuid)
      returning id
    )
    insert into job_events (job_id, kind, to_status, detail, actor_user_id, job_version)
    select e.job_id, 'CREATED', e.status::"JobStatus", e.detail, ${creator.userId}::uuid, 1
    from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as e(job_id uuid, status text, detail jsonb)
    where e.job_id in (select id from created)`);
  await insertTasks(tx, jobs.flatMap(({ id, input }) => taskRows(input.tasks ?? []).map((row, i) => ({ ...row, jobId: id, qsequence: i }))));
}

/**
 * The insert of `jobs`, a parent deleted since it was found (the jobs are not its to lock) refused
 * as a ValidationError naming each job given it, as when it was gone before.
 */
async function parentsKept(jobs: JobToInsert[], insert: Promise<unknown>): Promise<void> {
  try {
    await insert;
  } catch (error) {
    if (!isForeignKeyViolation(error, "jobs_parent_id_fkey")) throw error;
    const message = String((error as Error).message);
    const orphans = jobs.filter((job) => job.input.parentId && message.includes(job.input.parentId));
    throw new ValidationError(
      "the job is not valid",
      (orphans.length ? orphans : jobs.filter((job) => job.input.parentId)).map((job) => ({ path: [...(job.at ?? []), "parent"], message: "no such job: it was deleted" })),
    );
  }
}

/** insertJobs for one job, under a new id. */
export async function insertJob(tx: Prisma.TransactionClient, creator: UserPrincipal, input: NewJob, prepared: PreparedJob, place: JobPlace): Promise<{ id: string }> {
  const id = randomUUID();
  await insertJobs(tx, creator, [{ id, input, prepared, place }]);
  return { id };
}

/**
 * Creates a job from a template after validating everything against it (every problem reported
 * at once, nothing written on any). With an idempotency key, a retry returns the job the first
 * call created; with findOrCreate, an equivalent earlier job may be returned instead. Users and
 * admins.
 */
export async function createJob(db: Db, actor: Principal, input: NewJob, tally: TaskTally = { tasksAdded: 0 }): Promise<CreateJobResult> {
  if (actor.kind !== "USER") throw new ForbiddenError("only users and admins may create jobs");
  refuseUnstorableText(input);
  const creator: UserPrincipal = actor;
  if (input.idempotencyKey) {
    const earlier = await db.job.findUnique({
      where: { creatorId_idempotencyKey: { creatorId: creator.userId, idempotencyKey: input.idempotencyKey } },
      select: { id: true },
    });
    if (earlier) return { jobId: earlier.id, outcome: "IDEMPOTENT_REPLAY", reason: "the idempotency key was used before", passedOver: [] };
  }

  const errors: FieldError[] = [];
  const prepared = await prepareJob(db, input, errors, [], { tasksBefore: tally.tasksAdded, creator });
  await checkDependencies(db, input.dependsOn ?? [], input.onDependencyFailure ?? "CANCEL", ["dependsOn"], errors);
  if (errors.length || !prepared) throw new ValidationError("the job is not valid", errors);
  const { template, inputs, parameters } = prepared;

  // A job created after all says which earlier ones it was not, and why, as a reused one does.
  let passedOver: PassedOver[] = [];
  const finding = Boolean(input.findOrCreate && !input.nondeterministic);
  if (finding) {
    const reusable = await findReusable(db, template, inputs, parameters, input.reuse ?? {});
    if (reusable.chosen) return { ...reusable.chosen, outcome: "REUSED", passedOver: reusable.passedOver };
    passedOver = reusable.passedOver;
  }

  try {
    const job = await db.$transaction(async (tx) => {
      if (finding) {
        // Equivalent requests at once take turns here: the first creates the job, the others find
        // it (ten at once made ten jobs, each finding none before the others committed).
        await lockFindOrCreate(tx, [template.name]);
        const reusable = await findReusable(tx, template, inputs, parameters, input.reuse ?? {});
        if (reusable.chosen) return { reused: reusable.chosen, passedOver: reusable.passedOver };
      }
      const statuses = await lockDependencies(tx, input.dependsOn ?? [], input.onDependencyFailure ?? "CANCEL", ["dependsOn"]);
      const bound = await bindOutputs(tx, prepared.inputs, prepared.bindings, statuses);
      const created = await insertJob(tx, creator, input, prepared, { waitingOn: waitingCount(statuses), inputs: bound.inputs });
      await linkDependencies(tx, edgesOf(created.id, input.dependsOn ?? [], bound.binds));
      return created;
    });
    if ("reused" in job) return { ...job.reused, outcome: "REUSED", passedOver: job.passedOver };
    tally.tasksAdded += tasksAdded(input.tasks ?? []);
    return { jobId: job.id, outcome: "CREATED", reason: null, passedOver };
  } catch (error) {
    // Two retries with one idempotency key raced; the loser returns the winner's job.
    if (input.idempotencyKey && isUniqueViolation(error)) {
      const winner = await db.job.findUnique({
        where: { creatorId_idempotencyKey: { creatorId: creator.userId, idempotencyKey: input.idempotencyKey } },
        select: { id: true },
      });
      if (winner) return { jobId: winner.id, outcome: "IDEMPOTENT_REPLAY", reason: "the idempotency key was used before", passedOver: [] };
    }
    throw error;
  }
}

