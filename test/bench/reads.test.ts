// bench:reads still runs: jobgraph and PostGraphile v4 answer the same five reads on a small seeded
// database (the single-SQL floor the first three), every request succeeds, and every measure is
// filled in.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

const SERVERS = ["jobgraph", "postgraphile", "floor"];
const QUERIES = ["nestedPage", "jobById", "filteredList", "dashboard", "jobDetail"];
/** The queries the floor answers; it is not measured on the others. */
const FLOOR_QUERIES = ["nestedPage", "jobById", "filteredList"];

type Cell = { query: string; server: string; rps: number; p50: number; p99: number; requests: number; failures: number; cpuMsPerRequest: number };

describe("bench:reads --smoke", () => {
  it("loads the servers with the five queries and compares them", async () => {
    const run = await runBenchSmoke("reads.ts");
    expect(run.code, run.output).toBe(0);
    const results = run.results as {
      seeded: { jobs: number; tasks: number };
      equivalence: {
        equivalent: boolean;
        nestedPage: { jobs: number; tasks: number; outputs: number };
        dashboard: { jobs: number; totalCount: number };
        jobDetail: { jobs: number; tasks: number };
      };
      statements: Record<string, Record<string, { perRequest: number }>>;
      cells: Cell[];
      ratios: Record<string, { postgraphile: { rps: number }; floor: { rps: number } }>;
    };
    expect(results.seeded.tasks).toBe(results.seeded.jobs * 20);
    // The servers' answers were compared inside the run; the nested page held a full page.
    expect(results.equivalence).toMatchObject({ equivalent: true, nestedPage: { jobs: 50, tasks: 50 * 20 } });
    // The dashboard held a full page of one queue's jobs, and the detail pages their tasks.
    expect(results.equivalence.dashboard.jobs).toBe(Math.min(50, results.equivalence.dashboard.totalCount));
    expect(results.equivalence.dashboard.totalCount).toBeGreaterThan(0);
    expect(results.equivalence.jobDetail.tasks).toBe(results.equivalence.jobDetail.jobs * 10);
    expect(results.equivalence.nestedPage.outputs).toBeGreaterThan(0);

    for (const query of QUERIES) {
      for (const server of SERVERS.filter((s) => s !== "floor" || FLOOR_QUERIES.includes(query))) {
        const cell = results.cells.find((c) => c.query === query && c.server === server);
        expect(cell, `${server} ${query}`).toMatchObject({ failures: 0 });
        expect(cell!.requests, `${server} ${query}`).toBeGreaterThan(0);
        expect(cell!.cpuMsPerRequest, `${server} ${query}`).toBeGreaterThan(0);
        expect(cell!.p99).toBeGreaterThanOrEqual(cell!.p50);
        expect(results.statements[query]![server]!.perRequest, `${server} ${query}`).toBeGreaterThanOrEqual(1);
      }
      // The floor is one statement per request by construction.
      if (FLOOR_QUERIES.includes(query)) expect(results.statements[query]!.floor!.perRequest).toBe(1);
      else expect(results.cells.some((c) => c.query === query && c.server === "floor")).toBe(false);
      expect(results.ratios[query]!.postgraphile.rps).toBeGreaterThan(0);
    }
  }, 180_000);
});
