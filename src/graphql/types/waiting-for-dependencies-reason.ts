import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import type { JobRow } from "../../domain/job-reads.js";
import { jobColumnsSelected } from "../selection.js";
import { builder } from "../builder.js";
import { Job } from "./job.js";
import { WaitReason } from "./wait-reason.js";

type Shape = Extract<WaitReasonShape, { kind: "WAITING_FOR_DEPENDENCIES" }>;

export const WaitingForDependenciesReason = builder.objectRef<Shape>("WaitingForDependenciesReason").implement({
  description: "The job is WAITING: some of its dependencies have not succeeded yet.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "WAITING_FOR_DEPENDENCIES";
  },
  fields: (t) => ({
    jobs: t.field({
      type: [Job],
      description: "The dependencies that have not succeeded, in the order of their numbers.",
      resolve: async (r, _args, ctx, info) => {
        const loaded = await ctx.loaders.job(jobColumnsSelected(info)).loadMany(r.jobs.map((j) => j.id));
        return loaded.filter((j): j is JobRow => j != null && !(j instanceof Error));
      },
    }),
    count: t.int({ description: "How many dependencies have not succeeded.", resolve: (r) => r.jobs.length }),
  }),
});
