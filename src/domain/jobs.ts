// Reading jobs: the filter and order a caller may ask for (compiled to SQL by job-filter.ts), and
// single jobs by id or number.
import type { Db } from "../db/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import type { SortDirection, TimeRange } from "./paging.js";

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
  /** Jobs of this workflow. */
  workflowId?: string | null;
  /** true: only jobs without a parent; false: only child jobs. */
  topLevel?: boolean | null;
  /** Only stalled jobs (true) or only jobs that are not (false); see stalls.ts. */
  stalled?: boolean | null;
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

/** Jobs a node could acquire now in these queues (any queue when none are given). */
export function countClaimable(db: Db, queues?: string[] | null): Promise<number> {
  return db.job.count({
    where: { status: "QUEUED", deletedAt: null, runAfter: { lte: new Date() }, ...(queues?.length ? { queue: { in: queues } } : {}) },
  });
}

