// What admins do to queues and nodes: pause and resume a queue, limit it, drain a node.
import { ForbiddenError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { setNodeDraining } from "../../domain/nodes.js";
import { pauseQueue, resumeQueue, updateQueue } from "../../domain/queues.js";
import { builder } from "../builder.js";
import { mutationErrors } from "../errors.js";
import { Queue } from "./queue.js";
import { UpdateQueueInput } from "./update-queue-input.js";
import { WorkerNode } from "./worker-node.js";


builder.mutationFields((t) => ({
  pauseQueue: t.field({
    type: Queue,
    description: "Pauses a queue: claims hand out none of its jobs until it is resumed; jobs already held go on. Admins only.",
    args: { name: t.arg.string({ required: true, description: "The queue's name (it need not have jobs yet)." }) },
    errors: mutationErrors("pauseQueue", [ForbiddenError, ValidationError]),
    resolve: async (_root, { name }, ctx) => ({ name: (await pauseQueue(ctx.db, ctx.viewer, name)).name }),
  }),
  resumeQueue: t.field({
    type: Queue,
    description: "Resumes a paused queue: claims take its jobs again. Admins only.",
    args: { name: t.arg.string({ required: true, description: "The queue's name." }) },
    errors: mutationErrors("resumeQueue", [ForbiddenError, ValidationError]),
    resolve: async (_root, { name }, ctx) => ({ name: (await resumeQueue(ctx.db, ctx.viewer, name)).name }),
  }),
  updateQueue: t.field({
    type: Queue,
    description: "Changes a queue's settings (its concurrency limit). Admins only.",
    args: { input: t.arg({ type: UpdateQueueInput, required: true, description: "The queue and its new settings." }) },
    errors: mutationErrors("updateQueue", [ForbiddenError, ValidationError]),
    resolve: async (_root, { input }, ctx) => {
      const settings = input.concurrencyLimit === undefined ? {} : { concurrencyLimit: input.concurrencyLimit };
      return { name: (await updateQueue(ctx.db, ctx.viewer, input.name, settings)).name };
    },
  }),
  drainNode: t.field({
    type: WorkerNode,
    description: "Drains a worker node: it is given no new work (its claims find nothing) and finishes the jobs it holds. Admins only.",
    args: { id: t.arg.globalID({ required: true, for: [WorkerNode], description: "The node's global ID." }) },
    errors: mutationErrors("drainNode", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: (_root, { id }, ctx) => setNodeDraining(ctx.db, ctx.viewer, id.id, true),
  }),
  undrainNode: t.field({
    type: WorkerNode,
    description: "Lets a drained worker node take new work again. Admins only.",
    args: { id: t.arg.globalID({ required: true, for: [WorkerNode], description: "The node's global ID." }) },
    errors: mutationErrors("undrainNode", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: (_root, { id }, ctx) => setNodeDraining(ctx.db, ctx.viewer, id.id, false),
  }),
}));
