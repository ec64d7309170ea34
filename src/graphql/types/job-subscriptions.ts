// Live updates. Every subscription first sends the current state, then every change; payloads
// are read fresh when delivered (events carry ids and versions, not objects).
import { GraphQLError } from "graphql";
import { decodeCursor, type StreamEvent } from "../../events/event-stream.js";
import {
  watchAvailable,
  watchEvents,
  watchJob,
  watchMembership,
  watchProgress,
  type MembershipChange,
  type Update,
} from "../../events/watch.js";
import type { Task } from "../../db/generated/prisma/client.js";
import { HistoryExpiredError } from "../../domain/errors.js";
import { countClaimable } from "../../domain/jobs.js";
import { inTaskWindow, listJobTasks, type TaskWindow } from "../../domain/tasks.js";
import { TaskRef } from "../model-refs.js";
import { jobColumnsSelected, joinsSelected } from "../selection.js";
import { builder } from "../builder.js";
import { BAD_USER_INPUT, codedError, CURSOR_EXPIRED } from "../error-codes.js";
import { encodeGlobalId } from "../global-id.js";
import { JobEventKindEnum, JobStatusEnum } from "./enums.js";
import { JobFilter, toJobFilter } from "./job-filter.js";
import { Job } from "./job.js";
import { JobEvent } from "./job-event.js";

const JobProgressUpdate = builder.objectRef<{ jobId: string; update: Update }>("JobProgressUpdate").implement({
  description:
    "A progress report of a job, or a change of its state; the first one is the job's state at subscription. The subscription completes after the job finishes (SUCCEEDED, FAILED or CANCELLED), or right after the first message if it had already.",
  fields: (t) => ({
    initial: t.boolean({ description: "Whether this is the state at subscription time rather than a change.", resolve: (p) => "initial" in p.update }),
    kind: t.field({
      type: JobEventKindEnum,
      nullable: true,
      description: "What happened (PROGRESS, or a transition); null for the initial state.",
      resolve: (p) => ("initial" in p.update ? null : p.update.kind),
    }),
    progress: t.float({
      nullable: true,
      description: "The job's progress at subscription (initial message), or the progress reported, from 0 to 1; null for a transition.",
      resolve: (p) => ("initial" in p.update ? (p.update.state?.progress ?? null) : p.update.progress),
    }),
    detail: t.field({
      type: "JSON",
      nullable: true,
      description: "The JSON the node sent with its report (for the initial message, with its last report).",
      resolve: (p) => ("initial" in p.update ? (p.update.state?.progressDetail ?? null) : (p.update.detail ?? null)),
    }),
    status: t.field({
      type: JobStatusEnum,
      nullable: true,
      description: "The job's status at subscription (initial message), or the status a transition moved it to; null for a progress report.",
      resolve: (p) => ("initial" in p.update ? (p.update.state?.status ?? null) : p.update.toStatus),
    }),
    at: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it happened (for the initial message, when the job last changed).",
      resolve: (p) => ("initial" in p.update ? (p.update.state?.updatedAt ?? null) : p.update.at),
    }),
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job as it is when this update is delivered.",
      resolve: (p, _args, ctx, info) => ctx.loaders.job(jobColumnsSelected(info)).load(p.jobId),
    }),
  }),
});

const JobEventUpdate = builder.objectRef<StreamEvent>("JobEventUpdate").implement({
  description: "An event of the stream, with the cursor to resume behind it.",
  fields: (t) => ({
    cursor: t.exposeString("cursor", { description: "Pass as `after` to resume the stream right after this event." }),
    event: t.field({
      type: JobEvent,
      description: "The event.",
      resolve: async (e, _args, ctx, info) => (await ctx.loaders.event(joinsSelected("JobEvent", info)).load(String(e.id)))!,
    }),
  }),
});

const JobAvailability = builder.objectRef<{ update: Update; claimable: number | null }>("JobAvailability").implement({
  description: "Claimable work: the count at subscription, then each job that becomes claimable.",
  fields: (t) => ({
    claimable: t.int({
      nullable: true,
      description: "How many jobs in the queues are claimable now (initial message only).",
      resolve: (p) => p.claimable,
    }),
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job that became claimable; null in the initial message.",
      resolve: (p, _args, ctx, info) => ("initial" in p.update || !p.update.jobId ? null : ctx.loaders.job(jobColumnsSelected(info)).load(p.update.jobId)),
    }),
  }),
});

