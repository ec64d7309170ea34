// Subscriptions with real clients: graphql-ws on listening servers (one, or two sharing a
// database), and server-sent events over HTTP. Messages are read with deadlines, so a failure
// shows what did arrive instead of hanging until the test times out.
import { randomUUID } from "node:crypto";
import type { ResultOf } from "@graphql-typed-document-node/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { encodeCursor } from "../../src/events/event-stream.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { expectPayload, sleep, Subscribers } from "../helpers/feeds.js";
import { createTestNode, createTestUser, type TestNode } from "../helpers/principals.js";

const JobUpdated = graphql(`
  subscription SubsJobUpdated($id: ID!) {
    jobUpdated(id: $id) { id status version progress progressDetail node { name } }
  }
`);

const JobProgress = graphql(`
  subscription SubsJobProgress($id: ID!, $minIntervalMs: Int) {
    jobProgress(id: $id, minIntervalMs: $minIntervalMs) { initial kind status progress detail job { status progress } }
  }
`);

const JobEvents = graphql(`
  subscription SubsJobEvents($filter: JobEventFilter, $after: String) {
    jobEvents(filter: $filter, after: $after) { cursor event { id kind jobVersion progress job { id } } }
  }
`);

const TaskUpdated = graphql(`
  subscription SubsTaskUpdated($job: ID!) {
    taskUpdated(job: $job) { name status }
  }
`);

const JobAvailable = graphql(`
  subscription SubsJobAvailable($queues: [String!]) {
    jobAvailable(queues: $queues) { claimable job { id queue } }
  }
`);

const Acquire = graphql(`
  mutation SubsAcquire($id: ID!) {
    acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } ... on Error { message } }
  }
`);

const Start = graphql(`
  mutation SubsStart($id: ID!, $leaseToken: String!) {
    startJob(id: $id, leaseToken: $leaseToken) { __typename ... on Error { message } }
  }
`);

const Report = graphql(`
  mutation SubsReport($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {
    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) { __typename ... on Error { message } }
  }
`);

const Finish = graphql(`
  mutation SubsFinish($id: ID!, $leaseToken: String!) {
    finishJob(id: $id, leaseToken: $leaseToken) { __typename ... on Error { message } }
  }
`);

const Cancel = graphql(`
  mutation SubsCancel($id: ID!) {
    cancelJob(id: $id) { __typename ... on Error { message } }
  }
`);

const Create = graphql(`
  mutation SubsCreate($input: CreateJobInput!) {
    createJob(input: $input) {
      __typename
      ... on CreateJobPayload { job { id tasks(first: 10) { edges { node { id name } } } } }
      ... on Error { message }
    }
  }
`);

const AddTasks = graphql(`
  mutation SubsAddTasks($job: ID!, $tasks: [NewTaskInput!]!) {
    addTasks(job: $job, tasks: $tasks) { __typename ... on Error { message } }
  }
`);

const StartTask = graphql(`
  mutation SubsStartTask($id: ID!, $leaseToken: String!) {
    startTask(id: $id, leaseToken: $leaseToken) { __typename ... on Error { message } }
  }
`);

/** The event stream polls once a second; a NOTIFY-woken delivery must beat the poll by far. */
const WELL_BEFORE_POLL_MS = 750;

const jobGid = (id: string) => encodeGlobalId("Job", id);
const jobUuid = (gid: string) => decodeGlobalId(gid).id;
const eventGid = (id: bigint) => encodeGlobalId("JobEvent", id);

/** A worker node doing a job through one instance's API, one mutation at a time. */
function worker(via: TestApi, node: TestNode, id: string) {
  const as = { token: node.secret };
  let leaseToken = "";
  return {
    lease: () => leaseToken,
    async acquire() {
      leaseToken = expectPayload((await via.query(Acquire, { id }, as)).acquireJob, "AcquireJobPayload").lease!.token;
    },
    async start() {
      expectPayload((await via.query(Start, { id, leaseToken }, as)).startJob, "LeasePayload");
    },
    async report(progress: number, detail?: unknown) {
      expectPayload((await via.query(Report, { id, leaseToken, progress, detail }, as)).reportJobProgress, "LeasePayload");
    },
    async finish() {
      expectPayload((await via.query(Finish, { id, leaseToken }, as)).finishJob, "JobPayload");
    },
  };
}

