import type { GraphQLResolveInfo } from "graphql";
import { countedPageOfJobs, CURSOR_FIELDS, jobCursorFields, jobRowCovers, taskCursorFields, pageOfJobs, type JobColumns, type JobRow } from "../../domain/job-reads.js";
import { countJobs } from "../../domain/job-filter.js";
import type { JobAction } from "../../domain/lifecycle.js";
import { can, type JobRef } from "../../domain/permissions.js";
import type { Context } from "../context.js";
import { columnsSelected, jobColumnsSelected, jobSelectedAt, joinsSelected, selectedFields, workflowSummarySelected } from "../selection.js";
import { builder, FIRST_OF_LIST, LAST_OF_LIST, listComplexity, listSize } from "../builder.js";
import { connectionOf, countOnly, cursorsNeeded, firstRows, needsRows, pageFromQuery } from "../pages.js";
import { EDGE_NODE, eventPages, JobConnection, JobEventConnection, jobListConnection, JobOutputConnection, jobPages, outputPages, TaskConnection, taskPages } from "../connections.js";
import { DependencyFailurePolicyEnum, JobStatusEnum, TaskFailurePolicyEnum } from "./enums.js";
import { JobFilter, toJobFilter } from "./job-filter.js";
import { JobOrder } from "./job-order.js";
import { JobAttempt } from "./job-attempt.js";
import { JobTemplate } from "./job-template.js";
import { policyOf, RetryPolicy } from "./retry-policy.js";
import { TaskFilter } from "./task-filter.js";
import { TaskOrder } from "./task-order.js";
import { TypedValue, typedValues } from "./typed-value.js";
import { User } from "./user.js";
import { WorkerNode } from "./worker-node.js";
import { TimeEstimate } from "./time-estimate.js";
import { WaitReason } from "./wait-reason.js";
import { estimateStart } from "../../domain/start-estimates.js";
import { stalledSince } from "../../domain/stalls.js";
import { fitEnd } from "../../domain/end-estimates.js";
import { Workflow } from "./workflow.js";

// What the viewer may do to the job now (its role and the job's state both allow it), so that a
// frontend can enable exactly the buttons that will work.
function viewerCan(action: JobAction, what: string) {
  return {
    description: `Whether the viewer may ${what} now.`,
    resolve: (job: JobRef, _args: object, ctx: Context) => can(ctx.viewer, action, job),
  } as const;
}

/**
 * Each item of a page of the job's own list (tasks, outputs, events) has this job as its `job`:
 * when the job's row holds all that the items' `job` selection needs, they carry it rather than
 * reading it again. The read of that selection when so (the lists' loaders keep such items apart
 * by it), else undefined.
 */
function handedDown(job: JobRow, info: GraphQLResolveInfo): JobColumns | undefined {
  const read = jobSelectedAt(info, EDGE_NODE, "job");
  return read !== undefined && jobRowCovers(job, read) ? read : undefined;
}

