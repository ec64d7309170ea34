import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "REQUIREMENTS_EXCEED_NODES" }>;

export const RequirementsExceedNodesReason = builder.objectRef<Shape>("RequirementsExceedNodesReason").implement({
  description: "Online nodes run the job's executors, but none meets its requirements (cpu, memory, labels, its tasks').",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "REQUIREMENTS_EXCEED_NODES";
  },
  fields: (t) => ({
    nodesWithExecutors: t.int({ description: "Online nodes (not draining) that run its executor.", resolve: (r) => r.nodesWithExecutors }),
    example: t.string({ nullable: true, description: "What one of those nodes lacks, in words.", resolve: (r) => r.example }),
  }),
});
