import { builder } from "../builder.js";

const TaskSourceInput = builder.inputType("TaskInputSourceInput", {
  description: "Where an input resource is: a URI, or a key within a storage space of the job (give one or the other).",
  fields: (t) => ({
    uri: t.string({ required: false, description: "The resource's URI." }),
    spaceId: t.string({ required: false, description: "A storage space, unique within the job." }),
    key: t.string({ required: false, description: "The object's key within the space." }),
  }),
});

export const TaskResourceInput = builder.inputType("TaskInputResourceInput", {
  description: "An input resource a task needs, and where to put it.",
  fields: (t) => ({
    source: t.field({ type: TaskSourceInput, required: true, description: "Where the resource is." }),
    targetPath: t.string({ required: true, description: "A relative POSIX path where the task finds it (up to 4000 characters)." }),
  }),
});
