// Why a job is not running: every reason that holds it back, each naming what it concerns, so that
// a person (or a dashboard) can tell a paused queue from a missing executor at a glance.
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { sqlRows } from "../db/rows.js";
import { unmetDependenciesOf, type UnmetDependency } from "./dependencies.js";
import { NODE_FITS, whyNodesCannotTake } from "./node-fit.js";
import { queuePositions } from "./queue-positions.js";
import { heldIn, NODE_OFFLINE_AFTER_SECONDS, NODE_ONLINE } from "./queues.js";

const { sql } = Prisma;

export type WaitReason =
  | { kind: "DELETED"; message: string; deletedAt: Date }
  | { kind: "FINISHED"; message: string; status: JobStatus; endTime: Date | null }
  | { kind: "HELD"; message: string; nodeId: string | null }
  | { kind: "QUEUE_PAUSED"; message: string; queue: string }
  | { kind: "QUEUE_AT_LIMIT"; message: string; queue: string; concurrencyLimit: number; held: number }
  | { kind: "RUN_AFTER" | "RETRY_BACKOFF"; message: string; until: Date }
  | { kind: "BEHIND_JOBS"; message: string; queue: string; jobsAhead: number }
  | { kind: "NO_NODE_ONLINE"; message: string; drainingNodes: number }
  | { kind: "NO_NODE_WITH_EXECUTOR"; message: string; executor: string }
  | { kind: "REQUIREMENTS_EXCEED_NODES"; message: string; nodesWithExecutors: number; example: string | null }
  | { kind: "WAITING_FOR_DEPENDENCIES"; message: string; jobs: UnmetDependency[] }
  | { kind: "READY"; message: string };

export type WaitReasonCode = WaitReason["kind"];

export const WAIT_REASON_CODES: readonly WaitReasonCode[] = [
  "WAITING_FOR_DEPENDENCIES",
  "DELETED",
  "FINISHED",
  "HELD",
  "QUEUE_PAUSED",
  "QUEUE_AT_LIMIT",
  "RUN_AFTER",
  "RETRY_BACKOFF",
  "BEHIND_JOBS",
  "NO_NODE_ONLINE",
  "NO_NODE_WITH_EXECUTOR",
  "REQUIREMENTS_EXCEED_NODES",
  "READY",
];

