// A Pothos plugin that guards every field's arguments and gives the refusals of its decoders a
// stable code:
// - before arguments are decoded (global IDs), lists longer than MAX_LIST_LENGTH (of arguments
//   and input fields; a JSON value's lists are data) and values nested deeper than
//   MAX_VALUE_DEPTH are refused, and so is a connection's `after` or `before` that is not a
//   cursor of this gateway, for every caller and operation;
// - after scope-auth, text PostgreSQL cannot take (NUL, lone surrogates) in a query's or a
//   subscription's arguments is refused with INVALID_TEXT. Mutations refuse it in the domain
//   instead (refuseUnstorableText), after the caller's permission, as a ValidationError;
// - Pothos' own refusals (an ID that is not one or of the wrong type, a cursor that is not one,
//   a negative page size) come with no code; they get one here, so that the compiled queries of
//   the fast lane, which skip yoga's error handling, answer with it too.
// Only fields with arguments are wrapped: most fields of a page have none, and pay nothing.
// useVariablesDepth, a yoga plugin, refuses a request's variables nested too deep before any of
// this (or logging, or the cost check) walks them.
import SchemaBuilder, { BasePlugin, PothosValidationError, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { getDatamodel } from "../db/generated/pothos-types.js";
import { CURSOR_FIELD_TYPES, CURSOR_FIELDS, type CursorField } from "../domain/job-reads.js";
import type { ModelName } from "../db/rows.js";
import { isStorableText, MAX_SEARCH_LENGTH, UNSTORABLE_TEXT } from "../domain/text.js";
import type { Context } from "./context.js";
import { BAD_USER_INPUT, codedError, codeFor, INPUT_TOO_DEEP, INPUT_TOO_LARGE, INVALID_CURSOR, INVALID_TEXT, LIST_TOO_LONG, MAX_LIST_LENGTH, MAX_VALUE_DEPTH } from "./error-codes.js";

type Resolver<C = unknown> = GraphQLFieldResolver<unknown, C, object>;

const describe = (path: readonly string[]) => path.join(".");

/**
 * Refuses lists longer than MAX_LIST_LENGTH (of arguments and input fields, not inside JSON
 * values) and values nested deeper than MAX_VALUE_DEPTH; walked without recursion.
 */
export function checkShape(args: Record<string, unknown>, types: ReadonlyMap<string, GraphQLInputType>): void {
  const pending: Array<{ value: unknown; type: GraphQLInputType | null; path: string[]; depth: number }> = [];
  for (const [name, value] of Object.entries(args)) pending.push({ value, type: types.get(name) ?? null, path: [name], depth: 0 });
  while (pending.length) {
    const { value, type: declared, path, depth } = pending.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth > MAX_VALUE_DEPTH) {
      throw codedError(INPUT_TOO_DEEP, `the argument "${describe(path.slice(0, 1))}" is nested more than ${MAX_VALUE_DEPTH} levels deep`, { maxDepth: MAX_VALUE_DEPTH });
    }
    const type = declared && getNullableType(declared);
    if (Array.isArray(value)) {
      const list = type && isListType(type);
      if (list && value.length > MAX_LIST_LENGTH) {
        throw codedError(LIST_TOO_LONG, `"${describe(path)}" has ${value.length} items, more than the limit of ${MAX_LIST_LENGTH}`, { maxLength: MAX_LIST_LENGTH });
      }
      const itemType = list ? (type.ofType as GraphQLInputType) : type;
      value.forEach((item, i) => pending.push({ value: item, type: itemType, path: [...path, String(i)], depth: depth + 1 }));
    } else if (Object.getPrototypeOf(value) === Object.prototype) {
      const fields = type && isInputObjectType(type) ? type.getFields() : undefined;
      for (const [key, item] of Object.entries(value)) {
        pending.push({ value: item, type: fields?.[key]?.type ?? (type && isScalarType(type) ? type : null), path: [...path, key], depth: depth + 1 });
      }
    }
  }
}

