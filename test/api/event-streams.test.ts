// What subscribers see when many writers race, across two gateway instances: every stream shows
// each job's events in version order, live and resumed; filtered streams keep the events of
// deleted jobs; jobProgress starts with the job's state and ends when the job does; a cursor
// that is not one is refused.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { expectPayload, Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

const Events = graphql(`
  subscription StreamEvents($filter: JobEventFilter, $after: String) {
    jobEvents(filter: $filter, after: $after) { cursor event { id kind jobVersion jobId job { id } } }
  }
`);

const Progress = graphql(`
  subscription StreamProgress($id: ID!) {
    jobProgress(id: $id) { initial kind status progress detail at }
  }
`);

const Acquire = graphql(`
  mutation StreamAcquire($id: ID!) {
    acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } ... on Error { message } }
  }
`);

const Start = graphql(`
  mutation StreamStart($id: ID!, $leaseToken: String!) {
    startJob(id: $id, leaseToken: $leaseToken) { __typename ... on Error { message } }
  }
`);

const Report = graphql(`
  mutation StreamReport($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {
    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) { __typename ... on Error { message } }
  }
`);

const Finish = graphql(`
  mutation StreamFinish($id: ID!, $leaseToken: String!) {
    finishJob(id: $id, leaseToken: $leaseToken) { __typename ... on Error { message } }
  }
`);

const Cancel = graphql(`
  mutation StreamCancel($id: ID!) {
    cancelJob(id: $id) { __typename ... on Error { message } }
  }
`);

const CancelJobs = graphql(`
  mutation StreamCancelJobs($filter: JobFilter!) {
    cancelJobs(filter: $filter) { __typename ... on BulkJobsPayload { changed } ... on Error { message } }
  }
`);

const ResetJobs = graphql(`
  mutation StreamResetJobs($filter: JobFilter!) {
    resetJobs(filter: $filter) { __typename ... on BulkJobsPayload { changed } ... on Error { message } }
  }
`);

const Delete = graphql(`
  mutation StreamDelete($id: ID!) {
    deleteJob(id: $id) { __typename ... on Error { message } }
  }
`);

const HardDelete = graphql(`
  mutation StreamHardDelete($id: ID!) {
    hardDeleteJob(id: $id) { __typename ... on Error { message } }
  }
`);

type EventMessage = { jobEvents: { cursor: string; event: { id: string; kind: string; jobVersion: number; jobId: string | null; job: { id: string } | null } } };

const gid = (id: string) => encodeGlobalId("Job", id);

/** For each job, the versions its events came in, in the order a stream delivered them. */
function versionsByJob(messages: EventMessage[]): Map<string, number[]> {
  const byJob = new Map<string, number[]>();
  for (const { jobEvents } of messages) {
    const id = jobEvents.event.jobId!;
    byJob.set(id, [...(byJob.get(id) ?? []), jobEvents.event.jobVersion]);
  }
  return byJob;
}

/** Fails naming each job whose versions did not only increase. */
function expectVersionOrder(messages: EventMessage[], stream: string) {
  const disordered = [...versionsByJob(messages)].filter(([, versions]) => versions.some((v, i) => i > 0 && v <= versions[i - 1]!));
  expect(disordered.map(([job, versions]) => `${job}: ${versions.join(" ")}`), `${stream}: jobs whose events came out of version order`).toEqual([]);
}

