import type { WaitReason as WaitReasonShape } from "../../domain/why-not-running.js";
import { builder } from "../builder.js";
import { WaitReasonCodeEnum } from "./wait-reason-code.js";

export const WaitReason = builder.interfaceRef<WaitReasonShape>("WaitReason").implement({
  description:
    "One reason a job is not running, with what it concerns (the queue, a time, the jobs ahead, the nodes). Select the fields of each kind with fragments on its type.",
  fields: (t) => ({
    code: t.field({ type: WaitReasonCodeEnum, description: "The kind of reason.", resolve: (r) => r.kind }),
    message: t.exposeString("message", { description: "The reason in words, for people." }),
  }),
});
