import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { Queue } from "./queue.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "QUEUE_AT_LIMIT" }>;

export const QueueAtLimitReason = builder.objectRef<Shape>("QueueAtLimitReason").implement({
  description: "The job's queue holds as many jobs as its concurrency limit allows.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "QUEUE_AT_LIMIT";
  },
  fields: (t) => ({
    queue: t.field({ type: Queue, description: "The queue at its limit.", resolve: (r) => ({ name: r.queue }) }),
    concurrencyLimit: t.int({ description: "Its concurrency limit.", resolve: (r) => r.concurrencyLimit }),
    held: t.int({ description: "Its jobs held now (ACQUIRED or RUNNING).", resolve: (r) => r.held }),
  }),
});
