// The operations the docs show must work: every operation in the ```graphql blocks of README.md
// and docs/*.md parses and validates against the schema. A block may list several operations,
// anonymous ones included; each is checked on its own, with the block's fragments.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Kind, parse, validate, type DocumentNode } from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { schema } from "../../src/graphql/schema.js";

const files = ["README.md", ...readdirSync(path.join(projectRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];

function graphqlBlocks(file: string): Array<{ line: number; source: string }> {
  const text = readFileSync(path.join(projectRoot, file), "utf8");
  const blocks: Array<{ line: number; source: string }> = [];
  for (const match of text.matchAll(/^```graphql\n([\s\S]*?)^```/gm)) {
    blocks.push({ line: text.slice(0, match.index).split("\n").length, source: match[1]! });
  }
  return blocks;
}

describe("the GraphQL in the docs", () => {
  it("has examples to check", () => {
    expect(files.flatMap(graphqlBlocks).length).toBeGreaterThan(20);
  });

  it.each(files)("validates against the schema in %s", (file) => {
    const problems = graphqlBlocks(file).flatMap(({ line, source }) => {
      try {
        const document = parse(source);
        const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
        return document.definitions
          .filter((d) => d.kind === Kind.OPERATION_DEFINITION)
          .flatMap((operation) => {
            const alone: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
            return validate(schema, alone).map((e) => `${file}:${line}: ${e.message}`);
          });
      } catch (error) {
        return [`${file}:${line}: ${(error as Error).message}`];
      }
    });
    expect(problems).toEqual([]);
  });
});
