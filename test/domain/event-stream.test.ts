// The event stream's guarantees at the table: an event committed late is delivered in its place,
// a rolled-back one never, and a lost LISTEN connection is replaced with nothing missed.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { decodeCursor, EventStream, LOGS_CHANNEL, readEvents, WAKE_CHANNEL, type StreamEvent } from "../../src/events/event-stream.js";
import { watchAvailable, watchEvents, type Update } from "../../src/events/watch.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

describe("the event stream", () => {
  let database: TestDatabase;
  let jobId: string;
  const streams: EventStream[] = [];
  const others: Db[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    [jobId] = (await createJobs(database.db, (await createTemplate(database.db)).id, 1)) as [string];
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.stop()));
    await Promise.all(others.map((d) => d.$disconnect()));
  });

  /** A stream of its own instance (own client), collecting what it delivers. */
  async function instance(options: { pollIntervalMs?: number; listen?: boolean } = {}) {
    const db = createDb({ url: database.url, pooled: database.pooled });
    others.push(db);
    const stream = new EventStream({ db, pollIntervalMs: options.pollIntervalMs ?? 50, ...(options.listen ? { listenUrl: database.directUrl } : {}) });
    streams.push(stream);
    const delivered: StreamEvent[] = [];
    await stream.subscribe((events) => delivered.push(...events));
    return { stream, delivered };
  }

  async function client() {
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    return c;
  }

  const insertEvent = (c: pg.Client, version: number) =>
    c.query(`insert into job_events (job_id, kind, job_version) values ($1, 'UPDATED', $2) returning id`, [jobId, version]);

  it("delivers an event whose transaction commits after a later one, in commit-safe order, once", async () => {
    const { delivered } = await instance();
    const [early, late] = [await client(), await client()];
    try {
      await early.query("begin");
      const first = (await insertEvent(early, 101)).rows[0].id;
      const second = (await insertEvent(late, 102)).rows[0].id;
      expect(BigInt(second)).toBeGreaterThan(BigInt(first));
      // The later event is committed, but the earlier transaction still runs: nothing may pass it.
      await new Promise((r) => setTimeout(r, 300));
      expect(delivered.map((e) => e.jobVersion)).toEqual([]);
      await early.query("commit");
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 3000 }).toEqual([101, 102]);
      await new Promise((r) => setTimeout(r, 200));
      expect(delivered).toHaveLength(2);
    } finally {
      await early.end();
      await late.end();
    }
  });

  it("never delivers an event of a rolled-back transaction", async () => {
    const { delivered } = await instance();
    const c = await client();
    try {
      await c.query("begin");
      await insertEvent(c, 201);
      await c.query("rollback");
      await insertEvent(c, 202);
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 3000 }).toEqual([202]);
    } finally {
      await c.end();
    }
  });

  it("is woken by another instance's NOTIFY, and replaces a lost LISTEN connection without missing events", async () => {
    // No poll to speak of: only the wake-up channel (and catching up after reconnecting) delivers.
    const { delivered } = await instance({ pollIntervalMs: 600_000, listen: true });
    const writer = await instance({ pollIntervalMs: 600_000, listen: true });
    const c = await client();
    try {
      await insertEvent(c, 301);
      writer.stream.written();
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 3000 }).toEqual([301]);

      await c.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'jobgraph-listen' and datname = current_database()`);
      await insertEvent(c, 302);
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 5000 }).toEqual([301, 302]);
    } finally {
      await c.end();
    }
  });

  it("announces a change after a quiet spell at once, and a burst with one more NOTIFY at the window's end", async () => {
    const { delivered } = await instance({ pollIntervalMs: 600_000, listen: true });
    const db = createDb({ url: database.url, pooled: database.pooled });
    others.push(db);
    // A window far longer than the test waits: only the leading NOTIFY can deliver in time.
    // (On a busy machine the leading NOTIFY's delivery may take a second or two; the window must
    // outlast that and the half second below.)
    const writer = new EventStream({ db, pollIntervalMs: 600_000, listenUrl: database.directUrl, notifyCoalesceMs: 4000 });
    streams.push(writer);
    const c = await client();
    try {
      await insertEvent(c, 901);
      writer.written();
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 2000 }).toEqual([901]);
      // Within the window: held back until it ends, then announced together.
      await insertEvent(c, 902);
      writer.written();
      await insertEvent(c, 903);
      writer.written();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(delivered.map((e) => e.jobVersion)).toEqual([901]);
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 6000 }).toEqual([901, 902, 903]);
    } finally {
      await c.end();
    }
  });

  /** A connection that counts the NOTIFYs on `channel` from now on. */
  async function eavesdrop(channel: string) {
    const c = await client();
    const heard = { count: 0, end: () => c.end() };
    c.on("notification", () => heard.count++);
    await c.query(`listen ${channel}`);
    return heard;
  }

  it("wakes other instances only while one has subscribers (to events or to logs)", async () => {
    // The other tests' instances have subscribers, and would say so at their next heartbeat.
    await Promise.all(streams.splice(0).map((s) => s.stop()));
    const heartbeat = { tailerHeartbeatMs: 100 };
    const db = createDb({ url: database.url, pooled: database.pooled });
    others.push(db);
    // Listening first: the writer's first two and a half heartbeats (250 ms) run from its own
    // listen, and connecting these under load could take longer than that.
    const [wakes, logs] = [await eavesdrop(WAKE_CHANNEL), await eavesdrop(LOGS_CHANNEL)];
    const c = await client();
    const writer = new EventStream({ db, pollIntervalMs: 600_000, listenUrl: database.directUrl, notifyCoalesceMs: 1, ...heartbeat });
    streams.push(writer);
    await writer.listenForAnnouncements();
    try {
      // Until it has listened for two and a half heartbeats, it cannot know that nobody watches.
      writer.written();
      await expect.poll(() => wakes.count, { timeout: 2000 }).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      wakes.count = 0;
      writer.written();
      writer.logsWritten(jobId);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([wakes.count, logs.count]).toEqual([0, 0]);

      // Another instance subscribes: it says so at once, and it is woken by the next change (its
      // own poll is far too slow to have delivered it).
      const readerDb = createDb({ url: database.url, pooled: database.pooled });
      others.push(readerDb);
      const reader = new EventStream({ db: readerDb, pollIntervalMs: 600_000, listenUrl: database.directUrl, ...heartbeat });
      streams.push(reader);
      const delivered: StreamEvent[] = [];
      const { unsubscribe } = await reader.subscribe((events) => delivered.push(...events));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await insertEvent(c, 1001);
      writer.written();
      await expect.poll(() => delivered.map((e) => e.jobVersion), { timeout: 2000 }).toEqual([1001]);
      expect(wakes.count).toBeGreaterThan(0);

      // Its subscriber gone, its word lapses after two and a half heartbeats, and so do the NOTIFYs.
      unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 400));
      wakes.count = 0;
      writer.written();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(wakes.count).toBe(0);

      // A tailer of logs counts as much as one of events.
      const stop = await reader.onLogs(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      writer.logsWritten(jobId);
      await expect.poll(() => logs.count, { timeout: 2000 }).toBe(1);
      stop();
    } finally {
      await Promise.all([c.end(), wakes.end(), logs.end()]);
    }
  });

  async function take<T>(iterable: AsyncIterable<T>, count: number, timeoutMs = 3000): Promise<T[]> {
    const iterator = iterable[Symbol.asyncIterator]();
    const items: T[] = [];
    const deadline = Date.now() + timeoutMs;
    while (items.length < count && Date.now() < deadline) {
      const next = await Promise.race([iterator.next(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
      if (!next || next.done) break;
      items.push(next.value);
    }
    return items;
  }

  it("does not send again what a client resuming ahead of this instance already has", async () => {
    const { stream } = await instance({ pollIntervalMs: 600_000 });
    const c = await client();
    try {
      await insertEvent(c, 401);
      const [seen] = (await readEvents(database.db, null)).filter((e) => e.jobVersion === 401);
      const resumed = await watchEvents(stream, database.db, { includeDeleted: true }, decodeCursor(seen!.cursor));
      await insertEvent(c, 402);
      stream.wake();
      expect((await take(resumed, 2, 1500)).map((e) => e.jobVersion)).toEqual([402]);
    } finally {
      await c.end();
    }
  });

  it("announces as available only jobs a node could acquire now", async () => {
    const { stream } = await instance();
    const available = await watchAvailable(stream, database.db, null);
    const [later, now] = (await createJobs(database.db, (await createTemplate(database.db, "available")).id, 2)) as [string, string];
    await database.db.job.update({ where: { id: later }, data: { runAfter: new Date(Date.now() + 3_600_000) } });
    await database.db.jobEvent.createMany({
      data: [later, now].map((jobId) => ({ jobId, kind: "CREATED" as const, toStatus: "QUEUED" as const, jobVersion: 1 })),
    });
    const updates = await take<Update>(available, 3, 1500);
    expect(updates.map((u) => ("initial" in u ? "initial" : u.jobId))).toEqual(["initial", now]);
  });
});
