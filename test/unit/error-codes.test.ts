// Every error code the gateway can answer with is in docs/api.md's table, with its meaning: the
// codes our code gives (src/), and those yoga gives on its own, which pass through unchanged.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import * as codes from "../../src/graphql/error-codes.js";

function files(dir: string, ending: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(ending))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Codes set in source: `code: "X"`, `code: X` (a constant of error-codes.ts), `code'] ||= 'X'`. */
function codesIn(source: string): string[] {
  const literal = [...source.matchAll(/\bcode['"\]]*\s*(?::|\|\|=)\s*['"]([A-Z][A-Z0-9_]+)['"]/g)].map((m) => m[1]!);
  const constant = [...source.matchAll(/\bcode: ([A-Z][A-Z0-9_]+)\b/g)].map((m) => m[1]!);
  return [...literal, ...constant];
}

const documented = new Set(
  [...readFileSync(path.join(projectRoot, "docs/api.md"), "utf8").matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!),
);

describe("error codes", () => {
  const ours = new Set([
    ...files(path.join(projectRoot, "src"), ".ts")
      .filter((file) => !file.includes(`${path.sep}generated${path.sep}`))
      .flatMap((file) => codesIn(readFileSync(file, "utf8"))),
    ...(Object.values(codes) as unknown[]).filter((value): value is string => typeof value === "string"),
  ]);
  const yogas = new Set(files(path.join(projectRoot, "node_modules/graphql-yoga/esm"), ".js").flatMap((file) => codesIn(readFileSync(file, "utf8"))));

  it("finds the codes it should (the scan itself works)", () => {
    expect(ours).toContain("UNAUTHENTICATED");
    expect(ours).toContain("INVALID_TEXT");
    expect(yogas).toContain("GRAPHQL_PARSE_FAILED");
  });

  it("lists every code the gateway or yoga can answer with in docs/api.md", () => {
    const missing = [...ours, ...yogas].filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });

  it("gives an error without a code the code of its class", () => {
    const cases: Array<[GraphQLError, string]> = [
      [new GraphQLError("Invalid global ID: x"), "INVALID_ID"],
      [new GraphQLError("ID: abc is not of type: Job"), "WRONG_ID_TYPE"],
      [new GraphQLError("Invalid cursor: x"), "INVALID_CURSOR"],
      [new GraphQLError('Argument "first" must be a non-negative integer'), "INVALID_PAGE_SIZE"],
      [new GraphQLError('Variable "$x" got invalid value 1'), "BAD_USER_INPUT"],
      [new GraphQLError("Required CSRF header(s) not present", { extensions: { http: { status: 403 } } }), "BAD_REQUEST"],
      [new GraphQLError("Can only perform a mutation operation from a POST request.", { extensions: { http: { status: 405 } } }), "METHOD_NOT_ALLOWED"],
    ];
    for (const [error, code] of cases) expect(codes.withCode(error).extensions.code).toBe(code);
    const coded = new GraphQLError("x", { extensions: { code: "RATE_LIMITED" } });
    expect(codes.withCode(coded)).toBe(coded);
  });
});
