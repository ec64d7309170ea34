import { builder } from "../builder.js";
import { TaskStatusEnum } from "./enums.js";

export const TaskFilter = builder.inputType("TaskFilter", {
  description: "Which tasks of a job to list. Every condition given must hold.",
  fields: (t) => ({
    name: t.string({ required: false, description: "The task with exactly this name (names are unique within a job)." }),
    status: t.field({ type: [TaskStatusEnum], required: false, description: "Any of these statuses." }),
    sequence: t.int({ required: false, description: "Tasks of this sequence (stage)." }),
  }),
});
