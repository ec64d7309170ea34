// bench:reads still runs: jobgraph, PostGraphile v4 and PostGraphile v5 answer the same twelve reads
// on a small seeded database (the single-SQL floor the first three), their answers agree row for
// row, every request succeeds, and every measure is filled in.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

const SERVERS = ["jobgraph", "postgraphile", "postgraphile5", "floor"];
const QUERIES = ["nestedPage", "jobById", "filteredList", "dashboard", "jobDetail", "templates", "nodes", "jobEvents", "users", "jobTasks", "jobFamily", "userJobs"];
/** The queries the floor answers; it is not measured on the others. */
const FLOOR_QUERIES = ["nestedPage", "jobById", "filteredList"];

type Cell = { query: string; server: string; rps: number; p50: number; p99: number; requests: number; failures: number; cpuMsPerRequest: number };
type Ratio = { rps: number; cpuMsPerRequest: number } | null;

describe("bench:reads --smoke", () => {
  it("loads the servers with the twelve queries and compares them", async () => {
    const run = await runBenchSmoke("reads.ts");
    expect(run.code, run.output).toBe(0);
    const results = run.results as {
      seeded: { jobs: number; tasks: number; events: number; tokens: number; childJobs: number };
      versions: { postgraphile: string; postgraphile5: string; postgraphile5Node: string };
      equivalence: {
        equivalent: boolean;
        comparedJobIds: number;
        nestedPage: { jobs: number; tasks: number; outputs: number };
        dashboard: { jobs: number; totalCount: number };
        jobDetail: { jobs: number; tasks: number };
        templates: { templates: number; jobs: number };
        nodes: { nodes: number; currentJobs: number; runningTasks: number };
        jobEvents: { events: number; withUser: number; withNode: number; withTask: number };
        users: { users: number; tokens: number };
        jobTasks: { tasks: number; withMapTask: number; withCreatedBy: number; withStoppedBy: number };
        jobFamily: { withParent: number; children: number; outputs: number };
        userJobs: { jobs: number };
      };
      statements: Record<string, Record<string, { perRequest: number }>>;
      cells: Cell[];
      ratios: Record<string, { postgraphile: Ratio; postgraphile5: Ratio; floor: Ratio }>;
      overall: { postgraphile: { min: number; median: number }; postgraphile5: { min: number; median: number } };
    };
    expect(results.seeded.tasks).toBe(results.seeded.jobs * 20);
    expect(results.versions.postgraphile).toMatch(/^4\./);
    expect(results.versions.postgraphile5).toMatch(/^5\./);
    expect(Number(results.versions.postgraphile5Node.match(/^v(\d+)/)?.[1])).toBeGreaterThanOrEqual(22);

    // The servers' answers were compared inside the run; the nested page held a full page.
    const e = results.equivalence;
    expect(e).toMatchObject({ equivalent: true, nestedPage: { jobs: 50, tasks: 50 * 20 } });
    // The dashboard held a full page of one queue's jobs, and the detail pages their tasks.
    expect(e.dashboard.jobs).toBe(Math.min(50, e.dashboard.totalCount));
    expect(e.dashboard.totalCount).toBeGreaterThan(0);
    expect(e.jobDetail.tasks).toBe(e.jobDetail.jobs * 10);
    expect(e.nestedPage.outputs).toBeGreaterThan(0);
    // Every relation the later shapes read had rows in the compared answers, so that it was compared.
    expect(e.templates.templates).toBeGreaterThan(0);
    expect(e.templates.jobs).toBeGreaterThan(0);
    expect(e.nodes).toMatchObject({ nodes: 10 });
    expect(e.nodes.currentJobs).toBeGreaterThan(0);
    expect(e.nodes.runningTasks).toBeGreaterThan(0);
    for (const relation of ["withUser", "withNode", "withTask"] as const) expect(e.jobEvents[relation], relation).toBeGreaterThan(0);
    expect(e.users.tokens).toBeGreaterThan(0);
    for (const relation of ["withMapTask", "withCreatedBy", "withStoppedBy"] as const) expect(e.jobTasks[relation], relation).toBeGreaterThan(0);
    expect(e.jobFamily.withParent).toBeGreaterThan(0);
    expect(e.jobFamily.children).toBeGreaterThan(0);
    expect(e.jobFamily.outputs).toBeGreaterThan(0);
    expect(e.userJobs.jobs).toBeGreaterThan(0);

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
      expect(results.ratios[query]!.postgraphile!.rps).toBeGreaterThan(0);
      expect(results.ratios[query]!.postgraphile5!.rps).toBeGreaterThan(0);
    }
    expect(results.overall.postgraphile.median).toBeGreaterThan(0);
    expect(results.overall.postgraphile5.median).toBeGreaterThan(0);
  }, 300_000);
});
