import { GraphQLError } from "graphql";
import {
  countTemplates,
  createJobTemplate,
  deleteJobTemplate,
  pageOfTemplates,
  reinstateJobTemplate,
} from "../../domain/templates.js";
import type { Declaration } from "../../domain/values.js";
import { ForbiddenError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { mutationErrors } from "../errors.js";
import { builder } from "../builder.js";
import { EDGE_NODE, JobConnection, jobListConnection, JobTemplateConnection, listConnection, templatePages } from "../connections.js";
import { firstPagesSelected, joinsSelected, listCountsSelected } from "../selection.js";
import { CURSOR_FIELDS, type FirstRows, type JobRow } from "../../domain/job-reads.js";
import { joinedOr } from "../loaders.js";
import { pageFromQuery } from "../pages.js";
import { JobRef } from "../model-refs.js";
import { Executor } from "./executor.js";
import { JobTemplateFilter, toTemplateFilter } from "./job-template-filter.js";
import { policyOf, RetryPolicy } from "./retry-policy.js";
import { TemplateRetryPolicyInput } from "./template-retry-policy-input.js";
import { ValueDeclaration, type ValueDeclarationShape } from "./value-declaration.js";
import { User } from "./user.js";

function declarations(stored: unknown): ValueDeclarationShape[] {
  return Array.isArray(stored) ? (stored as ValueDeclarationShape[]) : [];
}

export const JobTemplate = builder.prismaNode("JobTemplate", {
  description:
    "A versioned definition jobs are created from: the executor to run and the inputs and parameters a job supplies. Defining an existing name again makes its next version.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "The template's name, shared by all its versions." }),
    version: t.exposeInt("version", { description: "1 for the first definition of the name, then counting up." }),
    description: t.exposeString("description", { description: "What jobs of this template do." }),
    executor: t.field({
      type: Executor,
      description: "The executor that runs jobs of this template.",
      resolve: (tpl) => ({ name: tpl.executorName, version: tpl.executorVersion }),
    }),
    inputs: t.field({
      type: [ValueDeclaration],
      description: "The inputs a job supplies.",
      resolve: (tpl) => declarations(tpl.inputs),
    }),
    parameters: t.field({
      type: [ValueDeclaration],
      description: "The parameters a job may set.",
      resolve: (tpl) => declarations(tpl.parameters),
    }),
    retryPolicy: t.field({
      type: RetryPolicy,
      description: "The retry policy its jobs get unless they ask for their own, within it.",
      resolve: (tpl) => policyOf(tpl),
    }),
    maxAttemptsLimit: t.exposeInt("maxAttemptsLimit", { description: "The most attempts one of its jobs may ask for." }),
    timeLimitSeconds: t.exposeInt("timeLimitSeconds", {
      nullable: true,
      description: "Longest an attempt at one of its jobs may last, unless the job sets its own. None when null.",
    }),
    taskTimeLimitSeconds: t.exposeInt("taskTimeLimitSeconds", {
      nullable: true,
      description: "Longest a task's run may last when neither the task nor its job sets a limit. None when null.",
    }),
    stallAfterSeconds: t.exposeInt("stallAfterSeconds", {
      nullable: true,
      description: "How long a running job of this template may go without a report (progress, lease renewal) before it is stalled. Never when null.",
    }),
    creator: t.field({
      type: User,
      nullable: true,
      description: "The user who defined this version.",
      // Joined by a page of templates when selected (see jobTemplates).
      resolve: (template, _args, ctx) => joinedOr(template, "creator", () => (template.creatorId ? ctx.loaders.user.load(template.creatorId) : null)),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When this version was defined." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When this version last changed." }),
    deletedAt: t.expose("deletedAt", {
      type: "DateTime",
      nullable: true,
      description: "When this version was soft-deleted; null while it is not.",
    }),
    jobs: t.connection(
      {
        type: JobRef,
        description: "Jobs created from this version, newest first (soft-deleted ones left out).",
        // Counted with the template when a page of templates read it (see listCountsSelected).
        resolve: (template, args, ctx, info) => {
          const read = template as { jobCount?: number; firstJobs?: FirstRows<JobRow> };
          return jobListConnection(template.id, { of: "template" }, args, ctx, info, read.jobCount, read.firstJobs);
        },
      },
      JobConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  jobTemplate: t.field({
    type: JobTemplate,
    nullable: true,
    description:
      "A template by ID, or by name: the given version, or else the latest version that is not deleted. Null when there is none.",
    args: {
      id: t.arg.globalID({ required: false, for: [JobTemplate], description: "The template's global ID." }),
      name: t.arg.string({ required: false, description: "The template's name (instead of id)." }),
      version: t.arg.int({ required: false, description: "The version, with name; the latest when omitted." }),
    },
    resolve: (_root, args, ctx, info) => {
      if ((args.id == null) === (args.name == null)) {
        throw new GraphQLError("jobTemplate takes either id or name", { extensions: { code: "BAD_USER_INPUT" } });
      }
      if (args.id) {
        if (args.version != null) {
          throw new GraphQLError("version goes with name, not with id", { extensions: { code: "BAD_USER_INPUT" } });
        }
        return ctx.loaders.template(joinsSelected("JobTemplate", info)).load(args.id.id);
      }
      // A deleted version can still be fetched by number, as jobs created from it refer to it.
      const joins = joinsSelected("JobTemplate", info);
      return args.version != null
        ? ctx.loaders.templateVersion(joins).load({ name: args.name!, version: args.version })
        : ctx.loaders.latestTemplate(joins).load(args.name!);
    },
  }),
  jobTemplates: t.connection(
    {
      type: JobTemplate,
      description: "Templates matching a filter, by name then newest version first.",
      args: { filter: t.arg({ type: JobTemplateFilter, required: false, description: "Which templates." }) },
      resolve: (_root, args, ctx, info) => {
        const filter = toTemplateFilter(args.filter);
        const page = pageFromQuery(templatePages.getQuery(args, ctx, () => true));
        const counts = listCountsSelected(info, EDGE_NODE, [["jobs", "jobs"]]);
        const joins = joinsSelected("JobTemplate", info, EDGE_NODE);
        const firsts = firstPagesSelected(info, EDGE_NODE, "JobTemplate", [["jobs", "Job"]]);
        return listConnection(args, info, page, (p, counted) => pageOfTemplates(ctx.db, filter, p, counted, counts, joins, firsts), () => countTemplates(ctx.db, filter), CURSOR_FIELDS.JobTemplate);
      },
    },
    JobTemplateConnection,
  ),
}));

const DeclarationInput = builder.inputType("ValueDeclarationInput", {
  description: "The declaration of one input or parameter of a template.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The name jobs use (letters, digits, _ . -; not starting with a digit)." }),
    types: t.stringList({
      required: true,
      description: "The types a value may have: string, int, float, bool, json, output (a reference to another job's output).",
    }),
    required: t.boolean({ required: false, defaultValue: false, description: "Whether every job must supply it." }),
    default: t.field({ type: "JSON", required: false, description: "The value used when a job supplies none (stored with each such job): at most 65536 characters as JSON." }),
    help: t.string({ required: false, description: "What the value means, up to 1000 characters." }),
  }),
});

