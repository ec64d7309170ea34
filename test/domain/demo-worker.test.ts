// The demo worker against a seeded database, ticking fast: it moves the demo's jobs through their
// lifecycle as the demo's nodes, leaves every other job alone, makes new work when the demo runs
// out, keeps only its newest finished jobs, and runs in one instance at a time.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CREATED_TAG, DemoWorker } from "../../src/db/demo-worker.js";
import { DEMO_NODE_NAMES, DEMO_TAG, seedDemoData } from "../../src/db/seed.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const settings = { leaseSeconds: 120 };

describe("the demo worker", () => {
  let database: TestDatabase;
  const workers: DemoWorker[] = [];

  function worker(onWritten: () => void = () => {}): DemoWorker {
    const demo = new DemoWorker({ db: database.db, databaseUrl: database.directUrl, settings, intervalMs: 20, onWritten });
    workers.push(demo);
    return demo;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedDemoData(database.db);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  const demoJobs = (status: string[]) =>
    database.db.job.findMany({ where: { tags: { has: DEMO_TAG }, status: { in: status as never[] } }, select: { id: true, status: true, progress: true, version: true } });

  it("moves the seeded jobs as their nodes would, and no other job", async () => {
    const { db } = database;
    const template = await db.jobTemplate.findFirstOrThrow({ where: { name: "hash-files" } });
    const admin = await db.user.findFirstOrThrow({ where: { name: "admin" } });
    const mine = await db.job.create({
      data: { name: "mine", templateId: template.id, creatorId: admin.id, inputValues: {}, parameterValues: {}, tags: ["mine"] },
    });
    const [acquired] = await demoJobs(["ACQUIRED"]);
    const running = await demoJobs(["RUNNING"]);
    const queued = await demoJobs(["QUEUED"]);
    expect(acquired).toBeDefined();
    expect(running.length).toBeGreaterThan(0);
    let written = 0;
    worker(() => written++).start();

    await expect.poll(async () => (await db.job.findUniqueOrThrow({ where: { id: acquired!.id } })).status, { timeout: 20_000 }).not.toBe("ACQUIRED");
    for (const job of running) {
      await expect
        .poll(async () => (await db.job.findUniqueOrThrow({ where: { id: job.id } })).version, { timeout: 20_000 })
        .toBeGreaterThan(job.version);
    }
    const after = await db.job.findMany({ where: { id: { in: running.map((j) => j.id) } } });
    // Each one moved on: further along, or finished.
    for (const job of after) {
      const before = running.find((j) => j.id === job.id)!;
      expect(job.status === "SUCCEEDED" || job.progress > before.progress, job.name ?? job.id).toBe(true);
    }
    // Every change has its event, by a demo node.
    expect(await db.jobEvent.count({ where: { jobId: { in: running.map((j) => j.id) }, kind: "PROGRESS", at: { gt: mine.createdAt } } })).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(0);

    // The demo nodes keep a few jobs in hand: queued demo jobs get taken.
    await expect.poll(async () => (await demoJobs(["QUEUED"])).length, { timeout: 30_000 }).toBeLessThan(queued.length);
    expect(await db.job.findUniqueOrThrow({ where: { id: mine.id } })).toMatchObject({ status: "QUEUED", version: 1, nodeId: null });
  });

  it("makes new work when the demo runs out, runs it to the end, and keeps only its newest finished jobs", { timeout: 120_000 }, async () => {
    const { db } = database;
    // The demo ran out: nothing left to take or to run.
    await db.job.updateMany({
      where: { tags: { has: DEMO_TAG }, status: { in: ["QUEUED", "ACQUIRED", "RUNNING"] } },
      data: { status: "CANCELLED", nodeId: null, leaseToken: null, leaseExpiresAt: null },
    });
    // Twelve finished jobs of its own from before.
    const template = await db.jobTemplate.findFirstOrThrow({ where: { name: "hash-files" } });
    const admin = await db.user.findFirstOrThrow({ where: { name: "admin" } });
    const old = [];
    for (let i = 0; i < 12; i++) {
      old.push(
        await db.job.create({
          data: { name: `old ${i}`, templateId: template.id, creatorId: admin.id, inputValues: {}, parameterValues: {}, status: "SUCCEEDED", tags: [DEMO_TAG, CREATED_TAG] },
        }),
      );
    }
    worker().start();

    await expect
      .poll(async () => db.job.count({ where: { tags: { has: CREATED_TAG }, status: "SUCCEEDED", name: "hash uploads (demo worker)" } }), { timeout: 100_000, interval: 200 })
      .toBeGreaterThan(0);
    const made = await db.job.findFirstOrThrow({ where: { tags: { has: CREATED_TAG }, status: "SUCCEEDED", name: "hash uploads (demo worker)" }, include: { tasks: true } });
    expect(made.tasks.map((t) => t.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    expect(made.progress).toBe(1);
    // The oldest of its own finished jobs went; at most ten finished remain.
    expect(await db.job.count({ where: { id: old[0]!.id } })).toBe(0);
    await expect
      .poll(() => db.job.count({ where: { tags: { has: CREATED_TAG }, status: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] } } }), { timeout: 10_000 })
      .toBeLessThanOrEqual(10);
    // Seeded jobs are never removed, whatever their state.
    expect(await db.job.count({ where: { tags: { has: DEMO_TAG }, NOT: { tags: { has: CREATED_TAG } } } })).toBeGreaterThan(10);
  });

  it("runs in one instance at a time; another takes over when it stops", async () => {
    let first = 0;
    let second = 0;
    const a = worker(() => first++);
    a.start();
    await expect.poll(() => first, { timeout: 20_000 }).toBeGreaterThan(0);
    const b = worker(() => second++);
    b.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(second).toBe(0);
    await a.stop();
    await expect.poll(() => second, { timeout: 20_000 }).toBeGreaterThan(0);
  });
});

describe("the demo worker on the seeded demo, left to run", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedDemoData(database.db);
  });

  it("runs every seeded job its nodes take to its end, MAP tasks as their children, keeps its nodes online, and makes work once only later jobs are left", { timeout: 150_000 }, async () => {
    const { db } = database;
    const seeded = async () =>
      db.job.findMany({
        where: { tags: { has: DEMO_TAG }, NOT: { tags: { has: CREATED_TAG } } },
        select: { id: true, name: true, status: true, runAfter: true, attempts: true, tasks: { select: { type: true, status: true } } },
      });
    const before = await seeded();
    // The seed holds jobs whose frames a MAP task fans out to, and a job queued to run later.
    expect(before.some((job) => job.status !== "SUCCEEDED" && job.tasks.some((t) => t.type === "MAP"))).toBe(true);
    expect(before.some((job) => job.status === "QUEUED" && job.runAfter > new Date())).toBe(true);
    const failedBefore = new Set(before.filter((job) => job.status === "FAILED").map((job) => job.id));

    const demo = new DemoWorker({ db, databaseUrl: database.directUrl, settings, intervalMs: 20, onWritten: () => {} });
    demo.start();
    try {
      // Until none is held (each ran to its end), and the worker made work of its own.
      await expect
        .poll(
          async () => {
            const jobs = await seeded();
            const made = await db.job.count({ where: { tags: { has: CREATED_TAG } } });
            return { held: jobs.filter((job) => job.status === "ACQUIRED" || job.status === "RUNNING").map((job) => job.name), made: made > 0 };
          },
          { timeout: 140_000, interval: 500 },
        )
        .toEqual({ held: [], made: true });
    } finally {
      await demo.stop();
    }
    const after = await seeded();
    for (const job of after) {
      // None failed on the way, and each that finished did so once, with every task done.
      if (failedBefore.has(job.id)) continue;
      expect(job.status, job.name ?? job.id).not.toBe("FAILED");
      if (job.status === "SUCCEEDED") {
        // Taken once at most since the seed: never back to the queue for a lease that ran out.
        expect(job.attempts, job.name ?? job.id).toBeLessThanOrEqual(before.find((b) => b.id === job.id)!.attempts + 1);
        expect(job.tasks.every((t) => t.status === "SUCCEEDED"), job.name ?? job.id).toBe(true);
      }
    }
    // The frame jobs the seed left acquired or queued ran, their frames too.
    const frames = after.filter((job) => job.tasks.some((t) => t.type === "MAP"));
    expect(frames.map((job) => job.status)).toEqual(frames.map(() => "SUCCEEDED"));
    // Its nodes are online, as the nodes of jobs that move are.
    const nodes = await db.workerNode.findMany({ where: { name: { in: [...DEMO_NODE_NAMES] } }, select: { lastSeenAt: true } });
    for (const node of nodes) expect(node.lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});
