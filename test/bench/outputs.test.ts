// bench:outputs still runs: a 4 MiB output goes up and down through a real gateway process.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

describe("bench:outputs --smoke", () => {
  it("uploads and downloads an output, checks its digest and reports the gateway's memory and everyone's CPU", async () => {
    const run = await runBenchSmoke("outputs.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ sizeBytes: 4 * 1024 * 1024, withinBudget: true, rounds: [expect.objectContaining({ uploadMBps: expect.any(Number) })] });
    // Each party's CPU per MiB, PostgreSQL's included (the gateway runs on its embedded one);
    // /proc counts in hundredths of a second, so a party may show none for 4 MiB, not all three.
    const cpu = run.results.cpuMsPerMiB as Record<"upload" | "download", Record<"clientMs" | "gatewayMs" | "postgresMs", number>>;
    for (const way of ["upload", "download"] as const) {
      const parties = Object.values(cpu[way]);
      expect(parties, way).toHaveLength(3);
      for (const ms of parties) expect(ms, way).toBeGreaterThanOrEqual(0);
      expect(parties.reduce((a, b) => a + b), way).toBeGreaterThan(0);
    }
  }, 120_000);
});
