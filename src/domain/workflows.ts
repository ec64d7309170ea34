// Workflows: several jobs submitted in one request, some waiting for others, created in one
// transaction or not at all, then read and watched as one thing.
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.js";
import type { DependencyFailurePolicy, JobStatus } from "../db/generated/prisma/enums.js";
import { bulkJobAction } from "./bulk.js";
import { findReusable, insertJobs, lockFindOrCreate, prepareJob, type JobToInsert, type NewJob, type PreparedJob, type TemplatesFound } from "./create-job.js";
import {
  bindOutputs,
  checkDependencies,
  edgesOf,
  existingJobs,
  linkDependencies,
  lockedStatuses,
  lockJobsDependedOn,
  MAX_DEPENDENCIES,
  waitingCount,
  type DependencyEdge,
} from "./dependencies.js";
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import { MAX_TASKS_PER_REQUEST, tasksAdded, tooManyTasks, type TaskTally } from "./map-tasks.js";
import type { Principal, UserPrincipal } from "./principal.js";
import { refuseUnstorableText } from "./text.js";
import type { KeyedOutputRef, TypedValues } from "./values.js";
import type { Workflow } from "../db/generated/prisma/client.js";
import { idIn, rowsById, rowsByKey, type Joins } from "./job-reads.js";
import { queryRows } from "../db/rows.js";

/** The most jobs one workflow may hold. */
export const MAX_WORKFLOW_JOBS = 1000;

/** A job of a new workflow: a key naming it within the request, and the keys of the jobs it waits for. */
export type NewWorkflowJob = Omit<NewJob, "idempotencyKey"> & {
  key: string;
  /** Keys of jobs of the same request this one waits for. */
  after?: string[] | null;
};

export type NewWorkflow = {
  name?: string | null;
  /** What its jobs do when a dependency fails for good, unless a job says otherwise; CANCEL unless given. */
  onDependencyFailure?: DependencyFailurePolicy | null;
  jobs: NewWorkflowJob[];
};

/** An edge of the request's graph as given: the key of the job waited for, and where it was named. */
type KeyEdge = { key: string; path: string[] };

/**
 * Checks the keys and the edges between the request's jobs: keys unique, every edge (an `after`
 * key, or an input bound to an output of a job by its key) naming a known key, no cycle. Returns
 * the jobs' indexes in an order that puts every job after those it waits for (the request's order
 * where it already does), or null when the graph is not valid.
 */
function checkGraph(jobs: readonly NewWorkflowJob[], edges: readonly KeyEdge[][], errors: FieldError[]): number[] | null {
  const before = errors.length;
  const index = new Map<string, number>();
  jobs.forEach((job, i) => {
    const key = job.key;
    if (!key || key.length > 200 || /\p{Cc}/u.test(key)) errors.push({ path: ["jobs", String(i), "key"], message: "must be 1 to 200 printable characters" });
    else if (index.has(key)) errors.push({ path: ["jobs", String(i), "key"], message: `"${key}" is the key of jobs.${index.get(key)} too` });
    else index.set(key, i);
  });
  jobs.forEach((job, i) => {
    const after = job.after ?? [];
    if (after.length + (job.dependsOn?.length ?? 0) > MAX_DEPENDENCIES) {
      errors.push({ path: ["jobs", String(i), "after"], message: `at most ${MAX_DEPENDENCIES} dependencies` });
    }
    after.forEach((key, k) => {
      if (after.indexOf(key) !== k) errors.push({ path: ["jobs", String(i), "after", String(k)], message: "given twice" });
    });
    for (const edge of edges[i]!) {
      if (!index.has(edge.key)) errors.push({ path: edge.path, message: `no job of this workflow has the key "${edge.key}"` });
    }
  });
  if (errors.length > before) return null;
  // Depth-first, colouring jobs on the current path: a job met again on it closes a cycle, named in
  // full. Each job is placed once every job it waits for has been.
  const state = new Array<"open" | "done" | undefined>(jobs.length);
  const path: number[] = [];
  const order: number[] = [];
  const visit = (i: number): boolean => {
    state[i] = "open";
    path.push(i);
    for (const edge of edges[i]!) {
      const j = index.get(edge.key)!;
      if (state[j] === "open") {
        const cycle = [...path.slice(path.indexOf(j)), j].map((n) => jobs[n]!.key).join(" → ");
        errors.push({ path: edge.path, message: `a cycle: ${cycle}` });
        return false;
      }
      if (state[j] === undefined && !visit(j)) return false;
    }
    path.pop();
    state[i] = "done";
    order.push(i);
    return true;
  };
  for (let i = 0; i < jobs.length; i++) if (state[i] === undefined && !visit(i)) return null;
  return order;
}

