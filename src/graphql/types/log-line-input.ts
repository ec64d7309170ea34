import { builder } from "../builder.js";
import { LogStreamEnum } from "./enums.js";

export const LogLineInput = builder.inputType("LogLineInput", {
  description: "A line of output.",
  fields: (t) => ({
    stream: t.field({ type: LogStreamEnum, required: true, description: "STDOUT or STDERR." }),
    line: t.string({ required: true, description: "The text, without its line break; at most 64 KiB of UTF-8." }),
    at: t.field({ type: "DateTime", required: false, description: "When it was written; when the gateway receives it unless given." }),
  }),
});
