import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { code: "DELETED" }>;

export const JobDeletedReason = builder.objectRef<Shape>("JobDeletedReason").implement({
  description: "The job is deleted.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { code } = r as WaitReasonShape;
    return code === "DELETED";
  },
  fields: (t) => ({
    deletedAt: t.field({ type: "DateTime", description: "When it was deleted.", resolve: (r) => r.deletedAt }),
  }),
});
