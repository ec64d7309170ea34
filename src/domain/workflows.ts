// Workflows: several jobs submitted in one request, some waiting for others, created in one
// transaction or not at all, then read and watched as one thing.
import type { Db } from "../db/client.js";
import type { DependencyFailurePolicy, JobStatus } from "../db/generated/prisma/enums.js";
import { bulkJobAction } from "./bulk.js";
import { findReusable, insertJob, prepareJob, type NewJob, type PreparedJob } from "./create-job.js";
import { checkDependencies, linkDependencies, lockDependencies, MAX_DEPENDENCIES } from "./dependencies.js";
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import type { Principal, UserPrincipal } from "./principal.js";
import { refuseUnstorableText } from "./text.js";

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

/** Checks the keys and the edges between the request's jobs: keys unique, `after` naming known keys, no cycle. */
function checkGraph(jobs: readonly NewWorkflowJob[], errors: FieldError[]) {
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
      if (!index.has(key)) errors.push({ path: ["jobs", String(i), "after", String(k)], message: `no job of this workflow has the key "${key}"` });
      else if (after.indexOf(key) !== k) errors.push({ path: ["jobs", String(i), "after", String(k)], message: "given twice" });
    });
  });
  if (errors.length) return;
  // Depth-first, colouring jobs on the current path: a job met again on it closes a cycle, named in full.
  const state = new Array<"open" | "done" | undefined>(jobs.length);
  const path: number[] = [];
  const visit = (i: number): boolean => {
    state[i] = "open";
    path.push(i);
    const after = jobs[i]!.after ?? [];
    for (let k = 0; k < after.length; k++) {
      const j = index.get(after[k]!)!;
      if (state[j] === "open") {
        const cycle = [...path.slice(path.indexOf(j)), j].map((n) => jobs[n]!.key).join(" → ");
        errors.push({ path: ["jobs", String(i), "after", String(k)], message: `a cycle: ${cycle}` });
        return false;
      }
      if (state[j] === undefined && !visit(j)) return false;
    }
    path.pop();
    state[i] = "done";
    return true;
  };
  for (let i = 0; i < jobs.length; i++) if (state[i] === undefined && !visit(i)) return;
}

/** What createWorkflow made: the workflow, and for each key its job, new or reused (with why). */
export type CreatedWorkflow = { workflowId: string; jobIds: Map<string, string>; reused: Map<string, string> };

/**
 * Creates a workflow and every job of it in one transaction, or nothing: each job is checked as
 * createJob checks it (every problem reported at once, under jobs.N), the keys and edges between
 * them (unknown keys and cycles named), and their dependencies on existing jobs. A job asked to
 * findOrCreate reuses an equivalent earlier job as createJob would (a re-submitted workflow skips
 * what already ran with the same inputs): that job stands for its key, and the jobs after it wait
 * for it (not at all when it has succeeded). A job waits (WAITING) while any job it is after or
 * depends on has not succeeded. Users and admins.
 */
