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
  it("runs every claim through GraphQL, none acquired twice, none lost, window by window, the tables' sizes recorded", async () => {
    // With gateways that prune (the retention cannot act within the smoke's seconds).
    const run = await runBenchSmoke("workers.ts", ["--soak"], { BENCH_SOAK_RETENTION: "10m" });
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ correct: true, finished: 600, settings: { via: "graphql", claims: 600, retention: "10m" } });
    expect(run.output).toMatch(/workers-soak-retention\.json/);
    expect(run.results.checks).toMatchObject({ doubleAcquisitions: 0, lostJobs: 0 });
    const recorded = run.results.windows as Array<{ jobsPerSecond: number; gatewayMsPerJob: number | null; postgresMsPerJob: number | null }>;
    const shown = JSON.stringify(recorded);
    // The first window is the warm-up, left out of every comparison. A 1 s window of the smoke
    // may pass without a job finishing when the machine is busy with other tests; one that had
    // jobs must have their cost measured, and most must have had some.
    const afterWarmUp = recorded.slice(1);
    const withJobs = afterWarmUp.filter((w) => w.jobsPerSecond > 0);
    expect(afterWarmUp.length, shown).toBeGreaterThanOrEqual(3);
    expect(withJobs.length, shown).toBeGreaterThan(afterWarmUp.length / 2);
    for (const w of withJobs) {
      expect(w.gatewayMsPerJob, shown).toBeGreaterThan(0);
      expect(w.postgresMsPerJob, shown).toBeGreaterThan(0);
    }
    for (const w of afterWarmUp.filter((w) => w.jobsPerSecond === 0)) expect(w, shown).toMatchObject({ gatewayMsPerJob: null, postgresMsPerJob: null });
    for (const w of recorded) expect(w, shown).toMatchObject({ tasksTableMiB: expect.any(Number), eventsTableMiB: expect.any(Number), eventRows: expect.any(Number) });
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

  it("counts a window in which no job finished as no throughput, at any machine speed", () => {
    const stalled = compareEnds(windows(12, (i) => (i >= 10 ? { jobsPerSecond: 0, gatewayMsPerJob: null } : { jobsPerSecond: 100, gatewayMsPerJob: 8 })), "graphql");
    expect(stalled).toMatchObject({ comparedWindows: 3, reference: "gateways" });
    expect(stalled.adjustedRatio).toBeCloseTo(0);
  });

  it("falls back to throughput alone when the reference was not measured", () => {
    const unmeasured = compareEnds(windows(12, (i) => ({ jobsPerSecond: i < 6 ? 100 : 85, gatewayMsPerJob: null })), "graphql");
    expect(unmeasured).toMatchObject({ adjustedRatio: null, reference: null, ratio: 0.85 });
  });
});
