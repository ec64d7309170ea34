import type { QueueCounts as Counts } from "../../domain/queues.js";
import { builder } from "../builder.js";

export const QueueCounts = builder.objectRef<Counts>("QueueCounts").implement({
  description: "How many of a queue's jobs (not deleted) are in each status.",
  fields: (t) => ({
    waiting: t.int({ description: "Jobs WAITING for their dependencies.", resolve: (s) => s.counts.WAITING }),
    queued: t.int({ description: "Jobs QUEUED, claimable or not yet.", resolve: (s) => s.counts.QUEUED }),
    claimable: t.int({ description: "QUEUED jobs whose runAfter has passed: the ones a claim could take now.", resolve: (s) => s.claimable }),
    scheduled: t.int({ description: "QUEUED jobs whose runAfter (or retry backoff) has not passed yet.", resolve: (s) => s.counts.QUEUED - s.claimable }),
    acquired: t.int({ description: "Jobs ACQUIRED by a node and not started yet.", resolve: (s) => s.counts.ACQUIRED }),
    running: t.int({ description: "Jobs RUNNING.", resolve: (s) => s.counts.RUNNING }),
    held: t.int({ description: "Jobs held by nodes (ACQUIRED or RUNNING): what a concurrency limit counts.", resolve: (s) => s.counts.ACQUIRED + s.counts.RUNNING }),
    succeeded: t.int({ description: "Jobs SUCCEEDED.", resolve: (s) => s.counts.SUCCEEDED }),
    failed: t.int({ description: "Jobs FAILED.", resolve: (s) => s.counts.FAILED }),
    cancelled: t.int({ description: "Jobs CANCELLED.", resolve: (s) => s.counts.CANCELLED }),
  }),
});
