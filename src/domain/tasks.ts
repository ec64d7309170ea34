// Reading tasks within a job.
import type { Db } from "../db/client.js";
import type { Prisma, Task } from "../db/generated/prisma/client.js";
import type { TaskStatus } from "../db/generated/prisma/enums.js";
import { direction, type SortDirection } from "./paging.js";

export type TaskFilter = {
  /** Exact name (Flow Compute's `filter[name]`). */
  name?: string | null;
  status?: TaskStatus[] | null;
  sequence?: number | null;
  /** The children of this MAP task. */
  mapTaskId?: string | null;
  /** false: no children of MAP tasks; true: only those. */
  mapChildren?: boolean | null;
};

export type TaskOrderField = "QSEQUENCE" | "SEQUENCE" | "NAME" | "CREATED_AT";
export type TaskOrder = { field: TaskOrderField; direction: SortDirection };

export const defaultTaskOrder: TaskOrder = { field: "QSEQUENCE", direction: "ASC" };

const orderColumns = {
  QSEQUENCE: "qsequence",
  SEQUENCE: "sequence",
  NAME: "name",
  CREATED_AT: "createdAt",
} as const satisfies Record<TaskOrderField, keyof Prisma.TaskOrderByWithRelationInput>;

export function taskWhere(filter: TaskFilter = {}): Prisma.TaskWhereInput {
  return {
    ...(filter.name != null ? { name: filter.name } : {}),
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.sequence != null ? { sequence: filter.sequence } : {}),
    ...(filter.mapTaskId != null ? { mapTaskId: filter.mapTaskId } : {}),
    ...(filter.mapChildren != null ? { mapTaskId: filter.mapChildren ? { not: null } : null } : {}),
  };
}

export function taskOrderBy(order: TaskOrder = defaultTaskOrder): Prisma.TaskOrderByWithRelationInput[] {
  const dir = direction(order.direction);
  // qsequence is unique within a job, so it breaks every tie among a job's tasks.
  if (order.field === "QSEQUENCE") return [{ qsequence: dir }];
  return [{ [orderColumns[order.field]]: dir }, { qsequence: dir }];
}

/**
 * A run of a job's tasks in order of arrival: `count` of them from qsequence `from`. qsequence
 * numbers a job's tasks 0, 1, 2... as they arrive, and a task leaves only with its job, so the run
 * is the qsequence range [from, from + count).
 */
export type TaskWindow = { from: number; count: number };

/** The tasks of a job, in order of arrival: all of them, or those of `window`. */
export function listJobTasks(db: Db, jobId: string, window?: TaskWindow): Promise<Task[]> {
  return db.task.findMany({
    where: { jobId, ...(window ? { qsequence: { gte: window.from, lt: window.from + window.count } } : {}) },
    orderBy: { qsequence: "asc" },
  });
}

/** Whether a task (null: one that is gone) is one of `window`. */
export function inTaskWindow(task: Pick<Task, "qsequence"> | null, window: TaskWindow): boolean {
  return task !== null && task.qsequence >= window.from && task.qsequence < window.from + window.count;
}