const MembershipChangeEnum = builder.enumType("JobSetChange", {
  description: "How a job's membership of a filtered set changed.",
  values: {
    INITIAL: { description: "The first message: count says how many jobs match now." },
    ADDED: { description: "The job matches the filter now, and did not before." },
    UPDATED: { description: "The job changed and still matches." },
    REMOVED: { description: "The job no longer matches (or was deleted for good)." },
  } as const,
});

const JobsChanged = builder.objectRef<MembershipChange>("JobsChangedUpdate").implement({
  description: "A change to the set of jobs a filter matches.",
  fields: (t) => ({
    change: t.field({ type: MembershipChangeEnum, description: "What changed.", resolve: (m) => m.change }),
    count: t.int({ nullable: true, description: "How many jobs match (initial message only).", resolve: (m) => (m.change === "INITIAL" ? m.count : null) }),
    jobId: t.field({
      type: "ID",
      nullable: true,
      description: "The job's global ID.",
      resolve: (m) => (m.change === "INITIAL" ? null : encodeGlobalId("Job", m.jobId)),
    }),
    kind: t.field({
      type: JobEventKindEnum,
      nullable: true,
      description: "The event that caused the change.",
      resolve: (m) => (m.change === "INITIAL" ? null : m.event.kind),
    }),
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job as it is now; null for REMOVED when it no longer exists.",
      resolve: (m, _args, ctx, info) => (m.change === "INITIAL" ? null : ctx.loaders.job(jobColumnsSelected(info)).load(m.jobId)),
    }),
  }),
});

const JobEventFilter = builder.inputType("JobEventFilter", {
  description: "Which jobs' events to stream.",
  fields: (t) => ({
    job: t.globalID({ required: false, for: [Job], description: "Only this job's events." }),
    jobs: t.field({ type: JobFilter, required: false, description: "Only the events of jobs matching this filter (deleted ones included)." }),
  }),
});

/** The updates, less those of one task's own change to a task outside the subscriber's window. */
async function* inWindow(updates: AsyncIterable<Update>, contains: (taskId: string) => Promise<boolean>): AsyncIterable<Update> {
  for await (const update of updates) {
    if (!("initial" in update) && update.taskId && !changedTasks(update) && !(await contains(update.taskId))) continue;
    yield update;
  }
}

/** The tasks a taskUpdated subscriber lists: `first` (the page size unless given) from `fromQsequence`. */
function taskWindow(args: { first?: number | null; fromQsequence?: number | null }, settings: { defaultPageSize: number; maxPageSize: number }): TaskWindow {
  const first = args.first ?? settings.defaultPageSize;
  if (!Number.isInteger(first) || first < 1 || first > settings.maxPageSize) {
    throw codedError(BAD_USER_INPUT, `first must be from 1 to ${settings.maxPageSize}`);
  }
  const from = args.fromQsequence ?? 0;
  if (!Number.isInteger(from) || from < 0) throw codedError(BAD_USER_INPUT, "fromQsequence must be 0 or more");
  return { from, count: first };
}

