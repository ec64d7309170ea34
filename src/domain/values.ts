// Typed values: what a template declares (inputs and parameters) and what a job supplies for them.
// Every problem in a job's values is reported at once, with the path of the value concerned.
import { createHash } from "node:crypto";
import type { FieldError } from "./errors.js";

export const VALUE_TYPES = ["string", "int", "float", "bool", "json", "output"] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export type Declaration = { name: string; types: ValueType[]; required: boolean; default?: unknown; help: string };

/**
 * A reference to another job's output, the value of an `output` input: given by the output's id
 * alone, or by its job's id, name and type; stored with all four (normalizeOutputRefs). A job
 * of a workflow may name the job by its key in the request instead (`after`). A reference to an
 * output of one of the job's dependencies that has not succeeded yet is a binding: it is stored
 * without `output` until the dependency succeeds and the output's id is written into it.
 */
export type OutputRef = { job: string; name: string; type: string; output?: string };

/** An output reference by the key of a job of the same workflow request. */
export type KeyedOutputRef = { after: string; name: string; type: string };

/** A value as a job stores it: name -> { type, value }. */
export type TypedValues = Record<string, { type: ValueType; value: unknown }>;

/**
 * A value as a caller gives it. `asOutputRef`: the same value read as an output reference by the
 * caller's layer (which may name jobs and outputs its own way), used if the value is one.
 */
export type SuppliedValue = { name: string; type?: string | null; value?: unknown; asOutputRef?: unknown };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a value of the declared type `type` (false for an unknown type). */
export function valueFits(type: string, value: unknown): boolean {
  return (VALUE_TYPES as readonly string[]).includes(type) && isType(type as ValueType, value);
}

function isType(type: ValueType, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "float":
      return typeof value === "number" && Number.isFinite(value);
    case "bool":
      return typeof value === "boolean";
    case "json":
      return value !== undefined;
    case "output": {
      const ref = value as Partial<OutputRef> | null;
      if (typeof ref !== "object" || ref === null) return false;
      if (Object.keys(ref).length === 1 && typeof ref.output === "string") return UUID.test(ref.output);
      if ("after" in ref) return isKeyedRef(ref);
      return (
        typeof ref.job === "string" && UUID.test(ref.job) &&
        typeof ref.name === "string" && ref.name.length > 0 && typeof ref.type === "string" && ref.type.length > 0 &&
        (ref.output === undefined || (typeof ref.output === "string" && UUID.test(ref.output)))
      );
    }
  }
}

const TYPE_SHAPES: Record<ValueType, string> = {
  string: "a string",
  int: "an integer",
  float: "a number",
  bool: "true or false",
  json: "any JSON value",
  output: 'an output reference: {"output": <output id>}, {"job": <job id>, "name": ..., "type": ...}, or in a workflow {"after": <key>, "name": ..., "type": ...}',
};

/**
 * The most inputs, and the most parameters, a template declares. Every job of the template is read
 * with as many values (its defaults are stored with each job), and lists of them are priced by a
 * fixed guess in a query's cost: a template of a thousand declarations made each page of its jobs a
 * hundred times its price.
 */
export const MAX_DECLARATIONS = 100;
/** The longest a declaration's help may be, and its default as JSON: each job of the template stores the default. */
const MAX_HELP = 1000;
const MAX_DEFAULT_JSON = 65_536;

