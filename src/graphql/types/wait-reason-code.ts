import { WAIT_REASON_CODES } from "../../domain/why-not-running.js";
import { builder } from "../builder.js";

export const WaitReasonCodeEnum = builder.enumType("WaitReasonCode", {
  description: "Why a job is not running: the kind of a WaitReason.",
  values: {
    WAITING_FOR_DEPENDENCIES: { description: "It is WAITING for dependencies that have not succeeded yet." },
    DELETED: { description: "The job is deleted (reinstate it to queue it again)." },
    FINISHED: { description: "The job has finished (reset it to run it again)." },
    HELD: { description: "A node has acquired the job and not started it yet." },
    QUEUE_PAUSED: { description: "Its queue is paused." },
    QUEUE_AT_LIMIT: { description: "Its queue holds as many jobs as its concurrency limit allows." },
    RUN_AFTER: { description: "It may not run before its runAfter." },
    RETRY_BACKOFF: { description: "It waits out the backoff after a failed attempt." },
    BEHIND_JOBS: { description: "Other claimable jobs of its queue come before it in claim order." },
    NO_NODE_ONLINE: { description: "No worker node is online (or every online node is draining)." },
    NO_NODE_WITH_EXECUTOR: { description: "No online node runs an executor it (or one of its tasks) needs." },
    REQUIREMENTS_EXCEED_NODES: { description: "Online nodes run its executors, but none meets its requirements (cpu, memory, labels, its tasks')." },
    READY: { description: "Nothing holds it back: the next claim by a node it fits takes it." },
  } satisfies Record<(typeof WAIT_REASON_CODES)[number], { description: string }>,
});
