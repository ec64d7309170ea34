import { builder } from "../builder.js";
import { AttemptOutcomeEnum } from "./enums.js";
import { WorkerNode } from "./worker-node.js";

export const JobAttempt = builder.prismaObject("JobAttempt", {
  description: "One acquisition of a job by a worker node, kept after it ends: who, when, how it ended and why.",
  fields: (t) => ({
    number: t.exposeInt("number", { description: "1 for the job's first attempt, then the next; a reset does not start again from 1." }),
    node: t.field({
      type: WorkerNode,
      nullable: true,
      description: "The node that made the attempt (null if it was deleted since).",
      resolve: (attempt, _args, ctx) => (attempt.nodeId ? ctx.loaders.workerNode.load(attempt.nodeId) : null),
    }),
    startTime: t.expose("startTime", { type: "DateTime", description: "When the node acquired the job." }),
    endTime: t.expose("endTime", { type: "DateTime", nullable: true, description: "When the attempt ended; null while it is under way." }),
    outcome: t.expose("outcome", { type: AttemptOutcomeEnum, nullable: true, description: "How it ended; null while it is under way." }),
    error: t.exposeString("error", { nullable: true, description: "The error it ended with, if any." }),
    retryable: t.exposeBoolean("retryable", {
      nullable: true,
      description: "Whether the node called its failure worth another attempt (finishJob's retryable); null when it did not fail.",
    }),
    retryAt: t.expose("retryAt", {
      type: "DateTime",
      nullable: true,
      description: "When the job could be acquired again, if the attempt's end returned it to the queue (after its backoff, for a failure).",
    }),
  }),
});
