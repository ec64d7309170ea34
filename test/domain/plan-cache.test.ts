// The statements a read sends again and again (a page of jobs, a page of tasks per job, their
// counts) are prepared, and PostgreSQL plans each once: after its first runs, the plan cache keeps a
// generic plan and stops planning it. A limit sent as a parameter, or a one-element array where
// one id is meant, kept it on custom plans, made again at every run (0.7 ms of a dashboard page's
// 8). These tests read pg_prepared_statements on the one connection of a pool, after each read has
// run ten times.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { queryRows } from "../../src/db/rows.js";
import { countedPageOfJobs, countJobsOfParents, countTasksOfJobs, jobsOfParents, pageOfJobs, tasksOfJobs } from "../../src/domain/job-reads.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

let t: TestDatabase;
let db: Db;
let jobIds: string[];
let templateIds: string[];

beforeAll(async () => {
  t = await createTestDatabase();
  const train = await createTemplate(t.db, "train", 1);
  const score = await createTemplate(t.db, "score", 1);
  templateIds = [train.id, score.id];
  jobIds = [
    ...(await createJobs(t.db, train.id, 30, { tasks: 4, spec: (i) => ({ queue: ["default", "gpu", "io"][i % 3]!, priority: i % 4 }) })),
    ...(await createJobs(t.db, score.id, 10, { tasks: 2 })),
  ];
  // One connection, so that the session whose prepared statements are read is the one that ran them.
  db = createDb({ url: t.url, poolSize: 1 });
});

afterAll(async () => {
  await db?.$disconnect();
});

type Prepared = { statement: string; generic_plans: string; custom_plans: string };

/** Runs `read` ten times and returns how the statement it prepared was planned. */
async function planned(read: () => Promise<unknown>, marker: string): Promise<{ generic: number; custom: number }> {
  for (let run = 0; run < 10; run++) await read();
  const rows = await queryRows<Prepared>(db, "select statement, generic_plans::text, custom_plans::text from pg_prepared_statements", [], false);
  const mine = rows.filter((r) => r.statement.includes(marker));
  expect(mine, `one prepared statement containing ${marker}`).toHaveLength(1);
  return { generic: Number(mine[0]!.generic_plans), custom: Number(mine[0]!.custom_plans) };
}

describe("the plan cache keeps a generic plan for", () => {
  it("a filtered page of jobs by priority, with its totalCount", async () => {
    const { generic, custom } = await planned(
      () => countedPageOfJobs(db, { filter: { queue: ["gpu"] }, order: { field: "PRIORITY", direction: "DESC" }, page: { take: 7 } }),
      `"pageTotal"`,
    );
    expect(generic).toBeGreaterThan(0);
    expect(custom).toBeLessThanOrEqual(5);
  });

  it("a page of jobs of two statuses", async () => {
    const { generic } = await planned(() => pageOfJobs(db, { filter: { status: ["QUEUED", "RUNNING"] }, page: { take: 9 } }), "limit 9");
    expect(generic).toBeGreaterThan(0);
  });

  it("a page of one job's tasks, and their count", async () => {
    expect((await planned(() => tasksOfJobs(db, [jobIds[0]!], { page: { take: 3 } }), "limit 3")).generic).toBeGreaterThan(0);
    expect((await planned(() => countTasksOfJobs(db, [jobIds[0]!], { status: ["QUEUED"] }), "count(*)::int as count from tasks")).generic).toBeGreaterThan(0);
  });

  it("a page of one template's jobs, and their count", async () => {
    expect((await planned(() => jobsOfParents(db, [templateIds[0]!], { of: "template" }, { take: 4 }), "limit 4")).generic).toBeGreaterThan(0);
    expect((await planned(() => countJobsOfParents(db, [templateIds[0]!], { of: "template" }), "count(*)::int as count from jobs j")).generic).toBeGreaterThan(0);
  });
});

describe("reads sent once", () => {
  it("are not prepared: a text is prepared when it comes a second time", async () => {
    const read = () => pageOfJobs(db, { filter: { queue: ["io"], search: "once" }, page: { take: 11 } });
    const prepared = async () => (await queryRows<Prepared>(db, "select statement from pg_prepared_statements", [], false)).filter((r) => r.statement.includes("limit 11"));
    await read();
    expect(await prepared()).toHaveLength(0);
    await read();
    expect(await prepared()).toHaveLength(1);
  });
});
