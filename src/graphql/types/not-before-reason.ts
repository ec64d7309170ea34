import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { WaitReason } from "./wait-reason.js";
import { builder } from "../builder.js";

type Shape = Extract<WaitReasonShape, { kind: "RUN_AFTER" | "RETRY_BACKOFF" }>;

export const NotBeforeReason = builder.objectRef<Shape>("NotBeforeReason").implement({
  description: "The job may not run yet: its runAfter (code RUN_AFTER) or the backoff after a failed attempt (code RETRY_BACKOFF) has not passed.",
  interfaces: [WaitReason],
  isTypeOf: (r) => {
    const { kind } = r as WaitReasonShape;
    return kind === "RUN_AFTER" || kind === "RETRY_BACKOFF";
  },
  fields: (t) => ({
    until: t.field({ type: "DateTime", description: "When it may run.", resolve: (r) => r.until }),
  }),
});
