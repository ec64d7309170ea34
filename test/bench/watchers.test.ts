// bench:watchers still runs: subscribers on one gateway receive, once each, every progress report
// made through another, and the run measures latency, memory and a short saturation search.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

type Stats = { p50: number; p99: number; max: number };
type Phase = {
  reports: number;
  deliveries: { expected: number; delivered: number; missing: number; duplicates: number; misdelivered: number };
  latencyMs: { answerToReceipt: Stats; eventToReceipt: Stats; sendToReceipt: Stats };
  problems: string[];
};
type SizeRun = { subscribers: number; sockets: number; memoryPerSubscriberKiB: number; load: Phase; saturation?: { steps: Phase[] } };

describe("bench:watchers --smoke", () => {
  it("delivers every report to every subscriber of its job, across two instances, with sane latencies", async () => {
    const run = await runBenchSmoke("watchers.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ smoke: true, ok: true });
    const [size] = (run.results.rounds as Array<{ sizes: SizeRun[] }>)[0]!.sizes;
    expect(size).toMatchObject({ subscribers: 100, sockets: 4 });
    const { load } = size!;
    // 100 reports a second for 2 s over 20 jobs, each job watched by 5 subscribers.
    expect(load.reports).toBe(200);
    expect(load.deliveries).toEqual({ expected: 1000, delivered: 1000, missing: 0, duplicates: 0, misdelivered: 0 });
    expect(load.problems).toEqual([]);
    // Every report arrives after it was sent and after its transaction started (to the
    // millisecond PostgreSQL keeps). The answer may reach the driver after the delivery reached a
    // subscriber (the driver shares two busy cores), so that lower bound may be negative.
    const { answerToReceipt, eventToReceipt, sendToReceipt } = load.latencyMs;
    expect(sendToReceipt.p50).toBeGreaterThan(0);
    expect(eventToReceipt.p50).toBeGreaterThan(-1);
    expect(eventToReceipt.p50).toBeLessThanOrEqual(sendToReceipt.p50 + 1);
    expect(answerToReceipt.p50).toBeLessThanOrEqual(sendToReceipt.p50);
    expect(sendToReceipt.p99).toBeLessThan(5000);
    expect(Number.isFinite(size!.memoryPerSubscriberKiB)).toBe(true);
    expect(size!.saturation?.steps.length).toBeGreaterThan(0);
  }, 120_000);
});
