// bench:workers still runs: worker nodes on two gateway instances and the SQL floor complete jobs
// with their tasks for a moment, and the checks find no job acquired twice, none lost, and every
// task of every completed job started once and succeeded.
import { describe, expect, it } from "vitest";
import { runBenchSmoke } from "../helpers/bench.js";

describe("bench:workers --smoke", () => {
  it("completes jobs through both gateways and the floor, none acquired twice, none lost", async () => {
    const run = await runBenchSmoke("workers.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.results).toMatchObject({ correct: true, doubleAcquisitions: 0, lostJobs: 0 });
    expect(run.results.jobsCompleted).toBeGreaterThan(0);
    expect(run.results.settings).toMatchObject({ mutationsPerJob: 17, requestsPerJob: 9 });
    const phases = run.results.phases as Array<{
      kind: string;
      workers: number;
      completed: number;
      checks: { problems: string[]; finished: number; taskStarts: number; taskFinishes: number; tasksOfSucceeded: number; tasksAmiss: number };
    }>;
    // Every phase, GraphQL (two workers: one on each gateway instance) and floor alike, got work done.
    // And the most workers again with each job appending a batch of log lines.
    // And once more on workflows, diamonds of 4 jobs, none acquired before its dependencies
    // succeeded, until the smoke run's 10 diamonds had completed.
    expect(phases.map((p) => `${p.kind} ${p.workers}`).sort()).toEqual(["graphql 1", "graphql 2", "graphqlLogs 2", "graphqlWorkflows 2", "sql 1", "sql 2"]);
    expect(run.results.workflows).toMatchObject({ workers: 2, acquiredTooEarly: 0, ratio: expect.any(Number) });
    expect((run.results.workflows as { diamondsCompleted: number }).diamondsCompleted).toBeGreaterThanOrEqual(10);
    expect(phases.find((p) => p.kind === "graphqlWorkflows")!.checks).toMatchObject({ acquiredTooEarly: 0 });
    const withLogs = phases.find((p) => p.kind === "graphqlLogs") as unknown as { completed: number; logLinesPerSecond: number; seconds: number };
    // 20 lines a job, of the jobs completed and of those the window closed on (one per worker).
    const lines = Math.round(withLogs.logLinesPerSecond * withLogs.seconds);
    expect(lines).toBeGreaterThanOrEqual(withLogs.completed * 20);
    expect(lines).toBeLessThanOrEqual((withLogs.completed + 2) * 20);
    expect(run.results.logs).toMatchObject({ workers: 2, linesPerJob: 20, ratio: expect.any(Number) });
    for (const phase of phases) {
      expect(phase.completed, `${phase.kind} ${phase.workers}`).toBeGreaterThan(0);
      expect(phase.checks.problems).toEqual([]);
      // Each job's 4 tasks, started and finished through the same driver as the job.
      const tasks = 4 * phase.checks.finished;
      expect(phase.checks).toMatchObject({ taskStarts: tasks, taskFinishes: tasks, tasksOfSucceeded: tasks, tasksAmiss: 0 });
    }
  }, 120_000);
});
