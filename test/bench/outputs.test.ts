// bench:outputs still runs: a 4 MiB output goes up and down through a real gateway process, once
// per output store.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

type Cpu = Record<"clientMs" | "gatewayMs" | "postgresMs" | "s3ServerMs", number>;

describe("bench:outputs --smoke", () => {
  it("uploads and downloads an output through each store, checks its digest and reports the gateway's memory and everyone's CPU", async () => {
    const run = await runBenchSmoke("outputs.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ sizeBytes: 4 * 1024 * 1024, withinBudget: true, copyMBps: expect.any(Number) });
    const stores = run.results.stores as Record<string, { uploadMBps: number; uploadToCopy: number; uploadCpuPerMiB: Cpu; downloadCpuPerMiB: Cpu }>;
    expect(Object.keys(stores).sort()).toEqual(["files", "postgres", "s3"]);
    for (const [store, result] of Object.entries(stores)) {
      expect(result.uploadMBps, store).toBeGreaterThan(0);
      expect(result.uploadToCopy, store).toBeGreaterThan(0);
      // Each party's CPU per MiB, PostgreSQL's included (the gateway runs on its embedded one), and
      // the S3 server's (none but for the S3 store); /proc counts in hundredths of a second, so a
      // party may show none for 4 MiB, not all of them.
      for (const way of ["upload", "download"] as const) {
        const parties = Object.values(result[`${way}CpuPerMiB`]);
        expect(parties, `${store} ${way}`).toHaveLength(4);
        for (const ms of parties) expect(ms, `${store} ${way}`).toBeGreaterThanOrEqual(0);
        expect(parties.reduce((a, b) => a + b), `${store} ${way}`).toBeGreaterThan(0);
      }
    }
  }, 120_000);
});
