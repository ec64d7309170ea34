// bench:scale still runs: one gateway alone, then one and two behind the round-robin balancer,
// with PgBouncer in front of PostgreSQL, each serving reads, workers and subscribers.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";
import { havePgBouncer } from "../helpers/pgbouncer.js";

type Summary = { instances: number; balancer: boolean; readsPerSecond: number; jobsPerMinute: number; deliveryP99Ms: number; ratios: { reads: number; jobs: number } };

describe.skipIf(!havePgBouncer)("bench:scale --smoke", () => {
  it("measures reads, jobs and deliveries for each number of instances, every report delivered once to each subscriber", async () => {
    const run = await runBenchSmoke("scale.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results.failures).toEqual([]);
    const summary = run.results.summary as Summary[];
    expect(summary.map((s) => `${s.instances}${s.balancer ? "+balancer" : ""}`)).toEqual(["1", "1+balancer", "2+balancer"]);
    for (const s of summary) {
      expect(s.readsPerSecond).toBeGreaterThan(0);
      expect(s.jobsPerMinute).toBeGreaterThan(0);
      expect(s.deliveryP99Ms).toBeGreaterThanOrEqual(0);
    }
    expect(summary[0]!.ratios).toEqual({ reads: 1, jobs: 1 });
  }, 240_000);
});
