import type { QueueWindow } from "../../domain/queues.js";
import { builder } from "../builder.js";

export const QueueThroughput = builder.objectRef<QueueWindow>("QueueThroughput").implement({
  description: "What a queue finished over a recent window (jobs that ended in it, SUCCEEDED or FAILED).",
  fields: (t) => ({
    minutes: t.exposeInt("minutes", { description: "The window: the last this many minutes." }),
    succeeded: t.exposeInt("succeeded", { description: "Jobs that succeeded in the window." }),
    failed: t.exposeInt("failed", { description: "Jobs that failed for good in the window." }),
    completed: t.int({ description: "Jobs that ended in the window, succeeded or failed.", resolve: (w) => w.succeeded + w.failed }),
    jobsPerMinute: t.float({ description: "completed / minutes.", resolve: (w) => (w.succeeded + w.failed) / w.minutes }),
    meanRunSeconds: t.exposeFloat("meanRunSeconds", {
      nullable: true,
      description: "The mean time from start to end of the jobs that ended in the window (their last attempt); null when none did.",
    }),
  }),
});