/** The edges each job of the request names: its `after` keys, then its inputs bound by key. */
function keyEdges(job: NewWorkflowJob, i: number, prepared: PreparedJob | null): KeyEdge[] {
  return [
    ...(job.after ?? []).map((key, k) => ({ key, path: ["jobs", String(i), "after", String(k)] })),
    ...(prepared?.bindings ?? []).flatMap((b) => (b.key === undefined ? [] : [{ key: b.key, path: ["jobs", String(i), "inputs", b.input, "after"] }])),
  ];
}

/** A job's inputs and bindings with the keys of the request replaced by the ids of the jobs they stand for. */
function withJobIds(prepared: PreparedJob, jobIds: ReadonlyMap<string, string>): PreparedJob {
  const inputs: TypedValues = { ...prepared.inputs };
  const bindings = prepared.bindings.map((b) => {
    if (b.key === undefined) return b;
    const { name, type } = inputs[b.input]!.value as KeyedOutputRef;
    inputs[b.input] = { type: "output", value: { job: jobIds.get(b.key)!, name, type } };
    return { input: b.input, job: jobIds.get(b.key)! };
  });
  return { ...prepared, inputs, bindings };
}

/** What createWorkflow made: the workflow, and for each key its job, new or reused (with why). */
export type CreatedWorkflow = { workflowId: string; jobIds: Map<string, string>; reused: Map<string, string> };

/**
 * Creates a workflow and every job of it in one transaction, or nothing: each job is checked as
 * createJob checks it (every problem reported at once, under jobs.N), the keys and edges between
 * them (unknown keys and cycles named), and their dependencies on existing jobs. An input may be
 * bound to an output of another job of the request ({after: key, name, type}), which makes that
 * job a dependency: the output is taken when it succeeds (see bindOutputs). A job asked to
 * findOrCreate reuses an equivalent earlier job as createJob would (a re-submitted workflow skips
 * what already ran with the same inputs): that job stands for its key, and the jobs after it wait
 * for it (not at all when it has succeeded). A job waits (WAITING) while any job it is after or
 * depends on has not succeeded. Users and admins.
 */
