import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "NO_NODE_ONLINE" }>;

export const NoNodeOnlineReason = builder.objectRef<Shape>("NoNodeOnlineReason").implement({
  description: "No worker node is online to claim the job, or every online node is draining.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "NO_NODE_ONLINE";
  },
  fields: (t) => ({
    drainingNodes: t.int({ description: "Online nodes that are draining.", resolve: (r) => r.drainingNodes }),
  }),
});