describe("event streams under racing writers, on two instances", () => {
  let database: TestDatabase;
  let a: TestApi;
  let b: TestApi;
  let bDb: Db;
  let onA: Subscribers;
  let onB: Subscribers;
  let templateId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await createTestApi(database);
    bDb = createDb({ url: database.url, pooled: database.pooled });
    b = await createTestApi({ ...database, db: bDb });
    onA = new Subscribers(`ws://127.0.0.1:${(await a.app.start(0)).port}/graphql`, a);
    onB = new Subscribers(`ws://127.0.0.1:${(await b.app.start(0)).port}/graphql`, b);
    templateId = (await createTemplate(database.db)).id;
  });

  afterEach(async () => {
    await onA.stop();
    await onB.stop();
  });

  afterAll(async () => {
    await a.app.stop();
    await b.app.stop();
    await bDb.$disconnect();
  });

  /** A node that holds `id` (acquired and started through `via`) and reports progress until refused. */
  async function runningOn(via: TestApi, id: string): Promise<{ node: TestNode; lease: string }> {
    const node = await createTestNode(database.db);
    const as = { token: node.secret };
    const lease = expectPayload((await via.query(Acquire, { id }, as)).acquireJob, "AcquireJobPayload").lease!.token;
    expectPayload((await via.query(Start, { id, leaseToken: lease }, as)).startJob, "LeasePayload");
    return { node, lease };
  }

  /** Reports progress until refused; `counts[i]` says how many reports went through so far. */
  async function reportUntilRefused(via: TestApi, id: string, holder: { node: TestNode; lease: string }, counts: number[], i: number): Promise<number> {
    for (;;) {
      const n = counts[i]!;
      const { reportJobProgress } = await via.query(Report, { id, leaseToken: holder.lease, progress: (n % 100) / 100, detail: { n } }, { token: holder.node.secret });
      if (reportJobProgress.__typename !== "LeasePayload") return n;
      counts[i] = n + 1;
    }
  }

  it("every stream shows each job's events in version order while cascades and bulk actions race progress reports", { timeout: 120_000 }, async () => {
    const rounds = 3;
    const children = 6;
    const filter = { jobs: { tags: ["race"] } };
    const wsOnA = onA.subscribe(onA.connect(), Events, { filter });
    const sseOnB = await onB.sse(Events, { filter });
    for (let round = 0; round < rounds; round++) {
      // Two families: one whose parent is cancelled (a cascade), one that bulk actions cancel and reset.
      const [parent] = (await createJobs(database.db, templateId, 1, { spec: () => ({ tags: ["race", `round-${round}`] }) })) as [string];
      const kids = await createJobs(database.db, templateId, children, { spec: () => ({ tags: ["race", `round-${round}`], parentId: parent }) });
      const bulk = await createJobs(database.db, templateId, children, { spec: () => ({ tags: ["race", `bulk-${round}`] }) });
      const holders = await Promise.all([...kids, ...bulk].map((id, i) => runningOn(i % 2 ? b : a, gid(id))));
      // Reporters write through instance B; the cascade and the bulk actions through instance A.
      const counts = holders.map(() => 0);
      const reporting = [...kids, ...bulk].map((id, i) => reportUntilRefused(b, gid(id), holders[i]!, counts, i));
      // Every reporter is under way before the cancellations start.
      for (const deadline = Date.now() + 30_000; counts.some((n) => n === 0) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      const [cancelled, bulkCancelled] = await Promise.all([
        a.query(Cancel, { id: gid(parent) }),
        a.query(CancelJobs, { filter: { tags: [`bulk-${round}`] } }),
      ]);
      expectPayload(cancelled.cancelJob, "JobPayload");
      expect(expectPayload(bulkCancelled.cancelJobs, "BulkJobsPayload").changed).toBe(children);
      const reports = await Promise.all(reporting);
      expect(reports.every((n) => n > 0)).toBe(true);
      expect(expectPayload((await a.query(ResetJobs, { filter: { tags: [`bulk-${round}`] } })).resetJobs, "BulkJobsPayload").changed).toBe(children);
    }

    const total = (await database.pool.query(`select count(*)::int as n from job_events e join jobs j on j.id = e.job_id where 'race' = any(j.tags)`)).rows[0].n;
    await wsOnA.until(() => wsOnA.messages.length >= total, `all ${total} events over graphql-ws`, 30_000);
    await sseOnB.until(() => sseOnB.messages.length >= total, `all ${total} events over server-sent events`, 30_000);
    expect(wsOnA.messages).toHaveLength(total);
    expectVersionOrder(wsOnA.messages, "graphql-ws on instance A");
    expectVersionOrder(sseOnB.messages, "server-sent events on instance B");
    // Both instances deliver the same stream, event for event.
    expect(sseOnB.messages.map((m) => m.jobEvents.event.id)).toEqual(wsOnA.messages.map((m) => m.jobEvents.event.id));

    // Resumed on the other instance from anywhere in the stream: exactly what followed.
    for (const at of [0, Math.floor(total / 3), total - 2]) {
      const resumed = onB.subscribe(onB.connect(), Events, { filter, after: wsOnA.messages[at]!.jobEvents.cursor });
      const expected = wsOnA.messages.slice(at + 1).map((m) => m.jobEvents.event.id);
      await resumed.take(expected.length, 30_000);
      await resumed.quiet(300);
      expect(resumed.messages.map((m) => m.jobEvents.event.id)).toEqual(expected);
    }
  });

  it("jobProgress starts with the job's status, progress and last detail, and ends after the job finishes", async () => {
    const [id] = (await createJobs(database.db, templateId, 1)) as [string];
    const holder = await runningOn(a, gid(id));
    const as = { token: holder.node.secret };
    await a.query(Report, { id: gid(id), leaseToken: holder.lease, progress: 0.4, detail: { epoch: 4 } }, as);

    const feed = onA.subscribe(onA.connect(), Progress, { id: gid(id) });
    const first = (await feed.next()).jobProgress;
    expect(first).toMatchObject({ initial: true, kind: null, status: "RUNNING", progress: 0.4, detail: { epoch: 4 } });
    expect(Date.parse(first.at!)).toBeGreaterThan(Date.now() - 60_000);

    await b.query(Report, { id: gid(id), leaseToken: holder.lease, progress: 0.9, detail: { epoch: 9 } }, as);
    await b.query(Finish, { id: gid(id), leaseToken: holder.lease }, as);
    expect((await feed.next()).jobProgress).toMatchObject({ kind: "PROGRESS", progress: 0.9, detail: { epoch: 9 } });
    expect((await feed.next()).jobProgress).toMatchObject({ kind: "SUCCEEDED", status: "SUCCEEDED" });
    await feed.until(() => false, "the end", 3000).then(
      () => expect.unreachable(),
      (error: Error) => expect(error.message).toMatch(/ended \(completed\)/),
    );
  });

  it("jobProgress of a job that has finished sends its state and completes, over graphql-ws and server-sent events", async () => {
    const [id] = (await createJobs(database.db, templateId, 1)) as [string];
    expectPayload((await a.query(Cancel, { id: gid(id) })).cancelJob, "JobPayload");
    const ws = onA.subscribe(onA.connect(), Progress, { id: gid(id) });
    const sse = await onB.sse(Progress, { id: gid(id) });
    for (const feed of [ws, sse]) {
      expect((await feed.next()).jobProgress).toMatchObject({ initial: true, status: "CANCELLED", progress: 0 });
      await feed.until(() => false, "the end", 3000).then(
        () => expect.unreachable(),
        (error: Error) => expect(error.message).toMatch(/ended \((completed|stream closed)\)/),
      );
    }
  });

  it("a filtered jobEvents keeps delivering the events of jobs deleted softly or for good, live and resumed", async () => {
    const [kept, softly, forGood] = (await createJobs(database.db, templateId, 3, { spec: () => ({ tags: ["deletions"] }) })) as [string, string, string];
    const filter = { jobs: { tags: ["deletions"] } };
    const start = (await database.pool.query(`select txid::text, id::text from job_events order by txid desc, id desc limit 1`)).rows[0];
    const live = onA.subscribe(onA.connect(), Events, { filter });
    const byJob = onA.subscribe(onA.connect(), Events, { filter: { job: gid(forGood) } });
    await new Promise((r) => setTimeout(r, 200));

    expectPayload((await a.query(Cancel, { id: gid(kept) })).cancelJob, "JobPayload");
    expectPayload((await a.query(Delete, { id: gid(softly) })).deleteJob, "JobPayload");
    expectPayload((await b.query(Cancel, { id: gid(softly) })).cancelJob, "InvalidTransitionError");
    expectPayload((await a.query(Cancel, { id: gid(forGood) })).cancelJob, "JobPayload");
    expectPayload((await b.query(HardDelete, { id: gid(forGood) })).hardDeleteJob, "HardDeleteJobPayload");

    const expected = [
      [gid(kept), "CANCELLED"],
      [gid(softly), "DELETED"],
      [gid(forGood), "CANCELLED"],
      [gid(forGood), "HARD_DELETED"],
    ];
    const seen = (messages: EventMessage[]) => messages.map((m) => [m.jobEvents.event.jobId, m.jobEvents.event.kind]);
    await live.until(() => live.messages.length >= 4, "four events");
    expect(seen(live.messages)).toEqual(expected);
    await byJob.until(() => byJob.messages.length >= 2, "the deleted job's two events");
    expect(seen(byJob.messages)).toEqual(expected.slice(2));
    // The job is gone; its events still name it.
    expect(live.messages[3]!.jobEvents.event).toMatchObject({ jobId: gid(forGood), job: null });

    // Resumed after the deletions, from before any of them, on the other instance.
    const cursor = Buffer.from(start ? `${start.txid}:${start.id}` : "0:0").toString("base64url");
    const resumed = onB.subscribe(onB.connect(), Events, { filter, after: cursor });
    await resumed.take(4);
    await resumed.quiet();
    expect(seen(resumed.messages)).toEqual(expected);
    const resumedByJob = onB.subscribe(onB.connect(), Events, { filter: { job: gid(forGood) }, after: cursor });
    await resumedByJob.until(() => resumedByJob.messages.length >= 2, "the deleted job's two replayed events");
    expect(seen(resumedByJob.messages)).toEqual(expected.slice(2));
  });

  it("refuses a cursor that is not one, over graphql-ws and server-sent events, with INVALID_CURSOR", async () => {
    const garbage = [
      "not a cursor",
      "",
      Buffer.from("12:34:56").toString("base64url"),
      Buffer.from("99999999999999999999:1").toString("base64url"),
      Buffer.from("1:9999999999999999999").toString("base64url"),
      Buffer.from("-1:5").toString("base64url"),
    ];
    for (const after of garbage) {
      const ws = onA.subscribe(onA.connect(), Events, { after });
      await ws.until(() => false, "a refusal", 3000).then(
        () => expect.unreachable(),
        (error: Error) => expect(error.message).toContain("INVALID_CURSOR"),
      );
      const response = await onB.postForEvents(Events, { after });
      const text = await response.text();
      expect(response.status, text).toBeLessThan(500);
      expect(text).toContain("INVALID_CURSOR");
    }
  });
});
