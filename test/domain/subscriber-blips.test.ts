// A subscriber that reads the database about the events the stream hands it (which jobs match,
// which queue or workflow a job is in) must not lose those events when that read fails because
// the database is briefly out of reach: the stream has moved past them, and nothing would bring
// them again. Each watcher's database client here loses its connection at its next statement,
// as a restart of PostgreSQL makes it; the event must still be delivered, once the read is retried.
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, isDatabaseUnavailable, type Db } from "../../src/db/client.js";
import { queuesOfJobs } from "../../src/domain/queues.js";
import { EventStream } from "../../src/events/event-stream.js";
import { watchAvailable, watchEvents, watchMembership } from "../../src/events/watch.js";
import { watchQueues } from "../../src/events/watch-queues.js";
import { watchWorkflow } from "../../src/events/watch-workflows.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

/** How many of this file's statements still have to fail, and how many did. */
const faults = { armed: 0, fired: 0 };

/** A client whose next statement, when armed, finds its connection cut, as a server restart leaves it. */
class FlakyClient extends pg.Client {
  override query(...args: unknown[]): never {
    if (faults.armed > 0) {
      faults.armed--;
      faults.fired++;
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

describe("subscribers through a blip of the database", () => {
  let database: TestDatabase;
  let flaky: Db;
  let stream: EventStream;
  let templateId: string;
  const closers: Array<() => unknown> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    templateId = (await createTemplate(database.db)).id;
    // The stream reads with a client of its own: only the watchers' reads fail.
    stream = new EventStream({ db: database.db, pollIntervalMs: 50 });
    flaky = createDb({ url: database.url, pooled: database.pooled, Client: FlakyClient });
  });

  // Each test's watcher alone reads through the flaky client: the fault is its read's.
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  afterAll(async () => {
    await stream.stop();
    await flaky.$disconnect();
  });

  /** A job in `queue`, created without events (the fixture writes rows only). */
  async function job(queue: string): Promise<string> {
    const [id] = await createJobs(database.db, templateId, 1, { spec: () => ({ queue }) });
    return id!;
  }

  /** Writes an event for `jobId` as a transition would, after arming the fault for the watcher's next statement. */
  async function eventAfterFault(jobId: string, kind: string, toStatus: string | null) {
    faults.armed = 1;
    const fired = faults.fired;
    await database.pool.query(`insert into job_events (job_id, kind, job_version, to_status) values ($1, $2, 1000, $3)`, [jobId, kind, toStatus]);
    return () => faults.fired - fired;
  }

  /** The iterator's next item, or "nothing" when none came within `ms`. */
  async function nextWithin<T>(iterator: AsyncIterator<T>, ms = 15_000): Promise<T | "nothing"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"nothing">((resolve) => (timer = setTimeout(() => resolve("nothing"), ms)));
    try {
      const next = await Promise.race([iterator.next(), timeout]);
      return next === "nothing" ? next : next.done ? "nothing" : next.value;
    } finally {
      clearTimeout(timer);
    }
  }

  function opened<T>(iterable: AsyncIterable<T>): AsyncIterator<T> {
    const iterator = iterable[Symbol.asyncIterator]();
    closers.push(() => iterator.return?.());
    return iterator;
  }

  it("cuts the connection as a restart does, which the watchers take for the database out of reach", async () => {
    faults.armed = 1;
    const failed = await queuesOfJobs(flaky, [await job("probe")]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failed)).toBe(true);
    expect(faults.armed).toBe(0);
    // The pool replaced the connection it lost.
    expect(await queuesOfJobs(flaky, [await job("probe")])).toEqual(["probe"]);
  });

  it("jobEvents: delivers the event whose match was read again", async () => {
    const id = await job("events");
    const events = opened(await watchEvents(stream, flaky, { queue: ["events"] }, null));
    const fired = await eventAfterFault(id, "UPDATED", null);
    const next = await nextWithin(events);
    expect(fired()).toBe(1);
    expect(next).toMatchObject({ jobId: id, kind: "UPDATED" });
  });

  it("jobAvailable: announces the job whose claimability was read again", async () => {
    const id = await job("available");
    const available = opened(await watchAvailable(stream, flaky, ["available"]));
    expect(await nextWithin(available)).toMatchObject({ initial: true });
    const fired = await eventAfterFault(id, "CREATED", "QUEUED");
    const next = await nextWithin(available);
    expect(fired()).toBe(1);
    expect(next).toMatchObject({ jobId: id, kind: "CREATED" });
  });

  it("jobsChanged: reports the change whose membership was read again", async () => {
    const id = await job("members");
    const changes = opened(await watchMembership(stream, flaky, { queue: ["members"] }));
    expect(await nextWithin(changes)).toEqual({ change: "INITIAL", count: 1 });
    const fired = await eventAfterFault(id, "UPDATED", null);
    const next = await nextWithin(changes);
    expect(fired()).toBe(1);
    expect(next).toMatchObject({ change: "UPDATED", jobId: id });
  });

  it("queueUpdated: announces the queue whose job's queue was read again", async () => {
    const id = await job("counted");
    const queues = opened(await watchQueues(stream, flaky, "counted", 0));
    expect(await nextWithin(queues)).toEqual({ name: "counted" });
    const fired = await eventAfterFault(id, "CANCELLED", "CANCELLED");
    const next = await nextWithin(queues);
    expect(fired()).toBe(1);
    expect(next).toEqual({ name: "counted" });
  });

  it("workflowUpdated: announces the workflow whose job's membership was read again", async () => {
    const id = await job("flow");
    const workflow = await database.db.workflow.create({ data: { name: "blip" } });
    await database.db.job.update({ where: { id }, data: { workflowId: workflow.id } });
    const changes = opened(await watchWorkflow(stream, flaky, workflow.id, 0));
    expect(await nextWithin(changes)).toEqual({ workflowId: workflow.id });
    const fired = await eventAfterFault(id, "CANCELLED", "CANCELLED");
    const next = await nextWithin(changes);
    expect(fired()).toBe(1);
    expect(next).toEqual({ workflowId: workflow.id });
  });
});
