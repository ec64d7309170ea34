import { builder } from "../builder.js";
import { MapTaskTemplateInput } from "./map-task-template-input.js";

export const MapInput = builder.inputType("MapInput", {
  description: "What a MAP task fans out to: one child task per value of the list, made from the template.",
  fields: (t) => ({
    task: t.field({ type: MapTaskTemplateInput, required: true, description: "What each child is." }),
    values: t.field({
      type: ["JSON"],
      required: true,
      description: "The list mapped over, up to 1000 values of up to 64 KiB each; an empty list makes a MAP task that has succeeded.",
    }),
  }),
});
