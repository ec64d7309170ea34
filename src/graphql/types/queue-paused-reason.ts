import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { Queue } from "./queue.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "QUEUE_PAUSED" }>;

export const QueuePausedReason = builder.objectRef<Shape>("QueuePausedReason").implement({
  description: "The job's queue is paused.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "QUEUE_PAUSED";
  },
  fields: (t) => ({
    queue: t.field({ type: Queue, description: "The paused queue.", resolve: (r) => ({ name: r.queue }) }),
  }),
});
