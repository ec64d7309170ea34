import { builder } from "../builder.js";

export const DateTimeRange = builder.inputType("DateTimeRange", {
  description: "A range of time: from (inclusive) up to to (exclusive). Either end may be left open.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", required: false, description: "The earliest time included." }),
    to: t.field({ type: "DateTime", required: false, description: "The first time no longer included." }),
  }),
});
