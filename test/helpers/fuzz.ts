// Operations generated from the schema itself, for the property-based attack on the API
// (test/api/fuzz.test.ts): every Query and Mutation field, its arguments drawn from real values
// (IDs of rows the test made, a real lease token, real cursors) and hostile ones (NUL and lone
// surrogates, huge and negative numbers, 19-20 digit numbers, garbage and wrongly typed IDs,
// garbage cursors, lists of 100,000 items, JSON nested thousands deep, very long strings). A
// field added to the schema is attacked without editing anything here.
import fc from "fast-check";
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";

/** A file to send as a part of a multipart request, for an argument of type File. */
export class FuzzFile {
  constructor(
    readonly content: string,
    readonly filename: string,
    readonly mimeType: string,
  ) {}
}

/** What the generator draws real values from: rows the test made. */
export type FuzzPool = {
  /** Global IDs of real objects, of every type. */
  ids: string[];
  /** The same, by type name. */
  idsByType: Record<string, string[]>;
  /** Lease tokens of jobs held by the test's node. */
  leaseTokens: string[];
  /** Strings the API knows: lease tokens, names, queues, tags, cursors. */
  strings: string[];
  /** Cursors of real pages. */
  cursors: string[];
};

/** One generated operation: its text, variables, and which field it attacks. */
export type FuzzOperation = {
  field: string;
  operation: "query" | "mutation" | "subscription";
  query: string;
  variables: Record<string, unknown>;
  /** Every argument's value, whether sent as a variable or written into the document. */
  args: Record<string, unknown>;
};

const HUGE_LIST = 100_000;

/** Strings PostgreSQL cannot take, and others that have broken parsers. */
const hostileStrings = fc.constantFrom(
  "a\u0000b",
  "\u0000",
  "lone \ud800 high",
  "lone \udc00 low",
  "\udfff\ud800",
  "x".repeat(100_000),
  "' or 1=1 --",
  "%",
  "_",
  "\\",
  "🙂",
  "",
  " ",
  "\n\t",
  "null",
  "GPC:S:x",
  "-1",
  "9223372036854775808",
);

const hugeNumbers = fc.constantFrom(
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  5e-324,
  0,
  -1,
  -0.5,
);

const longStrings = fc.constantFrom(
  "9999999999999999999",
  "99999999999999999999",
  "-9223372036854775809",
  "9223372036854775807",
  "-9223372036854775808",
  "1e3",
  "0x10",
  "",
  "١٢٣",
);

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const TYPES = ["Job", "Task", "JobTemplate", "JobOutput", "JobEvent", "User", "WorkerNode", "ApiToken", "Nope", ""];

/** IDs that are not ones, or of types no argument takes, or past bigint. */
const garbageIds = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(...TYPES).chain((type) =>
    fc.oneof(
      fc.uuid().map((uuid) => base64(`${type}:${uuid}`)),
      fc.constantFrom("99999999999999999999", "9223372036854775808", "-1", "1", "0", "x", "\u0000", "\ud800").map((key) => base64(`${type}:${key}`)),
    ),
  ),
  fc.base64String({ maxLength: 60 }),
);

/** Cursors that are not ones: other base64, other tags, past bigint, wrong key types. */
const garbageCursors = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom("GPC:S:x", "GPC:I:99999999999999999999", "GPC:N:1e400", "GPC:D:x", "GPC:J:{", "GPC:", "GPC:S:", "GPC:I:-1", "GPC:O:true", "GPC:B:AAAA", "GPC:Z:").map(base64),
  fc.uuid().map((uuid) => base64(`GPC:I:${uuid}`)),
  fc.base64String({ maxLength: 40 }),
);

/** A value nested `depth` levels deep, alternating objects and lists. */
function nested(depth: number, key: string): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { [key]: value };
  return value;
}

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 2000 }), fc.constantFrom("a", "token", "k\u0000", "\ud800")).map(([depth, key]) => nested(depth, key)) },
  { weight: 1, arbitrary: fc.dictionary(hostileStrings.filter((s) => s.length < 100), fc.oneof(hostileStrings, fc.integer()), { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: HUGE_LIST }, (_, i) => i)) },
);

