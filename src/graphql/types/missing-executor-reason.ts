import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "NO_NODE_WITH_EXECUTOR" }>;

export const MissingExecutorReason = builder.objectRef<Shape>("MissingExecutorReason").implement({
  description: "No online node (not draining) runs an executor the job or one of its tasks needs.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "NO_NODE_WITH_EXECUTOR";
  },
  fields: (t) => ({
    executor: t.string({ description: "The executor no online node runs.", resolve: (r) => r.executor }),
  }),
});
