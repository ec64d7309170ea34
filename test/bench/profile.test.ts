// bench:profile still runs: a gateway profiled under the job-by-id query, its CPU summed up by package.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

describe("bench:profile --smoke", () => {
  it("profiles a gateway under one query and sums its CPU up by package and function", async () => {
    const run = await runBenchSmoke("profile.ts", ["jobById"]);
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({
      query: "jobById",
      server: "jobgraph",
      failures: 0,
      cpuMsPerRequest: expect.any(Number),
      summary: { busyMs: expect.any(Number), packages: expect.arrayContaining([expect.objectContaining({ name: expect.any(String), share: expect.any(Number) })]) },
    });
  }, 120_000);
});
