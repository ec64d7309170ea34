// Whether a node can take a job: the node's executors, size and labels against what the job and
// every one of its tasks ask for. The same rule for acquireNextJob (which passes over what does
// not fit) and acquireJob (which refuses it, saying why).
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";

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

/**
 * Why the node cannot take the job (NODE_FITS is false), in words, naming the first task that does
 * not fit when it is a task; null when it can (or either is gone).
 */
export async function whyNodeCannotTake(db: Db | Prisma.TransactionClient, nodeId: string, jobId: string): Promise<string | null> {
  const [node, job] = await Promise.all([
    db.workerNode.findUnique({ where: { id: nodeId }, select: { executors: true, cpu: true, memory: true, labels: true } }),
    db.job.findUnique({
      where: { id: jobId },
      select: {
        requiredLabels: true,
        template: { select: { executorName: true } },
        tasks: { select: { name: true, executorName: true, cpu: true, memory: true, requiredLabels: true }, orderBy: { qsequence: "asc" } },
      },
    }),
  ]);
  if (!node || !job) return null;
  const labels = node.labels as Labels;
  const runs = (executor: string | null) => executor === null || node.executors.length === 0 || node.executors.includes(executor);
  if (!runs(job.template.executorName)) return `the job's executor ${job.template.executorName} is not one of the node's (${node.executors.join(", ")})`;
  const lacking = missing(job.requiredLabels as Labels, labels);
  if (lacking.length) return `the job requires labels the node does not have: ${lacking.join(", ")}`;
  for (const task of job.tasks) {
    const why = !runs(task.executorName)
      ? `its executor ${task.executorName} is not one of the node's`
      : node.cpu !== null && task.cpu !== null && task.cpu > node.cpu
        ? `it needs ${task.cpu} vCPUs and the node offers ${node.cpu}`
        : node.memory !== null && task.memory !== null && task.memory > node.memory
          ? `it needs ${task.memory} MB of memory and the node offers ${node.memory}`
          : missing(task.requiredLabels as Labels, labels).length
            ? `it requires labels the node does not have: ${missing(task.requiredLabels as Labels, labels).join(", ")}`
            : null;
    if (why) return `task "${task.name}" does not fit the node: ${why}`;
  }
  return null;
}
