import { countWorkerNodes, listWorkerNodes } from "../../domain/nodes.js";
import { builder, pageSize } from "../builder.js";

export const WorkerNode = builder.prismaNode("WorkerNode", {
  description: "A machine that claims and runs jobs.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "The node's unique name." }),
    description: t.exposeString("description", { nullable: true, description: "What the node is." }),
    executors: t.exposeStringList("executors", { description: "Executors the node can run; empty means any." }),
    cpu: t.exposeInt("cpu", { nullable: true, description: "vCPUs the node offers." }),
    memory: t.exposeInt("memory", { nullable: true, description: "Memory the node offers, in MB." }),
    labels: t.expose("labels", { type: "JSON", description: "Labels (key -> value) that job filters can match." }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true, description: "When the node last called the API." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the node was registered." }),
    currentJobs: t.relatedConnection("jobs", {
      cursor: "id",
      ...pageSize,
      totalCount: true,
      description: "Jobs the node holds now (ACQUIRED or RUNNING).",
      query: () => ({
        where: { status: { in: ["ACQUIRED", "RUNNING"] }, deletedAt: null },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
    },
      { description: "A page of jobs the node holds." },
      { description: "One of the jobs the node holds, with its cursor." }),
  }),
});

builder.queryFields((t) => ({
  workerNodes: t.prismaConnection(
    {
      type: "WorkerNode",
      cursor: "id",
      ...pageSize,
      description: "The registered worker nodes, by name.",
      totalCount: (_connection, _args, ctx) => countWorkerNodes(ctx.db),
      resolve: (query, _root, _args, ctx) => listWorkerNodes(ctx.db, { query }),
    },
    { description: "A page of worker nodes." },
    { description: "A worker node in a page." },
  ),
}));
