import { builder } from "../builder.js";

export const TaskRequirements = builder
  .objectRef<{ cpu: number | null; memory: number | null }>("TaskRequirements")
  .implement({
    description: "The minimum resources a task needs.",
    fields: (t) => ({
      cpu: t.exposeInt("cpu", { nullable: true, description: "Minimum vCPUs, 1 to 16." }),
      memory: t.exposeInt("memory", { nullable: true, description: "Minimum memory in MB, up to 122880." }),
    }),
  });