/** A small valid-looking value of a type, for lists of HUGE_LIST items (which must stay small). */
function cheapValue(type: GraphQLInputType, pool: FuzzPool): unknown {
  const named = getNamedType(type);
  if (isListType(getNullableType(type))) return [];
  if (isInputObjectType(named)) return {};
  if (isEnumType(named)) return named.getValues()[0]?.name;
  switch (named.name) {
    case "ID":
      return pool.ids[0];
    case "Int":
    case "Long":
      return 1;
    case "Float":
      return 0.5;
    case "Boolean":
      return true;
    default:
      return "q";
  }
}

/**
 * The type an ID argument most likely names, from its own name (`jobId`, `createdByTask`), else
 * from the names around it (`startTask(id:)`): a real ID of that type reaches further than one of
 * another type.
 */
const ID_HINTS: Array<[RegExp, string]> = [
  [/template/i, "JobTemplate"],
  [/output/i, "JobOutput"],
  [/task/i, "Task"],
  [/event/i, "JobEvent"],
  [/token/i, "ApiToken"],
  [/user|creator/i, "User"],
  [/node/i, "WorkerNode"],
  [/job|parent/i, "Job"],
];

function likelyIds(argument: string, context: string, pool: FuzzPool): string[] {
  for (const words of [argument, context]) {
    for (const [hint, type] of ID_HINTS) if (hint.test(words) && pool.idsByType[type]?.length) return pool.idsByType[type]!;
  }
  return pool.idsByType.Job?.length ? pool.idsByType.Job : pool.ids;
}

/**
 * An arbitrary value for an input type: mostly real and plausible values, so that operations get
 * past the first check, with hostile ones mixed in. `context` is the names leading to the value
 * (field, argument, input fields).
 */
