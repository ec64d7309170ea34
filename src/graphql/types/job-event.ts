import { builder } from "../builder.js";
import { encodeGlobalId } from "../global-id.js";
import { joinedOr } from "../loaders.js";
import type { JobRow } from "../../domain/job-reads.js";
import { jobColumnsSelected } from "../selection.js";
import { JobEventKindEnum, JobStatusEnum } from "./enums.js";
import { Job } from "./job.js";
import { Task } from "./task.js";
import { User } from "./user.js";
import { WorkerNode } from "./worker-node.js";

export const JobEvent = builder.prismaNode("JobEvent", {
  description: "One entry of a job's history: a transition, a progress report, or another change.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  findUnique: (id) => ({ id: BigInt(id) }),
  fields: (t) => ({
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job; null once the job has been deleted for good (jobId still names it).",
      // Handed down by the job whose page of events this is, when it holds what is selected (Job.events).
      resolve: (event, _args, ctx, info) => (event.jobId ? joinedOr<JobRow>(event, "job", () => ctx.loaders.job(jobColumnsSelected(info)).load(event.jobId!)) : null),
    }),
    jobId: t.field({
      type: "ID",
      nullable: true,
      description: "The job's global ID, kept after the job is deleted for good.",
      resolve: (event) => (event.jobId ? encodeGlobalId("Job", event.jobId) : null),
    }),
    task: t.field({
      type: Task,
      nullable: true,
      description: "The task the event is about, if any.",
      resolve: (event, _args, ctx) => joinedOr(event, "task", () => (event.taskId ? ctx.loaders.task().load(event.taskId) : null)),
    }),
    kind: t.expose("kind", { type: JobEventKindEnum, description: "What happened." }),
    fromStatus: t.expose("fromStatus", { type: JobStatusEnum, nullable: true, description: "The status before." }),
    toStatus: t.expose("toStatus", { type: JobStatusEnum, nullable: true, description: "The status after." }),
    progress: t.exposeFloat("progress", { nullable: true, description: "The progress reported, from 0 to 1." }),
    detail: t.expose("detail", { type: "JSON", nullable: true, description: "Details: a progress report's JSON, an error, a reason." }),
    actorUser: t.field({
      type: User,
      nullable: true,
      description: "The user who made the change, if a user did.",
      resolve: (event, _args, ctx) => joinedOr(event, "actorUser", () => (event.actorUserId ? ctx.loaders.user.load(event.actorUserId) : null)),
    }),
    actorNode: t.field({
      type: WorkerNode,
      nullable: true,
      description: "The worker node that made the change, if a node did.",
      resolve: (event, _args, ctx) => joinedOr(event, "actorNode", () => (event.actorNodeId ? ctx.loaders.workerNode.load(event.actorNodeId) : null)),
    }),
    at: t.expose("at", { type: "DateTime", description: "When it happened." }),
    jobVersion: t.exposeInt("jobVersion", { description: "The job's version after the change." }),
  }),
});