type Row = {
  id: string;
  status: JobStatus;
  deleted_at: Date | null;
  end_time: Date | null;
  node_id: string | null;
  queue: string;
  run_after: Date;
  attempts: number;
  paused: boolean | null;
  concurrency_limit: number | null;
  held: number | null;
  online: number;
  draining: number;
  missing_executor: string | null;
  with_executors: number;
  fitting: number;
  closest_node: string | null;
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The reasons each job is not running, by id (absent: no such job). A running job has none; a
 * deleted or finished job has that one reason alone; a held job that has not started is HELD; a
 * waiting job has every reason that applies (queue, time, jobs ahead, nodes), or READY when none
 * does. Nodes count when online (see NODE_OFFLINE_AFTER_SECONDS) and not draining. One statement
 * for every job asked about, and one for their queue positions unless the caller has them.
 */
export async function whyNotRunning(
  db: Db,
  jobIds: readonly string[],
  knownPositions?: ReadonlyMap<string, number | null>,
): Promise<Map<string, WaitReason[]>> {
  const online = NODE_ONLINE("node");
  const available = sql`${online} and not node.draining`;
  const [rows, positions] = await Promise.all([
    sqlRows<Row>(db, sql`
      /* whyNotRunning */
      select j.id, j.status, j.deleted_at, j.end_time, j.node_id, j.queue, j.run_after, j.attempts,
             q.paused, q.concurrency_limit,
             ${heldIn("j.queue")} as held,
             (select count(*)::int from worker_nodes node where ${online}) as online,
             (select count(*)::int from worker_nodes node where ${online} and node.draining) as draining,
             -- An executor the job or one of its tasks needs that no available node runs.
             (select e from unnest(array[t.executor_name] || array(select distinct k.executor_name from tasks k
                                                                    where k.job_id = j.id and k.executor_name is not null)) e
               where not exists (select 1 from worker_nodes node where ${available}
                                    and (cardinality(node.executors) = 0 or e = any(node.executors)))
               limit 1) as missing_executor,
             (select count(*)::int from worker_nodes node where ${available}
                 and (cardinality(node.executors) = 0 or t.executor_name = any(node.executors))) as with_executors,
             (select count(*)::int from worker_nodes node where ${available} and ${NODE_FITS}) as fitting,
             (select node.id from worker_nodes node where ${available}
                 and (cardinality(node.executors) = 0 or t.executor_name = any(node.executors))
               order by node.name limit 1) as closest_node
        from jobs j
        join job_templates t on t.id = j.template_id
        left join queues q on q.name = j.queue
       where j.id = any(${[...jobIds]}::uuid[])`),
    knownPositions ?? queuePositions(db, jobIds),
  ]);
  const waiting = rows.filter((r) => r.status === "WAITING" && !r.deleted_at).map((r) => r.id);
  // The jobs that no online node fits, each with the node that comes closest, to say why it does not.
  const unfit = rows.filter((r) => !r.deleted_at && (r.status === "QUEUED" || r.status === "WAITING") && r.fitting === 0 && r.closest_node);
  const [unmet, whys] = await Promise.all([
    waiting.length ? unmetDependenciesOf(db, waiting) : new Map<string, never[]>(),
    whyNodesCannotTake(db, unfit.map((r) => ({ nodeId: r.closest_node!, jobId: r.id }))),
  ]);
  const examples = new Map(unfit.map((r, i) => [r.id, whys[i]!]));
  const result = new Map<string, WaitReason[]>();
  for (const row of rows) result.set(row.id, reasonsFor(row, positions.get(row.id) ?? 0, unmet.get(row.id) ?? [], examples.get(row.id) ?? null));
  return result;
}

function reasonsFor(row: Row, jobsAhead: number, unmet: UnmetDependency[], example: string | null): WaitReason[] {
  if (row.deleted_at) {
    return [{ kind: "DELETED", message: "the job is deleted: reinstate it to queue it again", deletedAt: row.deleted_at }];
  }
  if (row.status === "SUCCEEDED" || row.status === "FAILED" || row.status === "CANCELLED") {
    return [{ kind: "FINISHED", message: `the job has finished (${row.status}): reset it to run it again`, status: row.status, endTime: row.end_time }];
  }
  if (row.status === "RUNNING") return [];
  if (row.status === "ACQUIRED") {
    return [{ kind: "HELD", message: "a node has acquired the job and has not started it yet", nodeId: row.node_id }];
  }
  const reasons: WaitReason[] = [];
  if (row.status === "WAITING") {
    const named = unmet.slice(0, 10).map((j) => `#${j.number} (${j.status}${j.deleted ? ", deleted" : ""})`).join(", ");
    // A deleted dependency runs no more: it holds the job until someone reinstates it or deletes it for good (which cancels the job).
    const held = unmet.some((j) => j.deleted) ? "; a deleted one holds it until it is reinstated, or deleted for good (which cancels it)" : "";
    reasons.push({
      kind: "WAITING_FOR_DEPENDENCIES",
      message: `it waits for ${plural(unmet.length, "dependency", "dependencies")} to succeed: ${named}${unmet.length > 10 ? ", ..." : ""}${held}`,
      jobs: unmet,
    });
  }
  if (row.paused) reasons.push({ kind: "QUEUE_PAUSED", message: `its queue "${row.queue}" is paused`, queue: row.queue });
  if (row.concurrency_limit !== null && row.held! >= row.concurrency_limit) {
    reasons.push({
      kind: "QUEUE_AT_LIMIT",
      message: `its queue "${row.queue}" is at its concurrency limit: ${row.held} of ${row.concurrency_limit} held`,
      queue: row.queue,
      concurrencyLimit: row.concurrency_limit,
      held: row.held!,
    });
  }
  if (row.run_after > new Date()) {
    reasons.push(
      row.attempts > 0
        ? { kind: "RETRY_BACKOFF", message: `it waits out the backoff after a failed attempt, until ${row.run_after.toISOString()}`, until: row.run_after }
        : { kind: "RUN_AFTER", message: `it may not run before ${row.run_after.toISOString()} (its runAfter)`, until: row.run_after },
    );
  }
  if (jobsAhead > 0 && row.status === "QUEUED") {
    reasons.push({ kind: "BEHIND_JOBS", message: `${plural(jobsAhead, "job")} of queue "${row.queue}" will be claimed before it`, queue: row.queue, jobsAhead });
  }
  if (row.online === row.draining) {
    reasons.push({
      kind: "NO_NODE_ONLINE",
      message: row.draining
        ? `every online node is draining (${row.draining})`
        : `no worker node has called in the last ${NODE_OFFLINE_AFTER_SECONDS} s`,
      drainingNodes: row.draining,
    });
  } else if (row.missing_executor !== null) {
    reasons.push({ kind: "NO_NODE_WITH_EXECUTOR", message: `no online node runs the executor ${row.missing_executor}`, executor: row.missing_executor });
  } else if (row.fitting === 0) {
    reasons.push({
      kind: "REQUIREMENTS_EXCEED_NODES",
      message: `no online node that runs its executors meets its requirements${example ? `: ${example}` : ""}`,
      nodesWithExecutors: row.with_executors,
      example,
    });
  }
  if (reasons.length === 0) {
    reasons.push({ kind: "READY", message: "nothing holds it back: the next claim by a node it fits takes it" });
  }
  return reasons;
}
