// Creating and cancelling workflows, reading one, and watching it.
import { ForbiddenError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { cancelWorkflow, createWorkflow, type CreatedWorkflow } from "../../domain/workflows.js";
import { watchWorkflow, type WorkflowChange } from "../../events/watch-workflows.js";
import { builder } from "../builder.js";
import { mutationErrors } from "../errors.js";
import { jobColumnsSelected, joinsSelected, workflowSummarySelected } from "../selection.js";
import { BulkPayload } from "./bulk-jobs.js";
import { DependencyFailurePolicyEnum } from "./enums.js";
import { Job } from "./job.js";
import { CreateJobInput, toNewJob } from "./job-lifecycle.js";
import { Workflow } from "./workflow.js";

const WorkflowJobInput = builder.inputType("WorkflowJobInput", {
  description: "A job of a new workflow: a job as createJob takes it, with a key that names it within the request and the keys of the jobs it waits for.",
  fields: (t) => ({
    key: t.string({ required: true, description: "Names the job within this request (1 to 200 characters, unique in it); the job's name unless it is given one." }),
    after: t.stringList({ required: false, description: "Keys of jobs of this workflow that must all succeed before this one may be claimed." }),
    job: t.field({
      type: CreateJobInput,
      required: true,
      description: "The job. With findOrCreate an equivalent earlier job stands for it, and the jobs after it wait for that one (not at all once it has succeeded). idempotencyKey is not taken inside a workflow.",
    }),
  }),
});

const CreateWorkflowInput = builder.inputType("CreateWorkflowInput", {
  description: "A new workflow: its jobs and the edges between them.",
  fields: (t) => ({
    name: t.string({ required: false, description: "A name for people." }),
    onDependencyFailure: t.field({
      type: DependencyFailurePolicyEnum,
      required: false,
      description: "What its jobs do when a dependency fails for good, unless a job says otherwise; CANCEL unless given.",
    }),
    jobs: t.field({ type: [WorkflowJobInput], required: true, description: "Its jobs (1 to 1,000), created in this order." }),
  }),
});

const CreatedWorkflowJob = builder.objectRef<{ key: string; jobId: string; reason: string | null }>("CreatedWorkflowJob").implement({
  description: "A job createWorkflow created (or reused, with findOrCreate), under the key the request gave it.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The key the request gave it." }),
    reused: t.boolean({ description: "Whether an equivalent earlier job was reused (findOrCreate) instead of a new one made.", resolve: (p) => p.reason !== null }),
    reason: t.exposeString("reason", { nullable: true, description: "Why the earlier job was reused; null for a new one." }),
    job: t.field({
      type: Job,
      description: "The job.",
      resolve: async (p, _args, ctx, info) => (await ctx.loaders.job(jobColumnsSelected(info)).load(p.jobId))!,
    }),
  }),
});

const CreateWorkflowPayload = builder.objectRef<CreatedWorkflow>("CreateWorkflowPayload").implement({
  description: "The workflow created, and its jobs by key.",
  fields: (t) => ({
    workflow: t.field({
      type: Workflow,
      description: "The workflow.",
      resolve: async (p, _args, ctx, info) => (await ctx.loaders.workflow(workflowSummarySelected(info), joinsSelected("Workflow", info)).load(p.workflowId))!,
    }),
    jobs: t.field({
      type: [CreatedWorkflowJob],
      description: "Its jobs, in the order of the request.",
      resolve: (p) => [...p.jobIds].map(([key, jobId]) => ({ key, jobId, reason: p.reused.get(key) ?? null })),
    }),
  }),
});

builder.queryFields((t) => ({
  workflow: t.field({
    type: Workflow,
    nullable: true,
    description: "A workflow by its ID; null when there is none.",
    args: { id: t.arg.globalID({ required: true, for: [Workflow], description: "The workflow's global ID." }) },
    resolve: (_root, args, ctx, info) => ctx.loaders.workflow(workflowSummarySelected(info), joinsSelected("Workflow", info)).load(args.id.id),
  }),
  workflowByNumber: t.field({
    type: Workflow,
    nullable: true,
    description: "A workflow by its number; null when there is none.",
    args: { number: t.arg({ type: "Long", required: true, description: "The workflow's number." }) },
    resolve: (_root, args, ctx, info) => ctx.loaders.workflowByNumber(workflowSummarySelected(info), joinsSelected("Workflow", info)).load(String(args.number)),
  }),
}));

builder.subscriptionFields((t) => ({
  workflowUpdated: t.field({
    type: Workflow,
    nullable: true,
    description:
      "A workflow, first as it is now, then each time one of its jobs changes status or progress, is deleted or reinstated (at most twice a second: the latest state, not every step). Null when there is no such workflow.",
    args: { id: t.arg.globalID({ required: true, for: [Workflow], description: "The workflow's global ID." }) },
    subscribe: (_root, args, ctx) => watchWorkflow(ctx.events, ctx.db, args.id.id),
    resolve: (change: WorkflowChange, _args, ctx, info) => ctx.loaders.workflow(workflowSummarySelected(info), joinsSelected("Workflow", info)).load(change.workflowId),
  }),
}));

builder.mutationFields((t) => ({
  createWorkflow: t.field({
    type: CreateWorkflowPayload,
    description:
      "Creates a workflow and every job of it in one transaction, or nothing: each job checked as createJob checks it (problems named under jobs.N), unknown keys and cycles refused. A job is WAITING until every job it is after (and every job it dependsOn) has succeeded. Users and admins.",
    args: { input: t.arg({ type: CreateWorkflowInput, required: true, description: "The workflow." }) },
    errors: mutationErrors("createWorkflow", [ForbiddenError, ValidationError]),
    resolve: (_root, { input }, ctx) =>
      createWorkflow(ctx.db, ctx.viewer!, {
        name: input.name,
        onDependencyFailure: input.onDependencyFailure,
        jobs: input.jobs.map((j) => ({ ...toNewJob(j.job), key: j.key, after: j.after })),
      }, ctx),
  }),
  cancelWorkflow: t.field({
    type: BulkPayload,
    description: "Cancels every unfinished job of a workflow the caller may cancel, as cancelJobs does with the workflow's filter.",
    args: {
      id: t.arg.globalID({ required: true, for: [Workflow], description: "The workflow's global ID." }),
      reason: t.arg.string({ required: false, description: "Why, for the history: at most 10,000 characters." }),
    },
    errors: mutationErrors("cancelWorkflow", [ValidationError, NotFoundError]),
    resolve: (_root, args, ctx) => cancelWorkflow(ctx.db, ctx.viewer!, args.id.id, args.reason),
  }),
}));
