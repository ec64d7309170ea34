import { builder } from "../builder.js";
import { SortDirectionEnum } from "./enums.js";

export const JobOrderFieldEnum = builder.enumType("JobOrderField", {
  description: "What jobs can be sorted by.",
  values: {
    CREATED_AT: { description: "When the job was created." },
    UPDATED_AT: { description: "When the job last changed." },
    PRIORITY: { description: "The job's priority." },
    NUMBER: { description: "The job's number." },
    END_TIME: { description: "When the job finished; unfinished jobs come last." },
  } as const,
});

export const JobOrder = builder.inputType("JobOrder", {
  description: "How to sort jobs. Ties are broken by id, so pages never overlap.",
  fields: (t) => ({
    field: t.field({ type: JobOrderFieldEnum, required: true, description: "What to sort by." }),
    direction: t.field({
      type: SortDirectionEnum,
      required: false,
      defaultValue: "DESC",
      description: "Which way; newest or largest first by default.",
    }),
  }),
});
