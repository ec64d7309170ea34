import { GraphQLError, Kind, print as printValue, type ValueNode } from "graphql";
import { FileUpload } from "../http/request-bodies.js";
import { builder } from "./builder.js";
import { BAD_USER_INPUT, NUMBER_OUT_OF_RANGE } from "./error-codes.js";

/** ISO 8601's calendar day at the start of a DateTime. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T/;

/** Whether year-month-day is a day of the calendar (no 30 February, which Date would roll over). */
function isDay(year: number, month: number, day: number): boolean {
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

builder.scalarType("DateTime", {
  description: "A point in time, as an ISO 8601 string with a time zone (2026-11-25T12:00:00.000Z), in the years 0001 to 9999.",
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : undefined;
    const day = typeof value === "string" ? ISO_DATE.exec(value) : null;
    // Year 0000 reads as 1 BC, which PostgreSQL refuses in ISO form: the years are ISO 8601's own.
    const inRange = date !== undefined && !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;
    if (!inRange || !day || !isDay(Number(day[1]), Number(day[2]), Number(day[3]))) {
      throw new GraphQLError(`DateTime must be an ISO 8601 string of a real day in the years 0001 to 9999, got ${JSON.stringify(value)?.slice(0, 100)}`, {
        extensions: { code: BAD_USER_INPUT },
      });
    }
    return date;
  },
});

function jsonLiteral(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => jsonLiteral(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, jsonLiteral(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError("JSON literal expected", { extensions: { code: BAD_USER_INPUT } });
  }
}

builder.scalarType("JSON", {
  description: "Any JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => jsonLiteral(ast, variables),
});

/** The range of PostgreSQL's bigint, which every Long is compared with or stored in. */
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

builder.scalarType("Long", {
  description: "A 64-bit integer, as a JSON number (exact up to 2^53 - 1) or a string of digits.",
  serialize: (value) => Number(value),
  parseValue: (value) => {
    const long = typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : typeof value === "string" && /^-?\d{1,20}$/.test(value) ? BigInt(value) : undefined;
    if (long === undefined && typeof value === "number" && Number.isInteger(value)) {
      // Past 2^53 a JSON number has lost digits by the time it is read: which integer was meant is unknown.
      throw new GraphQLError(`Long past 2^53 - 1 must be sent as a string of digits (as a JSON number it has lost digits), got ${value}`, { extensions: { code: BAD_USER_INPUT } });
    }
    if (long === undefined) throw new GraphQLError(`Long must be an integer, got ${JSON.stringify(value)?.slice(0, 100)}`, { extensions: { code: BAD_USER_INPUT } });
    if (long < LONG_MIN || long > LONG_MAX) {
      throw new GraphQLError(`Long must be between ${LONG_MIN} and ${LONG_MAX}, got ${long}`, { extensions: { code: NUMBER_OUT_OF_RANGE } });
    }
    return long;
  },
  // Written in the document, a Long is read from its digits: graphql-js' default would read it as
  // a double first, and a valid 2^63 - 1 came out as 9223372036854776000 and was refused.
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.STRING) {
      throw new GraphQLError(`Long must be an integer or a string of digits, got ${printValue(ast).slice(0, 100)}`, { extensions: { code: BAD_USER_INPUT } });
    }
    if (ast.kind === Kind.STRING && !/^-?\d{1,20}$/.test(ast.value)) {
      throw new GraphQLError(`Long must be an integer, got ${JSON.stringify(ast.value.slice(0, 100))}`, { extensions: { code: BAD_USER_INPUT } });
    }
    const long = BigInt(ast.value);
    if (long < LONG_MIN || long > LONG_MAX) {
      throw new GraphQLError(`Long must be between ${LONG_MIN} and ${LONG_MAX}, got ${ast.value.slice(0, 100)}`, { extensions: { code: NUMBER_OUT_OF_RANGE } });
    }
    return long;
  },
});

builder.scalarType("File", {
  description:
    "A file sent with the request, as in the GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec): the variable is null in `operations` and the file is a part named in `map`. Its content is streamed, never held whole.",
  serialize: () => {
    throw new GraphQLError("File is an input type only");
  },
  parseValue: (value) => {
    if (value instanceof FileUpload) return value;
    throw new GraphQLError("a File must be sent as a file part of a multipart request (GraphQL multipart request spec)", { extensions: { code: BAD_USER_INPUT } });
  },
  parseLiteral: () => {
    throw new GraphQLError("a File must be sent as a variable, with the file as a part of a multipart request", { extensions: { code: BAD_USER_INPUT } });
  },
});
