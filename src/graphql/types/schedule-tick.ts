// One handled tick of a schedule: when it was due, what became of it, and the job it made.
import { builder } from "../builder.js";
import { ScheduleTickOutcomeEnum } from "./enums.js";
import { Job } from "./job.js";
import { jobColumnsSelected } from "../selection.js";

export const ScheduleTick = builder.prismaObject("ScheduleTick", {
  description: "One tick of a schedule that a gateway handled: the job it made, or why it made none.",
  fields: (t) => ({
    tickAt: t.expose("tickAt", { type: "DateTime", description: "The time the cron expression gave for it." }),
    outcome: t.expose("outcome", { type: ScheduleTickOutcomeEnum, description: "What became of it." }),
    detail: t.exposeString("detail", {
      nullable: true,
      description: "Why it made no job, or, for a missed tick caught up late, how late it was handled; null for a tick that made its job on time.",
    }),
    handledAt: t.expose("handledAt", { type: "DateTime", description: "When a gateway handled it." }),
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job it made; null when it made none, or the job was deleted for good.",
      resolve: (tick, _args, ctx, info) => (tick.jobId ? ctx.loaders.job(jobColumnsSelected(info)).load(tick.jobId) : null),
    }),
  }),
});