/** Checks a template's declarations (of inputs or of parameters, at `path`). */
export function checkDeclarations(declarations: Declaration[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (declarations.length > MAX_DECLARATIONS) errors.push({ path: [path], message: `at most ${MAX_DECLARATIONS} ${path}` });
  const seen = new Set<string>();
  declarations.forEach((d, i) => {
    const at = [path, String(i)];
    if (!NAME.test(d.name)) errors.push({ path: [...at, "name"], message: "must be a name of letters, digits, _ . - (up to 100), not starting with a digit" });
    else if (seen.has(d.name)) errors.push({ path: [...at, "name"], message: `"${d.name}" is declared twice` });
    seen.add(d.name);
    if (!d.types.length) errors.push({ path: [...at, "types"], message: "must name at least one type" });
    for (const type of d.types) {
      if (!VALUE_TYPES.includes(type)) errors.push({ path: [...at, "types"], message: `"${type}" is not one of ${VALUE_TYPES.join(", ")}` });
    }
    if (d.default !== undefined && d.default !== null && d.types.length && !d.types.some((t) => VALUE_TYPES.includes(t) && isType(t, d.default))) {
      errors.push({ path: [...at, "default"], message: `must be ${d.types.map((t) => (VALUE_TYPES.includes(t) ? TYPE_SHAPES[t] : t)).join(" or ")}` });
    }
    if (d.required && d.default !== undefined && d.default !== null) {
      errors.push({ path: [...at, "default"], message: "a required value has no default" });
    }
    if ((d.help?.length ?? 0) > MAX_HELP) errors.push({ path: [...at, "help"], message: `must be at most ${MAX_HELP} characters` });
    if (d.default !== undefined && d.default !== null && JSON.stringify(d.default).length > MAX_DEFAULT_JSON) {
      errors.push({ path: [...at, "default"], message: `must be at most ${MAX_DEFAULT_JSON} characters as JSON` });
    }
  });
  return errors;
}

/**
 * Checks supplied values against declarations and returns them as stored (defaults applied), with
 * every problem found: unknown names, missing required values, wrong types, ambiguous types.
 */
export function checkValues(
  declarations: Declaration[],
  supplied: SuppliedValue[],
  path: string,
): { values: TypedValues; errors: FieldError[] } {
  // By name in a Map, made an object at the end (each name its own property): a name may be any
  // text, `constructor` or `__proto__` too, which an object would hold from its prototype, or take
  // as its prototype when assigned.
  const values = new Map<string, TypedValues[string]>();
  const errors: FieldError[] = [];
  const byName = new Map(declarations.map((d) => [d.name, d]));
  const given = new Set(supplied.map((item) => item.name));
  supplied.forEach((item, i) => {
    const at = [path, String(i)];
    const declaration = byName.get(item.name);
    if (!declaration) {
      errors.push({ path: [...at, "name"], message: `"${item.name}" is not declared by the template` });
      return;
    }
    if (values.has(item.name)) {
      errors.push({ path: [...at, "name"], message: `"${item.name}" is given twice` });
      return;
    }
    const shapes = declaration.types.map((t) => TYPE_SHAPES[t]).join(" or ");
    if (item.type != null && !declaration.types.includes(item.type as ValueType)) {
      errors.push({ path: [...at, "type"], message: `must be one of ${declaration.types.join(", ")}` });
      return;
    }
    // Without a type, the value's own shape decides, when it fits exactly one declared type.
    // An output reference may have been given with ids the caller's layer knows how to read:
    // that reading counts where the value is taken as an output reference, and nowhere else.
    const as = (t: ValueType) => (t === "output" && item.asOutputRef !== undefined ? item.asOutputRef : item.value);
    const candidates = item.type != null ? [item.type as ValueType] : declaration.types.filter((t) => isType(t, as(t)));
    if (candidates.length > 1) {
      errors.push({ path: [...at, "type"], message: `say which of ${candidates.join(", ")} the value is` });
      return;
    }
    const type = candidates[0];
    if (!type || !isType(type, as(type))) {
      errors.push({ path: [...at, "value"], message: `must be ${type ? TYPE_SHAPES[type] : shapes}` });
      return;
    }
    values.set(item.name, { type, value: as(type) });
  });
  for (const d of declarations) {
    if (values.has(d.name)) continue;
    if (d.default !== undefined && d.default !== null) {
      values.set(d.name, { type: d.types.find((t) => isType(t, d.default)) ?? d.types[0]!, value: d.default });
    } else if (d.required && !given.has(d.name)) {
      errors.push({ path: [path], message: `"${d.name}" is required` });
    }
  }
  return { values: Object.fromEntries(values), errors };
}

/** Whether `ref` is exactly {after, name, type}, each a non-empty string. */
function isKeyedRef(ref: object): ref is KeyedOutputRef {
  const { after, name, type } = ref as Partial<KeyedOutputRef>;
  return (
    Object.keys(ref).length === 3 &&
    typeof after === "string" && after.length > 0 &&
    typeof name === "string" && name.length > 0 && typeof type === "string" && type.length > 0
  );
}

/** Output references among the values (by output or job id), to check that they exist. */
export function outputRefs(values: TypedValues): Array<{ name: string; ref: OutputRef }> {
  return Object.entries(values)
    .filter(([, v]) => v.type === "output" && !isKeyedRef(v.value as object))
    .map(([name, v]) => ({ name, ref: v.value as OutputRef }));
}

/** Output references by the key of a job of the same workflow request, by input name. */
export function keyedOutputRefs(values: TypedValues): Array<{ name: string; ref: KeyedOutputRef }> {
  return Object.entries(values)
    .filter(([, v]) => v.type === "output" && isKeyedRef(v.value as object))
    .map(([name, v]) => ({ name, ref: v.value as KeyedOutputRef }));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * What makes two jobs interchangeable (Arvados' reuse rule): the same template version and the
 * same inputs and parameters, defaults included, independent of the order they were given in.
 */
export function fingerprint(templateId: string, inputs: TypedValues, parameters: TypedValues): string {
  return createHash("sha256")
    .update(JSON.stringify(canonical({ templateId, inputs, parameters })))
    .digest("hex");
}
