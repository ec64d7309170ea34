// Bounded history (src/domain/retention.ts): events older than the retention go oldest first in
// stream order, in batches, and the newest position deleted is kept; finished jobs older than
// theirs go with their tasks, outputs, logs and dependency rows, each leaving a HARD_DELETED event,
// while jobs something unfinished still needs stay. Instances pruning at once neither fail nor
// delete twice, and a subscriber replaying from a cursor the pruning passed is refused.
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { HistoryExpiredError } from "../../src/domain/errors.js";
import { pruneEvents, pruneFinishedJobs, pruneHistory, PRUNE_BATCH } from "../../src/domain/retention.js";
import { decodeCursor, replayEvents } from "../../src/events/event-stream.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { wholeStream } from "../helpers/event-stream.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const HOUR = 3_600_000;

let database: TestDatabase;
let templateId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  templateId = (await createTemplate(database.db)).id;
});

/** `count` PROGRESS events of `jobId`, each in a transaction of its own, written `ageMs` ago. */
async function eventsAged(jobId: string, count: number, ageMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await database.pool.query(
      "insert into job_events (job_id, kind, progress, job_version, at) values ($1::uuid, 'PROGRESS', 0.5, $2::int, now() - make_interval(secs => $3::double precision))",
      [jobId, i + 1, ageMs / 1000],
    );
  }
}

async function watermark(): Promise<{ txid: string; id: string }> {
  const { rows } = await database.pool.query<{ txid: string; id: string }>("select pruned_txid::text as txid, pruned_id::text as id from event_history");
  return rows[0]!;
}

describe("pruning events", () => {
  it("deletes the events older than the cutoff, oldest first in stream order, stopping at the first newer one", async () => {
    await database.pool.query("delete from job_events");
    const [job] = await createJobs(database.db, templateId, 1);
    await eventsAged(job!, 5, 3 * HOUR);
    await eventsAged(job!, 1, 0);
    // Old again, but behind a newer event in the stream: it waits for that one.
    await eventsAged(job!, 1, 3 * HOUR);
    const before = await wholeStream(database.db);

    expect(await pruneEvents(database.db, new Date(Date.now() - HOUR))).toBe(5);
    const after = await wholeStream(database.db);
    expect(after.map((e) => e.id)).toEqual(before.slice(5).map((e) => e.id));
    expect(await watermark()).toEqual(decodeCursor(before[4]!.cursor));
    // Nothing more to do until the newer one is old enough.
    expect(await pruneEvents(database.db, new Date(Date.now() - HOUR))).toBe(0);
    expect(await pruneEvents(database.db, new Date(Date.now() + HOUR))).toBe(2);
    expect(await wholeStream(database.db)).toEqual([]);
  });

  it("goes a batch at a time, and a pass runs batches until none is left", async () => {
    await database.pool.query("delete from job_events");
    const [job] = await createJobs(database.db, templateId, 1);
    await database.pool.query(
      "insert into job_events (job_id, kind, progress, job_version, at) select $1::uuid, 'PROGRESS', 0.1, n, now() - interval '2 days' from generate_series(1, $2::int) n",
      [job, 2 * PRUNE_BATCH + 10],
    );
    expect(await pruneEvents(database.db, new Date(Date.now() - HOUR), 100)).toBe(100);
    expect(await pruneHistory(database.db, { eventsMs: HOUR })).toEqual({ events: 2 * PRUNE_BATCH - 90, jobs: 0 });
    expect(await wholeStream(database.db)).toEqual([]);
  });

  it("lets one instance prune at a time: another's pass finds its turn taken and deletes nothing", async () => {
    await database.pool.query("delete from job_events");
    const [job] = await createJobs(database.db, templateId, 1);
    await eventsAged(job!, 3, 3 * HOUR);
    const other = await database.pool.connect();
    try {
      await other.query("begin");
      await other.query("select pg_advisory_xact_lock(x'6a6f6267726170'::bigint)");
      expect(await pruneEvents(database.db, new Date())).toBe(0);
      await other.query("commit");
    } finally {
      other.release();
    }
    const [a, b] = await Promise.all([pruneEvents(database.db, new Date()), pruneEvents(database.db, new Date())]);
    expect(a + b).toBe(3);
  });

  it("refuses a replay from a cursor the pruning passed, and replays from the last one pruned or later", async () => {
    await database.pool.query("delete from job_events");
    const [job] = await createJobs(database.db, templateId, 1);
    await eventsAged(job!, 4, 3 * HOUR);
    await eventsAged(job!, 2, 0);
    const all = await wholeStream(database.db);
    await pruneEvents(database.db, new Date(Date.now() - HOUR));

    await expect(replayEvents(database.db, { txid: "0", id: "0" })).rejects.toBeInstanceOf(HistoryExpiredError);
    await expect(replayEvents(database.db, decodeCursor(all[2]!.cursor)!)).rejects.toBeInstanceOf(HistoryExpiredError);
    expect((await replayEvents(database.db, decodeCursor(all[3]!.cursor)!)).map((e) => e.id)).toEqual(all.slice(4).map((e) => e.id));
    expect((await replayEvents(database.db, decodeCursor(all[4]!.cursor)!)).map((e) => e.id)).toEqual([all[5]!.id]);
  });
});