export const Job = builder.prismaNode("Job", {
  description:
    "A unit of work created from a template, claimed by a worker node, and moved through its lifecycle (see status).",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    number: t.expose("number", { type: "Long", description: "A human-friendly number, increasing in creation order." }),
    queue: t.exposeString("queue", { description: "The queue the job waits in; `default` unless given at creation." }),
    name: t.exposeString("name", { nullable: true, description: "A short name for the job." }),
    description: t.exposeString("description", { description: "What the job is for." }),
    status: t.expose("status", { type: JobStatusEnum, description: "Where the job is in its lifecycle." }),
    isCancelled: t.boolean({
      description: "Whether the job was cancelled (status CANCELLED).",
      resolve: (job) => job.status === "CANCELLED",
    }),
    priority: t.exposeInt("priority", { description: "Higher runs first; equal priorities run oldest first." }),
    template: t.field({
      type: JobTemplate,
      description: "The template (and version) the job was created from.",
      // Read with the job when its query selected the template (see jobColumnsSelected).
      resolve: async (job, _args, ctx) => (job as JobRow).template ?? (await ctx.loaders.template().load(job.templateId))!,
    }),
    parent: t.field({
      type: jobPages.ref,
      nullable: true,
      description: "The job this one was created under, if any.",
      // Read with the job when its query selected the parent's columns alone (see jobColumnsSelected).
      resolve: (job, _args, ctx, info) => {
        if (!job.parentId) return null;
        const read = jobColumnsSelected(info);
        const joined = (job as JobRow).parent;
        return joined !== undefined && (joined === null || jobRowCovers(joined, read)) ? joined : ctx.loaders.job(read).load(job.parentId);
      },
    }),
    workflow: t.field({
      type: Workflow,
      nullable: true,
      description: "The workflow it was created in, if any.",
      resolve: (job, _args, ctx, info) => (job.workflowId ? ctx.loaders.workflow(workflowSummarySelected(info), joinsSelected("Workflow", info)).load(job.workflowId) : null),
    }),
    // Lists of related jobs as long as `first` says, and costing as much: any number of jobs may
    // wait for one, and a job may wait for 100, each of which may wait for 100 more.
    dependencies: t.field({
      type: [jobPages.ref],
      args: { first: t.arg.int({ required: false, description: FIRST_OF_LIST }) },
      description: "The jobs that must all succeed before this one may be claimed, in the order of their numbers (deleted ones included), the first `first` of them.",
      complexity: listComplexity,
      resolve: (job, args, ctx, info) => ctx.loaders.jobsAcross("dependencies", jobColumnsSelected(info), listSize(args.first, ctx)).load(job.id),
    }),
    dependents: t.field({
      type: [jobPages.ref],
      args: { first: t.arg.int({ required: false, description: FIRST_OF_LIST }) },
      description: "The jobs waiting for this one to succeed (or that did), in the order of their numbers (deleted ones included), the first `first` of them.",
      complexity: listComplexity,
      resolve: (job, args, ctx, info) => ctx.loaders.jobsAcross("dependents", jobColumnsSelected(info), listSize(args.first, ctx)).load(job.id),
    }),
    onDependencyFailure: t.expose("onDependencyFailure", {
      type: DependencyFailurePolicyEnum,
      description: "What the job does, while it waits, when one of its dependencies fails for good.",
    }),
    children: t.connection(
      {
        type: jobPages.ref,
        description: "Jobs created under this one, oldest first. Soft-deleted children are left out unless includeDeleted.",
        args: {
          includeDeleted: t.arg.boolean({ defaultValue: false, description: "Include soft-deleted children." }),
        },
        resolve: (job, args, ctx, info) =>
          jobListConnection(job.id, { of: "parent", includeDeleted: args.includeDeleted ?? false }, args, ctx, info, args.includeDeleted ? undefined : (job as JobRow).childCount),
      },
      JobConnection,
    ),
    inputValues: t.field({
      type: [TypedValue],
      description: "The input values the job was given, by name.",
      resolve: (job) => typedValues(job.inputValues),
    }),
    parameterValues: t.field({
      type: [TypedValue],
      description: "The parameter values the job was given (defaults applied), by name.",
      resolve: (job) => typedValues(job.parameterValues),
    }),
    node: t.field({
      type: WorkerNode,
      nullable: true,
      description: "The worker node holding the job while it is ACQUIRED or RUNNING (and the last one to hold it after).",
      // Read with the job when its query selected the node (see jobColumnsSelected).
      resolve: (job, _args, ctx) => ((job as JobRow).node !== undefined ? (job as JobRow).node! : job.nodeId ? ctx.loaders.workerNode.load(job.nodeId) : null),
    }),
    leaseExpiresAt: t.expose("leaseExpiresAt", {
      type: "DateTime",
      nullable: true,
      description: "When the holding node's lease runs out unless renewed; the job is then reclaimed.",
    }),
    // A reset keeps a job's attempts: as many as `last` says (and costing as much).
    attempts: t.field({
      type: [JobAttempt],
      args: { last: t.arg.int({ required: false, description: LAST_OF_LIST }) },
      description: "The attempts at the job (each acquisition by a node), the latest `last` of them, oldest first, with how each ended; a reset keeps them.",
      complexity: listComplexity,
      resolve: (job, args, ctx) => ctx.loaders.attempts(listSize(args.last, ctx, "last")).load(job.id),
    }),
    attemptCount: t.exposeInt("attempts", {
      description: "Attempts made since the job was created or last reset: the count its retry policy's maxAttempts limits.",
    }),
    maxAttempts: t.exposeInt("maxAttempts", {
      description: "Attempts allowed in all (retryPolicy.maxAttempts): a failure of the last one fails the job.",
    }),
    retryPolicy: t.field({
      type: RetryPolicy,
      description: "Which failures lead to another attempt, and the backoff before it (the template's, within which the job may ask for its own).",
      resolve: (job) => policyOf(job),
    }),
    timeLimitSeconds: t.exposeInt("timeLimitSeconds", {
      nullable: true,
      description: "Longest an attempt may last, from its acquisition: past it, the attempt ends as TIMED_OUT (retried by the policy, or failed). None when null.",
    }),
    timeLimitAt: t.expose("timeLimitAt", {
      type: "DateTime",
      nullable: true,
      description: "When the attempt under way runs out of time (its lease never outlasts it); null when none is under way or there is no limit.",
    }),
    taskTimeLimitSeconds: t.exposeInt("taskTimeLimitSeconds", {
      nullable: true,
      description: "Longest a run of one of its tasks may last when the task sets no maxExecutionTimeInSeconds of its own. None when null.",
    }),
    deadline: t.expose("deadline", {
      type: "DateTime",
      nullable: true,
      description: "The job fails (DEADLINE_EXCEEDED) if it has not finished by then, queued or running.",
    }),
    requiredLabels: t.expose("requiredLabels", {
      type: "JSON",
      description: "Labels (key -> value) a node must carry to claim the job (its tasks' required labels count too).",
    }),
    onTaskFailure: t.expose("onTaskFailure", { type: TaskFailurePolicyEnum, description: "What a task that fails for good does to the job." }),
    runAfter: t.expose("runAfter", { type: "DateTime", description: "The job is not acquired before this time." }),
    startTime: t.expose("startTime", { type: "DateTime", nullable: true, description: "When work started." }),
    endTime: t.expose("endTime", { type: "DateTime", nullable: true, description: "When the job finished or was cancelled." }),
    errorReason: t.exposeString("errorReason", { nullable: true, description: "Why the job failed, if it did." }),
    progress: t.exposeFloat("progress", { description: "How much of the work is done, from 0 to 1." }),
    progressDetail: t.expose("progressDetail", {
      type: "JSON",
      nullable: true,
      description: "The detail the node sent with its last progress report.",
    }),
    creator: t.field({
      type: User,
      nullable: true,
      description: "The user who created the job.",
      // Read with the job when its query selected the creator (see jobColumnsSelected).
      resolve: (job, _args, ctx) =>
        (job as JobRow).creator !== undefined ? (job as JobRow).creator! : job.creatorId ? ctx.loaders.user.load(job.creatorId) : null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the job was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the job last changed." }),
    deletedAt: t.expose("deletedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the job was soft-deleted; null while it is not. A deleted job can be reinstated.",
    }),
    version: t.exposeInt("version", {
      description: "Increments on every change; pass it back to updateJob to refuse a change if the job moved on.",
    }),
    fingerprint: t.exposeString("fingerprint", {
      nullable: true,
      description: "Hash of the template version and the canonical inputs and parameters; equal fingerprints mean reusable results.",
    }),
    nondeterministic: t.exposeBoolean("nondeterministic", {
      description: "Whether the job's results may differ between runs with the same inputs (never reused).",
    }),
    tags: t.exposeStringList("tags", { description: "Labels for finding and grouping jobs." }),
    viewerCanAcquire: t.boolean(viewerCan("acquire", "acquire the job (worker nodes)")),
    viewerCanCancel: t.boolean(viewerCan("cancel", "cancel the job")),
    viewerCanReset: t.boolean(viewerCan("reset", "reset the job to QUEUED")),
    viewerCanAbort: t.boolean(viewerCan("abort", "take the job back from its node")),
    viewerCanUpdate: t.boolean(viewerCan("update", "change the job's description, priority and tags")),
    viewerCanDelete: t.boolean(viewerCan("delete", "soft-delete the job")),
    viewerCanReinstate: t.boolean(viewerCan("reinstate", "reinstate the soft-deleted job")),
    viewerCanHardDelete: t.boolean(viewerCan("hardDelete", "delete the job for good")),
    viewerCanAddOutput: t.boolean(viewerCan("addOutput", "add outputs to the job (its holding node, or an admin)")),
    viewerCanStart: t.boolean(viewerCan("start", "start the job (its holding node, once it has acquired it)")),
    viewerCanReportProgress: t.boolean(viewerCan("reportProgress", "report the job's progress (its holding node, while it runs)")),
    viewerCanRelease: t.boolean(viewerCan("release", "give the job back to the queue (its holding node)")),
    viewerCanFinish: t.boolean(viewerCan("finish", "finish the job (its holding node, while it runs)")),
    tasks: t.connection(
      {
        type: taskPages.ref,
        description: "The job's tasks, in order of arrival unless orderBy says otherwise.",
        args: {
          filter: t.arg({ type: TaskFilter, required: false, description: "Which tasks." }),
          orderBy: t.arg({ type: TaskOrder, required: false, description: "How to sort them." }),
        },
        resolve: async (job, args, ctx, info) => {
          const { mapTask, ...given } = args.filter ?? {};
          const filter = { ...given, ...(mapTask ? { mapTaskId: mapTask.id } : {}) };
          // Counted with the job when it was read unfiltered (see countsSelected).
          const counted = args.filter == null ? (job as JobRow).taskCount : undefined;
          const count = () => counted ?? ctx.loaders.taskCount(filter).load(job.id);
          if (!needsRows(info)) return countOnly(count);
          const order = args.orderBy ? { field: args.orderBy.field, direction: args.orderBy.direction ?? "ASC" } : undefined;
          const page = pageFromQuery(taskPages.getQuery(args, ctx, () => true));
          const fields = columnsSelected("Task", info, EDGE_NODE);
          const joins = joinsSelected("Task", info, EDGE_NODE);
          const handDown = handedDown(job as JobRow, info);
          // Read with the job when its read held this very page (see FirstPage).
          const tasks =
            firstRows((job as JobRow).firstTasks, info, page) ??
            (await ctx.loaders.tasks({ filter, ...(order ? { order } : {}), page, fields, joins, ...(handDown ? { job: handDown } : {}) }).load(job.id));
          if (handDown) for (const task of tasks) (task as Record<string, unknown>).job = job;
          return connectionOf(tasks, args, page, count, taskCursorFields(order));
        },
      },
      TaskConnection,
    ),
    outputs: t.connection(
      {
        type: outputPages.ref,
        description: "The job's outputs, by name then type.",
        resolve: async (job, args, ctx, info) => {
          const count = () => (job as JobRow).outputCount ?? ctx.loaders.outputCount.load(job.id);
          if (!needsRows(info)) return countOnly(count);
          const page = pageFromQuery(outputPages.getQuery(args, ctx, () => true));
          const handDown = handedDown(job as JobRow, info);
          const outputs =
            firstRows((job as JobRow).firstOutputs, info, page) ??
            (await ctx.loaders.outputs(page, columnsSelected("JobOutput", info, EDGE_NODE), handDown).load(job.id));
          if (handDown) for (const output of outputs) (output as Record<string, unknown>).job = job;
          return connectionOf(outputs, args, page, count, CURSOR_FIELDS.JobOutput);
        },
      },
      JobOutputConnection,
    ),
    events: t.connection(
      {
        type: eventPages.ref,
        description: "The job's history, oldest first.",
        resolve: async (job, args, ctx, info) => {
          const count = () => (job as JobRow).eventCount ?? ctx.loaders.eventCount.load(job.id);
          if (!needsRows(info)) return countOnly(count);
          const page = pageFromQuery(eventPages.getQuery(args, ctx, () => true));
          const handDown = handedDown(job as JobRow, info);
          const events =
            firstRows((job as JobRow).firstEvents, info, page) ??
            (await ctx.loaders.events(page, columnsSelected("JobEvent", info, EDGE_NODE), joinsSelected("JobEvent", info, EDGE_NODE), handDown).load(job.id));
          if (handDown) for (const event of events) (event as Record<string, unknown>).job = job;
          return connectionOf(events, args, page, count);
        },
      },
      JobEventConnection,
    ),
    stallAfterSeconds: t.exposeInt("stallAfterSeconds", {
      nullable: true,
      description: "Its template's stallAfterSeconds when it was created: how long it may run without a report before it is stalled. Never when null.",
    }),
    lastReportAt: t.expose("lastReportAt", {
      type: "DateTime",
      nullable: true,
      description: "When its holder last reported: acquired or started it, reported progress (its own or a task's), renewed its lease.",
    }),
    stalled: t.boolean({
      description:
        "Whether the job is RUNNING and its holder has reported nothing (progress, lease renewal, task reports) for longer than its stallAfterSeconds. A STALLED event marks when it was found so, a RECOVERED event when its holder reported again.",
      resolve: (job) => stalledSince(job) !== null,
    }),
    stalledSince: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the job stalled (its last report plus its stallAfterSeconds); null while it is not stalled.",
      resolve: (job) => stalledSince(job),
    }),
    queuePosition: t.int({
      nullable: true,
      description:
        "How many claimable jobs of its queue a claim takes before this one (priority, then age): 0 at the front. Null when the job is not waiting (not QUEUED, or deleted).",
      resolve: (job, _args, ctx) => ctx.loaders.queuePosition.load(job.id),
    }),
    whyNotRunning: t.field({
      type: [WaitReason],
      description:
        "Why the job is not running, each reason with what it concerns: empty while it runs; DELETED or FINISHED alone for a job that will not run as it is; for a waiting job every reason that holds it back (its queue, its runAfter or backoff, the jobs ahead, the nodes online), or READY.",
      resolve: async (job, _args, ctx) => (await ctx.loaders.whyNotRunning.load(job.id)) ?? [],
    }),
    estimatedEndTime: t.field({
      type: TimeEstimate,
      nullable: true,
      description:
        "When the job is likely to end, for a running job: a rate fitted to its latest progress reports (up to 20, within its current attempt), extended to progress 1. Null when it is not running or has fewer than 3 reports, or no progress, to go on (docs/api.md: Estimates).",
      resolve: async (job, _args, ctx) => (job.status === "RUNNING" ? fitEnd(await ctx.loaders.progressReports.load(job.id)) : null),
    }),
    estimatedStartTime: t.field({
      type: TimeEstimate,
      nullable: true,
      description:
        "When the job is likely to start, for a waiting job: from its queuePosition and how fast its queue finished jobs over the last 5 (or 60) minutes. Null when it is not waiting, its queue is paused, or the queue finished too few jobs lately to say (docs/api.md: Estimates).",
      resolve: async (job, _args, ctx) => {
        if (job.status !== "QUEUED" || job.deletedAt) return null;
        const [jobsAhead, settings, throughput] = await Promise.all([
          ctx.loaders.queuePosition.load(job.id),
          ctx.loaders.queueSettings.load(job.queue),
          ctx.loaders.queueThroughput.load(job.queue),
        ]);
        return jobsAhead === null ? null : estimateStart({ jobsAhead, runAfter: job.runAfter, settings, throughput });
      },
    }),
  }),
});

