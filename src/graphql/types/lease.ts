import { builder } from "../builder.js";

export type LeaseShape = { token: string; expiresAt: Date };

export const Lease = builder.objectRef<LeaseShape>("Lease").implement({
  description:
    "A worker node's hold on a job. Every write the node makes to the job must carry the token; a new acquisition issues a new one.",
  fields: (t) => ({
    token: t.exposeString("token", { description: "The fencing token to send with start, progress, renew, finish and release." }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      description: "When the job is reclaimed unless the lease is renewed (progress reports renew it).",
    }),
  }),
});
