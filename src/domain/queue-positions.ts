// Where waiting jobs stand in their queues. Counting the jobs ahead of one costs as many rows as
// there are ahead, and a page of the newest jobs of a deep queue is the back of it: 50 jobs behind
// 100,000 others would read millions of rows. So a job near the front (fewer than FRONT ahead) is
// counted exactly, now, from the front of its queue; a job further back is placed in a snapshot of
// its queue's claim order, read at most once every 2 s per queue and gateway instance and shared by
// every request meanwhile. A far position is so at most SNAPSHOT_TTL_MS old.
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";

const { sql } = Prisma;

/** Positions below this are counted exactly, at the time of the request. */
export const FRONT = 100;
/** How long a queue's snapshot serves positions from FRONT on. */
export const SNAPSHOT_TTL_MS = 2000;

/** A queue's claimable jobs in claim order: priority (descending), then number. */
type Snapshot = { priorities: Int32Array; numbers: Float64Array };

const snapshots = new WeakMap<Db, Map<string, { until: number; snapshot: Promise<Snapshot> }>>();

async function readSnapshot(db: Db, queue: string): Promise<Snapshot> {
  // One text value rather than a row per job: 100,000 rows would cost more to decode than to read.
  // Read in the claim index's order, which the aggregate keeps.
  const rows = await sqlRows<{ jobs: string | null }>(db, sql`
    /* queueSnapshot */
    select string_agg(s.job, ',') as jobs from (
      select priority::text || ':' || number::text as job from jobs
       where queue = ${queue}::text and status = 'QUEUED' and deleted_at is null and run_after <= now()
       order by priority desc, number) s`);
  const parts = rows[0]?.jobs ? rows[0].jobs.split(",") : [];
  const priorities = new Int32Array(parts.length);
  const numbers = new Float64Array(parts.length);
  parts.forEach((part, i) => {
    const colon = part.indexOf(":");
    priorities[i] = Number(part.slice(0, colon));
    numbers[i] = Number(part.slice(colon + 1));
  });
  return { priorities, numbers };
}

function snapshotOf(db: Db, queue: string): Promise<Snapshot> {
  let byQueue = snapshots.get(db);
  if (!byQueue) snapshots.set(db, (byQueue = new Map()));
  const cached = byQueue.get(queue);
  if (cached && cached.until > Date.now()) return cached.snapshot;
  const snapshot = readSnapshot(db, queue);
  const entry = { until: Infinity, snapshot };
  byQueue.set(queue, entry);
  snapshot.then(
    () => (entry.until = Date.now() + SNAPSHOT_TTL_MS),
    () => byQueue.delete(queue),
  );
  return snapshot;
}

/** How many entries of the snapshot come before (priority, number) in claim order. */
function ahead(snapshot: Snapshot, priority: number, number: number): number {
  let low = 0;
  let high = snapshot.priorities.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const p = snapshot.priorities[mid]!;
    if (p > priority || (p === priority && snapshot.numbers[mid]! < number)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * For each job asked about that is QUEUED and not deleted: how many claimable jobs of its queue
 * (QUEUED, not deleted, runAfter passed) a claim takes before it, in claim order (priority, then
 * number). Jobs not waiting are absent from the map.
 */
export async function queuePositions(db: Db, jobIds: readonly string[]): Promise<Map<string, number>> {
  // The front of each queue asked about: its first FRONT claimable jobs in claim order, one read of
  // jobs_claimable_idx per queue (ordered as the index is, so that the planner takes it even for a
  // small queue beside a big one). A job with fewer than FRONT of them ahead has its exact count.
  const rows = await sqlRows<{ id: string; queue: string; priority: number; number: string; ahead: number }>(db, sql`
    /* queuePositions */
    with wanted as (
      select id, queue, priority, number from jobs
       where id = any(${[...jobIds]}::uuid[]) and status = 'QUEUED' and deleted_at is null
    ), front as (
      select q.queue, f.priority, f.number
        from (select distinct queue from wanted) q
        cross join lateral (select j.priority, j.number from jobs j
           where j.queue = q.queue and j.status = 'QUEUED' and j.deleted_at is null and j.run_after <= now()
           order by j.priority desc, j.number limit ${FRONT}::int) f
    )
    select w.id, w.queue, w.priority, w.number::text as number,
           (select count(*) from front f
             where f.queue = w.queue and (f.priority > w.priority or (f.priority = w.priority and f.number < w.number)))::int as ahead
      from wanted w`);
  const far = rows.filter((row) => row.ahead >= FRONT);
  const queues = [...new Set(far.map((row) => row.queue))];
  const read = new Map(await Promise.all(queues.map(async (queue) => [queue, await snapshotOf(db, queue)] as const)));
  return new Map(
    rows.map((row) => [
      row.id,
      // A snapshot read before jobs ahead arrived may place the job nearer than its exact count did.
      row.ahead < FRONT ? row.ahead : Math.max(FRONT, ahead(read.get(row.queue)!, row.priority, Number(row.number))),
    ]),
  );
}
