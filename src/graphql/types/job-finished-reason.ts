import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { JobStatusEnum } from "./enums.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "FINISHED" }>;

export const JobFinishedReason = builder.objectRef<Shape>("JobFinishedReason").implement({
  description: "The job has finished.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "FINISHED";
  },
  fields: (t) => ({
    status: t.field({ type: JobStatusEnum, description: "How it finished.", resolve: (r) => r.status }),
    endTime: t.field({ type: "DateTime", nullable: true, description: "When it finished.", resolve: (r) => r.endTime }),
  }),
});
