// The random-shapes benchmark's generator (bench/shapes/generate.ts): the same seed gives the same
// documents, every document is a valid query of schema.graphql, and each is within the gateway's
// limits as the gateway itself counts them (the complexity plugin's price on the built schema,
// graphql-armor's depth and tokens).
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { complexityFromQuery } from "@pothos/plugin-complexity";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import type { Context } from "../../src/graphql/context.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { schema as gatewaySchema } from "../../src/graphql/schema.js";
import { depth, generateShape, generateShapes, NODE_TYPES, tokens, type Limits, type NodeType, type Pool } from "../../bench/shapes/generate.js";

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));
const limits: Limits = { ...defaultLimits, defaultPageSize: 20, maxPageSize: 100 };

/** A pool as the benchmark reads one from its database, with made-up ids. */
const ids = (type: NodeType, n: number) => Array.from({ length: n }, (_, i) => encodeGlobalId(type, type === "JobEvent" ? i + 1 : randomUUID()));
const pool: Pool = {
  ids: Object.fromEntries(NODE_TYPES.map((type) => [type, ids(type, 30)])) as Record<NodeType, string[]>,
  jobNumbers: [1, 2, 3, 40],
  workflowNumbers: [1, 2],
  queues: ["default", "gpu"],
  tags: ["bench"],
  templates: [{ name: "template-01", version: 1 }],
  executors: ["shell"],
  outputs: [{ jobId: encodeGlobalId("Job", randomUUID()), name: "model", type: "pt" }],
  scheduleNames: ["schedule-01"],
  userNames: ["user-01"],
  taskNames: ["task-00"],
};

const context = { viewer: null, limits: defaultLimits, settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 60 } } as unknown as Context;

describe("the random-shapes generator", () => {
  const shapes = generateShapes(schema, pool, limits, 7, 200);

  it("gives the same documents for a seed, and others for another seed", () => {
    expect(generateShapes(schema, pool, limits, 7, 200)).toEqual(shapes);
    // A document depends on its index alone, not on those generated before it.
    expect(generateShape(schema, pool, limits, 7, 150)).toEqual(shapes[150]);
    const other = generateShapes(schema, pool, limits, 8, 200);
    expect(other.filter((s, i) => s.text === shapes[i]!.text).length).toBeLessThan(10);
    expect(new Set(shapes.map((s) => s.text)).size).toBeGreaterThan(190);
  });

  it("writes valid queries of the schema", () => {
    for (const shape of shapes) {
      const document = parse(shape.text);
      expect(validate(schema, document).map((e) => e.message), shape.text).toEqual([]);
      expect(document.definitions.every((d) => d.kind === "OperationDefinition" && d.operation === "query")).toBe(true);
    }
  });

  it("stays within the gateway's cost, depth and token limits, priced as the gateway prices it", () => {
    for (const shape of shapes) {
      const document = parse(shape.text);
      const cost = complexityFromQuery(document, { schema: gatewaySchema, ctx: context, variables: {} }).complexity;
      expect(cost, shape.text).toBe(shape.cost);
      expect(cost).toBeLessThanOrEqual(defaultLimits.maxCost);
      expect(depth(document)).toBe(shape.depth);
      expect(shape.depth).toBeLessThanOrEqual(defaultLimits.maxDepth);
      expect(tokens(shape.text)).toBe(shape.tokens);
      expect(shape.tokens).toBeLessThanOrEqual(defaultLimits.maxTokens);
    }
  });

  it("reads from every entry point, nests relations, and varies in size", () => {
    const roots = new Set(shapes.flatMap((s) => [...s.text.matchAll(/^query Shape \{ (\w+)/g)].map((m) => m[1])));
    expect(roots.size).toBeGreaterThanOrEqual(12);
    expect(Math.max(...shapes.map((s) => s.depth))).toBeGreaterThanOrEqual(8);
    const costs = shapes.map((s) => s.cost).sort((a, b) => a - b);
    expect(costs[20]!).toBeLessThan(200);
    expect(costs[180]!).toBeGreaterThan(2000);
  });
});
