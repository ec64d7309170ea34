// Who may do what to a job. The rule table of the API, in one place:
//
//   action                                   | who
//   acquire                                  | a worker node
//   release, start, reportProgress,          | the node holding the job
//     renewLease, finish, addOutput,         |
//     deleteOutput                           |
//   reset                                    | the holding node, the job's creator
//   cancel, update, delete, reinstate        | the job's creator
//   abort, hardDelete                        | (admins only)
//
// Admins may do everything but acquire, which needs a node to hold the job. Reading is open to
// every authenticated caller.
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { type JobAction, stateAllows } from "./lifecycle.js";
import { isAdmin, type Principal } from "./principal.js";

type Role = "node" | "holder" | "creator";

const rules: Record<JobAction, readonly Role[]> = {
  acquire: ["node"],
  release: ["holder"],
  start: ["holder"],
  reportProgress: ["holder"],
  renewLease: ["holder"],
  finish: ["holder"],
  reset: ["holder", "creator"],
  cancel: ["creator"],
  update: ["creator"],
  delete: ["creator"],
  reinstate: ["creator"],
  abort: [],
  hardDelete: [],
  addOutput: ["holder"],
  deleteOutput: ["holder"],
};

export type JobRef = { status: JobStatus; deletedAt: Date | null; creatorId: string | null; nodeId: string | null };

/** Whether the principal's role towards the job lets it take the action, whatever the job's state. */
export function mayActOn(principal: Principal | null, action: JobAction, job: JobRef): boolean {
  if (!principal) return false;
  if (isAdmin(principal)) return action !== "acquire";
  return rules[action].some((role) => {
    switch (role) {
      case "node":
        return principal.kind === "NODE";
      case "holder":
        return principal.kind === "NODE" && job.nodeId === principal.nodeId && (job.status === "ACQUIRED" || job.status === "RUNNING");
      case "creator":
        return principal.kind === "USER" && job.creatorId !== null && job.creatorId === principal.userId;
    }
  });
}

/** What may be done to a task of a running job, by its holding node or an admin (task-lifecycle.ts). */
export type TaskAction = "start" | "reportProgress" | "finish" | "reset" | "retry";

const TASK_FROM: Record<TaskAction, readonly string[]> = {
  start: ["QUEUED"],
  reportProgress: ["RUNNING"],
  finish: ["RUNNING"],
  reset: ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"],
  retry: ["FAILED", "CANCELLED"],
};

/**
 * Whether the principal may take the action on the task now: an admin, or the node holding its job;
 * the job RUNNING and not deleted; the task's state admitting it.
 */
export function canOnTask(principal: Principal | null, action: TaskAction, task: { status: string }, job: JobRef): boolean {
  if (!principal || job.status !== "RUNNING" || job.deletedAt !== null) return false;
  const allowed = isAdmin(principal) || (principal.kind === "NODE" && job.nodeId === principal.nodeId);
  return allowed && TASK_FROM[action].includes(task.status);
}

/** Whether the principal may take the action now: allowed to, and the job's state admits it. */
export function can(principal: Principal | null, action: JobAction, job: JobRef): boolean {
  return mayActOn(principal, action, job) && stateAllows(action, job);
}
