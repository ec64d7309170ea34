import { builder } from "../builder.js";
import { taskDescriptionFields } from "./task-description-fields.js";

export const MapTaskTemplateInput = builder.inputType("MapTaskTemplateInput", {
  description:
    "What each child of a MAP task is: a task without name, type or sequence (a child is named <map>[<index>] and runs in the map's sequence). In its strings (inputs, payload, hints, parameters), {{index}} becomes the child's index, {{value}} its value (a string as it is, anything else as JSON) and {{value.<key>}} a key of it.",
  fields: (t) => taskDescriptionFields(t),
});
