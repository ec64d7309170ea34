import { builder } from "../builder.js";

export type ValueDeclarationShape = {
  name: string;
  types: string[];
  required: boolean;
  default?: unknown;
  help?: string;
};

export const ValueDeclaration = builder.objectRef<ValueDeclarationShape>("ValueDeclaration").implement({
  description: "A template's declaration of one input or parameter that jobs supply.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The name jobs use for the value." }),
    types: t.exposeStringList("types", {
      description: "The types a value may have: string, int, float, bool, json, or output (another job's output).",
    }),
    required: t.exposeBoolean("required", { description: "Whether a job must supply the value." }),
    default: t.field({
      type: "JSON",
      nullable: true,
      description: "The value used when a job supplies none.",
      resolve: (d) => d.default ?? null,
    }),
    help: t.string({ description: "What the value means.", resolve: (d) => d.help ?? "" }),
  }),
});
