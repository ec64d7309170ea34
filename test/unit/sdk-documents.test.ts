// The SDK's typed documents (src/sdk/gql) are committed so that the SDK and the CLI run without a
// generation step; they must be what GraphQL Code Generator makes of schema.graphql and src/sdk.
import { readFileSync } from "node:fs";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import config from "../../codegen.js";
import { projectRoot } from "../../src/db/migrate.js";

describe("the SDK's generated documents", () => {
  it("match schema.graphql and the operations in src/sdk (run `npm run generate` after changing either)", async () => {
    const target = "src/sdk/gql/";
    const outputs = (await generate({ ...config, cwd: projectRoot, generates: { [target]: config.generates[target]! } }, false)) as Array<{
      filename: string;
      content: string;
    }>;
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = readFileSync(path.resolve(projectRoot, output.filename), "utf8");
      expect(committed, output.filename).toBe(output.content);
    }
  }, 30_000);
});
