// The job filter, compiled to SQL in one place. Pages, counts, bulk actions and subscriptions all
// decide which jobs a filter matches here, so a page and its totalCount, a bulk action's dry run
// and its real run, and a stream's idea of a job's membership can never disagree.
import type { Db } from "../db/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { queryRows } from "../db/rows.js";
import type { JobFilter } from "./jobs.js";
import { stalledCondition } from "./stalls.js";

/** Collects a statement's parameters and names their placeholders. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * `column` is one of `values` (of SQL type `type`). One value is compared with an equality:
   * PostgreSQL plans `= any($1)` by another estimate, and on a filtered page it chose to scan the
   * whole table where the equality reads the column's index (a dashboard's page of one queue took
   * 18 ms against 12).
   */
  in(column: string, values: readonly unknown[], type: string): string {
    return values.length === 1 ? `${column} = ${this.add(values[0])}::${type}` : `${column} = any(${this.add(values)}::${type}[])`;
  }
}

/** LIKE's wildcards taken literally, for a substring search. */
const likeSubstring = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The conditions of a job filter on the jobs row `j`, each a SQL boolean; all must hold. */
export function jobConditions(filter: JobFilter, p: SqlParams, j: string): string[] {
  const where: string[] = [];
  if (!filter.includeDeleted) where.push(`${j}.deleted_at is null`);
  if (filter.jobId) where.push(`${j}.id = ${p.add(filter.jobId)}::uuid`);
  if (filter.status?.length) where.push(p.in(`${j}.status`, filter.status, `"JobStatus"`));
  if (filter.queue?.length) where.push(p.in(`${j}.queue`, filter.queue, "text"));
  if (filter.templateId) where.push(`${j}.template_id = ${p.add(filter.templateId)}::uuid`);
  if (filter.templateName != null || filter.templateVersion != null) {
    const template: string[] = [];
    if (filter.templateName != null) template.push(`name = ${p.add(filter.templateName)}::text`);
    if (filter.templateVersion != null) template.push(`version = ${p.add(filter.templateVersion)}::int`);
    where.push(`${j}.template_id in (select id from job_templates where ${template.join(" and ")})`);
  }
  if (filter.nodeId) where.push(`${j}.node_id = ${p.add(filter.nodeId)}::uuid`);
  if (filter.creatorId) where.push(`${j}.creator_id = ${p.add(filter.creatorId)}::uuid`);
  if (filter.parentId) where.push(`${j}.parent_id = ${p.add(filter.parentId)}::uuid`);
  if (filter.workflowId) where.push(`${j}.workflow_id = ${p.add(filter.workflowId)}::uuid`);
  if (filter.topLevel != null) where.push(`${j}.parent_id is ${filter.topLevel ? "" : "not "}null`);
  if (filter.stalled != null) where.push(filter.stalled ? stalledCondition(j) : `not coalesce(${stalledCondition(j)}, false)`);
  if (filter.tags?.length) where.push(`${j}.tags @> ${p.add(filter.tags)}::text[]`);
  for (const [column, range] of [["created_at", filter.createdAt], ["updated_at", filter.updatedAt], ["end_time", filter.finishedAt]] as const) {
    const from = range?.from ? p.add(range.from) : undefined;
    const to = range?.to ? p.add(range.to) : undefined;
    if (from) where.push(`${j}.${column} >= ${from}::timestamptz`);
    if (to) where.push(`${j}.${column} < ${to}::timestamptz`);
    // The same range in minutes, which PostgreSQL cannot work out for itself: it lets a page in
    // order of updated_at start its walk of jobs_updated_minute_idx at the range.
    if (column === "updated_at") {
      if (from) where.push(`${j}.updated_minute >= ${toTheMinute(`${from}::timestamptz`)}`);
      if (to) where.push(`${j}.updated_minute <= ${toTheMinute(`${to}::timestamptz`)}`);
    }
  }
  const search = filter.search?.trim();
  if (search) {
    const pattern = p.add(likeSubstring(search));
    where.push(`(${j}.description ilike ${pattern} or ${j}.name ilike ${pattern})`);
  }
  return where;
}

/** A time to the minute, as the generated column jobs.updated_minute holds updated_at (see the migration updated_at_order). */
export function toTheMinute(time: string): string {
  return `date_bin('1 minute', ${time}, timestamptz '2000-01-01 00:00:00+00')`;
}

/** `where ...` for the conditions, or nothing when there are none. */
export function whereClause(conditions: string[]): string {
  return conditions.length ? `where ${conditions.join(" and ")}` : "";
}

/** How many jobs the filter matches. */
export async function countJobs(db: Db, filter: JobFilter = {}): Promise<number> {
  const p = new SqlParams();
  const rows = await queryRows<{ count: number }>(db, `/* countJobs */ select count(*)::int as count from jobs j ${whereClause(jobConditions(filter, p, "j"))}`, p.values);
  return rows[0]!.count;
}

/** The ids of every job the filter matches. */
export async function allJobIdsMatching(db: Db, filter: JobFilter): Promise<Set<string>> {
  const p = new SqlParams();
  const rows = await queryRows<{ id: string }>(db, `/* allJobIdsMatching */ select j.id from jobs j ${whereClause(jobConditions(filter, p, "j"))}`, p.values);
  return new Set(rows.map((r) => r.id));
}

/**
 * Which of `ids` the filter matches. With `deletedForGood`, a job deleted for good is judged as it
 * was when it went (its HARD_DELETED event keeps what a filter reads), so that its history still
 * reaches the streams that were promised it.
 */
export async function jobIdsMatching(db: Db, filter: JobFilter, ids: readonly string[], options: { deletedForGood?: boolean } = {}): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const p = new SqlParams();
  const list = p.add(ids);
  const conditions = [`j.id = any(${list}::uuid[])`, ...jobConditions(filter, p, "j")];
  const gone = options.deletedForGood
    ? ` union all
        select j.id from job_events e cross join lateral jsonb_populate_record(null::jobs, e.detail->'job') j
         where e.kind = 'HARD_DELETED' and e.job_id = any(${list}::uuid[]) and ${conditions.join(" and ")}`
    : "";
  const rows = await queryRows<{ id: string }>(db, `/* jobIdsMatching */ select j.id from jobs j ${whereClause(conditions)}${gone}`, p.values);
  return new Set(rows.map((r) => r.id));
}

/** The first `limit` jobs the filter matches, newest first, with what deciding a bulk action on each needs. */
export function jobsMatching(db: Db, filter: JobFilter, limit: number) {
  const p = new SqlParams();
  return queryRows<{ id: string; status: JobStatus; deletedAt: Date | null; creatorId: string | null; nodeId: string | null }>(
    db,
    `/* jobsMatching */ select j.id, j.status, j.deleted_at as "deletedAt", j.creator_id as "creatorId", j.node_id as "nodeId"
       from jobs j ${whereClause(jobConditions(filter, p, "j"))} order by j.number desc limit ${p.add(limit)}::int`,
    p.values,
  );
}
