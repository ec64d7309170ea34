import { builder } from "../builder.js";
import { decodeGlobalId, encodeGlobalId } from "../global-id.js";
import { JobOutput } from "./job-output.js";

export type TypedValueShape = { name: string; type: string; value: unknown };

/** The types whose global IDs an output reference carries, by the reference's key. */
const REF_TYPES = { job: "Job", output: "JobOutput" } as const;

/**
 * An output reference as the domain takes it: its `job` and `output` given as global IDs (the IDs
 * the API shows) become the rows' UUIDs; anything else is passed on for the domain to judge.
 */
export function decodeOutputRef(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const decoded: Record<string, unknown> = { ...value };
  for (const [key, typename] of Object.entries(REF_TYPES)) {
    const id = decoded[key];
    if (typeof id !== "string" || UUID.test(id)) continue;
    try {
      const global = decodeGlobalId(id);
      if (global.typename === typename) decoded[key] = global.id;
    } catch {
      // Not a global ID: the domain refuses it as not an output reference, naming the input.
    }
  }
  return decoded;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An output reference as the API shows it: its job and output by global ID. */
function encodeOutputRef(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const ref = value as Record<string, unknown>;
  return {
    ...ref,
    ...(typeof ref.job === "string" ? { job: encodeGlobalId(REF_TYPES.job, ref.job) } : {}),
    ...(typeof ref.output === "string" ? { output: encodeGlobalId(REF_TYPES.output, ref.output) } : {}),
  };
}

export const TypedValue = builder.objectRef<TypedValueShape>("TypedValue").implement({
  description: "A named value a job was given for one of its template's inputs or parameters.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The declared name." }),
    type: t.exposeString("type", { description: "The value's type, one of the declaration's types." }),
    value: t.field({
      type: "JSON",
      nullable: true,
      description:
        'The value itself. An output reference is {"job": <Job ID>, "name": ..., "type": ..., "output": <JobOutput ID>}; one bound to an output of a dependency has no "output" until the dependency succeeds.',
      resolve: (v) => (v.type === "output" ? encodeOutputRef(v.value) : v.value) ?? null,
    }),
    output: t.field({
      type: JobOutput,
      nullable: true,
      description:
        "For an output reference, the output it names: its downloadUrl, size and sha256 for the worker that runs the job. Null for other values, and for an input bound to an output of a dependency that has not succeeded yet (the output is taken when it does).",
      resolve: (v, _args, ctx) => {
        const id = v.type === "output" ? (v.value as { output?: unknown } | null)?.output : undefined;
        return typeof id === "string" ? ctx.loaders.output.load(id) : null;
      },
    }),
  }),
});

/** Stored as { name: { type, value } }; listed in name order so clients get a stable shape. */
export function typedValues(stored: unknown): TypedValueShape[] {
  if (!stored || typeof stored !== "object") return [];
  return Object.entries(stored as Record<string, { type?: string; value?: unknown }>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => ({ name, type: String(v?.type ?? ""), value: v?.value ?? null }));
}
