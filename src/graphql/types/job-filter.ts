import type { JobFilter as DomainJobFilter } from "../../domain/jobs.js";
import { builder } from "../builder.js";
import { checkSearch } from "../input-guard.js";
import { DateTimeRange } from "./date-time-range.js";
import { JobStatusEnum } from "./enums.js";
import { Job } from "./job.js";
import { User } from "./user.js";
import { WorkerNode } from "./worker-node.js";
import { Workflow } from "./workflow.js";

export const TemplateRef = builder.inputType("TemplateRef", {
  description: "A template by name, and optionally version (any version when omitted).",
  fields: (t) => ({
    name: t.string({ required: true, description: "The template's name." }),
    version: t.int({ required: false, description: "The template's version." }),
  }),
});

export const JobFilter = builder.inputType("JobFilter", {
  description: "Which jobs to list. Every condition given must hold; soft-deleted jobs are left out unless includeDeleted.",
  fields: (t) => ({
    status: t.field({ type: [JobStatusEnum], required: false, description: "Any of these statuses." }),
    queue: t.stringList({ required: false, description: "Any of these queues." }),
    template: t.field({ type: TemplateRef, required: false, description: "Created from this template." }),
    node: t.globalID({ required: false, for: [WorkerNode], description: "Held by this worker node." }),
    creator: t.globalID({ required: false, for: [User], description: "Created by this user." }),
    parent: t.globalID({ required: false, for: [Job], description: "Children of this job." }),
    workflow: t.globalID({ required: false, for: [Workflow], description: "Jobs of this workflow." }),
    topLevel: t.boolean({ required: false, description: "Only jobs without a parent (true) or only child jobs (false)." }),
    stalled: t.boolean({
      required: false,
      description: "Only stalled jobs (true: RUNNING and silent for longer than their stallAfterSeconds, see Job.stalled) or only jobs that are not (false).",
    }),
    tags: t.stringList({ required: false, description: "Carrying every one of these tags." }),
    createdAt: t.field({ type: DateTimeRange, required: false, description: "Created within this range." }),
    updatedAt: t.field({ type: DateTimeRange, required: false, description: "Last changed within this range." }),
    finishedAt: t.field({ type: DateTimeRange, required: false, description: "Finished (endTime) within this range." }),
    search: t.string({
      required: false,
      description: "Text the description or the name contains, ignoring case; at most 1000 characters.",
    }),
    includeDeleted: t.boolean({
      required: false,
      defaultValue: false,
      description: "Include soft-deleted jobs.",
    }),
  }),
});

type JobFilterInput = typeof JobFilter.$inferInput;

/** Decodes the GraphQL filter into the domain's. */
export function toJobFilter(input: JobFilterInput | null | undefined): DomainJobFilter {
  if (!input) return {};
  checkSearch(input.search, "search");
  return {
    status: input.status,
    queue: input.queue,
    templateName: input.template?.name,
    templateVersion: input.template?.version,
    nodeId: input.node?.id,
    creatorId: input.creator?.id,
    parentId: input.parent?.id,
    workflowId: input.workflow?.id,
    topLevel: input.topLevel,
    stalled: input.stalled,
    tags: input.tags,
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
    finishedAt: input.finishedAt,
    search: input.search,
    includeDeleted: input.includeDeleted,
  };
}
