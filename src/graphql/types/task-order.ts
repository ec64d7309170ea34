import { builder } from "../builder.js";
import { SortDirectionEnum } from "./enums.js";

export const TaskOrderFieldEnum = builder.enumType("TaskOrderField", {
  description: "What tasks can be sorted by.",
  values: {
    QSEQUENCE: { description: "Order of arrival in the job." },
    SEQUENCE: { description: "Execution stage, then order of arrival." },
    NAME: { description: "Name." },
    CREATED_AT: { description: "When the task was created." },
  } as const,
});

export const TaskOrder = builder.inputType("TaskOrder", {
  description: "How to sort tasks.",
  fields: (t) => ({
    field: t.field({ type: TaskOrderFieldEnum, required: true, description: "What to sort by." }),
    direction: t.field({
      type: SortDirectionEnum,
      required: false,
      defaultValue: "ASC",
      description: "Which way; ascending by default.",
    }),
  }),
});
