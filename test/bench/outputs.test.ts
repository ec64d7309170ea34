// bench:outputs still runs: a 4 MiB output goes up and down through a real gateway process.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

describe("bench:outputs --smoke", () => {
  it("uploads and downloads an output, checks its digest and reports the gateway's memory", async () => {
    const run = await runBenchSmoke("outputs.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ sizeBytes: 4 * 1024 * 1024, withinBudget: true, rounds: [expect.objectContaining({ uploadMBps: expect.any(Number) })] });
  }, 120_000);
});
