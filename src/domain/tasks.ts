// Reading tasks within a job.
import type { Db } from "../db/client.js";
import type { Prisma } from "../db/generated/prisma/client.js";
import type { TaskStatus } from "../db/generated/prisma/enums.js";
import { direction, type SortDirection } from "./paging.js";

export type TaskFilter = {
  /** Exact name (Flow Compute's `filter[name]`). */
  name?: string | null;
  status?: TaskStatus[] | null;
  sequence?: number | null;
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
  };
}

export function taskOrderBy(order: TaskOrder = defaultTaskOrder): Prisma.TaskOrderByWithRelationInput[] {
  const dir = direction(order.direction);
  // qsequence is unique within a job, so it breaks every tie among a job's tasks.
  if (order.field === "QSEQUENCE") return [{ qsequence: dir }];
  return [{ [orderColumns[order.field]]: dir }, { qsequence: dir }];
}

export function getTask(db: Db, id: string, query: Pick<Prisma.TaskFindUniqueArgs, "include" | "select"> = {}) {
  return db.task.findUnique({ ...query, where: { id } } as Prisma.TaskFindUniqueArgs);
}

/** Tasks by id, in qsequence order. */
export function listTasksById(db: Db, ids: string[], query: Pick<Prisma.TaskFindManyArgs, "include" | "select"> = {}) {
  return db.task.findMany({ ...query, where: { id: { in: ids } }, orderBy: { qsequence: "asc" } } as Prisma.TaskFindManyArgs);
}

/** A run of a job's tasks in order of arrival: `count` of them from qsequence `from`. */
export type TaskWindow = { from: number; count: number };

/** The tasks of a job, in order of arrival: all of them, or those of `window`. */
export function listJobTasks(db: Db, jobId: string, query: Pick<Prisma.TaskFindManyArgs, "include" | "select"> = {}, window?: TaskWindow) {
  return db.task.findMany({
    ...query,
    where: { jobId, ...(window ? { qsequence: { gte: window.from } } : {}) },
    orderBy: { qsequence: "asc" },
    ...(window ? { take: window.count } : {}),
  } as Prisma.TaskFindManyArgs);
}

/** Whether the task is one of the `count` tasks of its job from qsequence `from` (false when it is gone). */
export async function isInWindow(db: Db, jobId: string, taskId: string, window: TaskWindow): Promise<boolean> {
  const task = await db.task.findUnique({ where: { id: taskId }, select: { qsequence: true } });
  if (!task || task.qsequence < window.from) return false;
  // The window holds the first `count` tasks from `from`, in qsequence order: numbers may have gaps
  // (a hard-deleted task leaves none today, but nothing promises it), so count rather than add.
  const before = await db.task.count({ where: { jobId, qsequence: { gte: window.from, lt: task.qsequence } } });
  return before < window.count;
}
