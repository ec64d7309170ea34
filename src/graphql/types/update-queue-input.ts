import { builder } from "../builder.js";

export const UpdateQueueInput = builder.inputType("UpdateQueueInput", {
  description: "New settings of a queue; a setting left out is unchanged.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The queue's name (it need not have jobs yet)." }),
    concurrencyLimit: t.int({
      required: false,
      description:
        "The most of its jobs held (ACQUIRED or RUNNING) at once, 1 to 1000000; null for no limit. Lowering it below what is held takes nothing back: claims wait until enough finish.",
    }),
  }),
});
