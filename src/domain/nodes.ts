// Reading worker nodes.
import type { Db } from "../db/client.js";
import type { Prisma, WorkerNode } from "../db/generated/prisma/client.js";
import { ForbiddenError, NotFoundError } from "./errors.js";
import { isAdmin, type Principal } from "./principal.js";
import { rowsById } from "./job-reads.js";

type FindManyNodes = Pick<Prisma.WorkerNodeFindManyArgs, "include" | "select" | "take" | "skip" | "cursor">;

export function listWorkerNodes(db: Db, args: { query: FindManyNodes }) {
  return db.workerNode.findMany({ ...args.query, orderBy: [{ name: "asc" }, { id: "asc" }] } as Prisma.WorkerNodeFindManyArgs);
}

export function countWorkerNodes(db: Db): Promise<number> {
  return db.workerNode.count();
}

export function getWorkerNode(db: Db, id: string, query: Pick<Prisma.WorkerNodeFindUniqueArgs, "include" | "select"> = {}) {
  return db.workerNode.findUnique({ ...query, where: { id } } as Prisma.WorkerNodeFindUniqueArgs);
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
