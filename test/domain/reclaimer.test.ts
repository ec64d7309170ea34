// The reclaimer that every gateway instance runs: it finds expired leases on its own.
import { beforeAll, describe, expect, it } from "vitest";
import { Reclaimer } from "../../src/domain/reclaimer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode } from "../helpers/principals.js";

describe("the reclaimer", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  it("requeues a job whose lease ran out, on its own, and stops when told", async () => {
    const { db } = database;
    const node = await createTestNode(db);
    const [id] = (await createJobs(db, (await createTemplate(db)).id, 1)) as [string];
    await db.job.update({
      where: { id },
      data: { status: "RUNNING", nodeId: node.id, attempts: 1, leaseToken: "0d6a2b9e-5a7c-4e1f-8f0b-3c2d1e0f9a8b", leaseExpiresAt: new Date(Date.now() - 1000) },
    });
    const reclaimer = new Reclaimer(db, 50);
    reclaimer.start();
    try {
      await expect.poll(async () => (await db.job.findUniqueOrThrow({ where: { id } })).status, { timeout: 5000 }).toBe("QUEUED");
    } finally {
      await reclaimer.stop();
    }
    expect(await db.jobEvent.count({ where: { jobId: id, kind: "LEASE_EXPIRED" } })).toBe(1);

    await db.job.update({ where: { id }, data: { status: "RUNNING", leaseToken: "1d6a2b9e-5a7c-4e1f-8f0b-3c2d1e0f9a8b", leaseExpiresAt: new Date(Date.now() - 1000) } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await db.job.findUniqueOrThrow({ where: { id } })).status).toBe("RUNNING");
  });
});