describe("pruning finished jobs", () => {
  /** Jobs with 2 tasks and an output each, finished (or not) `ageMs` ago. */
  async function jobs(count: number, status: "SUCCEEDED" | "FAILED" | "CANCELLED" | "RUNNING" | "QUEUED", ageMs: number, extra: { deletedAt?: Date } = {}) {
    const ids = await createJobs(database.db, templateId, count, { tasks: 2, outputs: 1, spec: () => ({ status, ...extra }) });
    if (status !== "RUNNING" && status !== "QUEUED") {
      await database.pool.query("update jobs set end_time = now() - make_interval(secs => $2::double precision) where id = any($1::uuid[])", [ids, ageMs / 1000]);
    }
    return ids;
  }

  async function existing(ids: string[]): Promise<string[]> {
    const { rows } = await database.pool.query<{ id: string }>("select id from jobs where id = any($1::uuid[]) order by id", [ids]);
    return rows.map((r) => r.id);
  }

  it("deletes jobs finished before the cutoff with their tasks, outputs and logs, each leaving a HARD_DELETED event", async () => {
    const old = [...(await jobs(2, "SUCCEEDED", 3 * HOUR)), ...(await jobs(1, "FAILED", 3 * HOUR)), ...(await jobs(1, "CANCELLED", 3 * HOUR, { deletedAt: new Date() }))];
    const recent = await jobs(2, "SUCCEEDED", 0);
    const unfinished = [...(await jobs(1, "RUNNING", 0)), ...(await jobs(1, "QUEUED", 0))];
    await database.pool.query("insert into job_log_lines (job_id, seq, stream, at, line, cum_bytes) select id, 1, 'STDOUT', now(), 'hello', 5 from jobs where id = any($1::uuid[])", [old]);
    const outputsBefore = await database.pool.query<{ id: string }>("select id from job_outputs where job_id = any($1::uuid[])", [old]);

    expect(await pruneFinishedJobs(database.db, new Date(Date.now() - HOUR))).toBe(old.length);
    expect(await existing([...old, ...recent, ...unfinished])).toEqual([...recent, ...unfinished].sort());
    const left = await database.pool.query<{ n: string }>(
      `select (select count(*) from tasks where job_id = any($1::uuid[])) + (select count(*) from job_outputs where job_id = any($1::uuid[]))
            + (select count(*) from job_log_lines where job_id = any($1::uuid[])) as n`,
      [old],
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
    // Their content is queued for deletion, as for any removed output.
    const removals = await database.pool.query<{ output_id: string }>("select output_id from output_removals where output_id = any($1::uuid[])", [outputsBefore.rows.map((r) => r.id)]);
    expect(removals.rows).toHaveLength(outputsBefore.rows.length);
    const events = await database.pool.query<{ job_id: string; kind: string; reason: string; number: string }>(
      "select job_id, kind::text, detail->>'reason' as reason, detail->>'number' as number from job_events where job_id = any($1::uuid[]) order by job_id",
      [old],
    );
    expect(events.rows.map((e) => [e.job_id, e.kind, e.reason])).toEqual([...old].sort().map((id) => [id, "HARD_DELETED", "retention"]));
  });

  it("keeps a finished job that an unfinished job waits for or descends from, until that one finishes", async () => {
    const [dependency, parent] = await jobs(2, "SUCCEEDED", 3 * HOUR);
    const [waiting] = await createJobs(database.db, templateId, 1, { spec: () => ({ status: "QUEUED" }) });
    const [child] = await createJobs(database.db, templateId, 1, { spec: () => ({ status: "RUNNING", parentId: parent! }) });
    await database.pool.query("insert into job_dependencies (job_id, depends_on_id) values ($1::uuid, $2::uuid)", [waiting, dependency]);

    expect(await pruneFinishedJobs(database.db, new Date(Date.now() - HOUR))).toBe(0);
    expect(await existing([dependency!, parent!])).toEqual([dependency!, parent!].sort());

    await database.pool.query("update jobs set status = 'SUCCEEDED', end_time = now() where id = any($1::uuid[])", [[waiting, child]]);
    expect(await pruneFinishedJobs(database.db, new Date(Date.now() - HOUR))).toBe(2);
    expect(await existing([dependency!, parent!, waiting!, child!])).toEqual([waiting!, child!].sort());
  });

  it("deletes each job once when instances prune at once", async () => {
    const ids = await jobs(300, "SUCCEEDED", 3 * HOUR);
    const counts = await Promise.all(Array.from({ length: 4 }, () => pruneFinishedJobs(database.db, new Date(Date.now() - HOUR), 50)));
    const more = await pruneHistory(database.db, { finishedJobsMs: HOUR });
    expect(counts.reduce((a, b) => a + b, 0) + more.jobs).toBe(ids.length);
    expect(await existing(ids)).toEqual([]);
    const events = await database.pool.query<{ n: string }>("select count(*) as n from job_events where job_id = any($1::uuid[])", [ids]);
    expect(Number(events.rows[0]!.n)).toBe(ids.length);
  });

  it("goes on in smaller batches when a batch runs past the statement timeout", async () => {
    await pruneHistory(database.db, { finishedJobsMs: HOUR });
    const ids = await jobs(300, "SUCCEEDED", 3 * HOUR);
    // Each job's deletion takes 5 ms here: a batch of 1,000 (the 300) or of 250 runs past 1 s, one of 63 does not.
    const timed = createDb({ url: database.directUrl, statementTimeoutMs: 1000 });
    await database.pool.query(`
      create function slow_deletion() returns trigger language plpgsql as $$ begin perform pg_sleep(0.005); return old; end $$;
      create trigger slow_deletion before delete on jobs for each row execute function slow_deletion()`);
    try {
      expect(await pruneHistory(timed, { finishedJobsMs: HOUR })).toEqual({ jobs: 300, events: 0 });
      expect(await existing(ids)).toEqual([]);
    } finally {
      await database.pool.query("drop trigger slow_deletion on jobs; drop function slow_deletion()");
      await timed.$disconnect();
    }
  });
});