/**
 * The fewest bytes `value` takes written out as JSON (a string's UTF-16 units, never more than its
 * bytes; a number's one digit at least), counted no further than past `max`; walked without
 * recursion. A request's arguments, each named once, never come to more than its body. Files are
 * not counted: an upload's parts have limits of their own.
 */
export function writtenSize(value: unknown, max: number): number {
  let size = 0;
  const pending: unknown[] = [value];
  while (pending.length && size <= max) {
    const current = pending.pop();
    if (typeof current === "string") size += current.length + 2;
    else if (Array.isArray(current)) {
      size += 1 + Math.max(current.length, 1);
      for (const item of current) pending.push(item);
    } else if (current !== null && typeof current === "object" && Object.getPrototypeOf(current) === Object.prototype) {
      const entries = Object.entries(current);
      size += 1 + Math.max(entries.length, 1);
      for (const [key, item] of entries) {
        size += key.length + 3;
        pending.push(item);
      }
    } else if (typeof current === "boolean" || current === null) size += 4;
    else size += 1;
  }
  return size;
}

/**
 * Counts a mutation's arguments against what its request may carry (JOBGRAPH_MAX_BODY_BYTES),
 * over all the mutations of the request. A variable named at several places of a document is
 * handed whole to each: a body of 939 KB naming a variable of 930 KB as each of 190 jobs of a
 * createWorkflow had the gateway write 185 MB, with 2.4 GB of memory and 18 s. Without variables
 * named twice, a request's arguments are never larger than its body.
 */
function mutationInputSize(args: Record<string, unknown>, context: Context): void {
  const max = context.limits.maxBodyBytes;
  const room = max - context.mutationInput;
  const size = writtenSize(args, room);
  if (size <= room) context.mutationInput += size;
  else {
    throw codedError(
      INPUT_TOO_LARGE,
      `the request's mutations are given more than the ${max} characters a request may carry, each variable counted at every place it is named: send less, or name each value once`,
      { maxBytes: max },
    );
  }
}

/** Refuses a search longer than MAX_SEARCH_LENGTH, naming the input field that holds it. */
export function checkSearch(text: string | null | undefined, field: string): void {
  if (text != null && text.length > MAX_SEARCH_LENGTH) {
    throw codedError(BAD_USER_INPUT, `"${field}" is ${text.length} characters long; a search may be at most ${MAX_SEARCH_LENGTH}`, { maxLength: MAX_SEARCH_LENGTH });
  }
}

/** Refuses text PostgreSQL cannot take anywhere in `args` (object keys included), naming where. */
export function checkText(args: Record<string, unknown>): void {
  const pending: Array<[unknown, string[]]> = Object.entries(args).map(([name, value]) => [value, [name]]);
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === "string") {
      if (!isStorableText(value)) throw codedError(INVALID_TEXT, `the argument "${describe(path)}" ${UNSTORABLE_TEXT}`, { argument: path });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push([item, [...path, String(i)]]));
    } else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, item] of Object.entries(value)) {
        if (!isStorableText(key)) throw codedError(INVALID_TEXT, `a key in the argument "${describe(path)}" ${UNSTORABLE_TEXT}`, { argument: path });
        pending.push([item, [...path, key]]);
      }
    }
  }
}

/**
 * How deep a request's variables may nest, counted from the variables object: room for input
 * objects around a JSON value of MAX_VALUE_DEPTH levels. Deeper variables are refused with the
 * request, before anything (logging, cost memo keys, coercion) walks them.
 */
export const MAX_VARIABLES_DEPTH = 2 * MAX_VALUE_DEPTH;

/** Whether `value` nests objects or lists deeper than `max` levels; walked without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= max) return true;
    for (const item of Array.isArray(current) ? current : Object.values(current)) pending.push([item, depth + 1]);
  }
  return false;
}

/** The refusal of variables nested deeper than MAX_VARIABLES_DEPTH, or null. */
export function variablesDepthError(variables: unknown): GraphQLError | null {
  if (!nestedDeeperThan(variables, MAX_VARIABLES_DEPTH)) return null;
  return codedError(INPUT_TOO_DEEP, `the variables are nested more than ${MAX_VARIABLES_DEPTH} levels deep`, { maxDepth: MAX_VARIABLES_DEPTH, http: { status: 400 } });
}

