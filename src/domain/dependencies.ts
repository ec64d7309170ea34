// Jobs that wait for other jobs: the edges of the job graph, checked when they are made. What a
// dependency's success, failure or reset does to the jobs waiting for it is done in the database,
// in the transaction of that change, by the trigger jobs_follow_dependencies (see the migration
// that made workflows): every path that changes a job's status (a node's finish, a lease or a
// deadline running out, a cancel, a reset) reaches the jobs waiting for it without knowing of them.
import type { Db } from "../db/client.js";
import type { Prisma } from "../db/generated/prisma/client.js";
import type { DependencyFailurePolicy, JobStatus } from "../db/generated/prisma/enums.js";
import { queryRows } from "../db/rows.js";
import { ValidationError, type FieldError } from "./errors.js";
import { idIn } from "./job-reads.js";
import type { OutputRef, TypedValues } from "./values.js";

/**
 * An input bound to an output of a dependency, given by the dependency's id (`job`) or, in a
 * workflow, by its key in the request (`key`): the output is taken when the dependency succeeds.
 */
export type Binding = { input: string; job?: string; key?: string };

/** The most dependencies one job may have. */
export const MAX_DEPENDENCIES = 100;

type Upstream = { id: string; number: bigint; status: JobStatus; deletedAt: Date | null; creatorId: string | null };

/** Existing jobs that new ones name (as dependencies or parents), by id, read together (see existingJobs). */
export type JobsFound = ReadonlyMap<string, Upstream>;

/**
 * The jobs of `ids` that exist (deleted ones included), in one statement: a workflow's jobs name
 * their parents and dependencies among the same few, and checking each job's on its own cost a
 * statement or two a job.
 */
export async function existingJobs(db: Db, ids: Iterable<string>): Promise<JobsFound> {
  const wanted = [...new Set(ids)];
  if (!wanted.length) return new Map();
  const rows = await db.job.findMany({ where: { id: { in: wanted } }, select: { id: true, number: true, status: true, deletedAt: true, creatorId: true } });
  return new Map(rows.map((job) => [job.id, job]));
}

/** Why a job may not be depended on, or null when it may. */
function refusal(job: Upstream | undefined, policy: DependencyFailurePolicy): string | null {
  if (!job) return "no such job";
  if (job.deletedAt) return `job #${job.number} is deleted: reinstate it, or leave it out`;
  if (policy === "CANCEL" && (job.status === "FAILED" || job.status === "CANCELLED")) {
    return `job #${job.number} is ${job.status}: this job could never run (reset it first, or wait for it with onDependencyFailure WAIT)`;
  }
  return null;
}

/**
 * Checks dependencies on existing jobs, adding each problem to `errors` under `at`: every one must
 * exist, not be deleted and be given once; under the CANCEL policy, none may have failed or been
 * cancelled already. Writes nothing. The jobs are read unless `known` holds them already.
 */
export async function checkDependencies(
  db: Db,
  ids: readonly string[],
  policy: DependencyFailurePolicy,
  at: string[],
  errors: FieldError[],
  known?: JobsFound,
) {
  if (!ids.length) return;
  if (ids.length > MAX_DEPENDENCIES) {
    errors.push({ path: at, message: `at most ${MAX_DEPENDENCIES} dependencies` });
    return;
  }
  const found = known ?? (await existingJobs(db, ids));
  ids.forEach((id, i) => {
    const twice = ids.indexOf(id) !== i;
    const why = twice ? "given twice" : refusal(found.get(id), policy);
    if (why) errors.push({ path: [...at, String(i)], message: why });
  });
}

/**
 * In the transaction that creates a job: marks its dependencies as depended on and returns the
 * status of each (the job waits for those that have not succeeded: waitingCount). The update locks
 * each dependency's row, so it waits for a change of it under way and reads its status as that
 * change left it; a change after it finds the mark and reaches the new job through the trigger. A
 * dependency deleted or failed since checkDependencies is refused here (ValidationError), and the
 * transaction with it.
 */
export async function lockDependencies(
  tx: Prisma.TransactionClient,
  ids: readonly string[],
  policy: DependencyFailurePolicy,
  at: string[],
): Promise<Map<string, JobStatus>> {
  return lockedStatuses(await lockJobsDependedOn(tx, ids), ids, policy, at);
}

/**
 * lockDependencies' statement for the dependencies of many new jobs at once (a workflow's): the
 * jobs of `ids` that exist, marked as depended on and locked. lockedStatuses then judges each new
 * job's own.
 */
