// The fields that describe a task's work, shared by a new task (NewTaskInput) and the template of
// a map's children (MapTaskTemplateInput).
import type { InputFieldBuilder, SchemaTypes } from "@pothos/core";
import type { builder } from "../builder.js";
import { TaskResourceInput } from "./task-resource-input.js";

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

export function taskDescriptionFields(t: InputFieldBuilder<Types, "InputObject">) {
  return {
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
  };
}

/** A task description as the domain takes it: inputs' targets as Flow Compute nests them. */
export function toTaskDescription<T extends { inputs?: Array<{ source: { uri?: string | null; spaceId?: string | null; key?: string | null }; targetPath: string }> | null }>(input: T) {
  return { ...input, inputs: input.inputs?.map((i) => ({ source: i.source, target: { path: i.targetPath } })) };
}
