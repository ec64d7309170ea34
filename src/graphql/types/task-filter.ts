import { builder } from "../builder.js";
import { TaskStatusEnum } from "./enums.js";
import { Task } from "./task.js";

export const TaskFilter = builder.inputType("TaskFilter", {
  description: "Which tasks of a job to list. Every condition given must hold.",
  fields: (t) => ({
    name: t.string({ required: false, description: "The task with exactly this name (names are unique within a job)." }),
    status: t.field({ type: [TaskStatusEnum], required: false, description: "Any of these statuses." }),
    sequence: t.int({ required: false, description: "Tasks of this sequence (stage)." }),
    mapTask: t.globalID({ required: false, for: [Task], description: "The children of this MAP task." }),
    mapChildren: t.boolean({ required: false, description: "false: leave out the children of MAP tasks (a list of the job's own tasks); true: only them." }),
  }),
});
