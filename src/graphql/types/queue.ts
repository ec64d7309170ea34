import type { WorkerNode as WorkerNodeRow } from "../../db/generated/prisma/client.js";
import { listQueueNames, queueExists } from "../../domain/queues.js";
import { builder, listSize } from "../builder.js";
import { QueueCounts } from "./queue-counts.js";
import { QueueThroughput } from "./queue-throughput.js";
import { WorkerNode } from "./worker-node.js";

/** A queue is known by its name; its fields read what they need, batched across the queues of a request. */
export type QueueRef = { name: string };

export const Queue = builder.objectRef<QueueRef>("Queue").implement({
  description:
    "A named queue of jobs: its settings (an admin pauses it or limits how many of its jobs are held at once), what it holds, how fast it drains, and the nodes that can serve it. A queue exists as soon as a job names it.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The queue's name, as jobs give it (`default` unless they say)." }),
    paused: t.boolean({
      description: "Whether the queue is paused: claims hand out none of its jobs; jobs already held go on.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueSettings.load(q.name)).paused,
    }),
    concurrencyLimit: t.int({
      nullable: true,
      description: "The most of its jobs held (ACQUIRED or RUNNING) at once; null when there is no limit.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueSettings.load(q.name)).concurrencyLimit,
    }),
    settingsUpdatedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When an admin last changed the queue's settings; null if never.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueSettings.load(q.name)).updatedAt,
    }),
    counts: t.field({
      type: QueueCounts,
      description: "How many of its jobs are in each status.",
      resolve: (q, _args, ctx) => ctx.loaders.queueCounts.load(q.name),
    }),
    oldestWaitingSince: t.field({
      type: "DateTime",
      nullable: true,
      description: "Since when its longest-waiting claimable job could have been claimed (its runAfter); null when none is claimable.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueCounts.load(q.name)).oldestWaitingSince,
    }),
    oldestWaitingSeconds: t.float({
      nullable: true,
      description: "How long its longest-waiting claimable job has been claimable, in seconds; null when none is.",
      resolve: async (q, _args, ctx) => {
        const since = (await ctx.loaders.queueCounts.load(q.name)).oldestWaitingSince;
        return since ? Math.max(0, (Date.now() - since.getTime()) / 1000) : null;
      },
    }),
    last5Minutes: t.field({
      type: QueueThroughput,
      description: "Jobs that ended in it over the last 5 minutes, and how long they ran.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueThroughput.load(q.name)).recent[0]!,
    }),
    last60Minutes: t.field({
      type: QueueThroughput,
      description: "Jobs that ended in it over the last 60 minutes, and how long they ran.",
      resolve: async (q, _args, ctx) => (await ctx.loaders.queueThroughput.load(q.name)).recent[1]!,
    }),
    nodes: t.field({
      type: [WorkerNode],
      description:
        "The online worker nodes, not draining, that can serve it: those that run the executor of one of its waiting jobs (every online node when none waits).",
      resolve: async (q, _args, ctx) => {
        const found = await ctx.loaders.workerNode.loadMany(await ctx.loaders.queueNodes.load(q.name));
        return found.filter((node): node is WorkerNodeRow => node !== null && !(node instanceof Error));
      },
    }),
  }),
});

builder.queryFields((t) => ({
  queues: t.field({
    type: [Queue],
    description:
      "Queues by name, those jobs name and those an admin configured: the first `first` of them, after the queue named `after`. Page on with the last name received as `after` while a page comes back full.",
    args: {
      first: t.arg.int({
        required: false,
        description: "At most this many (the maximum page size, 100 unless the gateway says otherwise, when not given).",
      }),
      after: t.arg.string({ required: false, description: "The name of the last queue already received; from the first queue when not given." }),
    },
    complexity: (args, ctx) => ({ field: 1, multiplier: Math.max(args.first ?? ctx.settings.maxPageSize, 1) }),
    resolve: async (_root, args, ctx) =>
      (await listQueueNames(ctx.db, { after: args.after, limit: args.first == null ? ctx.settings.maxPageSize : listSize(args.first, ctx) })).map((name) => ({ name })),
  }),
  queue: t.field({
    type: Queue,
    nullable: true,
    description: "The queue of this name; null when no job names it and no admin configured it.",
    args: { name: t.arg.string({ required: true, description: "The queue's name." }) },
    resolve: async (_root, { name }, ctx) => ((await queueExists(ctx.db, name)) ? { name } : null),
  }),
}));