const ExecutorInput = builder.inputType("ExecutorInput", {
  description: "An executor: the compute capability that runs jobs of a template.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The executor's name, up to 200 characters." }),
    version: t.string({ required: false, description: "Its version; any when omitted." }),
  }),
});

const CreateJobTemplateInput = builder.inputType("CreateJobTemplateInput", {
  description: "A template definition. An existing name gets its next version.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The template's name." }),
    description: t.string({ required: false, description: "What jobs of this template do: at most 10,000 characters." }),
    executor: t.field({ type: ExecutorInput, required: true, description: "What runs the jobs." }),
    inputs: t.field({ type: [DeclarationInput], required: false, description: "The inputs jobs supply, at most 100." }),
    parameters: t.field({ type: [DeclarationInput], required: false, description: "The parameters jobs may set, at most 100." }),
    retryPolicy: t.field({ type: TemplateRetryPolicyInput, required: false, description: "How its jobs' failed attempts are retried; the defaults unless given." }),
    timeLimitSeconds: t.int({ required: false, description: "Longest an attempt at one of its jobs may last, 1 to 604800 seconds; none unless given." }),
    taskTimeLimitSeconds: t.int({
      required: false,
      description: "Longest a run of one of its jobs' tasks may last when the task sets none, 1 to 172800 seconds; none unless given.",
    }),
    stallAfterSeconds: t.int({
      required: false,
      description:
        "A running job of this template that reports nothing (no progress report, no lease renewal) for this long, 1 to 86400 seconds, is stalled (Job.stalled, a STALLED event); never unless given.",
    }),
  }),
});

