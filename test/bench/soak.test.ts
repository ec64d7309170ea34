// The soak of bench:workers: its smoke run completes every claim with nothing acquired twice or
// lost, and its judgement of the end against the start sees through a machine that slowed down
// while still catching a database that did.
import { describe, expect, it } from "vitest";
import { compareEnds, type SoakWindow } from "../../bench/workers/soak.js";
import { runBenchSmoke } from "../helpers/bench.js";

/** A warm-up window, then `count` windows made by `at(i)`. */
const windows = (count: number, at: (i: number) => SoakWindow): SoakWindow[] => [
  { jobsPerSecond: 10, gatewayMsPerJob: 50, clientMsPerJob: 9 },
  ...Array.from({ length: count }, (_, i) => at(i)),
];

describe("bench:workers --soak", () => {
  it("runs every claim through GraphQL, none acquired twice, none lost, window by window", async () => {
    const run = await runBenchSmoke("workers.ts", ["--soak"]);
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ correct: true, finished: 600, settings: { via: "graphql", claims: 600 } });
    expect(run.results.checks).toMatchObject({ doubleAcquisitions: 0, lostJobs: 0 });
    const recorded = run.results.windows as Array<{ jobsPerSecond: number; gatewayMsPerJob: number; postgresMsPerJob: number }>;
    expect(recorded.length).toBeGreaterThanOrEqual(3);
    for (const w of recorded) {
      expect(w.jobsPerSecond).toBeGreaterThan(0);
      expect(w.gatewayMsPerJob).toBeGreaterThan(0);
      expect(w.postgresMsPerJob).toBeGreaterThan(0);
    }
    expect(run.results.adjustedRatio).toBeGreaterThan(0);
    expect((run.results.jobsTable as { hotShare: number }).hotShare).toBeGreaterThan(0.5);
  }, 240_000);

  it("compares the median of up to 10 windows at each end, leaving out the warm-up", () => {
    const steady = compareEnds(windows(40, (i) => ({ jobsPerSecond: i < 20 ? 100 : 90, gatewayMsPerJob: 8 })), "graphql");
    expect(steady).toEqual({ comparedWindows: 10, startJobsPerSecond: 100, endJobsPerSecond: 90, ratio: 0.9, adjustedRatio: 0.9, reference: "gateways" });
    expect(compareEnds(windows(8, () => ({ jobsPerSecond: 50, gatewayMsPerJob: 8 })), "graphql").comparedWindows).toBe(2);
  });

  it("takes a slower machine out: the same work costing more CPU everywhere is not a slower database", () => {
    // At the end every job costs the gateways 25% more CPU and throughput fell alike.
    const slowerMachine = compareEnds(windows(40, (i) => (i < 20 ? { jobsPerSecond: 100, gatewayMsPerJob: 8 } : { jobsPerSecond: 80, gatewayMsPerJob: 10 })), "graphql");
    expect(slowerMachine.ratio).toBeCloseTo(0.8);
    expect(slowerMachine.adjustedRatio).toBeCloseTo(1);
    // The same fall with the gateways' cost unchanged: the database got slower, and it shows.
    const slowerDatabase = compareEnds(windows(40, (i) => ({ jobsPerSecond: i < 20 ? 100 : 70, gatewayMsPerJob: 8 })), "graphql");
    expect(slowerDatabase.adjustedRatio).toBeCloseTo(0.7);
    // Through the floor's statements the load generator is the reference.
    const floor = compareEnds(windows(40, (i) => (i < 20 ? { jobsPerSecond: 200, gatewayMsPerJob: null, clientMsPerJob: 2 } : { jobsPerSecond: 150, gatewayMsPerJob: null, clientMsPerJob: 2.5 })), "sql");
    expect(floor).toMatchObject({ reference: "load generator" });
    expect(floor.adjustedRatio).toBeCloseTo(0.9375);
  });

  it("falls back to throughput alone when the reference was not measured", () => {
    const unmeasured = compareEnds(windows(12, (i) => ({ jobsPerSecond: i < 6 ? 100 : 85, gatewayMsPerJob: null })), "graphql");
    expect(unmeasured).toMatchObject({ adjustedRatio: null, reference: null, ratio: 0.85 });
  });
});
