import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "DELETED" }>;

export const JobDeletedReason = builder.objectRef<Shape>("JobDeletedReason").implement({
  description: "The job is deleted.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "DELETED";
  },
  fields: (t) => ({
    deletedAt: t.field({ type: "DateTime", description: "When it was deleted.", resolve: (r) => r.deletedAt }),
  }),
});
