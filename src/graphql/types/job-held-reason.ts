import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { WorkerNode } from "./worker-node.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "HELD" }>;

export const JobHeldReason = builder.objectRef<Shape>("JobHeldReason").implement({
  description: "A node has acquired the job and not started it yet.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "HELD";
  },
  fields: (t) => ({
    node: t.field({ type: WorkerNode, nullable: true, description: "The node that holds it.", resolve: (r, _a, ctx) => (r.nodeId ? ctx.loaders.workerNode.load(r.nodeId) : null) }),
  }),
});
