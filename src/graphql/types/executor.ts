import { builder } from "../builder.js";

export type ExecutorShape = { name: string; version: string | null };

export const Executor = builder.objectRef<ExecutorShape>("Executor").implement({
  description: "The compute capability that performs work: a task executor's name and, optionally, version.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The executor's name." }),
    version: t.exposeString("version", { nullable: true, description: "The executor's version; null means any." }),
  }),
});
