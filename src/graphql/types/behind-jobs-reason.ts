import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { Queue } from "./queue.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "BEHIND_JOBS" }>;

export const BehindJobsReason = builder.objectRef<Shape>("BehindJobsReason").implement({
  description: "Other claimable jobs of its queue come before the job in claim order (priority, then age).",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "BEHIND_JOBS";
  },
  fields: (t) => ({
    queue: t.field({ type: Queue, description: "Its queue.", resolve: (r) => ({ name: r.queue }) }),
    jobsAhead: t.int({ description: "How many come before it (its queuePosition).", resolve: (r) => r.jobsAhead }),
  }),
});
