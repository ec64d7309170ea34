// Acting on every job a filter matches: cancel, reset or delete, with a dry run that says exactly
// what a real run would do. Each job changes through its own guarded transition, so a bulk action
// is never a way around a rule, and a job that may not change is reported, not skipped silently.
import type { Db } from "../db/client.js";
import { DomainError, ValidationError } from "./errors.js";
import { countJobs, jobsMatching } from "./job-filter.js";
import type { JobFilter } from "./jobs.js";
import { stateAllows, type JobAction } from "./lifecycle.js";
import { mayActOn } from "./permissions.js";
import type { Principal } from "./principal.js";
import { MAX_NOTE_CHARS, refuseLongerThan, refuseUnstorableText } from "./text.js";
import { cancelJob, deleteJob, resetJob } from "./transitions.js";

/** How many jobs one bulk call may touch; a wider filter is refused, not cut short. */
export const BULK_LIMIT = 1000;
const SAMPLE_SIZE = 20;

export type BulkAction = "cancel" | "reset" | "delete";

export type BulkOutcome = "CHANGED" | "WOULD_CHANGE" | "FORBIDDEN" | "INVALID_TRANSITION" | "FAILED";

export type BulkItem = { jobId: string; outcome: BulkOutcome; message: string | null };

export type BulkResult = {
  dryRun: boolean;
  matched: number;
  /** Jobs changed (or, in a dry run, that would change). */
  changed: number;
  /** In a dry run, some of the jobs that would change. */
  sample: string[];
  /** One item per matched job in a real run; in a dry run, the jobs that would be refused. */
  items: BulkItem[];
};

const run: Record<BulkAction, (db: Db, actor: Principal, jobId: string, options: BulkOptions) => Promise<unknown>> = {
  cancel: (db, actor, id, o) => cancelJob(db, actor, id, o.reason),
  reset: (db, actor, id, o) => resetJob(db, actor, id, { keepOutputs: o.keepOutputs, keepSucceededTasks: o.keepSucceededTasks }),
  delete: (db, actor, id) => deleteJob(db, actor, id),
};

export type BulkOptions = { dryRun?: boolean | null; reason?: string | null; keepOutputs?: boolean | null; keepSucceededTasks?: boolean | null };

/**
 * Cancels, resets or deletes every job the filter matches that the caller may change, job by job.
 * Any authenticated caller; each job's own rule decides.
 */
export async function bulkJobAction(db: Db, actor: Principal, action: BulkAction, filter: JobFilter, options: BulkOptions): Promise<BulkResult> {
  refuseUnstorableText({ filter, reason: options.reason });
  // Stored with each job the call changes, up to a thousand of them.
  refuseLongerThan(options.reason, MAX_NOTE_CHARS, ["reason"]);
  // Newest first, so that a cancelled parent's cascade does not pre-empt its own children's
  // entries: each job is changed by its own entry, as the dry run predicts.
  const jobs = await jobsMatching(db, filter, BULK_LIMIT + 1);
  if (jobs.length > BULK_LIMIT) {
    const matched = await countJobs(db, filter);
    throw new ValidationError(`the filter matches ${matched} jobs; one call may act on at most ${BULK_LIMIT}`, [
      { path: ["filter"], message: `matches more than ${BULK_LIMIT} jobs: narrow it` },
    ]);
  }
  const matched = jobs.length;
  const verdicts = jobs.map((job) => {
    const jobAction: JobAction = action;
    if (!mayActOn(actor, jobAction, job)) return { jobId: job.id, outcome: "FORBIDDEN" as const, message: `you may not ${action} this job` };
    if (!stateAllows(jobAction, job)) {
      return { jobId: job.id, outcome: "INVALID_TRANSITION" as const, message: `cannot ${action} a job that is ${job.deletedAt ? "deleted" : job.status}` };
    }
    return { jobId: job.id, outcome: "WOULD_CHANGE" as const, message: null };
  });
  const changing = verdicts.filter((v) => v.outcome === "WOULD_CHANGE");
  if (options.dryRun) {
    return {
      dryRun: true,
      matched,
      changed: changing.length,
      sample: changing.slice(0, SAMPLE_SIZE).map((v) => v.jobId),
      items: verdicts.filter((v) => v.outcome !== "WOULD_CHANGE"),
    };
  }
  const items: BulkItem[] = [];
  for (const verdict of verdicts) {
    if (verdict.outcome !== "WOULD_CHANGE") {
      items.push(verdict);
      continue;
    }
    try {
      await run[action](db, actor, verdict.jobId, options);
      items.push({ jobId: verdict.jobId, outcome: "CHANGED", message: null });
    } catch (error) {
      // The job moved on since it was read (another caller, or a cascade): said, not hidden.
      if (!(error instanceof DomainError)) throw error;
      items.push({ jobId: verdict.jobId, outcome: "FAILED", message: error.message });
    }
  }
  return { dryRun: false, matched, changed: items.filter((i) => i.outcome === "CHANGED").length, sample: [], items };
}
