// Job logs in the API: appendJobLog for the holder, the log pages of jobs and tasks, and jobLog to
// tail one live. See src/domain/logs.ts.
import { parsePrismaCursor } from "@pothos/plugin-prisma";
import { ForbiddenError, InvalidTransitionError, LeaseLostError, NotFoundError, TimeLimitExceededError, ValidationError } from "../../domain/errors.js";
import { appendJobLog, DEFAULT_LOG_LIMITS, type LogLine, type LogPage } from "../../domain/logs.js";
import { watchLog } from "../../events/watch-logs.js";
import { builder, pageSize } from "../builder.js";
import type { Context } from "../context.js";
import { BAD_USER_INPUT, codedError, INVALID_CURSOR } from "../error-codes.js";
import { mutationErrors } from "../errors.js";
import { connectionOf } from "../pages.js";
import { Job } from "./job.js";
import { JobLogLine, JobLogLineConnection } from "./job-log-line.js";
import { JobLogStats } from "./job-log-stats.js";
import { LogLineInput } from "./log-line-input.js";
import { Task } from "./task.js";

type PageArgs = { first?: number | null; last?: number | null; after?: string | null; before?: string | null };

/** The seq a log cursor stands for; a cursor of another list (or none of this gateway's) is refused with INVALID_CURSOR. */
function seqOf(cursor: string | null | undefined, argument = "after"): bigint | null {
  if (cursor == null) return null;
  let value: unknown;
  try {
    value = parsePrismaCursor(cursor);
  } catch {
    value = undefined;
  }
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw codedError(INVALID_CURSOR, `"${argument}" is not a cursor of a job's log: pass the cursor of one of its lines`);
  }
  return BigInt(value);
}

/** The page the connection arguments ask for, one line more than it shows (whether more follow). */
function pageOf(args: PageArgs, ctx: Context): LogPage {
  pageSize.maxSize(args, ctx);
  const backward = args.last != null || (args.before != null && args.first == null);
  const size = (backward ? args.last : args.first) ?? ctx.settings.defaultPageSize;
  return { after: seqOf(args.after), before: seqOf(args.before, "before"), take: size + 1, backward };
}

const logConnection = (lines: LogLine[], args: PageArgs, page: LogPage) =>
  connectionOf(lines, args as PothosSchemaTypes.DefaultConnectionArguments, { take: page.take, backward: page.backward });

const LOG_DESCRIPTION = "oldest first; `last` pages from the newest. Lines past the job's limits were dropped (see logStats).";

builder.objectFields(Job, (t) => ({
  log: t.connection(
    {
      type: JobLogLine,
      description: `The lines its worker wrote (appendJobLog), ${LOG_DESCRIPTION}`,
      resolve: async (job, args, ctx) => {
        const page = pageOf(args, ctx);
        return logConnection(await ctx.loaders.logPage(page).load({ jobId: job.id, taskId: null }), args, page);
      },
    },
    JobLogLineConnection,
  ),
  logStats: t.field({
    type: JobLogStats,
    description: "How much the job has logged, and how much its limits dropped.",
    resolve: (job, _args, ctx) => ctx.loaders.logStats.load(job.id),
  }),
}));

builder.objectFields(Task, (t) => ({
  log: t.connection(
    {
      type: JobLogLine,
      description: `The lines its worker wrote for this task (appendJobLog with the task), ${LOG_DESCRIPTION}`,
      resolve: async (task, args, ctx) => {
        const page = pageOf(args, ctx);
        return logConnection(await ctx.loaders.logPage(page).load({ jobId: task.jobId, taskId: task.id }), args, page);
      },
    },
    JobLogLineConnection,
  ),
}));

const AppendJobLogInput = builder.inputType("AppendJobLogInput", {
  description: "Lines for a job's log, from the node that holds it.",
  fields: (t) => ({
    job: t.globalID({ required: true, for: [Job], description: "The job's global ID." }),
    leaseToken: t.string({ required: true, description: "The token of the node's lease on the job." }),
    task: t.globalID({ required: false, for: [Task], description: "The task the lines are of; the job's own lines when left out." }),
    lines: t.field({ type: [LogLineInput], required: true, description: "1 to 1,000 lines, oldest first." }),
  }),
});

const AppendJobLogPayload = builder.objectRef<{ accepted: number; lastCursor: string; stats: Awaited<ReturnType<typeof appendJobLog>>["stats"] }>("AppendJobLogPayload").implement({
  description: "The lines were appended.",
  fields: (t) => ({
    accepted: t.exposeInt("accepted", { description: "Lines appended (a batch larger than the job's limits keeps its newest)." }),
    lastCursor: t.exposeString("lastCursor", { description: "The cursor of the last line appended." }),
    logStats: t.field({ type: JobLogStats, description: "The job's log counters after the append.", resolve: (p) => p.stats }),
  }),
});

builder.mutationFields((t) => ({
  appendJobLog: t.field({
    type: AppendJobLogPayload,
    description:
      "Appends lines to a job's log (or a task's), in order. The node that holds the job (ACQUIRED or RUNNING), with its lease token. Lines are not events: they do not reach jobEvents, and are tailed with jobLog.",
    args: { input: t.arg({ type: AppendJobLogInput, required: true, description: "The job, the lease and the lines." }) },
    errors: mutationErrors("appendJobLog", [ForbiddenError, ValidationError, NotFoundError, InvalidTransitionError, LeaseLostError, TimeLimitExceededError]),
    resolve: async (_root, { input }, ctx) => {
      if (ctx.viewer?.kind !== "NODE") throw new ForbiddenError("only the node that holds the job may append to its log");
      const result = await appendJobLog(
        ctx.db,
        ctx.viewer,
        {
          jobId: input.job.id,
          leaseToken: input.leaseToken,
          taskId: input.task?.id ?? null,
          lines: input.lines.map((l) => ({ stream: l.stream, line: l.line, at: l.at ?? null })),
        },
        ctx.settings.logLimits ?? DEFAULT_LOG_LIMITS,
      );
      ctx.events.logsWritten(input.job.id);
      return { accepted: result.accepted, lastCursor: formatSeq(result.lastSeq), stats: result.stats };
    },
  }),
}));

const formatSeq = (seq: bigint) => Buffer.from(`GPC:I:${seq}`).toString("base64");

builder.subscriptionFields((t) => ({
  jobLog: t.field({
    type: JobLogLine,
    description:
      "A job's log lines (or one task's), after the cursor `after` (from the first line without it), replayed and then live as they are appended through any gateway instance; completes once the job has finished and every line is delivered. Resume after a reconnection with the last cursor received.",
    args: {
      job: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      after: t.arg.string({ required: false, description: "The cursor of the last line already received." }),
      task: t.arg.globalID({ required: false, for: [Task], description: "Only this task's lines." }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = seqOf(args.after);
      if (args.task && (await ctx.loaders.task().load(args.task.id))?.jobId !== args.job.id) {
        throw codedError(BAD_USER_INPUT, "`task` is not a task of this job", { argument: "task" });
      }
      return watchLog(ctx.events, ctx.db, args.job.id, { after, taskId: args.task?.id ?? null });
    },
    resolve: (line: LogLine) => line,
  }),
}));
