// Reading jobs: the filter and order a caller may ask for, turned into one Prisma query.
import type { Db } from "../db/client.js";
import type { Prisma } from "../db/generated/prisma/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { direction, timeRange, type SortDirection, type TimeRange } from "./paging.js";

export type JobFilter = {
  /** This job only. */
  jobId?: string | null;
  status?: JobStatus[] | null;
  queue?: string[] | null;
  templateId?: string | null;
  templateName?: string | null;
  templateVersion?: number | null;
  nodeId?: string | null;
  creatorId?: string | null;
  /** Children of this job. */
  parentId?: string | null;
  /** true: only jobs without a parent; false: only child jobs. */
  topLevel?: boolean | null;
  /** Jobs that carry every one of these tags. */
  tags?: string[] | null;
  createdAt?: TimeRange | null;
  updatedAt?: TimeRange | null;
  finishedAt?: TimeRange | null;
  /** Case-insensitive substring of the description or the name. */
  search?: string | null;
  includeDeleted?: boolean | null;
};

export type JobOrderField = "CREATED_AT" | "UPDATED_AT" | "PRIORITY" | "NUMBER" | "END_TIME";
export type JobOrder = { field: JobOrderField; direction: SortDirection };

export const defaultJobOrder: JobOrder = { field: "CREATED_AT", direction: "DESC" };

const orderColumns = {
  CREATED_AT: "createdAt",
  UPDATED_AT: "updatedAt",
  PRIORITY: "priority",
  NUMBER: "number",
  END_TIME: "endTime",
} as const satisfies Record<JobOrderField, keyof Prisma.JobOrderByWithRelationInput>;

export function jobWhere(filter: JobFilter = {}): Prisma.JobWhereInput {
  const where: Prisma.JobWhereInput[] = [];
  if (!filter.includeDeleted) where.push({ deletedAt: null });
  if (filter.jobId) where.push({ id: filter.jobId });
  if (filter.status?.length) where.push({ status: { in: filter.status } });
  if (filter.queue?.length) where.push({ queue: { in: filter.queue } });
  if (filter.templateId) where.push({ templateId: filter.templateId });
  if (filter.templateName != null || filter.templateVersion != null) {
    where.push({
      template: {
        ...(filter.templateName != null ? { name: filter.templateName } : {}),
        ...(filter.templateVersion != null ? { version: filter.templateVersion } : {}),
      },
    });
  }
  if (filter.nodeId) where.push({ nodeId: filter.nodeId });
  if (filter.creatorId) where.push({ creatorId: filter.creatorId });
  if (filter.parentId) where.push({ parentId: filter.parentId });
  if (filter.topLevel != null) where.push({ parentId: filter.topLevel ? null : { not: null } });
  if (filter.tags?.length) where.push({ tags: { hasEvery: filter.tags } });
  const created = timeRange(filter.createdAt);
  if (created) where.push({ createdAt: created });
  const updated = timeRange(filter.updatedAt);
  if (updated) where.push({ updatedAt: updated });
  const finished = timeRange(filter.finishedAt);
  if (finished) where.push({ endTime: finished });
  const search = filter.search?.trim();
  if (search) {
    where.push({
      OR: [
        { description: { contains: search, mode: "insensitive" } },
        { name: { contains: search, mode: "insensitive" } },
      ],
    });
  }
  return where.length === 1 ? where[0]! : { AND: where };
}

export function jobOrderBy(order: JobOrder = defaultJobOrder): Prisma.JobOrderByWithRelationInput[] {
  const dir = direction(order.direction);
  const column = orderColumns[order.field];
  // end_time is null until a job finishes; unfinished jobs go last whichever way the list runs.
  const primary =
    column === "endTime" ? { endTime: { sort: dir, nulls: "last" as const } } : { [column]: dir };
  return [primary, { id: dir }];
}

type FindManyJobs = Pick<Prisma.JobFindManyArgs, "include" | "select" | "take" | "skip" | "cursor">;

/** Lists jobs for any authenticated reader; `query` carries the page and the nested selection. */
export function listJobs(db: Db, args: { filter?: JobFilter; order?: JobOrder; query: FindManyJobs }) {
  return db.job.findMany({
    ...args.query,
    where: jobWhere(args.filter),
    orderBy: jobOrderBy(args.order),
  } as Prisma.JobFindManyArgs);
}

export function countJobs(db: Db, filter?: JobFilter): Promise<number> {
  return db.job.count({ where: jobWhere(filter) });
}

/** One job by id, soft-deleted or not (a deleted job can still be looked at and reinstated). */
export function getJob(db: Db, id: string, query: Pick<Prisma.JobFindUniqueArgs, "include" | "select"> = {}) {
  return db.job.findUnique({ ...query, where: { id } } as Prisma.JobFindUniqueArgs);
}

/** One job by its number (as UFDL's integer keys and `jobs list` show it), soft-deleted or not. */
export function getJobByNumber(db: Db, number: bigint, query: Pick<Prisma.JobFindUniqueArgs, "include" | "select"> = {}) {
  return db.job.findUnique({ ...query, where: { number } } as Prisma.JobFindUniqueArgs);
}

/** Jobs by id, newest first. */
export function listJobsById(db: Db, ids: string[], query: Pick<Prisma.JobFindManyArgs, "include" | "select"> = {}) {
  return db.job.findMany({ ...query, where: { id: { in: ids } }, orderBy: { number: "desc" } } as Prisma.JobFindManyArgs);
}

/** Jobs a node could acquire now in these queues (any queue when none are given). */
export function countClaimable(db: Db, queues?: string[] | null): Promise<number> {
  return db.job.count({
    where: { status: "QUEUED", deletedAt: null, runAfter: { lte: new Date() }, ...(queues?.length ? { queue: { in: queues } } : {}) },
  });
}

/** One event of a job's history. */
export function getJobEvent(db: Db, id: bigint, query: Pick<Prisma.JobEventFindUniqueArgs, "include" | "select"> = {}) {
  return db.jobEvent.findUnique({ ...query, where: { id } } as Prisma.JobEventFindUniqueArgs);
}
