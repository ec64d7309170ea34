import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "READY" }>;

export const ReadyReason = builder.objectRef<Shape>("ReadyReason").implement({
  description: "Nothing holds the job back: the next claim by a node it fits takes it.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "READY";
  },
  fields: (t) => ({

  }),
});
