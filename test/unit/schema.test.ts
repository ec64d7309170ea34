// The committed schema.graphql is what the code builds, and the schema documents itself.
import { readFileSync } from "node:fs";
import path from "node:path";
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType } from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { printSchemaSdl } from "../../src/graphql/print.js";
import { schema } from "../../src/graphql/schema.js";

const BUILT_IN_SCALARS = new Set(["String", "Int", "Float", "Boolean", "ID"]);

describe("the GraphQL schema", () => {
  it("matches the committed schema.graphql (run `npm run generate` after changing the schema)", () => {
    const committed = readFileSync(path.join(projectRoot, "schema.graphql"), "utf8");
    expect(printSchemaSdl()).toBe(committed);
  });

  it("describes every type, field, argument and enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || (isScalarType(type) && BUILT_IN_SCALARS.has(type.name))) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of "args" in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
