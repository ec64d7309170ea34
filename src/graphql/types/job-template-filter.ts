import type { TemplateFilter } from "../../domain/templates.js";
import { builder } from "../builder.js";

export const JobTemplateFilter = builder.inputType("JobTemplateFilter", {
  description: "Which templates to list. Every condition given must hold.",
  fields: (t) => ({
    name: t.string({ required: false, description: "Versions of this name." }),
    executor: t.string({ required: false, description: "Run by this executor." }),
    latestOnly: t.boolean({ required: false, defaultValue: false, description: "Only the latest version of each name." }),
    includeDeleted: t.boolean({ required: false, defaultValue: false, description: "Include soft-deleted versions." }),
  }),
});

export function toTemplateFilter(input: typeof JobTemplateFilter.$inferInput | null | undefined): TemplateFilter {
  return {
    name: input?.name,
    executorName: input?.executor,
    latestOnly: input?.latestOnly,
    includeDeleted: input?.includeDeleted,
  };
}