export async function createWorkflow(db: Db, actor: Principal, input: NewWorkflow, tally: TaskTally = { tasksAdded: 0 }): Promise<CreatedWorkflow> {
  if (actor.kind !== "USER") throw new ForbiddenError("only users and admins may create workflows");
  refuseUnstorableText(input);
  const creator: UserPrincipal = actor;
  const errors: FieldError[] = [];
  if ((input.name?.length ?? 0) > 1000) errors.push({ path: ["name"], message: "must be at most 1000 characters" });
  const policyOf = (job: NewWorkflowJob): DependencyFailurePolicy => job.onDependencyFailure ?? input.onDependencyFailure ?? "CANCEL";
  const prepared: Array<PreparedJob | null> = [];
  // The jobs of a workflow mostly share a few templates: each is looked up once. The jobs they name
  // (parents, dependencies) are read together, once.
  const templates: TemplatesFound = new Map();
  const named = input.jobs
    .slice(0, MAX_WORKFLOW_JOBS)
    .flatMap((job) => [...(job.parentId ? [job.parentId] : []), ...((job.dependsOn?.length ?? 0) <= MAX_DEPENDENCIES ? (job.dependsOn ?? []) : [])]);
  const jobs = await existingJobs(db, named);
  for (const [i, job] of input.jobs.slice(0, MAX_WORKFLOW_JOBS).entries()) {
    if ((job as NewJob).idempotencyKey != null) {
      errors.push({ path: ["jobs", String(i), "idempotencyKey"], message: "is not taken inside a workflow: its jobs are created together or not at all" });
    }
    prepared.push(await prepareJob(db, job, errors, ["jobs", String(i)], { inWorkflow: true, tasksBefore: tally.tasksAdded, templates, jobs, creator }));
    await checkDependencies(db, job.dependsOn ?? [], policyOf(job), ["jobs", String(i), "dependsOn"], errors, jobs);
  }
  let order: number[] | null = null;
  if (!input.jobs.length || input.jobs.length > MAX_WORKFLOW_JOBS) errors.push({ path: ["jobs"], message: `must hold 1 to ${MAX_WORKFLOW_JOBS} jobs` });
  // Each job's tasks were checked against the limit on their own (above); together they count too.
  const tasks = input.jobs.slice(0, MAX_WORKFLOW_JOBS).map((job) => tasksAdded(job.tasks ?? []));
  const total = tasks.reduce((sum, n) => sum + n, 0);
  if (total + tally.tasksAdded > MAX_TASKS_PER_REQUEST && tasks.every((n) => n + tally.tasksAdded <= MAX_TASKS_PER_REQUEST)) {
    errors.push({ path: ["jobs"], message: tooManyTasks(`its jobs have ${total}`, tally.tasksAdded) });
  }
  else order = checkGraph(input.jobs, input.jobs.map((job, i) => keyEdges(job, i, prepared[i]!)), errors);
  if (errors.length || !order) throw new ValidationError("the workflow is not valid", errors);
  const edges = input.jobs.map((job, i) => [...new Set(keyEdges(job, i, prepared[i]!).map((e) => e.key))]);

  // Jobs waited for come first, so that a job bound to a reused one is looked for with its id. A
  // job bound to a job made afresh is made afresh too: no earlier job was bound to that one.
  const reused = new Map<string, string>();
  const reusedIds = new Map<string, string>();
  const dependedOn = new Set(edges.flat());
  const created = await db.$transaction(
    async (tx) => {
      // In the transaction that creates what is not found, in turn with any other findOrCreate of
      // the same templates (see lockFindOrCreate): equivalent workflows at once make one set of jobs.
      const finding = input.jobs.flatMap((job, i) => (job.findOrCreate && !job.nondeterministic ? [prepared[i]!.template.name] : []));
      if (finding.length) await lockFindOrCreate(tx, finding);
      for (const i of order) {
        const job = input.jobs[i]!;
        const bindsFresh = prepared[i]!.bindings.some((b) => b.key !== undefined && !reusedIds.has(b.key));
        if (!job.findOrCreate || job.nondeterministic || bindsFresh) continue;
        const { template, inputs, parameters } = withJobIds(prepared[i]!, reusedIds);
        const found = await findReusable(tx, template, inputs, parameters, job.reuse ?? {});
        if (found.chosen) {
          reusedIds.set(job.key, found.chosen.jobId);
          reused.set(job.key, found.chosen.reason);
        }
      }
      const workflow = await tx.workflow.create({
        data: { name: input.name ?? null, onDependencyFailure: input.onDependencyFailure ?? "CANCEL", creatorId: creator.userId },
        select: { id: true },
      });
      const jobIds = new Map<string, string>(reusedIds);
      // Written together once every job is placed: a job's id is all a later one needs of it. The
      // jobs share their creation time, and lists in order of it break ties by id: ids drawn in
      // increasing order keep such a list in the order of their numbers.
      const ids = order.map(() => randomUUID()).sort();
      const fresh: JobToInsert[] = [];
      const links: DependencyEdge[] = [];
      // Reused jobs are waited for as existing ones are: only while they have not succeeded.
      // Two keys may stand for one reused job (equal jobs of one request find the same one).
      const existing = input.jobs.map((job, i) => [...new Set([...(job.dependsOn ?? []), ...edges[i]!.filter((key) => reusedIds.has(key)).map((key) => reusedIds.get(key)!)])]);
      // Every job's, locked in one statement.
      const locked = await lockJobsDependedOn(tx, order.filter((i) => !reusedIds.has(input.jobs[i]!.key)).flatMap((i) => existing[i]!));
      for (const i of order) {
        const job = input.jobs[i]!;
        if (reusedIds.has(job.key)) continue;
        const policy = policyOf(job);
        const statuses = lockedStatuses(locked, existing[i]!, policy, ["jobs", String(i), "dependsOn"]);
        for (const key of edges[i]!) if (!reusedIds.has(key)) statuses.set(jobIds.get(key)!, "WAITING");
        const ready = withJobIds(prepared[i]!, jobIds);
        const bound = await bindOutputs(tx, ready.inputs, ready.bindings, statuses, ["jobs", String(i)]);
        const id = ids[fresh.length]!;
        // A job given no name is named by its key, which says what it is in the workflow.
        fresh.push({
          id,
          at: ["jobs", String(i)],
          input: { ...job, name: job.name ?? job.key, onDependencyFailure: policy },
          prepared: ready,
          place: { workflowId: workflow.id, waitingOn: waitingCount(statuses), hasDependents: dependedOn.has(job.key), inputs: bound.inputs },
        });
        jobIds.set(job.key, id);
        links.push(...edgesOf(id, [...statuses.keys()], bound.binds));
      }
      await insertJobs(tx, creator, fresh);
      await linkDependencies(tx, links);
      // In the order of the request.
      return { workflowId: workflow.id, jobIds: new Map(input.jobs.map((job) => [job.key, jobIds.get(job.key)!])), reused };
    },
    { timeout: 60_000 },
  );
  tally.tasksAdded += input.jobs.reduce((sum, job, i) => sum + (reusedIds.has(job.key) ? 0 : tasks[i]!), 0);
  return created;
}

