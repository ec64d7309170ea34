// What holds a subscription to the rules a request is held to: its arguments are checked as a
// query's are when it starts (the 1,000-item list limit, which a subscription with 50,000 queue
// names escaped, slowing every mutation of the gateway), a socket carries a bounded number of
// them, and a token revoked, expired or deleted ends the subscriptions it opened, over graphql-ws
// and server-sent events, on every instance.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { createDb, type Db } from "../../src/db/client.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser } from "../helpers/principals.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";

const Changed = graphql(`
  subscription GuardedJobsChanged($queues: [String!]) {
    jobsChanged(filter: { queue: $queues }) { count }
  }
`);

const Updated = graphql(`
  subscription GuardedJobUpdated($id: ID!) {
    jobUpdated(id: $id) { id priority }
  }
`);

const Revoke = graphql(`
  mutation GuardedRevoke($id: ID!) {
    revokeApiToken(id: $id) { __typename }
  }
`);

const Reprioritize = graphql(`
  mutation GuardedReprioritize($id: ID!, $priority: Int!) {
    updateJob(id: $id, input: { priority: $priority }) { __typename }
  }
`);

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

describe("a subscription's arguments", () => {
  it("are held to the list limit when it starts, over graphql-ws and server-sent events", async () => {
    const queues = Array.from({ length: 1001 }, (_, i) => `q${i}`);
    const ws = onA.subscribe(onA.connect(), Changed, { queues });
    await ws.until(() => false, "a refusal", 3000).then(
      () => expect.unreachable(),
      (error: Error) => expect(error.message).toContain("LIST_TOO_LONG"),
    );
    const response = await onA.postForEvents(Changed, { queues });
    const text = await response.text();
    expect(response.status, text).toBeLessThan(500);
    expect(text).toContain("LIST_TOO_LONG");
    // Within the limit it starts.
    const within = onA.subscribe(onA.connect(), Changed, { queues: queues.slice(0, 1000) });
    await within.until(() => within.messages.length > 0, "the first count");
  });
});

describe("a socket", () => {
  it("carries at most JOBGRAPH_MAX_SOCKET_OPERATIONS operations at once: another is refused with TOO_MANY_OPERATIONS, the others go on", async () => {
    const few = await createTestApi(database, { limits: { ...defaultLimits, maxSocketOperations: 3 } });
    const onFew = new Subscribers(`ws://127.0.0.1:${(await few.app.start(0)).port}/graphql`, few);
    try {
      const [jobId] = await createJobs(database.db, templateId, 1);
      const id = encodeGlobalId("Job", jobId!);
      const socket = onFew.connect();
      const open = [0, 1, 2].map(() => onFew.subscribe(socket, Updated, { id }));
      await Promise.all(open.map((feed) => feed.until(() => feed.messages.length >= 1, "the job as it is")));
      const fourth = onFew.subscribe(socket, Updated, { id });
      await fourth.until(() => false, "a refusal", 3000).then(
        () => expect.unreachable(),
        (error: Error) => expect(error.message).toContain("TOO_MANY_OPERATIONS"),
      );
      // The three go on, and another socket has room of its own.
      await few.query(Reprioritize, { id, priority: 7 });
      await Promise.all(open.map((feed) => feed.until(() => feed.messages.some((m) => m.jobUpdated?.priority === 7), "the change")));
      const elsewhere = onFew.subscribe(onFew.connect(), Updated, { id });
      await elsewhere.until(() => elsewhere.messages.length >= 1, "the job as it is");
      // One completed makes room again.
      open[0]!.stop();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = onFew.subscribe(socket, Updated, { id });
      await again.until(() => again.messages.length >= 1, "the job as it is");
    } finally {
      await onFew.stop();
      await few.app.stop();
    }
  });
});

describe("a subscription whose token stops being valid", () => {
  /** A user's subscriptions to one job: over graphql-ws on each instance, and over server-sent events on B. */
  async function watching(secret: string, id: string) {
    const ws = [onA.subscribe(onA.connect(secret), Updated, { id }), onB.subscribe(onB.connect(secret), Updated, { id })];
    const sse = onB.readEvents<{ jobUpdated: { id: string; priority: number } }>(await onB.postForEvents(Updated, { id }, secret), "jobUpdated over SSE");
    const feeds = [...ws, sse];
    // Each has the job as it is.
    await Promise.all(feeds.map((feed) => feed.until(() => feed.messages.length >= 1, "the job as it is")));
    return feeds;
  }

  async function expectEnded(feeds: Array<{ until: (done: () => boolean, what: string, ms?: number) => Promise<void>; messages: unknown[] }>, id: string) {
    for (const feed of feeds) {
      await feed.until(() => false, "its end", 5000).then(
        () => expect.unreachable(),
        (error: Error) => expect(error.message).toContain("UNAUTHENTICATED"),
      );
    }
    // Nothing reaches them after: a change of the job is not delivered.
    const counts = feeds.map((feed) => feed.messages.length);
    await a.query(Reprioritize, { id, priority: 99 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(feeds.map((feed) => feed.messages.length)).toEqual(counts);
  }

  it("is ended with UNAUTHENTICATED when the token is revoked, over graphql-ws and server-sent events, on every instance, at once", async () => {
    const user = await createTestUser(database.db);
    const [jobId] = await createJobs(database.db, templateId, 1);
    const id = encodeGlobalId("Job", jobId!);
    const feeds = await watching(user.secret, id);
    // Another user's subscriptions go on.
    const other = await createTestUser(database.db);
    const untouched = onB.subscribe(onB.connect(other.secret), Updated, { id });
    await untouched.until(() => untouched.messages.length >= 1, "the job as it is");

    const started = Date.now();
    expect((await a.query(Revoke, { id: encodeGlobalId("ApiToken", user.tokenId) })).revokeApiToken.__typename).toBe("RevokeApiTokenPayload");
    await expectEnded(feeds, id);
    expect(Date.now() - started).toBeLessThan(5000);
    await untouched.until(() => untouched.messages.some((m) => m.jobUpdated?.priority === 99), "the change after the revocation");
  });

  it("is ended when the token expires, is deleted or revoked in the database, or its user is disabled, within the gateway's check", async () => {
    const quick = await createTestApi(database, { tokenSweepMs: 200 });
    const onQuick = new Subscribers(`ws://127.0.0.1:${(await quick.app.start(0)).port}/graphql`, quick);
    try {
      const [jobId] = await createJobs(database.db, templateId, 1);
      const id = encodeGlobalId("Job", jobId!);
      const changes: Array<(user: { id: string; tokenId: string }) => Promise<unknown>> = [
        (user) => database.pool.query("update api_tokens set expires_at = now() where id = $1", [user.tokenId]),
        (user) => database.pool.query("delete from api_tokens where id = $1", [user.tokenId]),
        (user) => database.pool.query("update api_tokens set revoked_at = now() where id = $1", [user.tokenId]),
        (user) => database.pool.query("update users set disabled_at = now() where id = $1", [user.id]),
      ];
      for (const change of changes) {
        const user = await createTestUser(database.db);
        const feed = onQuick.subscribe(onQuick.connect(user.secret), Updated, { id });
        await feed.until(() => feed.messages.length >= 1, "the job as it is");
        await change(user);
        await feed.until(() => false, "its end", 5000).then(
          () => expect.unreachable(),
          (error: Error) => expect(error.message).toContain("UNAUTHENTICATED"),
        );
      }
    } finally {
      await onQuick.stop();
      await quick.app.stop();
    }
  });
});
