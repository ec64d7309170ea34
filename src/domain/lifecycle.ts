// The job lifecycle as a table: the states each action may start from. Transitions check it in
// their guarded SQL; permissions use it to tell a client which actions make sense now.
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { InvalidTransitionError } from "./errors.js";

export type JobAction =
  | "acquire"
  | "release"
  | "start"
  | "reportProgress"
  | "renewLease"
  | "finish"
  | "reset"
  | "abort"
  | "cancel"
  | "update"
  | "delete"
  | "reinstate"
  | "hardDelete"
  | "addOutput"
  | "deleteOutput";

const ANY: readonly JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/** The statuses from which each action is allowed. */
export const allowedFrom: Record<JobAction, readonly JobStatus[]> = {
  acquire: ["QUEUED"],
  release: ["ACQUIRED", "RUNNING"],
  start: ["ACQUIRED"],
  reportProgress: ["RUNNING"],
  renewLease: ["ACQUIRED", "RUNNING"],
  finish: ["RUNNING"],
  reset: ["ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"],
  abort: ["ACQUIRED", "RUNNING"],
  cancel: ["WAITING", "QUEUED", "ACQUIRED", "RUNNING"],
  update: ANY,
  delete: ANY,
  reinstate: ANY,
  hardDelete: ANY,
  // A node adds and removes outputs while it holds the job (its role says so); an admin, at any time.
  addOutput: ANY,
  deleteOutput: ANY,
};

/**
 * The statuses of a job still in play: waiting for its dependencies (WAITING) or for a node
 * (QUEUED), or held by one (ACQUIRED, RUNNING).
 */
export const IN_PLAY: readonly JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING"];

/**
 * The refusal of a node's action on a job that has left play (finished or cancelled): no lease on
 * it is current, and saying so tells the node more than that its lease is lost.
 */
export function jobEnded(status: JobStatus, action: string): InvalidTransitionError {
  return new InvalidTransitionError(status, action, `cannot ${action} a job that is ${status}: it ${status === "CANCELLED" ? "was cancelled" : "has finished"}`);
}

/** Whether `action` makes sense for a job in this state (soft deletion included). */
export function stateAllows(action: JobAction, job: { status: JobStatus; deletedAt: Date | null }): boolean {
  if (action === "reinstate") return job.deletedAt !== null;
  // A soft-deleted job is out of the lifecycle until it is reinstated; it can still be removed.
  if (job.deletedAt !== null && action !== "hardDelete") return false;
  return allowedFrom[action].includes(job.status);
}
