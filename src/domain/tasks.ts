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

/** All tasks of a job, in order of arrival. */
export function listJobTasks(db: Db, jobId: string, query: Pick<Prisma.TaskFindManyArgs, "include" | "select"> = {}) {
  return db.task.findMany({ ...query, where: { jobId }, orderBy: { qsequence: "asc" } } as Prisma.TaskFindManyArgs);
}
