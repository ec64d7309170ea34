// The enums of the API. Values mirror the database's enums, so they are declared once, from Prisma.
import {
  AttemptOutcome,
  DependencyFailurePolicy,
  JobEventKind,
  JobFailureKind,
  JobStatus,
  LogStream,
  ScheduleCatchUp,
  ScheduleOverlap,
  ScheduleTickOutcome,
  TaskFailurePolicy,
  TaskStatus,
  TaskType,
  UserRole,
} from "../../db/generated/prisma/enums.js";
import { builder } from "../builder.js";

export const JobStatusEnum = builder.enumType(JobStatus, {
  name: "JobStatus",
  description: "Where a job is in its lifecycle: (WAITING ->) QUEUED -> ACQUIRED -> RUNNING -> SUCCEEDED | FAILED, or CANCELLED.",
  values: {
    WAITING: { description: "Waiting for its dependencies: no node can acquire it until every one of them has succeeded (see dependencies)." },
    QUEUED: { description: "Waiting for a worker node to acquire it." },
    ACQUIRED: { description: "Reserved by a worker node, which holds a lease on it, but not started yet." },
    RUNNING: { description: "Being worked on by the node that holds it." },
    SUCCEEDED: { description: "Finished without error." },
    FAILED: { description: "Finished with an error (see errorReason)." },
    CANCELLED: { description: "Cancelled by a user before it finished." },
  },
});

export const TaskStatusEnum = builder.enumType(TaskStatus, {
  name: "TaskStatus",
  description: "Where a task is in its lifecycle.",
  values: {
    QUEUED: { description: "Not started yet." },
    RUNNING: { description: "Being worked on." },
    SUCCEEDED: { description: "Finished successfully (success is true)." },
    FAILED: { description: "Failed for good (success is false)." },
    CANCELLED: { description: "Will not run: its job was cancelled or failed, or a task it depends on failed (see reason)." },
  },
});

export const TaskFailurePolicyEnum = builder.enumType(TaskFailurePolicy, {
  name: "TaskFailurePolicy",
  description: "What becomes of a job when one of its tasks fails for good (its attempts spent).",
  values: {
    FAIL_JOB: { description: "The job fails at once, naming the task; its unfinished tasks are cancelled." },
    CONTINUE: {
      description:
        "The job goes on with the tasks that do not depend on the failed one (its sequence and lower); the higher sequences are cancelled, naming it.",
    },
  },
});

export const DependencyFailurePolicyEnum = builder.enumType(DependencyFailurePolicy, {
  name: "DependencyFailurePolicy",
  description: "What a waiting job does when one of its dependencies fails for good (FAILED or CANCELLED).",
  values: {
    CANCEL: { description: "It is cancelled, naming the dependency; so are the jobs waiting for it, in turn." },
    WAIT: { description: "It keeps waiting: a reset of the dependency, which may then succeed, lets it go on." },
  },
});

export const JobFailureKindEnum = builder.enumType(JobFailureKind, {
  name: "JobFailureKind",
  description: "A kind of failure of an attempt at a job, which a retry policy may retry.",
  values: {
    ERROR: { description: "The holding node finished the job with an error it marked retryable (finishJob's retryable)." },
    LEASE_EXPIRED: { description: "The holding node stopped renewing its lease (it died, or lost touch)." },
    TIMED_OUT: { description: "The attempt ran past the job's time limit." },
  },
});

export const AttemptOutcomeEnum = builder.enumType(AttemptOutcome, {
  name: "AttemptOutcome",
  description: "How an attempt at a job ended.",
  values: {
    SUCCEEDED: { description: "The node finished the job without error." },
    FAILED: { description: "The node finished the job with an error (see error and retryable), or one of its tasks failed it." },
    LEASE_EXPIRED: { description: "The node's lease ran out." },
    TIMED_OUT: { description: "The attempt ran past the job's time limit." },
    DEADLINE_EXCEEDED: { description: "The job's deadline passed while the node held it." },
    RELEASED: { description: "The node gave the job back." },
    ABORTED: { description: "An admin took the job back from the node." },
    CANCELLED: { description: "The job was cancelled (or its parent was)." },
    RESET: { description: "The job was reset." },
  },
});

export const TaskTypeEnum = builder.enumType(TaskType, {
  name: "TaskType",
  description: "The kind of task, as in Flow Compute.",
  values: {
    TASK: { description: "A single unit of work." },
    MAP: { description: "A task that fans out into one task per item of its input." },
  },
});

