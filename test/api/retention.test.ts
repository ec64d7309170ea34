// A gateway with JOBGRAPH_EVENT_RETENTION and JOBGRAPH_JOB_RETENTION set deletes, in the
// background, what they no longer keep: a dashboard watching finished jobs sees them REMOVED, and a
// client resuming jobEvents from a cursor before what was kept is told CURSOR_EXPIRED (over
// graphql-ws and over server-sent events) rather than given a stream with a gap; one resuming from
// a cursor still kept goes on as before.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/events/event-stream.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const Events = graphql(`
  subscription RetainedEvents($filter: JobEventFilter, $after: String) {
    jobEvents(filter: $filter, after: $after) { cursor event { kind jobVersion } }
  }
`);

const Changed = graphql(`
  subscription RetainedJobsChanged($filter: JobFilter!) {
    jobsChanged(filter: $filter) { change count jobId kind }
  }
`);

const Cancel = graphql(`
  mutation RetainedCancel($id: ID!) {
    cancelJob(id: $id) { __typename }
  }
`);

const Reset = graphql(`
  mutation RetainedReset($id: ID!) {
    resetJob(id: $id) { __typename }
  }
`);

const Job = graphql(`
  query RetainedJob($id: ID!) {
    job(id: $id) { id }
  }
`);

describe("a gateway with retention set", () => {
  let database: TestDatabase;
  let api: TestApi;
  let clients: Subscribers;
  let templateId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { retention: { eventsMs: 60_000, finishedJobsMs: 60_000 }, retentionIntervalMs: 100 });
    clients = new Subscribers(`ws://127.0.0.1:${(await api.app.start(0)).port}/graphql`, api);
    templateId = (await createTemplate(database.db)).id;
  });

  afterEach(() => clients.stop());

  afterAll(() => api.app.stop());

  /** The cursor of the job's latest event, as its stream gave it out. */
  async function latestCursor(jobId: string): Promise<string> {
    const { rows } = await database.pool.query<{ txid: string; id: string }>(
      "select txid::text as txid, id::text as id from job_events where job_id = $1::uuid order by txid desc, id desc limit 1",
      [jobId],
    );
    return encodeCursor(rows[0]!.txid, rows[0]!.id);
  }

  /** Waits until `read` answers true, for at most 10 s. */
  async function eventually(read: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await read())) {
      if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("deletes old events and finished jobs, tells watchers, and refuses a resume from before what it kept", async () => {
    const [oldJob, keptJob] = await createJobs(database.db, templateId, 2);
    const filter = { job: encodeGlobalId("Job", oldJob!) };
    const client = clients.connect();
    await api.query(Cancel, { id: encodeGlobalId("Job", oldJob!) });
    const cancelled = await latestCursor(oldJob!);
    // Events after that cursor, which the pruning will take too.
    expect((await api.query(Reset, { id: encodeGlobalId("Job", oldJob!) })).resetJob.__typename).toBe("JobPayload");
    await api.query(Cancel, { id: encodeGlobalId("Job", oldJob!) });
    const removed = clients.subscribe(client, Changed, { filter: { status: ["CANCELLED"] } });
    expect((await removed.next()).jobsChanged).toMatchObject({ change: "INITIAL", count: 1 });

    // An hour passes for the old job and its events.
    await database.pool.query("update job_events set at = now() - interval '1 hour' where job_id = $1::uuid", [oldJob]);
    await database.pool.query("update jobs set end_time = now() - interval '1 hour' where id = $1::uuid", [oldJob]);
    await eventually(async () => !(await api.query(Job, { id: encodeGlobalId("Job", oldJob!) })).job, "the old job deleted");
    expect((await removed.through((m) => m.jobsChanged.change === "REMOVED", "the job's removal")).at(-1)!.jobsChanged).toMatchObject({
      jobId: encodeGlobalId("Job", oldJob!),
      kind: "HARD_DELETED",
    });
    // Its HARD_DELETED event is new, so kept: the pruner stops at it.
    await eventually(
      async () => (await database.pool.query("select 1 from job_events where job_id = $1::uuid and kind <> 'HARD_DELETED'", [oldJob])).rowCount === 0,
      "the old events deleted",
    );

    const expired = clients.subscribe(clients.connect(), Events, { filter, after: cancelled });
    await expect(expired.next()).rejects.toThrow(/CURSOR_EXPIRED|events after this cursor were deleted/);
    const overSse = await clients.postForEvents(Events, { filter, after: cancelled });
    const body = await overSse.text();
    expect(body).toContain('"code":"CURSOR_EXPIRED"');
    expect(body).toContain("reload what you show, then subscribe again without `after`");

    // A cursor of an event still kept resumes as before.
    await api.query(Cancel, { id: encodeGlobalId("Job", keptJob!) });
    const kept = await latestCursor(keptJob!);
    await database.pool.query("update jobs set status = 'QUEUED', end_time = null where id = $1::uuid", [keptJob]);
    await api.query(Cancel, { id: encodeGlobalId("Job", keptJob!) });
    const resumed = clients.subscribe(clients.connect(), Events, { filter: { job: encodeGlobalId("Job", keptJob!) }, after: kept });
    expect((await resumed.next()).jobEvents.event).toMatchObject({ kind: "CANCELLED", jobVersion: 3 });
  });
});
