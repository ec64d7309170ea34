import { formatPrismaCursor } from "@pothos/plugin-prisma";
import type { LogLine } from "../../domain/logs.js";
import { builder } from "../builder.js";
import { TaskRef } from "../model-refs.js";
import { LogStreamEnum } from "./enums.js";

export const JobLogLine = builder.objectRef<LogLine>("JobLogLine").implement({
  description: "A line a worker wrote while running a job (or one of its tasks), in its job's log.",
  fields: (t) => ({
    cursor: t.string({
      description: "Where the line is in its job's log: pass it as `after` to jobLog or log to go on behind it.",
      resolve: (l) => formatPrismaCursor(l, "id"),
    }),
    seq: t.expose("seq", { type: "Long", description: "1 for the job's first line, then the next integer, in the order lines were appended; gaps are lines the job's limits dropped." }),
    stream: t.expose("stream", { type: LogStreamEnum, description: "STDOUT or STDERR." }),
    at: t.expose("at", { type: "DateTime", description: "When the worker says the line was written." }),
    line: t.exposeString("line", { description: "The text, without its line break." }),
    task: t.field({
      type: TaskRef,
      nullable: true,
      description: "The task whose line it is; null for a line of the job itself (or of a task deleted since).",
      resolve: (l, _args, ctx) => (l.taskId ? ctx.loaders.task().load(l.taskId) : null),
    }),
  }),
});

/** Every page of log lines, a job's or a task's, so one fragment fits both. */
export const JobLogLineConnection = builder.connectionObject(
  { type: JobLogLine, name: "JobLogLineConnection", description: "A page of log lines." },
  { name: "JobLogLineEdge", description: "A log line in a page, with its cursor." },
);
