// bench:queues still runs: a page of waiting jobs with and without the queue diagnostics through a
// real gateway process, and the start estimates of a drained queue against when its jobs started.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

describe("bench:queues --smoke", () => {
  it("times each page shape against the plain page and measures the start estimates' error", async () => {
    const run = await runBenchSmoke("queues.ts");
    expect(run.code, run.output).toBe(0);
    const latency = run.results.latency as Record<string, { medianMs: number; toPlain: number }>;
    expect(Object.keys(latency).sort()).toEqual(["everything", "plain", "queuePosition", "whyNotRunning"]);
    for (const [shape, result] of Object.entries(latency)) expect(result.medianMs, shape).toBeGreaterThan(0);
    expect(latency.plain!.toPlain).toBe(1);
    const accuracy = run.results.accuracy as { jobs: number; estimated: number; errorSeconds: { median: number; p90: number }; withinRange: number };
    // Every job still waiting when the estimates were read got one, and was compared with its start.
    expect(accuracy.estimated).toBeGreaterThan(0);
    expect(accuracy.estimated).toBe(accuracy.jobs);
    expect(accuracy.errorSeconds.p90).toBeGreaterThanOrEqual(accuracy.errorSeconds.median);
    expect(accuracy.withinRange).toBeGreaterThanOrEqual(0);
    expect(accuracy.withinRange).toBeLessThanOrEqual(1);
  }, 240_000);
});
