// A job's events reach the stream in version order even when the transaction that wrote the later
// one took its id first: a cascade that has cancelled a parent, then waits for the lock of a child
// that a progress report holds, commits after the report, with a lower transaction id.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { StreamEvent } from "../../src/events/event-stream.js";
import type { NodePrincipal, UserPrincipal } from "../../src/domain/principal.js";
import { acquireJob, cancelJob, reportJobProgress, startJob } from "../../src/domain/transitions.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { wholeStream } from "../helpers/event-stream.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";

const settings = { leaseSeconds: 120 };

/** For each job, the versions of its events in stream order. */
function versionsByJob(events: StreamEvent[]): Map<string, number[]> {
  const byJob = new Map<string, number[]>();
  for (const e of events) if (e.jobId) byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e.jobVersion]);
  return byJob;
}

describe("the order of a job's events in the stream", () => {
  let database: TestDatabase;
  let admin: UserPrincipal;
  let node: NodePrincipal;

  beforeAll(async () => {
    database = await createTestDatabase();
    const user = await createTestUser(database.db, "ADMIN");
    admin = { kind: "USER", userId: user.id, name: user.name, role: "ADMIN", tokenId: user.tokenId };
    const n = await createTestNode(database.db);
    node = { kind: "NODE", nodeId: n.id, name: n.name, tokenId: n.tokenId };
  });

  it("is the version order when a cascade waits on a child that a later transaction changes first", async () => {
    const template = await createTemplate(database.db, "cascade");
    const [parent] = (await createJobs(database.db, template.id, 1)) as [string];
    // The child is written before the grandchild, so the cascade locks it first, whichever plan it takes.
    const [child] = (await createJobs(database.db, template.id, 1, { spec: () => ({ parentId: parent }) })) as [string];
    const [grandchild] = (await createJobs(database.db, template.id, 1, { spec: () => ({ parentId: child }) })) as [string];
    const lease = (await acquireJob(database.db, node, grandchild, settings)).leaseToken!;
    await startJob(database.db, node, grandchild, lease, settings);

    // Someone holds the child: the cascade will take its transaction id, then wait there.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("update jobs set priority = priority where id = $1", [child]);
      const cancelling = cancelJob(database.db, admin, parent, "stop");
      await expect
        .poll(async () => (await database.pool.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`)).rows[0].n, {
          timeout: 10_000,
        })
        .toBe(1);
      // Meanwhile the grandchild's node reports progress: a later transaction id, committed first.
      await reportJobProgress(database.db, node, grandchild, { leaseToken: lease, progress: 0.5 }, settings);
      await holder.query("commit");
      await cancelling;
    } finally {
      await holder.end();
    }

    const stream = await wholeStream(database.db);
    const versions = versionsByJob(stream);
    const grandchildEvents = stream.filter((e) => e.jobId === grandchild);
    // The situation the test is about did arise: the cancellation's transaction id is the lower one.
    const progress = grandchildEvents.find((e) => e.kind === "PROGRESS")!;
    const cancelled = grandchildEvents.find((e) => e.kind === "CANCELLED")!;
    const txid = (e: StreamEvent) => BigInt(Buffer.from(e.cursor, "base64url").toString().split(":")[0]!);
    const cancelTx = (await database.pool.query(`select txid::text from job_events where job_id = $1 and kind = 'CANCELLED'`, [parent])).rows[0].txid;
    expect(BigInt(cancelTx)).toBeLessThan(txid(progress));
    expect(cancelled.jobVersion).toBeGreaterThan(progress.jobVersion);
    for (const id of [parent, child, grandchild]) {
      const seen = versions.get(id)!;
      expect(seen, `job ${id}`).toEqual([...new Set(seen)].sort((a, b) => a - b));
    }
  });
});
