import type { NewTask } from "../../domain/task-lifecycle.js";
import { builder } from "../builder.js";
import { TaskTypeEnum } from "./enums.js";
import { MapInput } from "./map-input.js";
import { Task } from "./task.js";
import { taskDescriptionFields, toTaskDescription } from "./task-description-fields.js";

export const NewTaskInput = builder.inputType("NewTaskInput", {
  description: "A task to add to a job, as Flow Compute describes one.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique within the job, up to 1000 characters." }),
    type: t.field({ type: TaskTypeEnum, required: false, description: "TASK unless given." }),
    sequence: t.int({ required: false, description: "Execution stage: the task starts only after every lower one succeeded; 0 unless given." }),
    ...taskDescriptionFields(t),
    map: t.field({
      type: MapInput,
      required: false,
      description: "For a MAP task (and only one): the task template and the list it maps over; each value makes one child task. A MAP task without it maps over nothing.",
    }),
    createdByTask: t.globalID({ required: false, for: [Task], description: "The task of the same job that created this one." }),
  }),
});

export function toNewTask(input: typeof NewTaskInput.$inferInput): NewTask {
  return {
    ...toTaskDescription(input),
    createdByTaskId: input.createdByTask?.id,
    map: input.map ? { task: toTaskDescription(input.map.task), values: input.map.values } : null,
  };
}
