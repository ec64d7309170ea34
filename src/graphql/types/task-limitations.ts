import { builder } from "../builder.js";

export const TaskLimitations = builder
  .objectRef<{ maxExecutionTimeInSeconds: number | null }>("TaskLimitations")
  .implement({
    description: "Limits a task runs under.",
    fields: (t) => ({
      maxExecutionTimeInSeconds: t.exposeInt("maxExecutionTimeInSeconds", {
        nullable: true,
        description: "The longest the task may run, in seconds, up to 172800 (two days).",
      }),
    }),
  });
