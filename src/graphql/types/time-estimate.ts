import { builder } from "../builder.js";

/** An estimated moment with the range it is expected to fall in. */
export type TimeEstimateShape = {
  time: Date;
  earliest: Date;
  latest: Date;
  /** How likely the true time is within [earliest, latest], 0..1. */
  confidence: number;
  /** What the estimate was worked out from, in words. */
  basis: string;
};

export const TimeEstimate = builder.objectRef<TimeEstimateShape>("TimeEstimate").implement({
  description: "An estimated moment, with the range the true moment is expected to fall in and how likely that is (docs/api.md says how each estimate is worked out).",
  fields: (t) => ({
    time: t.expose("time", { type: "DateTime", description: "The most likely moment." }),
    earliest: t.expose("earliest", { type: "DateTime", description: "The start of the range." }),
    latest: t.expose("latest", { type: "DateTime", description: "The end of the range." }),
    confidence: t.exposeFloat("confidence", { description: "How likely the true moment falls within [earliest, latest], between 0 and 1." }),
    basis: t.exposeString("basis", { description: "What the estimate was worked out from, in words (for example `fitted to 12 progress reports over 94 s`)." }),
  }),
});
