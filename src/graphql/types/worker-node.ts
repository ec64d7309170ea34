import type { ApiToken as ApiTokenRow, WorkerNode as WorkerNodeRow } from "../../db/generated/prisma/client.js";
import { registerWorkerNode } from "../../domain/auth.js";
import { countWorkerNodes, pageOfWorkerNodes } from "../../domain/nodes.js";
import { NODE_OFFLINE_AFTER_SECONDS } from "../../domain/queues.js";
import { builder } from "../builder.js";
import { EDGE_NODE, JobConnection, jobListConnection, listConnection, nodePages, WorkerNodeConnection } from "../connections.js";
import { firstPagesSelected, listCountsSelected } from "../selection.js";
import { CURSOR_FIELDS, type FirstRows, type JobRow } from "../../domain/job-reads.js";
import { pageFromQuery } from "../pages.js";
import { JobRef } from "../model-refs.js";
import { ForbiddenError, ValidationError } from "../../domain/errors.js";
import { mutationErrors } from "../errors.js";
import { ApiToken } from "./api-token.js";

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
    labels: t.expose("labels", {
      type: "JSON",
      description: "Labels (key -> value): the node claims only jobs whose required labels, and their tasks', these contain.",
    }),
    lastSeenAt: t.expose("lastSeenAt", {
      type: "DateTime",
      nullable: true,
      description: "When the node last called the API (recorded at most once a minute).",
    }),
    online: t.boolean({
      description: `Whether the node has called the API in the last ${NODE_OFFLINE_AFTER_SECONDS} seconds.`,
      resolve: (node) => node.lastSeenAt !== null && Date.now() - node.lastSeenAt.getTime() < NODE_OFFLINE_AFTER_SECONDS * 1000,
    }),
    draining: t.exposeBoolean("draining", {
      description: "Whether an admin drained the node: it is given no new work and finishes what it holds (drainNode, undrainNode).",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the node was registered." }),
    currentJobs: t.connection(
      {
        type: JobRef,
        description: "Jobs the node holds now (ACQUIRED or RUNNING), oldest first.",
        // Counted with the node when a page of nodes read it (see listCountsSelected).
        resolve: (node, args, ctx, info) => {
          const read = node as { jobCount?: number; firstJobs?: FirstRows<JobRow> };
          return jobListConnection(node.id, { of: "node" }, args, ctx, info, read.jobCount, read.firstJobs);
        },
      },
      JobConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  workerNodes: t.connection(
    {
      type: WorkerNode,
      description: "The registered worker nodes, by name.",
      resolve: (_root, args, ctx, info) => {
        const page = pageFromQuery(nodePages.getQuery(args, ctx, () => true));
        const counts = listCountsSelected(info, EDGE_NODE, [["currentJobs", "jobs"]]);
        const firsts = firstPagesSelected(info, EDGE_NODE, "WorkerNode", [["currentJobs", "Job"]]);
        return listConnection(args, info, page, (p, counted) => pageOfWorkerNodes(ctx.db, p, counted, counts, firsts), () => countWorkerNodes(ctx.db), CURSOR_FIELDS.WorkerNode);
      },
    },
    WorkerNodeConnection,
  ),
}));

const RegisterWorkerNodeInput = builder.inputType("RegisterWorkerNodeInput", {
  description: "A worker node and what it can run.",
  fields: (t) => ({
    name: t.string({ required: true, description: "A unique name, up to 200 characters." }),
    description: t.string({ required: false, description: "What the node is: at most 10,000 characters." }),
    executors: t.stringList({ required: false, description: "Executors the node can run; any if omitted or empty." }),
    cpu: t.int({ required: false, description: "vCPUs the node offers." }),
    memory: t.int({ required: false, description: "Memory the node offers, in MB." }),
    labels: t.field({
      type: "JSON",
      required: false,
      description:
        "Labels as an object of strings (e.g. {\"zone\": \"a\"}), at most 50 of them, keys of up to 100 characters and values of up to 200: the node claims only jobs whose required labels, and their tasks', these contain.",
    }),
  }),
});

const RegisterWorkerNodePayload = builder
  .objectRef<{ node: WorkerNodeRow; token: ApiTokenRow; secret: string }>("RegisterWorkerNodePayload")
  .implement({
    description: "The node registered, its token, and the token's secret.",
    fields: (t) => ({
      node: t.field({ type: WorkerNode, description: "The new worker node.", resolve: (p) => p.node }),
      token: t.field({ type: ApiToken, description: "The node's token.", resolve: (p) => p.token }),
      secret: t.exposeString("secret", {
        description: "The secret the node sends as `Authorization: Bearer <secret>`. Shown only now.",
      }),
    }),
  });

function stringLabels(labels: unknown): Record<string, string> | null {
  if (labels == null) return null;
  if (typeof labels !== "object" || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== "string")) {
    throw new ValidationError("labels must be an object whose values are strings", [
      { path: ["input", "labels"], message: "must be an object of strings" },
    ]);
  }
  return labels as Record<string, string>;
}

builder.mutationFields((t) => ({
  registerWorkerNode: t.field({
    type: RegisterWorkerNodePayload,
    description: "Registers a worker node and creates its token, whose secret is returned once. Admins only.",
    args: { input: t.arg({ type: RegisterWorkerNodeInput, required: true, description: "The node." }) },
    errors: mutationErrors("registerWorkerNode", [ForbiddenError, ValidationError]),
    resolve: (_root, { input }, ctx) =>
      registerWorkerNode(ctx.db, ctx.viewer, { ...input, labels: stringLabels(input.labels) }),
  }),
}));
