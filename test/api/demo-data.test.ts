// The demo data and the playground's example operations, which are written to run against it.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TAG, SeedRefusedError, seedDemoData, type SeedSummary } from "../../src/db/seed.js";
import { playgroundTabs } from "../../src/graphql/playground.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { outputStores } from "../helpers/stores.js";

type Page = { totalCount?: number; edges: Array<{ node: Record<string, unknown> }> };

describe.each(outputStores())("demo data's outputs ($name store)", (store) => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, store.options);
    await seedDemoData(database.db, { outputStore: store.options.outputStore });
  });
  afterAll(() => api.app.stop());

  it("are stored whole in the gateway's store, so that each one downloads whole with its digest", async () => {
    const outputs = await database.db.jobOutput.findMany();
    expect(outputs.length).toBeGreaterThan(0);
    expect(await store.storedIds(database)).toEqual(outputs.map((o) => o.id).sort());
    for (const output of outputs) {
      const response = await api.fetch(`/outputs/${output.id}`);
      expect(response.status, output.name).toBe(200);
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.length, output.name).toBe(Number(output.size));
      expect(createHash("sha256").update(body).digest("hex"), output.name).toBe(output.sha256);
    }
  });

  it("are not written again by a seed that is refused", async () => {
    const before = await store.storedIds(database);
    await expect(seedDemoData(database.db, { outputStore: store.options.outputStore })).rejects.toBeInstanceOf(SeedRefusedError);
    expect(await store.storedIds(database)).toEqual(before);
  });

  it("leave nothing behind when the seed fails after writing them", async () => {
    const failing = await createTestDatabase();
    // Every row is written before the events, and the last statement fails.
    await failing.pool.query(`alter table job_events add constraint refuse_all check (false) not valid`);
    const before = await store.storedIds(failing);
    await expect(seedDemoData(failing.db, { outputStore: store.options.outputStore })).rejects.toThrow(/refuse_all/);
    expect(await failing.db.job.count()).toBe(0);
    expect(await store.storedIds(failing)).toEqual(before);
  });
});

describe("demo data", () => {
  let database: TestDatabase;
  let api: TestApi;
  let summary: SeedSummary;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    summary = await seedDemoData(database.db);
  });

  it("covers every job status, soft deletion, child jobs, tasks and outputs", async () => {
    const { db } = database;
    const statuses = await db.job.groupBy({ by: ["status"], _count: true });
    expect(statuses.map((s) => s.status).sort()).toEqual(
      ["ACQUIRED", "CANCELLED", "FAILED", "QUEUED", "RUNNING", "SUCCEEDED"].sort(),
    );
    expect(await db.job.count({ where: { deletedAt: { not: null } } })).toBeGreaterThan(0);
    expect(await db.job.count({ where: { parentId: { not: null } } })).toBeGreaterThanOrEqual(2);
    expect(await db.task.count({ where: { createdByTaskId: { not: null } } })).toBeGreaterThan(0);
    const versions = await db.jobTemplate.groupBy({ by: ["name"], _max: { version: true } });
    expect(versions.some((v) => (v._max.version ?? 0) > 1)).toBe(true);
    expect(summary).toMatchObject({
      jobs: await db.job.count(),
      tasks: await db.task.count(),
      outputs: await db.jobOutput.count(),
      events: await db.jobEvent.count(),
    });
  });

  it("counts an attempt for every task that started, and says why each cancelled task was", async () => {
    expect(await database.db.task.count({ where: { startTime: { not: null }, attempts: { lt: 1 } } })).toBe(0);
    expect(await database.db.task.count({ where: { status: "CANCELLED", reason: null } })).toBe(0);
    expect(await database.db.task.count({ where: { status: "CANCELLED" } })).toBeGreaterThan(0);
  });

  it("tags every job demo, so that the demo worker moves them and nothing else", async () => {
    expect(await database.db.job.count({ where: { NOT: { tags: { has: DEMO_TAG } } } })).toBe(0);
  });

  it("keeps every job's version equal to its last event's", async () => {
    const { rows } = await database.pool.query<{ number: string }>(
      `select j.number from jobs j
        where j.version <> (select max(e.job_version) from job_events e where e.job_id = j.id)`,
    );
    expect(rows).toEqual([]);
  });

  it("refuses to seed a database that already holds jobs, and changes nothing", async () => {
    const before = await database.db.job.count();
    await expect(seedDemoData(database.db)).rejects.toBeInstanceOf(SeedRefusedError);
    expect(await database.db.job.count()).toBe(before);
  });

  it.each(playgroundTabs.map((tab) => [/(?:query|mutation) (\w+)/.exec(tab.query)![1], tab.query]))(
    "answers the playground's %s example without errors, with data",
    async (_name, query) => {
      const response = await api.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: Record<string, Page & { __typename?: string }>; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      const [result] = Object.values(body.data!);
      if (Array.isArray(result)) expect(result.length).toBeGreaterThan(0);
      else if (result!.__typename) expect(["CreateJobPayload", "CreateWorkflowPayload", "Schedule"]).toContain(result!.__typename);
      else expect(result!.edges.length).toBeGreaterThan(0);
    },
  );
});