/** A workflow as the API reads it: its row, with its summary when the read asked for it. */
export type WorkflowRow = Workflow & { summary?: WorkflowSummary };

/** A workflow's jobs counted by status, and their mean progress (a succeeded job counts as done). */
export type WorkflowSummary = { counts: Record<JobStatus, number>; total: number; progress: number };

const ALL: readonly JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/** A workflow's jobs that are not deleted, grouped by status: how many, and the sum of their progress. */
type StatusGroup = { status: JobStatus; count: number; progress: number };

// The summary of the workflow `r`, as an item of a workflow's select list: a lookup with its
// status or progress is one statement, where a statement of its own would cost a round trip.
const SUMMARY = `, (select coalesce(jsonb_agg(jsonb_build_object('status', g.status, 'count', g.count, 'progress', g.progress)), '[]')
  from (select j.status, count(*)::int as count, coalesce(sum(j.progress), 0)::float8 as progress
    from jobs j where j.workflow_id = r.id and j.deleted_at is null group by j.status) g) as "summary"`;

function summaryOf(groups: readonly StatusGroup[]): WorkflowSummary {
  const summary = { counts: Object.fromEntries(ALL.map((s) => [s, 0])) as Record<JobStatus, number>, total: 0, progress: 0 };
  let progress = 0;
  for (const group of groups) {
    summary.counts[group.status] = group.count;
    summary.total += group.count;
    progress += group.status === "SUCCEEDED" ? group.count : group.progress;
  }
  summary.progress = summary.total ? progress / summary.total : 0;
  return summary;
}