const JobTemplatePayload = builder.objectRef<{ templateId: string }>("JobTemplatePayload").implement({
  description: "The template after the change.",
  fields: (t) => ({
    jobTemplate: t.field({
      type: JobTemplate,
      description: "The template (version) as it is now.",
      resolve: async (p, _args, ctx, info) => (await ctx.loaders.template(joinsSelected("JobTemplate", info)).load(p.templateId))!,
    }),
  }),
});

function declarationsOf(input: Array<typeof DeclarationInput.$inferInput> | null | undefined): Declaration[] {
  return (input ?? []).map((d) => ({
    name: d.name,
    types: d.types as Declaration["types"],
    required: d.required ?? false,
    ...(d.default != null ? { default: d.default } : {}),
    help: d.help ?? "",
  }));
}

builder.mutationFields((t) => ({
  createJobTemplate: t.field({
    type: JobTemplatePayload,
    description:
      "Defines a template; defining an existing name makes its next version, which only the creator of the name's first version or an admin may. Users and admins.",
    args: { input: t.arg({ type: CreateJobTemplateInput, required: true, description: "The definition." }) },
    errors: mutationErrors("createJobTemplate", [ForbiddenError, ValidationError]),
    resolve: async (_root, { input }, ctx) => ({
      templateId: await createJobTemplate(ctx.db, ctx.viewer, {
        name: input.name,
        description: input.description,
        executorName: input.executor.name,
        executorVersion: input.executor.version,
        inputs: declarationsOf(input.inputs),
        parameters: declarationsOf(input.parameters),
        retryPolicy: input.retryPolicy,
        timeLimitSeconds: input.timeLimitSeconds,
        taskTimeLimitSeconds: input.taskTimeLimitSeconds,
        stallAfterSeconds: input.stallAfterSeconds,
      }),
    }),
  }),
  deleteJobTemplate: t.field({
    type: JobTemplatePayload,
    description: "Soft-deletes a template version: no new jobs from it; existing jobs keep it. Its creator or an admin.",
    args: { id: t.arg.globalID({ required: true, for: [JobTemplate], description: "The template version's global ID." }) },
    errors: mutationErrors("deleteJobTemplate", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: async (_root, { id }, ctx) => ({ templateId: await deleteJobTemplate(ctx.db, ctx.viewer, id.id) }),
  }),
  reinstateJobTemplate: t.field({
    type: JobTemplatePayload,
    description: "Restores a soft-deleted template version. Its creator or an admin.",
    args: { id: t.arg.globalID({ required: true, for: [JobTemplate], description: "The template version's global ID." }) },
    errors: mutationErrors("reinstateJobTemplate", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: async (_root, { id }, ctx) => ({ templateId: await reinstateJobTemplate(ctx.db, ctx.viewer, id.id) }),
  }),
}));