builder.queryFields((t) => ({
  job: t.field({
    type: Job,
    nullable: true,
    description: "A job by its ID (soft-deleted jobs included); null when there is none.",
    args: { id: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }) },
    resolve: (_root, args, ctx, info) => ctx.loaders.job(jobColumnsSelected(info)).load(args.id.id),
  }),
  jobByNumber: t.field({
    type: Job,
    nullable: true,
    description: "A job by its number (soft-deleted jobs included); null when there is none.",
    args: { number: t.arg({ type: "Long", required: true, description: "The job's number." }) },
    resolve: (_root, args, ctx, info) => ctx.loaders.jobByNumber(jobColumnsSelected(info)).load(String(args.number)),
  }),
  jobs: t.connection(
    {
      type: Job,
      description: "Jobs matching a filter, newest first unless orderBy says otherwise.",
      args: {
        filter: t.arg({ type: JobFilter, required: false, description: "Which jobs." }),
        orderBy: t.arg({ type: JobOrder, required: false, description: "How to sort them." }),
      },
      resolve: async (_root, args, ctx, info) => {
        const filter = toJobFilter(args.filter);
        const order = args.orderBy ? { field: args.orderBy.field, direction: args.orderBy.direction ?? "DESC" } : undefined;
        const page = pageFromQuery(jobPages.getQuery(args, ctx, () => true));
        if (!needsRows(info)) return countOnly(() => countJobs(ctx.db, filter));
        const pageArgs = { filter, ...(order ? { order } : {}), page, read: jobColumnsSelected(info, EDGE_NODE), cursors: cursorsNeeded(info) };
        // A page and its totalCount, both asked for, are read together.
        if (selectedFields(info).has("totalCount")) {
          const { rows, total } = await countedPageOfJobs(ctx.db, pageArgs);
          return connectionOf(rows, args, page, () => total, jobCursorFields(order));
        }
        return connectionOf(await pageOfJobs(ctx.db, pageArgs), args, page, () => countJobs(ctx.db, filter), jobCursorFields(order));
      },
    },
    JobConnection,
  ),
}));