export async function lockJobsDependedOn(tx: Prisma.TransactionClient, ids: Iterable<string>): Promise<JobsFound> {
  const wanted = [...new Set(ids)];
  if (!wanted.length) return new Map();
  const rows = await tx.$queryRaw<Upstream[]>`
    /* lockDependencies */
    update jobs set has_dependents = true where id = any(${wanted}::uuid[])
    returning id, number, status, deleted_at as "deletedAt"`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** The status of each of a new job's dependencies among the `locked`, or its refusals (ValidationError, under `at`). */
export function lockedStatuses(locked: JobsFound, ids: readonly string[], policy: DependencyFailurePolicy, at: string[]): Map<string, JobStatus> {
  const errors: FieldError[] = [];
  ids.forEach((id, i) => {
    const why = refusal(locked.get(id), policy);
    if (why) errors.push({ path: [...at, String(i)], message: why });
  });
  if (errors.length) throw new ValidationError("the dependencies are not valid", errors);
  return new Map(ids.map((id) => [id, locked.get(id)!.status]));
}

/** How many of the dependencies a new job waits for: those that have not succeeded. */
export function waitingCount(statuses: ReadonlyMap<string, JobStatus>): number {
  return [...statuses.values()].filter((status) => status !== "SUCCEEDED").length;
}

/**
 * In the creating transaction, after lockDependencies: the inputs bound to outputs of dependencies
 * that have succeeded take those outputs now (a missing one is refused, naming the input); the
 * others are listed by dependency, for the trigger to bind when it succeeds. `inputs` hold each
 * binding by the dependency's id ({job, name, type}); `statuses` the dependencies' as locked.
 */
export async function bindOutputs(
  tx: Prisma.TransactionClient,
  inputs: TypedValues,
  bindings: readonly Binding[],
  statuses: ReadonlyMap<string, JobStatus>,
  at: string[] = [],
): Promise<{ inputs: TypedValues; binds: Map<string, string[]> }> {
  const bound: TypedValues = { ...inputs };
  const binds = new Map<string, string[]>();
  const errors: FieldError[] = [];
  for (const { input } of bindings) {
    const ref = inputs[input]!.value as OutputRef;
    if (statuses.get(ref.job) !== "SUCCEEDED") {
      binds.set(ref.job, [...(binds.get(ref.job) ?? []), input]);
      continue;
    }
    const output = await tx.jobOutput.findUnique({ where: { jobId_name_type: { jobId: ref.job, name: ref.name, type: ref.type } }, select: { id: true } });
    if (output) bound[input] = { type: "output", value: { ...ref, output: output.id } };
    else errors.push({ path: [...at, "inputs", input], message: `the job it is bound to succeeded without an output "${ref.name}" of type "${ref.type}"` });
  }
  if (errors.length) throw new ValidationError("the output bindings are not valid", errors);
  return { inputs: bound, binds };
}

/** That a job depends on another, with its inputs bound to outputs of that one. */
export type DependencyEdge = { jobId: string; dependsOnId: string; binds: string[] };

/** The edges from `jobId` to each of `ids`, with the inputs bound to outputs of each (`binds`, by dependency id). */
export const edgesOf = (jobId: string, ids: readonly string[], binds?: ReadonlyMap<string, string[]>): DependencyEdge[] =>
  ids.map((dependsOnId) => ({ jobId, dependsOnId, binds: binds?.get(dependsOnId) ?? [] }));

/**
 * Records edges in the creating transaction, in one statement however many (the edges as one JSON
 * parameter: a workflow may hold more than PostgreSQL's limit of bind parameters allows, which
 * Prisma's createMany would split into statements sent at once on the transaction's connection).
 */
export async function linkDependencies(tx: Prisma.TransactionClient, edges: readonly DependencyEdge[]) {
  if (!edges.length) return;
  const records = edges.map((e) => ({ job_id: e.jobId, depends_on_id: e.dependsOnId, binds: e.binds }));
  await tx.$executeRaw`
    /* linkDependencies */
    insert into job_dependencies (job_id, depends_on_id, binds)
    select r.job_id, r.depends_on_id, r.binds from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(job_id uuid, depends_on_id uuid, binds text[])`;
}

/** A dependency that has not succeeded; `deleted` when it is soft-deleted (and holds its dependents until reinstated or deleted for good). */
export type UnmetDependency = { id: string; number: bigint; status: JobStatus; deleted: boolean };

/** Each job's dependencies that have not succeeded, by job id, in the order of their numbers (what whyNotRunning names). */
export async function unmetDependenciesOf(db: Db, jobIds: readonly string[]): Promise<Map<string, UnmetDependency[]>> {
  const [edges, values] = idIn("d.job_id", jobIds);
  const rows = await queryRows<{ jobId: string } & UnmetDependency>(
    db,
    `select d.job_id as "jobId", j.id, j.number, j.status, j.deleted_at is not null as deleted from job_dependencies d join jobs j on j.id = d.depends_on_id
      where ${edges} and j.status <> 'SUCCEEDED' order by j.number`,
    values,
    true,
  );
  const found = new Map<string, UnmetDependency[]>(jobIds.map((id) => [id, []]));
  for (const { jobId, ...dependency } of rows) found.get(jobId)!.push(dependency);
  return found;
}
