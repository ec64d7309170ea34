// bench:shapes still runs: a handful of generated documents, each valid against schema.graphql,
// answered by the gateway without errors (none refused over its limits: the run fails on that),
// measured (fields resolved, statements, CPU) and reported against the median.
import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

type Document = {
  index: number;
  text: string;
  summary: string;
  fields: number;
  measurements: Array<{ requests: number }>;
  gatewayCpuMsPerRequest: number;
  cpuMsPer1000Fields: number;
  ratio: number;
  flagged: boolean;
  cause: string;
  why: string;
  statements: { perRequest: number };
};

describe("bench:shapes --smoke", () => {
  it("generates documents the gateway accepts, and reports each one's CPU per field", async () => {
    const run = await runBenchSmoke("shapes.ts");
    expect(run.code, run.output).toBe(0);
    const results = run.results as {
      settings: { count: number; minRequests: number };
      floor: { gatewayCpuMsPerRequest: number };
      medianCpuMsPer1000Fields: number;
      errors: unknown[];
      wrong: unknown[];
      worst: number[];
      documents: Document[];
      target: { flagged: number };
    };
    // Every document was answered, right as far as it is checked, and measured.
    expect(results.errors, run.output).toEqual([]);
    expect(results.wrong, run.output).toEqual([]);
    expect(results.documents.map((d) => d.index)).toEqual(Array.from({ length: results.settings.count }, (_, i) => i));
    for (const d of results.documents) {
      expect(validate(schema, parse(d.text)), d.text).toEqual([]);
      expect(d.fields, d.text).toBeGreaterThan(0);
      expect(d.summary).not.toBe("");
      expect(d.measurements[0]!.requests).toBeGreaterThanOrEqual(results.settings.minRequests);
      expect(d.gatewayCpuMsPerRequest).toBeGreaterThanOrEqual(0);
      expect(d.statements.perRequest).toBeGreaterThanOrEqual(0);
      expect(d.ratio).toBeCloseTo(d.cpuMsPer1000Fields / results.medianCpuMsPer1000Fields, 6);
      expect(d.flagged).toBe(d.ratio > 3);
      expect(d.why).not.toBe("");
    }
    expect(results.medianCpuMsPer1000Fields).toBeGreaterThan(0);
    expect(results.floor.gatewayCpuMsPerRequest).toBeGreaterThan(0);
    expect(results.target.flagged).toBe(results.documents.filter((d) => d.flagged).length);
    // The worst are listed, worst first.
    const ratios = results.worst.map((i) => results.documents.find((d) => d.index === i)!.ratio);
    expect(ratios.length).toBe(Math.min(10, results.documents.length));
    expect([...ratios].sort((a, b) => b - a)).toEqual(ratios);
  }, 240_000);
});