export const JobEventKindEnum = builder.enumType(JobEventKind, {
  name: "JobEventKind",
  description: "What a job event records.",
  values: {
    CREATED: { description: "The job was created." },
    UPDATED: { description: "Description, priority or tags changed." },
    ACQUIRED: { description: "A worker node acquired the job and received a lease." },
    RELEASED: { description: "The holding node gave the job back to the queue." },
    STARTED: { description: "The holding node started work." },
    PROGRESS: { description: "The holding node reported progress." },
    LEASE_RENEWED: { description: "The holding node extended its lease." },
    LEASE_EXPIRED: { description: "The lease ran out; the job was requeued or failed." },
    SUCCEEDED: { description: "The job finished without error." },
    FAILED: { description: "The job finished with an error." },
    RESET: { description: "The job was reset to QUEUED." },
    ABORTED: { description: "The job was taken from a node presumed dead and requeued." },
    CANCELLED: { description: "The job was cancelled." },
    DELETED: { description: "The job was soft-deleted." },
    REINSTATED: { description: "A soft-deleted job was restored." },
    HARD_DELETED: { description: "The job was removed for good." },
    OUTPUT_ADDED: { description: "An output was added." },
    OUTPUT_DELETED: { description: "An output was removed." },
    TASK_ADDED: { description: "Tasks were added to the job." },
    TASK_STARTED: { description: "A task started." },
    TASK_PROGRESS: { description: "A task reported progress." },
    TASK_FINISHED: { description: "A task succeeded, or failed for good." },
    TASK_RETRIED: { description: "A task failed with attempts left and was queued again." },
    TASKS_STOPPED: { description: "A task failed for good and the tasks that depend on it were cancelled (the CONTINUE policy)." },
    TASK_RESET: { description: "A task was reset, or given another attempt, by its job's holder or an admin." },
    ATTEMPT_FAILED: {
      description: "The holding node failed the job with a retryable error and attempts remained: the job is QUEUED again after its backoff (detail: error, attempts, retryAfter).",
    },
    TIMED_OUT: { description: "The attempt ran past the job's time limit: the job was queued again after its backoff, or failed (detail: attempts, retryAfter, timeLimitSeconds)." },
    DEADLINE_EXCEEDED: { description: "The job's deadline passed before it finished: it failed (detail: deadline)." },
    TASK_TIMED_OUT: { description: "A running task ran past its time limit: it was queued again while attempts remained, else failed as a failed task does." },
    STALLED: { description: "A running job went longer than its stallAfterSeconds without a progress report or lease renewal (detail: stallAfterSeconds, lastReportAt)." },
    RECOVERED: { description: "A stalled job's holder reported again (detail: stalledSeconds)." },
    QUEUE_UPDATED: { description: "A queue was paused, resumed or given a new concurrency limit. Belongs to no job (detail: queue, paused, concurrencyLimit)." },
    DEPENDENCIES_MET: { description: "The last of the job's dependencies succeeded: it went from WAITING to QUEUED (detail: dependency, the one that succeeded last)." },
    DEPENDENCY_RESET: { description: "A dependency that had succeeded was reset: the job, not yet acquired, went back from QUEUED to WAITING (detail: dependency)." },
  },
});

export const UserRoleEnum = builder.enumType(UserRole, {
  name: "UserRole",
  description: "What a user may do.",
  values: {
    ADMIN: { description: "May do everything." },
    USER: { description: "May create jobs and templates and act on their own jobs." },
  },
});

export const SortDirectionEnum = builder.enumType("SortDirection", {
  description: "Which way a list is sorted.",
  values: {
    ASC: { description: "Smallest, earliest or first in the alphabet first." },
    DESC: { description: "Largest, latest or last in the alphabet first." },
  } as const,
});

export const LogStreamEnum = builder.enumType(LogStream, {
  name: "LogStream",
  description: "Which output of the work a log line came from.",
  values: {
    STDOUT: { description: "Standard output." },
    STDERR: { description: "Standard error." },
  },
});

export const ScheduleOverlapEnum = builder.enumType(ScheduleOverlap, {
  name: "ScheduleOverlap",
  description: "What a schedule does when a tick comes while the job of its previous tick has not finished (is WAITING, QUEUED, ACQUIRED or RUNNING).",
  values: {
    SKIP: { description: "The tick makes no job (its record says why)." },
    QUEUE: {
      description: "The tick makes its job all the same: it is queued beside the unfinished one, and runs alongside it when a node is free (a queue limited to 1 runs them one after the other).",
    },
    CANCEL_PREVIOUS: { description: "The unfinished job is cancelled, naming the tick that replaced it, and the tick makes its job." },
  },
});

export const ScheduleCatchUpEnum = builder.enumType(ScheduleCatchUp, {
  name: "ScheduleCatchUp",
  description:
    "What a schedule does about missed ticks: ticks that no gateway handled within the grace period after their time (JOBGRAPH_SCHEDULE_GRACE_SECONDS), because every gateway was down.",
  values: {
    LAST: { description: "The latest missed tick makes one job, late; earlier missed ticks make none." },
    SKIP: { description: "Missed ticks make no job; the schedule goes on from its next time." },
  },
});

export const ScheduleTickOutcomeEnum = builder.enumType(ScheduleTickOutcome, {
  name: "ScheduleTickOutcome",
  description: "What became of one tick of a schedule.",
  values: {
    CREATED: { description: "It made its job." },
    SKIPPED_OVERLAP: { description: "The job of an earlier tick had not finished, and the schedule's overlap policy is SKIP." },
    SKIPPED_MISSED: { description: "It was missed (no gateway handled it in time), and the schedule's catch-up policy is SKIP." },
    FAILED: { description: "Its job could not be made: its template is gone, its inputs no longer fit it, or its creator is disabled (see detail)." },
  },
});
