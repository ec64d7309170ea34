import { watchQueues, type QueueChange } from "../../events/watch-queues.js";
import { queueNameProblem } from "../../domain/queues.js";
import { builder } from "../builder.js";
import { BAD_USER_INPUT, codedError } from "../error-codes.js";
import { Queue } from "./queue.js";

builder.subscriptionFields((t) => ({
  queueUpdated: t.field({
    type: Queue,
    description:
      "A queue each time an admin changes its settings (at once) or its jobs move between statuses (at most once a second per queue): the named queue, first as it is now; or, without a name, every queue as it changes.",
    args: { name: t.arg.string({ required: false, description: "The queue to watch; every queue when omitted." }) },
    subscribe: (_root, args, ctx) => {
      const problem = args.name == null ? null : queueNameProblem(args.name);
      if (problem) throw codedError(BAD_USER_INPUT, `"name" ${problem}`);
      return watchQueues(ctx.events, ctx.db, args.name?.trim() ?? null);
    },
    resolve: (change: QueueChange) => ({ name: change.name }),
  }),
}));
