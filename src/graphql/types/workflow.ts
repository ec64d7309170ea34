// A workflow: jobs submitted together, some waiting for others, read and watched as one thing.
import { workflowStatus, type WorkflowRow, type WorkflowSummary } from "../../domain/workflows.js";
import { builder } from "../builder.js";
import type { Context } from "../context.js";
import { joinedOr } from "../loaders.js";
import { JobConnection, jobListConnection } from "../connections.js";
import { JobRef } from "../model-refs.js";
import { DependencyFailurePolicyEnum, JobStatusEnum } from "./enums.js";
import { User } from "./user.js";

/** The workflow's summary: read with it when its read asked for it, else by its loader. */
function summaryOf(workflow: WorkflowRow, ctx: Context): WorkflowSummary | Promise<WorkflowSummary> {
  return workflow.summary ?? ctx.loaders.workflowSummary.load(workflow.id);
}

const WorkflowCounts = builder.objectRef<{ counts: Record<string, number>; total: number }>("WorkflowCounts").implement({
  description: "How many of a workflow's jobs (not deleted) are in each status.",
  fields: (t) => ({
    total: t.int({ description: "Every job of the workflow.", resolve: (s) => s.total }),
    waiting: t.int({ description: "Jobs WAITING for their dependencies.", resolve: (s) => s.counts.WAITING ?? 0 }),
    queued: t.int({ description: "Jobs QUEUED.", resolve: (s) => s.counts.QUEUED ?? 0 }),
    acquired: t.int({ description: "Jobs ACQUIRED by a node and not started yet.", resolve: (s) => s.counts.ACQUIRED ?? 0 }),
    running: t.int({ description: "Jobs RUNNING.", resolve: (s) => s.counts.RUNNING ?? 0 }),
    succeeded: t.int({ description: "Jobs SUCCEEDED.", resolve: (s) => s.counts.SUCCEEDED ?? 0 }),
    failed: t.int({ description: "Jobs FAILED.", resolve: (s) => s.counts.FAILED ?? 0 }),
    cancelled: t.int({ description: "Jobs CANCELLED.", resolve: (s) => s.counts.CANCELLED ?? 0 }),
  }),
});

export const Workflow = builder.prismaNode("Workflow", {
  description: "Jobs submitted together by createWorkflow, some waiting for others (see Job.dependencies), read and watched as one thing.",
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    number: t.expose("number", { type: "Long", description: "A human-friendly number, increasing in creation order." }),
    name: t.exposeString("name", { nullable: true, description: "The name it was given." }),
    onDependencyFailure: t.expose("onDependencyFailure", {
      type: DependencyFailurePolicyEnum,
      description: "What its jobs do when a dependency fails for good, unless a job was given its own policy.",
    }),
    creator: t.field({
      type: User,
      nullable: true,
      description: "The user who created it.",
      // Read with the workflow when its read selected it (see joinsSelected).
      resolve: (workflow, _args, ctx) => joinedOr(workflow, "creator", () => (workflow.creatorId ? ctx.loaders.user.load(workflow.creatorId) : null)),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    status: t.field({
      type: JobStatusEnum,
      description:
        "What its jobs add up to: SUCCEEDED when every job did; FAILED (or CANCELLED) once every job has finished and one failed (was cancelled); RUNNING while any job is held or running, or some have finished; else QUEUED, or WAITING.",
      resolve: async (w, _args, ctx) => workflowStatus(await summaryOf(w, ctx)),
    }),
    progress: t.float({
      description: "The mean progress of its jobs, from 0 to 1 (a succeeded job counts as done).",
      resolve: async (w, _args, ctx) => (await summaryOf(w, ctx)).progress,
    }),
    counts: t.field({
      type: WorkflowCounts,
      description: "How many of its jobs are in each status.",
      resolve: (w, _args, ctx) => summaryOf(w, ctx),
    }),
    jobs: t.connection(
      {
        type: JobRef,
        description: "Its jobs, in the order they were created (the order of the request). Soft-deleted ones are left out.",
        resolve: (workflow, args, ctx, info) => jobListConnection(workflow.id, { of: "workflow" }, args, ctx, info),
      },
      JobConnection,
    ),
  }),
});