/** The yoga plugin that refuses requests whose variables nest too deep (see MAX_VARIABLES_DEPTH). */
export function useVariablesDepth(): Plugin {
  return {
    onParams({ params }) {
      const error = variablesDepthError(params.variables);
      if (error) throw error;
    },
  };
}

/** A Pothos refusal (or any GraphQL error raised without a code) as the same error with its code. */
function coded(error: unknown): unknown {
  if (error instanceof PothosValidationError || (error instanceof GraphQLError && error.extensions?.code === undefined && !error.originalError)) {
    return codedError(codeFor(error), error.message);
  }
  return error;
}

/** Calls `resolve`, giving what it throws (now or later) its code. */
function withCodes<C>(resolve: Resolver<C>): Resolver<C> {
  return (parent, args, context, info) => {
    let result: unknown;
    try {
      result = resolve(parent, args, context, info);
    } catch (error) {
      throw coded(error);
    }
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(coded(error))) : result;
  };
}

/**
 * The cursors this gateway makes: Pothos' Prisma cursors over an `id` column, a UUID (`S`) or, for
 * lists of job events and log lines, a bigint (`I`), and a row's UUID with its sort values (`O`,
 * see src/graphql/pages.ts). Anything else, a cursor of the other kind included, would reach a
 * `::uuid` cast or a bigint column and fail there.
 */
const UUID_TEXT = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const CURSOR = new RegExp(`^GPC:(?:(S):${UUID_TEXT}|(I):(-?[0-9]{1,19})|O:(\\{.*\\}))$`, "is");
const UUID = new RegExp(`^${UUID_TEXT}$`, "i");
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const INT_MAX = 2 ** 31 - 1;

/** Whether `value` is one PostgreSQL takes as a `type` (see CURSOR_FIELD_TYPES), as a cursor gives it. */
function sortValueFits(type: (typeof CURSOR_FIELD_TYPES)[CursorField], value: unknown): boolean {
  switch (type) {
    case "timestamptz":
      // As the gateway writes times (toISOString), which also rules out dates PostgreSQL refuses.
      return value === null || (typeof value === "string" && value.length <= 30 && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value);
    case "int":
      return Number.isInteger(value) && Math.abs(value as number) <= INT_MAX;
    case "bigint":
      return typeof value === "string" && /^-?[0-9]{1,19}$/.test(value) && BigInt(value) >= BIGINT_MIN && BigInt(value) <= BIGINT_MAX;
    case "text":
      return typeof value === "string" && value.length <= 1000 && isStorableText(value);
  }
}

/**
 * Whether `json` is a cursor's row: its UUID and sort values, each of the type of its field and,
 * when `fields` says which a row of the list carries (see CURSOR_FIELDS), one of those.
 */
function isCursorRow(json: string, fields: readonly CursorField[] | undefined): boolean {
  let row: unknown;
  try {
    row = JSON.parse(json);
  } catch {
    return false;
  }
  if (!row || typeof row !== "object" || Array.isArray(row)) return false;
  const { id, ...values } = row as Record<string, unknown>;
  if (typeof id !== "string" || !UUID.test(id)) return false;
  return Object.entries(values).every(
    ([field, value]) =>
      Object.hasOwn(CURSOR_FIELD_TYPES, field) && (!fields || fields.includes(field as CursorField)) && sortValueFits(CURSOR_FIELD_TYPES[field as CursorField], value),
  );
}

/** The kind of cursor a list takes: `S` over a UUID id, `I` over a number, either when its resolver checks for itself. */
export type CursorKind = "S" | "I" | "any";

/**
 * Refuses an `after` or `before` of a connection that is not a cursor this gateway made for a
 * list of its kind, whose rows' cursors carry `fields` (a cursor of a list of other rows carries
 * others).
 */