describe("subscriptions with real clients", () => {
  let database: TestDatabase;
  /** Instance A, which the subscribers connect to. */
  let api: TestApi;
  let clients: Subscribers;
  /** Instance B: its own Prisma client and LISTEN connection, on the same database. */
  let other: TestApi;
  let otherDb: Db;
  let templateId: string;
  let node: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    clients = new Subscribers(`ws://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}/graphql`, api);
    otherDb = createDb({ url: database.url, pooled: database.pooled });
    other = await createTestApi({ ...database, db: otherDb });
    await other.app.start(0, "127.0.0.1");
    templateId = (await createTemplate(database.db)).id;
    node = await createTestNode(database.db);
  });

  afterAll(async () => {
    await api.app.stop();
    await other.app.stop();
    await otherDb.$disconnect();
  });

  afterEach(async () => {
    await clients.stop();
  });

  async function queuedJobs(count: number, queue = "default"): Promise<string[]> {
    return (await createJobs(database.db, templateId, count, { spec: () => ({ queue }) })).map(jobGid);
  }

  /**
   * A cursor behind every event committed so far. jobEvents sends no initial message, so a
   * subscription given this `after` cannot miss a change made while it is being set up.
   */
  async function headCursor(): Promise<string> {
    const { rows } = await database.pool.query<{ txid: string; id: string }>(
      // Ordered by the columns, not by the text aliases of the same names.
      "select txid::text as txid, id::text as id from job_events order by job_events.txid desc, job_events.id desc limit 1",
    );
    return encodeCursor(rows[0]?.txid ?? "0", rows[0]?.id ?? "0");
  }

  const eventsOf = (jobIds: string[]) =>
    database.db.jobEvent.findMany({
      where: { jobId: { in: jobIds.map(jobUuid) } },
      orderBy: { id: "asc" },
      select: { id: true, jobId: true, kind: true, jobVersion: true },
    });

  it("jobUpdated sends the job as it is, then the job after each change, in order", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const feed = clients.subscribe(clients.connect(), JobUpdated, { id });
    expect((await feed.next()).jobUpdated).toMatchObject({ id, status: "QUEUED", version: 1, progress: 0, node: null });

    // Each change waits for its message: the payload is the job read at delivery, so changes made
    // faster than delivery would be seen merged.
    const work = worker(api, node, id);
    await work.acquire();
    expect((await feed.next()).jobUpdated).toMatchObject({ status: "ACQUIRED", version: 2, node: { name: node.name } });
    await work.start();
    expect((await feed.next()).jobUpdated).toMatchObject({ status: "RUNNING", version: 3 });
    await work.report(0.5, { step: "half" });
    expect((await feed.next()).jobUpdated).toMatchObject({ status: "RUNNING", version: 4, progress: 0.5, progressDetail: { step: "half" } });
    await work.finish();
    expect((await feed.next()).jobUpdated).toMatchObject({ status: "SUCCEEDED", version: 5 });
    await feed.quiet();
  });

  it("jobProgress sends each report's progress and JSON detail, and the transitions", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const feed = clients.subscribe(clients.connect(), JobProgress, { id });
    expect((await feed.next()).jobProgress).toEqual({ initial: true, kind: null, status: "QUEUED", progress: 0, detail: null, job: { status: "QUEUED", progress: 0 } });

    const work = worker(api, node, id);
    await work.acquire();
    await work.start();
    await work.report(0.25, { epoch: 1, loss: 0.9, tags: ["warm-up"] });
    await work.report(0.75, { epoch: 3, loss: 0.2, nested: { ok: true } });
    await work.finish();
    const updates = (await feed.through((m) => m.jobProgress.kind === "SUCCEEDED", "the SUCCEEDED transition")).map((m) => m.jobProgress);
    expect(updates.map(({ job: _job, ...update }) => update)).toEqual([
      { initial: false, kind: "ACQUIRED", status: "ACQUIRED", progress: null, detail: null },
      { initial: false, kind: "STARTED", status: "RUNNING", progress: null, detail: null },
      { initial: false, kind: "PROGRESS", status: null, progress: 0.25, detail: { epoch: 1, loss: 0.9, tags: ["warm-up"] } },
      { initial: false, kind: "PROGRESS", status: null, progress: 0.75, detail: { epoch: 3, loss: 0.2, nested: { ok: true } } },
      { initial: false, kind: "SUCCEEDED", status: "SUCCEEDED", progress: null, detail: null },
    ]);
    await feed.quiet();
  });

  it("a subscriber on one instance sees each change made through another at once, in order", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const feed = clients.subscribe(clients.connect(), JobProgress, { id });
    await feed.next();

    // Instance B has no subscriber of its own: what it writes must still wake instance A.
    const work = worker(other, node, id);
    const steps = [() => work.acquire(), () => work.start(), ...[0.2, 0.4, 0.6, 0.8].map((p) => () => work.report(p, { p })), () => work.finish()];
    const latencies: number[] = [];
    for (const step of steps) {
      await step();
      const written = Date.now();
      await feed.next();
      latencies.push(feed.arrivals.at(-1)! - written);
    }
    expect(feed.messages.slice(1).map((m) => [m.jobProgress.kind, m.jobProgress.progress, m.jobProgress.detail])).toEqual([
      ["ACQUIRED", null, null],
      ["STARTED", null, null],
      ["PROGRESS", 0.2, { p: 0.2 }],
      ["PROGRESS", 0.4, { p: 0.4 }],
      ["PROGRESS", 0.6, { p: 0.6 }],
      ["PROGRESS", 0.8, { p: 0.8 }],
      ["SUCCEEDED", null, null],
    ]);
    expect(Math.max(...latencies), `delivery latencies in ms: ${latencies.join(", ")}`).toBeLessThan(WELL_BEFORE_POLL_MS);
    await feed.quiet();
  });

  it("jobEvents on one instance delivers every event of 16 nodes writing at once through another, in order, exactly once", async () => {
    const jobs = await queuedJobs(16);
    const nodes = await Promise.all(jobs.map((_, i) => createTestNode(database.db, `writer-${i}`)));
    const [probe] = (await queuedJobs(1)) as [string];
    const feed = clients.subscribe(clients.connect(), JobEvents, { after: await headCursor() });

    // Once the probe's event has arrived the subscription is live: all that follows is live too.
    expectPayload((await other.query(Cancel, { id: probe })).cancelJob, "JobPayload");
    await feed.through((m) => m.jobEvents.event.job?.id === probe, "the probe's event");

    await Promise.all(
      jobs.map(async (id, i) => {
        const work = worker(other, nodes[i]!, id);
        await work.acquire();
        await work.start();
        for (let step = 1; step <= 10; step++) await work.report(step / 10, { step });
        await work.finish();
      }),
    );
    const stored = await eventsOf(jobs);
    expect(stored).toHaveLength(16 * 13);
    const delivered = (await feed.take(stored.length, 10_000)).map((m) => m.jobEvents);
    await feed.quiet(500);

    expect(new Set(delivered.map((d) => d.event.id)).size).toBe(delivered.length);
    expect(new Set(delivered.map((d) => d.cursor)).size).toBe(delivered.length);
    for (const id of jobs) {
      const ofJob = delivered.filter((d) => d.event.job?.id === id).map((d) => d.event);
      const inDb = stored.filter((e) => jobGid(e.jobId!) === id);
      expect(ofJob.map((e) => e.id)).toEqual(inDb.map((e) => eventGid(e.id)));
      expect(ofJob.map((e) => e.kind)).toEqual(["ACQUIRED", "STARTED", ...Array<string>(10).fill("PROGRESS"), "SUCCEEDED"]);
      expect(ofJob.every((e, i) => i === 0 || e.jobVersion > ofJob[i - 1]!.jobVersion)).toBe(true);
    }
  });

  it("jobEvents resumes after a cursor: exactly the missed events, then live ones, none twice at the seam", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const work = worker(api, node, id);
    await work.acquire();
    await work.start();
    const client = clients.connect();
    const first = clients.subscribe(client, JobEvents, { filter: { job: id }, after: await headCursor() });
    for (const p of [0.1, 0.2, 0.3]) await work.report(p);
    const seen = await first.take(3);
    const cursor = seen.at(-1)!.jobEvents.cursor;
    first.stop();

    for (const p of [0.4, 0.5, 0.6, 0.7]) await work.report(p);
    const missed = (await eventsOf([id])).slice(-4).map((e) => eventGid(e.id));

    // Changes keep coming while the second subscription sets up, so some of them fall on the
    // seam between its replay and its live events.
    const second = clients.subscribe(client, JobEvents, { filter: { job: id }, after: cursor });
    await Promise.all([
      second.take(4),
      (async () => {
        for (const p of [0.8, 0.85, 0.9, 0.95]) await work.report(p);
        await work.finish();
      })(),
    ]);
    await second.through((m) => m.jobEvents.event.kind === "SUCCEEDED", "the SUCCEEDED event");
    await second.quiet();

    const stored = await eventsOf([id]);
    const afterCursor = stored.slice(stored.findIndex((e) => eventGid(e.id) === seen.at(-1)!.jobEvents.event.id) + 1);
    expect(second.messages.slice(0, 4).map((m) => m.jobEvents.event.id)).toEqual(missed);
    expect(second.messages.map((m) => m.jobEvents.event.id)).toEqual(afterCursor.map((e) => eventGid(e.id)));
    expect(afterCursor).toHaveLength(4 + 4 + 1);
    expect(first.messages).toHaveLength(3);
  });

  it("jobEvents orders events by transaction id as a number, across a power of ten", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const uuid = jobUuid(id);
    // Every database's transaction ids grow past 10, 100, 1000...: rows with such (long committed)
    // ids stand for events written on either side of the boundary.
    const txids = ["9", "10", "99", "100", "1000"];
    for (const [i, txid] of txids.entries()) {
      await database.pool.query("insert into job_events (job_id, kind, progress, job_version, txid) values ($1, 'PROGRESS', $2, $3, $4::xid8)", [
        uuid,
        (i + 1) / 10,
        i + 2,
        txid,
      ]);
    }
    const feed = clients.subscribe(clients.connect(), JobEvents, { filter: { job: id }, after: encodeCursor("0", "0") });
    const replayed = await feed.take(txids.length);
    await feed.quiet();
    expect(replayed.map((m) => m.jobEvents.event.progress)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it("a rolled-back change and a refused mutation emit nothing", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const uuid = jobUuid(id);
    const feed = clients.subscribe(clients.connect(), JobProgress, { id });
    await feed.next();

    const refused = await api.query(Finish, { id, leaseToken: randomUUID() }, { token: node.secret });
    expect(refused.finishJob.__typename).toBe("LeaseLostError");
    const fake = `insert into job_events (job_id, kind, progress, detail, job_version)
                  values ($1, 'PROGRESS', 0.99, '{"fake": true}', 999) returning txid::text as txid`;
    const client = await database.pool.connect();
    try {
      // An open transaction holds back every subscriber of the server: a failing test must not
      // leave one open for the tests after it.
      await client.query("set idle_in_transaction_session_timeout = '10s'");
      await client.query("begin");
      await client.query(fake, [uuid]);
      await client.query("rollback");

      const work = worker(api, node, id);
      await work.acquire();
      expect((await feed.next()).jobProgress).toMatchObject({ kind: "ACQUIRED", status: "ACQUIRED" });
      await work.start();
      expect((await feed.next()).jobProgress).toMatchObject({ kind: "STARTED", status: "RUNNING" });
      const again = await api.query(Start, { id, leaseToken: work.lease() }, { token: node.secret });
      expect(again.startJob.__typename).toBe("InvalidTransitionError");

      // The hard case: the rolled-back row belongs to a transaction older than the real change,
      // still open when the real change commits, so it sorts before it in the stream.
      await client.query("begin");
      await client.query("select pg_current_xact_id()");
      await work.report(0.3, { real: true });
      const { rows } = await client.query<{ txid: string }>(fake, [uuid]);
      await client.query("rollback");
      expect((await feed.next()).jobProgress).toMatchObject({ kind: "PROGRESS", progress: 0.3, detail: { real: true } });
      await feed.quiet();

      const { rows: real } = await database.pool.query<{ txid: string }>(
        "select txid::text as txid from job_events where job_id = $1 and kind = 'PROGRESS'",
        [uuid],
      );
      expect(BigInt(rows[0]!.txid)).toBeLessThan(BigInt(real[0]!.txid));
    } finally {
      // Destroyed rather than returned, so that no transaction can stay open in the pool.
      client.release(true);
    }
    expect((await eventsOf([id])).map((e) => e.kind)).toEqual(["ACQUIRED", "STARTED", "PROGRESS"]);
  });

  it("jobProgress with minIntervalMs coalesces progress reports but never a transition", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const work = worker(api, node, id);
    await work.acquire();
    await work.start();
    const feed = clients.subscribe(clients.connect(), JobProgress, { id, minIntervalMs: 300 });
    await feed.next();

    const from = feed.messages.length;
    // Paced to span a few intervals, so that some reports go out at an interval's end and the
    // last one is still waiting when the finish comes.
    for (let step = 1; step <= 20; step++) {
      await work.report(step / 20, { step });
      await sleep(30);
    }
    await work.finish();
    const updates = (await feed.through((m) => m.jobProgress.kind === "SUCCEEDED", "the SUCCEEDED transition")).map((m) => m.jobProgress);
    await feed.quiet(500);

    const reports = updates.filter((u) => u.kind === "PROGRESS");
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.length).toBeLessThan(20);
    // The finish flushes the last report at once; the others go out 300 ms apart (their arrival
    // times jitter a little).
    const paced = feed.arrivals.slice(from).filter((_, i) => updates[i]!.kind === "PROGRESS").slice(0, -1);
    expect(paced.every((at, i) => i === 0 || at - paced[i - 1]! >= 200), `progress arrivals: ${paced.join(", ")}`).toBe(true);
    // The latest report wins: the last one delivered is the last one sent, before the finish.
    expect(updates.slice(-2)).toMatchObject([
      { kind: "PROGRESS", progress: 1, detail: { step: 20 } },
      { kind: "SUCCEEDED", status: "SUCCEEDED" },
    ]);
    expect(reports.every((r, i) => i === 0 || r.progress! > reports[i - 1]!.progress!)).toBe(true);
  });

  it("jobProgress over server-sent events sends the state at subscription, then a change", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const work = worker(api, node, id);
    await work.acquire();
    await work.start();

    const response = await clients.postForEvents(JobProgress, { id });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const feed = clients.readEvents<ResultOf<typeof JobProgress>>(response, "SSE jobProgress");
    expect((await feed.next()).jobProgress).toMatchObject({ initial: true, job: { status: "RUNNING" } });
    await work.report(0.4, { via: "sse" });
    expect((await feed.next()).jobProgress).toMatchObject({ initial: false, kind: "PROGRESS", progress: 0.4, detail: { via: "sse" } });
    feed.stop();
  });

  // About delivery, not speed (bench:watchers measures that): a machine busy with other work may
  // take long to set up a thousand subscriptions.
  it("1,000 subscribers on one instance all receive a change", { timeout: 120_000 }, async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const feeds = Array.from({ length: 10 }, () => clients.connect()).flatMap((client) =>
      Array.from({ length: 100 }, () => clients.subscribe(client, JobUpdated, { id })),
    );
    const initial = await Promise.all(feeds.map((feed) => feed.next(50_000)));
    expect(initial.every((m) => m.jobUpdated?.status === "QUEUED")).toBe(true);

    expectPayload((await api.query(Cancel, { id })).cancelJob, "JobPayload");
    const changed = await Promise.all(feeds.map((feed) => feed.next(50_000)));
    expect(changed.filter((m) => m.jobUpdated?.status === "CANCELLED")).toHaveLength(1000);
  });

  it("subscriptions to a job share the stream's listener of that job: each event reaches only its own job's subscribers", { timeout: 60_000 }, async () => {
    const [watched, unwatched] = (await queuedJobs(2)) as [string, string];
    const before = api.app.events.listenerCounts();
    // Over several sockets, as dashboards would watch: many subscriptions to one job, a few to another.
    const sockets = Array.from({ length: 4 }, () => clients.connect());
    const feeds = sockets.flatMap((client) => Array.from({ length: 25 }, () => clients.subscribe(client, JobProgress, { id: watched })));
    const others = sockets.map((client) => clients.subscribe(client, JobProgress, { id: unwatched }));
    await Promise.all([...feeds, ...others].map((feed) => feed.next()));

    // One entry per subscription in each job's set, and no listener of every event added.
    const open = api.app.events.listenerCounts();
    expect(open.all).toBe(before.all);
    expect(open.jobs.get(jobUuid(watched))).toBe(100);
    expect(open.jobs.get(jobUuid(unwatched))).toBe(4);

    // Reported through the other instance: each subscriber of the job receives it once, the other job's none.
    const work = worker(other, node, watched);
    await work.acquire();
    await work.start();
    await work.report(0.5, { step: "half" });
    for (const feed of feeds) {
      const [acquired, started, reported] = await feed.take(3);
      expect([acquired!.jobProgress.status, started!.jobProgress.status, reported!.jobProgress]).toMatchObject(["ACQUIRED", "RUNNING", { kind: "PROGRESS", progress: 0.5, detail: { step: "half" } }]);
    }
    await Promise.all(others.map((feed) => feed.quiet()));

    // A finished job completes its subscriptions, and the job's set goes with them.
    await work.finish();
    await Promise.all(feeds.map((feed) => feed.until(() => feed.messages.some((m) => m.jobProgress.status === "SUCCEEDED"), "SUCCEEDED")));
    await expect.poll(() => api.app.events.listenerCounts().jobs.has(jobUuid(watched))).toBe(false);
    for (const feed of others) feed.stop();
    await expect.poll(() => api.app.events.listenerCounts().jobs.has(jobUuid(unwatched))).toBe(false);
  });

  it("taskUpdated sends the tasks, then a task when it starts, then all of them when tasks are added", async () => {
    const { createJob } = await api.query(Create, {
      input: { templateName: "train", inputs: [{ name: "dataset", value: "s3://d" }], tasks: [{ name: "prepare" }, { name: "render", sequence: 1 }] },
    });
    const job = expectPayload(createJob, "CreateJobPayload").job;
    const feed = clients.subscribe(clients.connect(), TaskUpdated, { job: job.id });
    expect((await feed.next()).taskUpdated).toEqual([
      { name: "prepare", status: "QUEUED" },
      { name: "render", status: "QUEUED" },
    ]);

    // The job's own transitions are not task updates.
    const work = worker(api, node, job.id);
    await work.acquire();
    await work.start();
    const prepare = job.tasks.edges.find((e) => e.node.name === "prepare")!.node.id;
    expectPayload((await api.query(StartTask, { id: prepare, leaseToken: work.lease() }, { token: node.secret })).startTask, "TaskPayload");
    expect((await feed.next()).taskUpdated).toEqual([{ name: "prepare", status: "RUNNING" }]);

    expectPayload((await api.query(AddTasks, { job: job.id, tasks: [{ name: "merge", sequence: 2 }] })).addTasks, "AddTasksPayload");
    expect((await feed.next()).taskUpdated).toEqual([
      { name: "prepare", status: "RUNNING" },
      { name: "render", status: "QUEUED" },
      { name: "merge", status: "QUEUED" },
    ]);
    await feed.quiet();
  });

  it("jobAvailable sends the claimable count, then each job created in a watched queue, and none of other queues", async () => {
    const queue = `gpu-${randomUUID().slice(0, 8)}`;
    await createJobs(database.db, templateId, 3, { spec: (i) => ({ queue, status: i === 2 ? "RUNNING" : "QUEUED" }) });
    await createJobs(database.db, templateId, 1, { spec: () => ({ queue: `${queue}-other` }) });
    const feed = clients.subscribe(clients.connect(node.secret), JobAvailable, { queues: [queue] });
    expect((await feed.next()).jobAvailable).toEqual({ claimable: 2, job: null });

    const create = async (into: string) =>
      expectPayload((await api.query(Create, { input: { templateName: "train", inputs: [{ name: "dataset", value: "s3://d" }], queue: into } })).createJob, "CreateJobPayload").job.id;
    await create(`${queue}-other`);
    const watched = await create(queue);
    expect((await feed.next()).jobAvailable).toEqual({ claimable: null, job: { id: watched, queue } });
    await feed.quiet();
  });

  it("subscriptions are authorized: a node's token may read; a revoked token is refused over SSE with 401", async () => {
    const [id] = (await queuedJobs(1)) as [string];
    const feed = clients.subscribe(clients.connect(node.secret), JobUpdated, { id });
    expect((await feed.next()).jobUpdated).toMatchObject({ id, status: "QUEUED" });

    const revoked = await createTestUser(database.db);
    await database.pool.query("update api_tokens set revoked_at = now() where id = $1", [revoked.tokenId]);
    const response = await clients.postForEvents(JobUpdated, { id }, revoked.secret);
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("UNAUTHENTICATED");
  });
});
