import { builder } from "../builder.js";

export type TaskInputShape = {
  source: { uri?: string; spaceId?: string; key?: string };
  target: { path: string };
};

const TaskInputSource = builder.objectRef<TaskInputShape["source"]>("TaskInputSource").implement({
  description: "Where an input resource is: either a URI, or a key within a storage space of the job.",
  fields: (t) => ({
    uri: t.string({ nullable: true, description: "The resource's URI.", resolve: (s) => s.uri ?? null }),
    spaceId: t.string({
      nullable: true,
      description: "A storage space, unique within the job.",
      resolve: (s) => s.spaceId ?? null,
    }),
    key: t.string({ nullable: true, description: "The object's key within the space.", resolve: (s) => s.key ?? null }),
  }),
});

const TaskInputTarget = builder.objectRef<TaskInputShape["target"]>("TaskInputTarget").implement({
  description: "Where an input resource is placed for the task.",
  fields: (t) => ({
    path: t.exposeString("path", { description: "A relative POSIX path, case-sensitive." }),
  }),
});

export const TaskInput = builder.objectRef<TaskInputShape>("TaskInput").implement({
  description: "An input resource a task needs, and where to put it.",
  fields: (t) => ({
    source: t.field({ type: TaskInputSource, description: "Where the resource is.", resolve: (i) => i.source }),
    target: t.field({ type: TaskInputTarget, description: "Where the task finds it.", resolve: (i) => i.target }),
  }),
});
