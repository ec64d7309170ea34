// Bulk actions on the jobs a filter matches, each with a dry run.
import { bulkJobAction, BULK_LIMIT, type BulkItem, type BulkResult } from "../../domain/bulk.js";
import type { JobRow } from "../../domain/job-reads.js";
import { jobColumnsSelected } from "../selection.js";
import { builder } from "../builder.js";
import { ValidationError } from "../../domain/errors.js";
import { mutationErrors } from "../errors.js";
import { encodeGlobalId } from "../global-id.js";
import { Job } from "./job.js";
import { JobFilter, toJobFilter } from "./job-filter.js";

const BulkOutcomeEnum = builder.enumType("BulkJobOutcome", {
  description: "What a bulk action did (or would do) to one job.",
  values: {
    CHANGED: { description: "The job was changed." },
    WOULD_CHANGE: { description: "Dry run: the job would be changed." },
    FORBIDDEN: { description: "The caller may not change this job." },
    INVALID_TRANSITION: { description: "The job's state does not allow the action." },
    FAILED: { description: "The job changed meanwhile and the action was refused (see message)." },
  } as const,
});

const BulkItemRef = builder.objectRef<BulkItem>("BulkJobItem").implement({
  description: "One job of a bulk action and what happened to it.",
  fields: (t) => ({
    jobId: t.field({ type: "ID", description: "The job's global ID.", resolve: (i) => encodeGlobalId("Job", i.jobId) }),
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job as it is now.",
      resolve: (i, _args, ctx, info) => ctx.loaders.job(jobColumnsSelected(info)).load(i.jobId),
    }),
    outcome: t.field({ type: BulkOutcomeEnum, description: "What happened.", resolve: (i) => i.outcome }),
    message: t.exposeString("message", { nullable: true, description: "Why the job was not changed." }),
  }),
});

export const BulkPayload = builder.objectRef<BulkResult>("BulkJobsPayload").implement({
  description: "What a bulk action did, or in a dry run would do.",
  fields: (t) => ({
    dryRun: t.exposeBoolean("dryRun", { description: "Whether nothing was changed, only predicted." }),
    matched: t.exposeInt("matched", { description: "How many jobs the filter matched." }),
    changed: t.exposeInt("changed", { description: "How many were changed (in a dry run: would be)." }),
    sample: t.field({
      type: [Job],
      description: "Dry run: up to 20 of the jobs that would change.",
      // Newest first, as the bulk action lists them; a job deleted for good since is left out.
      resolve: async (p, _args, ctx, info) =>
        (await ctx.loaders.job(jobColumnsSelected(info)).loadMany(p.sample)).filter((job): job is JobRow => job != null && !(job instanceof Error)),
    }),
    items: t.field({
      type: [BulkItemRef],
      description: "A real run: every matched job and its outcome. A dry run: the jobs that would be refused, and why.",
      resolve: (p) => p.items,
    }),
  }),
});

/**
 * Any caller may act on the jobs a filter matches: each job it may not change is an item of the
 * payload (FORBIDDEN, INVALID_TRANSITION), not an error. A filter that matches too many is refused.
 */
const BULK_ERRORS = [ValidationError];

builder.mutationFields((t) => {
  const filter = () =>
    t.arg({ type: JobFilter, required: true, description: `The jobs to act on (at most ${BULK_LIMIT} may match).` });
  const dryRun = () =>
    t.arg.boolean({ required: false, defaultValue: false, description: "Only say what would change; change nothing." });
  return {
    cancelJobs: t.field({
      type: BulkPayload,
      description: "Cancels every matched job the caller may cancel (each cascading to its children).",
      args: { filter: filter(), dryRun: dryRun(), reason: t.arg.string({ required: false, description: "Why, for the history: at most 10,000 characters." }) },
      errors: mutationErrors("cancelJobs", BULK_ERRORS),
      resolve: (_root, args, ctx) =>
        bulkJobAction(ctx.db, ctx.viewer!, "cancel", toJobFilter(args.filter), { dryRun: args.dryRun, reason: args.reason }),
    }),
    resetJobs: t.field({
      type: BulkPayload,
      description: "Resets every matched job the caller may reset to QUEUED, with its tasks, as resetJob does.",
      args: {
        filter: filter(),
        dryRun: dryRun(),
        keepOutputs: t.arg.boolean({ required: false, defaultValue: false, description: "Keep the jobs' outputs." }),
        keepSucceededTasks: t.arg.boolean({ required: false, defaultValue: false, description: "Keep the jobs' SUCCEEDED tasks as they are." }),
      },
      errors: mutationErrors("resetJobs", BULK_ERRORS),
      resolve: (_root, args, ctx) =>
        bulkJobAction(ctx.db, ctx.viewer!, "reset", toJobFilter(args.filter), {
          dryRun: args.dryRun,
          keepOutputs: args.keepOutputs,
          keepSucceededTasks: args.keepSucceededTasks,
        }),
    }),
    deleteJobs: t.field({
      type: BulkPayload,
      description: "Soft-deletes every matched job the caller may delete.",
      args: { filter: filter(), dryRun: dryRun() },
      errors: mutationErrors("deleteJobs", BULK_ERRORS),
      resolve: (_root, args, ctx) => bulkJobAction(ctx.db, ctx.viewer!, "delete", toJobFilter(args.filter), { dryRun: args.dryRun }),
    }),
  };
});