function valueFor(type: GraphQLInputType, argument: string, pool: FuzzPool, depth: number, context = argument): fc.Arbitrary<unknown> {
  const nullable = getNullableType(type) as GraphQLInputType;
  // A non-null type now and then gets null anyway: a variable that does not coerce.
  const orNull = (arbitrary: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 30, arbitrary }, { weight: isNonNullType(type) ? 1 : 6, arbitrary: fc.constant(null) });
  if (isListType(nullable)) {
    const item = valueFor(nullable.ofType as GraphQLInputType, argument, pool, depth + 1, context);
    return orNull(
      fc.oneof(
        { weight: 20, arbitrary: fc.array(item, { maxLength: 3 }) },
        { weight: 2, arbitrary: item },
        { weight: 1, arbitrary: fc.constant(Array.from({ length: HUGE_LIST }, () => cheapValue(nullable.ofType as GraphQLInputType, pool))) },
      ),
    );
  }
  if (isInputObjectType(nullable)) {
    if (depth > 4) return fc.constant(null);
    const fields = Object.values(nullable.getFields());
    const record = fc.record(
      Object.fromEntries(fields.map((field) => [field.name, valueFor(field.type, field.name, pool, depth + 1, `${context} ${field.name}`)])),
      { requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name) },
    );
    return orNull(
      fc.oneof(
        { weight: 30, arbitrary: record },
        { weight: 1, arbitrary: record.map((value) => ({ ...value, notAField: 1 })) },
        { weight: 1, arbitrary: fc.constant(nested(300, fields[0]?.name ?? "x")) },
        { weight: 1, arbitrary: fc.oneof(hostileStrings, fc.integer()) },
      ),
    );
  }
  if (isEnumType(nullable)) {
    return orNull(fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...nullable.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: hostileStrings }));
  }
  const named = getNamedType(type);
  const wrongShape = fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]), hostileStrings);
  const scalar = (arbitrary: fc.Arbitrary<unknown>) => orNull(fc.oneof({ weight: 40, arbitrary }, { weight: 1, arbitrary: wrongShape }));
  switch (named.name) {
    case "ID":
      return scalar(
        fc.oneof(
          { weight: 24, arbitrary: fc.constantFrom(...likelyIds(argument, context, pool)) },
          { weight: 4, arbitrary: fc.constantFrom(...pool.ids) },
          { weight: 2, arbitrary: garbageIds },
          { weight: 1, arbitrary: hostileStrings },
        ),
      );
    case "String":
      if (argument === "after" || argument === "before") {
        return scalar(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pool.cursors) }, { weight: 3, arbitrary: garbageCursors }, { weight: 1, arbitrary: hostileStrings }));
      }
      if (/lease/i.test(argument)) {
        return scalar(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...pool.leaseTokens) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileStrings }));
      }
      return scalar(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...pool.strings) }, { weight: 6, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 3, arbitrary: hostileStrings }));
    case "Int":
      return scalar(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: -1, max: 20 }) }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: hugeNumbers }));
    case "Float":
      return scalar(fc.oneof({ weight: 12, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: hugeNumbers }));
    case "Long":
      return scalar(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -5, max: 1000 }) }, { weight: 4, arbitrary: longStrings }, { weight: 1, arbitrary: hugeNumbers }));
    case "Boolean":
      return scalar(fc.boolean());
    case "DateTime":
      return scalar(
        fc.oneof(
          { weight: 4, arbitrary: fc.date({ min: new Date("1970-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()) },
          { weight: 2, arbitrary: fc.constantFrom("0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2026-13-45T99:99:99Z", "2026-01-01T00:00:00", "2026-01-01Tnope", "+275760-09-13T00:00:00Z") },
        ),
      );
    case "JSON":
      return orNull(jsonValue);
    case "File":
      return scalar(
        fc
          .tuple(
            fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 50 }) }, { weight: 1, arbitrary: fc.constant("x".repeat(100_000)) }),
            fc.oneof({ weight: 4, arbitrary: fc.constantFrom("model.onnx", "a.txt") }, { weight: 1, arbitrary: hostileStrings.filter((t) => t.length < 100 && !/[\r\n"]/.test(t)) }),
            fc.oneof({ weight: 4, arbitrary: fc.constantFrom("application/json", "text/plain", "application/octet-stream") }, { weight: 1, arbitrary: fc.constantFrom("a\u0000b/c", "text/\ud800", "nonsense", "") }),
          )
          .map(([content, filename, mimeType]) => new FuzzFile(content, filename, mimeType)),
      );
    default:
      // File, and any scalar added later: wrong shapes only over JSON.
      return scalar(fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null)));
  }
}

/** The selection for a field's type: enough to run its resolvers, and every error's details. */
function selectionFor(type: GraphQLNamedType): string {
  if (isScalarType(type) || isEnumType(type)) return "";
  if (isInterfaceType(type)) return "{ __typename }";
  if (isUnionType(type)) {
    // Aliased by member: members may have fields of one name and different types.
    const payloads = type
      .getTypes()
      .filter((member) => !member.getInterfaces().some((i) => i.name === "Error"))
      .map((member) => `... on ${member.name} { ${plainFields(member, `${member.name}_`)} }`);
    return `{ __typename ... on Error { message } ... on ValidationError { fieldErrors { path message } } ${payloads.join(" ")} }`;
  }
  const object = type as GraphQLObjectType;
  if (object.name.endsWith("Connection")) return "{ totalCount pageInfo { endCursor hasNextPage } edges { cursor node { __typename } } }";
  return `{ ${plainFields(object)} }`;
}