export function checkCursor(argument: string, cursor: unknown, kind: CursorKind = "any", fields?: readonly CursorField[]): void {
  if (typeof cursor !== "string") return;
  const match = CURSOR.exec(Buffer.from(cursor, "base64").toString("utf8"));
  const integer = match?.[3];
  const row = match?.[4];
  const found = match?.[1] || row !== undefined ? "S" : "I";
  if (
    match &&
    (kind === "any" || kind === found) &&
    (integer === undefined || (BigInt(integer) >= BIGINT_MIN && BigInt(integer) <= BIGINT_MAX)) &&
    (row === undefined || isCursorRow(row, fields))
  ) {
    return;
  }
  throw codedError(INVALID_CURSOR, `"${argument}" is not a cursor of this list: pass a cursor from its edges or pageInfo`);
}

/** The cursors a connection takes: their kind, and the fields its rows' cursors carry. */
type Cursors = { kind: CursorKind; fields?: readonly CursorField[] };

/**
 * The cursors a connection takes, from the id of the model its nodes are rows of; `any` for
 * nodes without a single id (log lines), whose resolvers read their cursors themselves.
 */
function cursorsOf(connection: GraphQLNamedType): Cursors {
  if (!isObjectType(connection)) return { kind: "any" };
  const edges = connection.getFields()["edges"];
  const edge = edges && getNamedType(edges.type);
  const node = edge && isObjectType(edge) ? edge.getFields()["node"] : undefined;
  const name = node && getNamedType(node.type).name;
  const model = name ? getDatamodel().datamodel.models[name] : undefined;
  const id = model?.fields.find((field) => field.isId);
  if (!id) return { kind: "any" };
  return { kind: id.type === "String" ? "S" : "I", fields: CURSOR_FIELDS[name as ModelName] ?? [] };
}

type FieldArguments = { types: Map<string, GraphQLInputType>; cursor: Cursors | null };

/** The declared types of a field's arguments, and the cursors it takes if it is a connection, remembered per field. */
const fieldArguments = new WeakMap<object, FieldArguments>();

function argumentsOf(info: GraphQLResolveInfo): FieldArguments {
  const field = info.parentType.getFields()[info.fieldName]!;
  let known = fieldArguments.get(field);
  if (!known) {
    const type = getNamedType(field.type);
    known = { types: new Map(field.args.map((arg) => [arg.name, arg.type])), cursor: type.name.endsWith("Connection") ? cursorsOf(type) : null };
    fieldArguments.set(field, known);
  }
  return known;
}

export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapArgMappers(resolver: Resolver<Types["Context"]>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types["Context"]> {
    if (!Object.keys(fieldConfig.args).length) return resolver;
    const guarded = withCodes(resolver);
    const mutation = fieldConfig.kind === "Mutation";
    return (parent, args, context, info) => {
      const known = argumentsOf(info);
      checkShape(args as Record<string, unknown>, known.types);
      if (mutation) mutationInputSize(args as Record<string, unknown>, context as Context);
      if (known.cursor) {
        for (const name of ["after", "before"]) checkCursor(name, (args as Record<string, unknown>)[name], known.cursor.kind, known.cursor.fields);
      }
      return guarded(parent, args, context, info);
    };
  }

  override wrapResolve(resolver: Resolver<Types["Context"]>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types["Context"]> {
    if (!Object.keys(fieldConfig.args).length || fieldConfig.kind === "Mutation" || fieldConfig.kind === "Subscription") return resolver;
    return (parent, args, context, info) => {
      checkText(args as Record<string, unknown>);
      return resolver(parent, args, context, info);
    };
  }

  // A subscription's arguments are checked as it starts, as a query's are: its resolver runs for
  // each event, by when a list of 50,000 queue names had long been matched against every change.
  override wrapSubscribe(subscribe: Resolver<Types["Context"]> | undefined, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types["Context"]> | undefined {
    if (!subscribe || !Object.keys(fieldConfig.args).length) return subscribe;
    const guarded = withCodes(subscribe);
    return (parent, args, context, info) => {
      checkShape(args as Record<string, unknown>, argumentsOf(info).types);
      checkText(args as Record<string, unknown>);
      return guarded(parent, args, context, info);
    };
  }
}

const pluginName = "inputGuard";
export default pluginName;

SchemaBuilder.registerPlugin(pluginName, InputGuardPlugin);

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}
