// Reading worker nodes.
import type { Db } from "../db/client.js";
import type { Prisma } from "../db/generated/prisma/client.js";

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