/** Rows read with SUMMARY, each with its summary worked out. */
function withSummaries(rows: Array<Workflow & { summary?: unknown }>): WorkflowRow[] {
  for (const row of rows) row.summary = summaryOf(row.summary as StatusGroup[]);
  return rows as WorkflowRow[];
}

/**
 * Workflows by id (the workflows of a page of jobs), in one statement, in no particular order;
 * with their summaries when `summary`, and their creators when `joins` names them (see rowsById).
 */
export async function workflowsByIds(db: Db, ids: readonly string[], summary = false, joins?: Joins): Promise<WorkflowRow[]> {
  if (!summary) return rowsById<Workflow>(db, "Workflow", "workflows", ids, "", joins);
  return withSummaries(await rowsById(db, "Workflow", "workflows", ids, SUMMARY, joins));
}

/** Workflows by number (its text), in one statement, in no particular order; with what workflowsByIds reads with them. */
export async function workflowsByNumbers(db: Db, numbers: readonly string[], summary = false, joins?: Joins): Promise<WorkflowRow[]> {
  const key = numbers.map((n) => [n]);
  if (!summary) return rowsByKey<Workflow>(db, "Workflow", "workflows", [["number", "bigint"]], key, "", joins);
  return withSummaries(await rowsByKey(db, "Workflow", "workflows", [["number", "bigint"]], key, SUMMARY, joins));
}

/** Each workflow's summary, by id. Deleted jobs are left out. */
export async function workflowSummaries(db: Db, workflowIds: readonly string[]): Promise<Map<string, WorkflowSummary>> {
  const [where, values] = idIn("j.workflow_id", workflowIds);
  const rows = await queryRows<StatusGroup & { workflowId: string }>(
    db,
    `select j.workflow_id as "workflowId", j.status::text as status, count(*)::int as count, coalesce(sum(j.progress), 0)::float8 as progress
      from jobs j where ${where} and j.deleted_at is null group by j.workflow_id, j.status`,
    values,
    true,
  );
  const groups = new Map<string, StatusGroup[]>(workflowIds.map((id) => [id, []]));
  for (const row of rows) groups.get(row.workflowId)!.push(row);
  return new Map([...groups].map(([id, of]) => [id, summaryOf(of)]));
}

/**
 * What a workflow's jobs add up to: FAILED or CANCELLED once every job has finished and any did
 * not succeed (FAILED first), SUCCEEDED when all did; RUNNING while any job is held or running, or
 * some have finished; else WAITING or QUEUED.
 */
export function workflowStatus(summary: WorkflowSummary): JobStatus {
  const c = summary.counts;
  const unfinished = c.WAITING + c.QUEUED + c.ACQUIRED + c.RUNNING;
  if (unfinished === 0) return c.FAILED ? "FAILED" : c.CANCELLED ? "CANCELLED" : "SUCCEEDED";
  if (c.ACQUIRED + c.RUNNING > 0 || c.SUCCEEDED + c.FAILED + c.CANCELLED > 0) return "RUNNING";
  return c.QUEUED ? "QUEUED" : "WAITING";
}

/** Whether any of these jobs belongs to the workflow, by one read. */
export async function jobsOfWorkflow(db: Db, workflowId: string, jobIds: readonly string[]): Promise<boolean> {
  return (await db.job.count({ where: { id: { in: [...jobIds] }, workflowId } })) > 0;
}

/** Cancels every unfinished job of a workflow, as cancelJob would each (the same permissions). */
export async function cancelWorkflow(db: Db, actor: Principal, workflowId: string, reason?: string | null) {
  const workflow = await db.workflow.findUnique({ where: { id: workflowId }, select: { id: true } });
  if (!workflow) throw new NotFoundError("workflow", workflowId);
  return bulkJobAction(db, actor, "cancel", { workflowId }, { reason: reason ?? null });
}