export async function createWorkflow(db: Db, actor: Principal, input: NewWorkflow): Promise<CreatedWorkflow> {
  if (actor.kind !== "USER") throw new ForbiddenError("only users and admins may create workflows");
  refuseUnstorableText(input);
  const creator: UserPrincipal = actor;
  const errors: FieldError[] = [];
  if ((input.name?.length ?? 0) > 1000) errors.push({ path: ["name"], message: "must be at most 1000 characters" });
  if (!input.jobs.length || input.jobs.length > MAX_WORKFLOW_JOBS) errors.push({ path: ["jobs"], message: `must hold 1 to ${MAX_WORKFLOW_JOBS} jobs` });
  else checkGraph(input.jobs, errors);
  const policyOf = (job: NewWorkflowJob): DependencyFailurePolicy => job.onDependencyFailure ?? input.onDependencyFailure ?? "CANCEL";
  const prepared: Array<PreparedJob | null> = [];
  for (const [i, job] of input.jobs.slice(0, MAX_WORKFLOW_JOBS).entries()) {
    if ((job as NewJob).idempotencyKey != null) {
      errors.push({ path: ["jobs", String(i), "idempotencyKey"], message: "is not taken inside a workflow: its jobs are created together or not at all" });
    }
    prepared.push(await prepareJob(db, job, errors, ["jobs", String(i)]));
    await checkDependencies(db, job.dependsOn ?? [], policyOf(job), ["jobs", String(i), "dependsOn"], errors);
  }
  if (errors.length) throw new ValidationError("the workflow is not valid", errors);

  const reused = new Map<string, string>();
  const reusedIds = new Map<string, string>();
  for (const [i, job] of input.jobs.entries()) {
    if (!job.findOrCreate || job.nondeterministic) continue;
    const { template, inputs, parameters } = prepared[i]!;
    const found = await findReusable(db, template, inputs, parameters, job.reuse ?? {});
    if (found.chosen) {
      reusedIds.set(job.key, found.chosen.jobId);
      reused.set(job.key, found.chosen.reason);
    }
  }
  const dependedOn = new Set(input.jobs.flatMap((job) => job.after ?? []));
  return db.$transaction(
    async (tx) => {
      const workflow = await tx.workflow.create({
        data: { name: input.name ?? null, onDependencyFailure: input.onDependencyFailure ?? "CANCEL", creatorId: creator.userId },
        select: { id: true },
      });
      const jobIds = new Map<string, string>(reusedIds);
      for (const [i, job] of input.jobs.entries()) {
        if (reusedIds.has(job.key)) continue;
        const policy = policyOf(job);
        const after = job.after ?? [];
        // Reused jobs are waited for as existing ones are: only while they have not succeeded.
        // Two keys may stand for one reused job (equal jobs of one request find the same one).
        const existing = [...new Set([...(job.dependsOn ?? []), ...after.filter((key) => reusedIds.has(key)).map((key) => reusedIds.get(key)!)])];
        const fresh = after.filter((key) => !reusedIds.has(key)).length;
        const waitingOn = (await lockDependencies(tx, existing, policy, ["jobs", String(i), "dependsOn"])) + fresh;
        // A job given no name is named by its key, which says what it is in the workflow.
        const created = await insertJob(tx, creator, { ...job, name: job.name ?? job.key, onDependencyFailure: policy }, prepared[i]!, {
          workflowId: workflow.id,
          waitingOn,
          hasDependents: dependedOn.has(job.key),
        });
        jobIds.set(job.key, created.id);
      }
      for (const job of input.jobs) {
        if (reusedIds.has(job.key)) continue;
        await linkDependencies(tx, jobIds.get(job.key)!, [...new Set([...(job.after ?? []).map((key) => jobIds.get(key)!), ...(job.dependsOn ?? [])])]);
      }
      // In the order of the request.
      return { workflowId: workflow.id, jobIds: new Map(input.jobs.map((job) => [job.key, jobIds.get(job.key)!])), reused };
    },
    { timeout: 60_000 },
  );
}

/** A workflow's jobs counted by status, and their mean progress (a succeeded job counts as done). */
export type WorkflowSummary = { counts: Record<JobStatus, number>; total: number; progress: number };

const ALL: readonly JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/** Each workflow's summary, by id. Deleted jobs are left out. */
export async function workflowSummaries(db: Db, workflowIds: readonly string[]): Promise<Map<string, WorkflowSummary>> {
  const rows = await db.job.groupBy({
    by: ["workflowId", "status"],
    where: { workflowId: { in: [...workflowIds] }, deletedAt: null },
    _count: { _all: true },
    _sum: { progress: true },
  });
  const found = new Map<string, WorkflowSummary>(
    workflowIds.map((id) => [id, { counts: Object.fromEntries(ALL.map((s) => [s, 0])) as Record<JobStatus, number>, total: 0, progress: 0 }]),
  );
  const progressSum = new Map<string, number>();
  for (const row of rows) {
    const summary = found.get(row.workflowId!)!;
    summary.counts[row.status] = row._count._all;
    summary.total += row._count._all;
    progressSum.set(row.workflowId!, (progressSum.get(row.workflowId!) ?? 0) + (row.status === "SUCCEEDED" ? row._count._all : (row._sum.progress ?? 0)));
  }
  for (const [id, summary] of found) summary.progress = summary.total ? (progressSum.get(id) ?? 0) / summary.total : 0;
  return found;
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