/** The fields of an object without arguments whose type is a scalar or an enum, and __typename; aliased with `prefix`. */
function plainFields(type: GraphQLObjectType, prefix = ""): string {
  const fields = Object.values(type.getFields()).filter((field) => {
    const named = getNamedType(field.type);
    return !field.args.length && (isScalarType(named) || isEnumType(named));
  });
  return ["__typename", ...fields.map((field) => (prefix ? `${prefix}${field.name}: ${field.name}` : field.name))].join(" ");
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * `value` as a GraphQL literal of `type` (enum values bare), or null when it has none (a JSON
 * object key that is no GraphQL name, a number JSON cannot print) or would be too long a document.
 */
export function literalOf(value: unknown, type: GraphQLInputType): string | null {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (value === null || value === undefined) return "null";
  if (value instanceof FuzzFile) return null;
  if (Array.isArray(value)) {
    if (value.length > 100) return null;
    const itemType = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    const items = value.map((item) => literalOf(item, itemType));
    return items.includes(null) ? null : `[${items.join(", ")}]`;
  }
  if (typeof value === "object") {
    const fields = isInputObjectType(nullable) ? nullable.getFields() : undefined;
    const entries: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      const literal = NAME.test(key) ? literalOf(item, fields?.[key]?.type ?? nullable) : null;
      if (literal === null) return null;
      entries.push(`${key}: ${literal}`);
    }
    return `{${entries.join(", ")}}`;
  }
  if (typeof value === "string") return isEnumType(getNamedType(type)) && NAME.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  return String(value);
}

function callOf(field: GraphQLField<unknown, unknown>, operation: FuzzOperation["operation"], pool: FuzzPool, schema: GraphQLSchema): fc.Arbitrary<FuzzOperation> {
  const args: readonly GraphQLArgument[] = field.args;
  const values = fc.record(Object.fromEntries(args.map((arg) => [arg.name, valueFor(arg.type, arg.name, pool, 0, `${field.name} ${arg.name}`)])), {
    requiredKeys: args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
  });
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isUnionType(named) || isInterfaceType(named) ? selectionFor(named) : "";
  // Now and then the values are written into the document, where the scalars' parseLiteral reads them.
  return fc.tuple(values, fc.boolean(), fc.boolean()).map(([given, inline, alsoInline]) => {
    const variables: Record<string, unknown> = {};
    const declared: string[] = [];
    const passed: string[] = [];
    for (const arg of args) {
      if (!(arg.name in given)) continue;
      const value = (given as Record<string, unknown>)[arg.name];
      const literal = inline && alsoInline ? literalOf(value, arg.type) : null;
      if (literal !== null) {
        passed.push(`${arg.name}: ${literal}`);
      } else {
        variables[arg.name] = value;
        declared.push(`$${arg.name}: ${String(arg.type)}`);
        passed.push(`${arg.name}: $${arg.name}`);
      }
    }
    const name = `Fuzz_${field.name}`;
    const query = `${operation} ${name}${declared.length ? `(${declared.join(", ")})` : ""} { ${field.name}${passed.length ? `(${passed.join(", ")})` : ""} ${selection} }`;
    return { field: field.name, operation, query, variables, args: given as Record<string, unknown> };
  });
}

/** Every Query, Mutation and Subscription field of `schema`, each with its arguments drawn as above. */
export function operationsOf(schema: GraphQLSchema, pool: FuzzPool, only?: string): { fields: string[]; arbitrary: fc.Arbitrary<FuzzOperation> } {
  const calls: Array<fc.Arbitrary<FuzzOperation>> = [];
  const fields: string[] = [];
  for (const [operation, type] of [["query", schema.getQueryType()], ["mutation", schema.getMutationType()], ["subscription", schema.getSubscriptionType()]] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (only && field.name !== only) continue;
      fields.push(`${operation} ${field.name}`);
      calls.push(callOf(field, operation, pool, schema));
    }
  }
  return { fields, arbitrary: fc.oneof(...calls) };
}

/** Whether `value` holds text PostgreSQL cannot take anywhere, object keys included. */
export function carriesBadText(value: unknown): boolean {
  // A file's media type becomes the output's content type only when the arguments give none.
  const typed = value != null && typeof value === "object" && (value as { contentType?: unknown }).contentType != null;
  const bad = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  const pending: unknown[] = [value];
  while (pending.length) {
    const current = pending.pop();
    if (typeof current === "string") {
      if (bad.test(current)) return true;
    } else if (Array.isArray(current)) {
      // A list this long is refused whatever it holds.
      pending.push(...current.slice(0, 1000));
    } else if (current instanceof FuzzFile) {
      if (!typed) pending.push(current.mimeType);
    } else if (current && typeof current === "object") {
      for (const [key, item] of Object.entries(current)) {
        if (bad.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
