// The connections served from the batched reads (src/domain/job-reads.ts) rather than through
// Prisma: pages of jobs, tasks, outputs, events, API tokens and schedule ticks wherever they hang,
// and the lists of users, templates, worker nodes and schedules. Their cursors and page
// sizes are exactly those of Pothos' Prisma connections (prismaConnectionHelpers), and their rows
// carry every column a selection needs, so no field declares a `select`: one would make the Prisma
// plugin fetch each such row again.
import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import type { GraphQLResolveInfo } from "graphql";
import { jobListCursorFields, type CursorField, type FirstRows, type JobList, type JobRow, type Page } from "../domain/job-reads.js";
import { builder, pageSize } from "./builder.js";
import type { Context } from "./context.js";
import { connectionOf, countOnly, firstRows, needsRows, pageFromQuery, type Count } from "./pages.js";
import { jobColumnsSelected, selectedFields } from "./selection.js";

export const jobPages = prismaConnectionHelpers(builder, "Job", { cursor: "id", ...pageSize });
export const taskPages = prismaConnectionHelpers(builder, "Task", { cursor: "id", ...pageSize });
export const outputPages = prismaConnectionHelpers(builder, "JobOutput", { cursor: "id", ...pageSize });
export const eventPages = prismaConnectionHelpers(builder, "JobEvent", { cursor: "id", ...pageSize });
export const tokenPages = prismaConnectionHelpers(builder, "ApiToken", { cursor: "id", ...pageSize });
export const tickPages = prismaConnectionHelpers(builder, "ScheduleTick", { cursor: "id", ...pageSize });
export const userPages = prismaConnectionHelpers(builder, "User", { cursor: "id", ...pageSize });
export const templatePages = prismaConnectionHelpers(builder, "JobTemplate", { cursor: "id", ...pageSize });
export const nodePages = prismaConnectionHelpers(builder, "WorkerNode", { cursor: "id", ...pageSize });
export const schedulePages = prismaConnectionHelpers(builder, "Schedule", { cursor: "id", ...pageSize });

/** A connection whose totalCount is counted only when asked for, by the resolver that made the page. */
type Counted = { count: Count };

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The options of a connection type with a totalCount (its resolver returns a Counted page). */
function countedConnection(description: string) {
  return {
    description,
    fields: (c: PothosSchemaTypes.ObjectFieldBuilder<Types, object>) => ({
      totalCount: c.int({
        description: "How many items the whole list holds, across all pages.",
        resolve: (connection) => (connection as Counted).count(),
      }),
    }),
  };
}

/**
 * One connection type per item type: every list of jobs, wherever it hangs (Query.jobs, a job's
 * children, a template's, a workflow's or a node's jobs), is a JobConnection of JobEdges, so a
 * client's one fragment on JobConnection fits them all; and so for the other items.
 */
export const JobConnection = builder.connectionObject(
  { type: jobPages.ref, name: "JobConnection", ...countedConnection("A page of jobs.") },
  { name: "JobEdge", description: "A job in a page, with its cursor." },
);
export const TaskConnection = builder.connectionObject(
  { type: taskPages.ref, name: "TaskConnection", ...countedConnection("A page of tasks.") },
  { name: "TaskEdge", description: "A task in a page, with its cursor." },
);
export const JobOutputConnection = builder.connectionObject(
  { type: outputPages.ref, name: "JobOutputConnection", ...countedConnection("A page of job outputs.") },
  { name: "JobOutputEdge", description: "A job output in a page, with its cursor." },
);
export const JobEventConnection = builder.connectionObject(
  { type: eventPages.ref, name: "JobEventConnection", ...countedConnection("A page of job events.") },
  { name: "JobEventEdge", description: "A job event in a page, with its cursor." },
);
export const JobTemplateConnection = builder.connectionObject(
  { type: templatePages.ref, name: "JobTemplateConnection", ...countedConnection("A page of job templates.") },
  { name: "JobTemplateEdge", description: "A job template in a page, with its cursor." },
);
export const WorkerNodeConnection = builder.connectionObject(
  { type: nodePages.ref, name: "WorkerNodeConnection", ...countedConnection("A page of worker nodes.") },
  { name: "WorkerNodeEdge", description: "A worker node in a page, with its cursor." },
);
export const UserConnection = builder.connectionObject(
  { type: userPages.ref, name: "UserConnection", ...countedConnection("A page of users.") },
  { name: "UserEdge", description: "A user in a page, with its cursor." },
);
export const ApiTokenConnection = builder.connectionObject(
  { type: tokenPages.ref, name: "ApiTokenConnection", ...countedConnection("A page of API tokens.") },
  { name: "ApiTokenEdge", description: "An API token in a page, with its cursor." },
);
export const ScheduleConnection = builder.connectionObject(
  { type: schedulePages.ref, name: "ScheduleConnection", ...countedConnection("A page of schedules.") },
  { name: "ScheduleEdge", description: "A schedule in a page, with its cursor." },
);
export const ScheduleTickConnection = builder.connectionObject(
  { type: tickPages.ref, name: "ScheduleTickConnection", ...countedConnection("A page of a schedule's ticks.") },
  { name: "ScheduleTickEdge", description: "A schedule's tick in a page, with its cursor." },
);

/** Where a connection's items sit in its selection. */
export const EDGE_NODE = ["edges", "node"];

/**
 * The connection of a parent's jobs in `list` (a job's children, a template's jobs...), read in one
 * statement for every parent of a page; its totalCount is `counted` when the parent's read counted
 * it already, and its rows are `first` when the parent's read holds this very page (see FirstPage).
 */
export async function jobListConnection(
  parentId: string,
  list: JobList,
  args: PothosSchemaTypes.DefaultConnectionArguments,
  ctx: Context,
  info: GraphQLResolveInfo,
  counted?: number,
  first?: FirstRows<JobRow>,
) {
  const count = () => counted ?? ctx.loaders.jobCount(list).load(parentId);
  if (!needsRows(info)) return countOnly(count);
  const page = pageFromQuery(jobPages.getQuery(args, ctx, () => true));
  const rows = firstRows(first, info, page) ?? (await ctx.loaders.jobsOf(list, page, jobColumnsSelected(info, EDGE_NODE)).load(parentId));
  return connectionOf(rows, args, page, count, jobListCursorFields(list));
}

/**
 * A list's connection (users, templates...): its page and, when its totalCount is selected too,
 * the count, read in one statement (see pageOfRows); a totalCount alone reads no page.
 */
export async function listConnection<T extends { id: string | bigint }>(
  args: PothosSchemaTypes.DefaultConnectionArguments,
  info: GraphQLResolveInfo,
  page: Page,
  read: (page: Page, counted: boolean) => Promise<{ rows: T[]; total: number | undefined }>,
  count: Count,
  fields: readonly CursorField[] | undefined,
) {
  if (!needsRows(info)) return countOnly(count);
  const { rows, total } = await read(page, selectedFields(info).has("totalCount"));
  return connectionOf(rows, args, page, total === undefined ? count : () => total, fields);
}