/** Whether a change of the job changed its tasks too (see src/domain/task-effects.ts). */
const changedTasks = (event: StreamEvent) => typeof event.detail === "object" && event.detail !== null && "tasks" in event.detail;

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: Job,
    nullable: true,
    description: "The job now, then after every change (transitions, progress, tasks, outputs); ends when it is deleted for good.",
    args: { id: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }) },
    subscribe: (_root, args, ctx) => watchJob(ctx.events, ctx.db, args.id.id),
    resolve: (_update: Update, args, ctx, info) => ctx.loaders.job(jobColumnsSelected(info)).load(args.id.id),
  }),
  jobProgress: t.field({
    type: JobProgressUpdate,
    description:
      "The job's state now (status, progress and the last report's detail), then each progress report with its JSON detail and each change of state, until the job finishes: the subscription completes after SUCCEEDED, FAILED or CANCELLED (at once if the job had already finished). With minIntervalMs, reports come at most once per interval (the latest wins); state changes are never held back.",
    args: {
      id: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      minIntervalMs: t.arg.int({ required: false, defaultValue: 0, description: "Least time between two progress reports." }),
    },
    subscribe: async (_root, args, ctx) => watchProgress(ctx.events, ctx.db, args.id.id, Math.max(args.minIntervalMs ?? 0, 0)),
    resolve: (update: Update, args) => ({ jobId: args.id.id, update }),
  }),
  jobEvents: t.field({
    type: JobEventUpdate,
    description:
      "The events of the matching jobs: replayed from `after` (a cursor of an earlier update) when given, then live, with neither gap nor duplicate. A cursor older than the events the gateway keeps (JOBGRAPH_EVENT_RETENTION) is refused with CURSOR_EXPIRED: reload, then subscribe without `after`.",
    args: {
      filter: t.arg({ type: JobEventFilter, required: false, description: "Which jobs." }),
      after: t.arg.string({ required: false, description: "Resume right after this cursor." }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = args.after == null ? null : decodeCursor(args.after);
      if (args.after != null && !after) {
        throw new GraphQLError("`after` is not a cursor of this stream: pass the cursor of an update you received", {
          extensions: { code: "INVALID_CURSOR", argument: "after" },
        });
      }
      try {
        return await watchEvents(ctx.events, ctx.db, { ...toJobFilter(args.filter?.jobs), jobId: args.filter?.job?.id }, after);
      } catch (error) {
        if (error instanceof HistoryExpiredError) throw codedError(CURSOR_EXPIRED, error.message, { argument: "after" });
        throw error;
      }
    },
    resolve: (event: StreamEvent) => event,
  }),
  taskUpdated: t.field({
    type: [TaskRef],
    description:
      "The job's tasks now (in order of arrival), then each task after it starts, reports progress or finishes (with its MAP task, for a map's child), and all of them again when tasks are added or a change of the job changes its tasks (a cancellation, a release, a reset...).",
    args: {
      job: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      first: t.arg.int({
        required: false,
        description: "How many tasks each message of the whole list holds at most (the page size unless given, up to the largest page).",
      }),
      fromQsequence: t.arg.int({
        required: false,
        defaultValue: 0,
        description: "The qsequence the list starts at; updates of tasks outside the list are not sent.",
      }),
    },
    subscribe: async (_root, args, ctx) => {
      // Checked, and the job looked up, before the stream starts: a refusal is the subscription's answer.
      const window = taskWindow(args, ctx.settings);
      const updates = await watchJob(ctx.events, ctx.db, args.job.id, { only: (e) => e.taskId !== null || e.kind === "TASK_ADDED" || changedTasks(e) });
      return inWindow(updates, async (taskId) => inTaskWindow(await ctx.loaders.task().load(taskId), window));
    },
    resolve: async (update: Update, args, ctx) => {
      const window = taskWindow(args, ctx.settings);
      if ("initial" in update || !update.taskId || changedTasks(update)) return listJobTasks(ctx.db, args.job.id, window);
      // A child of a MAP task changes its MAP task too (see src/domain/map-tasks.ts): both are sent,
      // in order of arrival (the MAP task first).
      const task = await ctx.loaders.task().load(update.taskId);
      if (!task?.mapTaskId) return task ? [task] : [];
      const mapTask = await ctx.loaders.task().load(task.mapTaskId);
      return [mapTask, task].filter((t): t is Task => inTaskWindow(t, window)).sort((a, b) => a.qsequence - b.qsequence);
    },
  }),
  jobsChanged: t.field({
    type: JobsChanged,
    description:
      "Membership changes of the set of jobs a filter matches (e.g. RUNNING jobs of a template): ADDED, UPDATED, REMOVED, after an INITIAL count.",
    args: { filter: t.arg({ type: JobFilter, required: true, description: "The set." }) },
    subscribe: (_root, args, ctx) => watchMembership(ctx.events, ctx.db, toJobFilter(args.filter)),
    resolve: (change: MembershipChange) => change,
  }),
  jobAvailable: t.field({
    type: JobAvailability,
    description: "For an idle worker: how much claimable work there is now, then each job that becomes claimable in the queues.",
    args: { queues: t.arg.stringList({ required: false, description: "The queues to watch; all when omitted." }) },
    subscribe: async (_root, args, ctx) => watchAvailable(ctx.events, ctx.db, args.queues),
    resolve: async (update: Update, args, ctx) => ({
      update,
      claimable: "initial" in update ? await countClaimable(ctx.db, args.queues) : null,
    }),
  }),
}));
