// Whether a node can take a job: the node's executors, size and labels against what the job and
// every one of its tasks ask for. The same rule for acquireNextJob (which passes over what does
// not fit) and acquireJob (which refuses it, saying why).
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";

const { sql } = Prisma;

/**
 * SQL that is true when the node row `node` (with executors, cpu, memory, labels) can take the job
 * row `j`: its template's executor is one of the node's (or the node runs any), the node's labels
 * contain the job's required labels, and every task fits too (executor, cpu, memory, labels).
 */
export const NODE_FITS = sql`
  (cardinality(node.executors) = 0
   or (select t.executor_name from job_templates t where t.id = j.template_id) = any(node.executors))
  -- Most jobs require no labels: said first, the planner estimates from the column's statistics
  -- that nearly every job passes, and keeps walking the claim order's index (a containment alone
  -- it takes for selective, and sorts the whole queue instead).
  and (j.required_labels = '{}'::jsonb or node.labels @> j.required_labels)
  and not exists (select 1 from tasks k where k.job_id = j.id
                   and (k.cpu > coalesce(node.cpu, k.cpu) or k.memory > coalesce(node.memory, k.memory)
                        or (k.required_labels <> '{}'::jsonb and not node.labels @> k.required_labels)
                        or (cardinality(node.executors) > 0 and k.executor_name is not null and k.executor_name <> all(node.executors))))`;

type Labels = Record<string, string>;

/** What the node lacks of what `wanted` requires, as `key=value` pairs; empty when nothing. */
function missing(wanted: Labels, has: Labels): string[] {
  return Object.entries(wanted)
    .filter(([key, value]) => has[key] !== value)
    .map(([key, value]) => `${key}=${value}`);
}

type FitNode = { id: string; executors: string[]; cpu: number | null; memory: number | null; labels: Labels };
type FitTask = { name: string; executorName: string | null; cpu: number | null; memory: number | null; requiredLabels: Labels };
type FitJob = { id: string; requiredLabels: Labels; executorName: string; tasks: FitTask[] };

/** A node and a job to say of why the one cannot take the other. */
export type NodeAndJob = { nodeId: string; jobId: string };

/**
 * Why each node cannot take its job (NODE_FITS is false), in words, naming the first task that does
 * not fit when it is a task; null when it can (or either is gone). In the order given, with two
 * statements for them all (the nodes, and the jobs with their tasks), however many they are: a
 * page of jobs asks it for each job no node fits.
 */
export async function whyNodesCannotTake(db: Db | Prisma.TransactionClient, pairs: readonly NodeAndJob[]): Promise<Array<string | null>> {
  if (!pairs.length) return [];
  const nodeIds = [...new Set(pairs.map((p) => p.nodeId))];
  const jobIds = [...new Set(pairs.map((p) => p.jobId))];
  const [nodes, jobs] = await Promise.all([
    sqlRows<FitNode>(db, sql`select id, executors, cpu, memory, labels from worker_nodes where id = any(${nodeIds}::uuid[])`),
    sqlRows<FitJob>(
      db,
      sql`select j.id, j.required_labels as "requiredLabels", t.executor_name as "executorName",
                 coalesce((select jsonb_agg(jsonb_build_object('name', k.name, 'executorName', k.executor_name, 'cpu', k.cpu, 'memory', k.memory,
                                                              'requiredLabels', k.required_labels) order by k.qsequence)
                             from tasks k where k.job_id = j.id), '[]') as tasks
            from jobs j join job_templates t on t.id = j.template_id where j.id = any(${jobIds}::uuid[])`,
    ),
  ]);
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  return pairs.map(({ nodeId, jobId }) => {
    const node = nodeById.get(nodeId);
    const job = jobById.get(jobId);
    return node && job ? whyNot(node, job) : null;
  });
}

/** Why the node cannot take the job (see whyNodesCannotTake). */
export async function whyNodeCannotTake(db: Db | Prisma.TransactionClient, nodeId: string, jobId: string): Promise<string | null> {
  return (await whyNodesCannotTake(db, [{ nodeId, jobId }]))[0]!;
}

function whyNot(node: FitNode, job: FitJob): string | null {
  const labels = node.labels;
  const runs = (executor: string | null) => executor === null || node.executors.length === 0 || node.executors.includes(executor);
  if (!runs(job.executorName)) return `the job's executor ${job.executorName} is not one of the node's (${node.executors.join(", ")})`;
  const lacking = missing(job.requiredLabels, labels);
  if (lacking.length) return `the job requires labels the node does not have: ${lacking.join(", ")}`;
  for (const task of job.tasks) {
    const why = !runs(task.executorName)
      ? `its executor ${task.executorName} is not one of the node's`
      : node.cpu !== null && task.cpu !== null && task.cpu > node.cpu
        ? `it needs ${task.cpu} vCPUs and the node offers ${node.cpu}`
        : node.memory !== null && task.memory !== null && task.memory > node.memory
          ? `it needs ${task.memory} MB of memory and the node offers ${node.memory}`
          : missing(task.requiredLabels, labels).length
            ? `it requires labels the node does not have: ${missing(task.requiredLabels, labels).join(", ")}`
            : null;
    if (why) return `task "${task.name}" does not fit the node: ${why}`;
  }
  return null;
}
