import type { LogStats } from "../../domain/logs.js";
import { builder } from "../builder.js";

export const JobLogStats = builder.objectRef<LogStats>("JobLogStats").implement({
  description: "How much a job has logged, and how much its limits dropped (JOBGRAPH_LOG_MAX_LINES, JOBGRAPH_LOG_MAX_BYTES).",
  fields: (t) => ({
    lines: t.expose("lines", { type: "Long", description: "Lines appended so far: the last line's seq." }),
    bytes: t.expose("bytes", { type: "Long", description: "Bytes (UTF-8) appended so far." }),
    droppedLines: t.expose("droppedLines", { type: "Long", description: "The oldest lines dropped to keep within the limits." }),
    droppedBytes: t.expose("droppedBytes", { type: "Long", description: "Their bytes." }),
  }),
});
