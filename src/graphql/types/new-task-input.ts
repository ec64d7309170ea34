import type { NewTask } from "../../domain/task-lifecycle.js";
import { builder } from "../builder.js";
import { TaskTypeEnum } from "./enums.js";
import { Task } from "./task.js";

const TaskSourceInput = builder.inputType("TaskInputSourceInput", {
  description: "Where an input resource is: a URI, or a key within a storage space of the job (give one or the other).",
  fields: (t) => ({
    uri: t.string({ required: false, description: "The resource's URI." }),
    spaceId: t.string({ required: false, description: "A storage space, unique within the job." }),
    key: t.string({ required: false, description: "The object's key within the space." }),
  }),
});

const TaskResourceInput = builder.inputType("TaskInputResourceInput", {
  description: "An input resource a task needs, and where to put it.",
  fields: (t) => ({
    source: t.field({ type: TaskSourceInput, required: true, description: "Where the resource is." }),
    targetPath: t.string({ required: true, description: "A relative POSIX path where the task finds it (up to 4000 characters)." }),
  }),
});

export const NewTaskInput = builder.inputType("NewTaskInput", {
  description: "A task to add to a job, as Flow Compute describes one.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique within the job, up to 1000 characters." }),
    type: t.field({ type: TaskTypeEnum, required: false, description: "TASK unless given." }),
    sequence: t.int({ required: false, description: "Execution stage: the task starts only after every lower one succeeded; 0 unless given." }),
    executorName: t.string({ required: false, description: "The executor, if not the template's." }),
    executorVersion: t.string({ required: false, description: "The executor's version." }),
    hints: t.field({ type: "JSON", required: false, description: "Hints for the executor." }),
    inputs: t.field({ type: [TaskResourceInput], required: false, description: "Input resources." }),
    payload: t.field({ type: "JSON", required: false, description: "Executor-specific instructions." }),
    cpu: t.int({ required: false, description: "Minimum vCPUs, 1 to 16." }),
    memory: t.int({ required: false, description: "Minimum memory in MB, up to 122880." }),
    maxExecutionTimeInSeconds: t.int({
      required: false,
      description: "Longest a run may last, up to 172800 seconds: past it the run ends as a failure (TASK_TIMED_OUT). The job's taskTimeLimitSeconds unless given.",
    }),
    requiredLabels: t.field({
      type: "JSON",
      required: false,
      description: 'Labels (key -> value, e.g. {"gpu": "a100"}) a node must carry to claim the job.',
    }),
    maxAttempts: t.int({ required: false, description: "Starts allowed, 1 to 10: a failed task is queued again while attempts remain; 1 unless given." }),
    parameters: t.field({ type: "JSON", required: false, description: "The task's parameters." }),
    createdByTask: t.globalID({ required: false, for: [Task], description: "The task of the same job that created this one." }),
  }),
});

export function toNewTask(input: typeof NewTaskInput.$inferInput): NewTask {
  return {
    ...input,
    createdByTaskId: input.createdByTask?.id,
    inputs: input.inputs?.map((i) => ({ source: i.source, target: { path: i.targetPath } })),
  };
}
