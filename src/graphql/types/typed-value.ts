import { builder } from "../builder.js";

export type TypedValueShape = { name: string; type: string; value: unknown };

export const TypedValue = builder.objectRef<TypedValueShape>("TypedValue").implement({
  description: "A named value a job was given for one of its template's inputs or parameters.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The declared name." }),
    type: t.exposeString("type", { description: "The value's type, one of the declaration's types." }),
    value: t.field({ type: "JSON", nullable: true, description: "The value itself.", resolve: (v) => v.value ?? null }),
  }),
});

/** Stored as { name: { type, value } }; listed in name order so clients get a stable shape. */
export function typedValues(stored: unknown): TypedValueShape[] {
  if (!stored || typeof stored !== "object") return [];
  return Object.entries(stored as Record<string, { type?: string; value?: unknown }>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => ({ name, type: String(v?.type ?? ""), value: v?.value ?? null }));
}
