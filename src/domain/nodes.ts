// Reading worker nodes.
import type { Db } from "../db/client.js";
import type { WorkerNode } from "../db/generated/prisma/client.js";
import { ForbiddenError, NotFoundError } from "./errors.js";
import { isAdmin, type Principal } from "./principal.js";
import { countRows, pageOfRows, rowsById, sortKey, type FirstRows, type JobRow, type Page, type RowCount, type RowFirsts, type RowList } from "./job-reads.js";

/** Every worker node, by name (names are unique). */
const NODES: RowList = { model: "WorkerNode", table: "worker_nodes", keys: [sortKey("name", true), sortKey("id", true)] };

/** A page of the worker nodes, and how many there are when `counted` (see pageOfRows). */
export function pageOfWorkerNodes(db: Db, page: Page, counted: boolean, counts: ReadonlyArray<RowCount<"WorkerNode">> = [], firsts?: RowFirsts<"WorkerNode">) {
  return pageOfRows<WorkerNode & { jobCount?: number; firstJobs?: FirstRows<JobRow> }>(db, NODES, page, counted, counts, undefined, firsts);
}

export function countWorkerNodes(db: Db): Promise<number> {
  return countRows(db, NODES);
}

/** The nodes of these ids, in no particular order (those that are gone left out), in one statement. */
export function workerNodesByIds(db: Db, ids: readonly string[]): Promise<WorkerNode[]> {
  return rowsById<WorkerNode>(db, "WorkerNode", "worker_nodes", ids);
}

/**
 * Marks a node draining (it is given no new work and finishes what it holds) or not. Returns the
 * node. Admins.
 */
export async function setNodeDraining(db: Db, actor: Principal | null, nodeId: string, draining: boolean) {
  if (!isAdmin(actor)) throw new ForbiddenError(`only an admin may ${draining ? "drain" : "undrain"} a node`);
  const [node] = await db.workerNode.updateManyAndReturn({ where: { id: nodeId }, data: { draining } });
  if (!node) throw new NotFoundError("worker node", nodeId);
  return node;
}
