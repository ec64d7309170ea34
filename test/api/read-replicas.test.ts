// Reads on a real streaming replica (DATABASE_REPLICA_URLS): a primary of its own and a hot
// standby made from it (test/helpers/replica.ts), with two gateway instances that both read from
// the replica. Replay is paused to make the replica lag on demand, and the replica stopped and
// started. Queries read from the replica unless the caller must see a write it lacks; mutations,
// claims and subscriptions never touch it; every query shape reads there as it reads on the primary.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { buildSchema } from "graphql";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { createDb, type Db } from "../../src/db/client.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrate.js";
import { createJobgraphClient } from "../../src/sdk/index.js";
import { generateShapes } from "../../bench/shapes/generate.js";
import { readPool, seed } from "../../bench/shapes/seed.js";
import { graphql } from "../gql/index.js";
import { startReplica, type Replica } from "../helpers/replica.js";
import { roundRobin } from "../helpers/round-robin.js";
import { graphql as send, startServer } from "../helpers/server-process.js";
import { createTestNode, createTestUser, type TestUser } from "../helpers/principals.js";

const WAIT_MS = 300;
const MAX_LAG_SECONDS = 2;

type Answer = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

const CreateJob = `mutation ($name: String!) { createJob(input: { templateName: $name }) { __typename ... on CreateJobPayload { job { id } } } }`;
const JobsOf = `query ($name: String!) { jobs(first: 50, filter: { template: { name: $name } }) { totalCount edges { node { id status } } } }`;

const JobProgress = graphql(`
  subscription ReplicaJobProgress($id: ID!) {
    jobProgress(id: $id) { initial status progress }
  }
`);

describe("reads on a streaming replica", () => {
  let dataDir: string;
  let primary: EmbeddedPostgres;
  let replica: Replica;
  let db: Db;
  let admin: TestUser;
  let someoneElse: TestUser;
  let plain: App;
  let writer: pg.Pool;
  const apps: App[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-primary-"));
    chmodSync(dataDir, 0o755);
    primary = await startEmbeddedPostgres({ dataDir });
    await migrate(primary.url);
    await seed(primary.url, 40);
    db = createDb({ url: primary.url });
    admin = await createTestUser(db, "ADMIN");
    someoneElse = await createTestUser(db, "ADMIN");
    plain = buildApp({ db, databaseUrl: primary.url, settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 60 } });
    writer = new pg.Pool({ connectionString: primary.url, max: 2 });
    replica = await startReplica(dataDir, primary.adminUrl);
    for (let i = 0; i < 2; i++) {
      const app = buildApp({
        db: i === 0 ? db : createDb({ url: primary.url }),
        databaseUrl: primary.url,
        settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 60 },
        replicas: { urls: [replica.url("jobgraph")], waitMs: WAIT_MS, maxLagSeconds: MAX_LAG_SECONDS },
      });
      const address = (await app.start(0)) as AddressInfo;
      apps.push(app);
      urls.push(`http://127.0.0.1:${address.port}/graphql`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await plain?.stop();
    await writer?.end();
    await db?.$disconnect();
    await replica?.destroy();
    await primary?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** POSTs an operation to instance `i` over HTTP, as the admin unless told otherwise; the answer and its headers. */
  async function post(i: number, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}, token = admin.secret) {
    const response = await fetch(urls[i]!, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
  }

  /** The same through yoga's own handler (in memory), which serves what the fast lane leaves to it. */
  async function viaYoga(i: number, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await apps[i]!.yoga.fetch("http://jobgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.secret}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
  }

  const count = (answer: { body: Answer }) => {
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data!.jobs.totalCount as number;
  };

  /** Creates a job as another client would: another user, through a gateway that reads from the primary alone. */
  async function insertJob(name: string): Promise<void> {
    const response = await plain.yoga.fetch("http://jobgraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${someoneElse.secret}` },
      body: JSON.stringify({ query: CreateJob, variables: { name } }),
    });
    const answer = (await response.json()) as Answer;
    expect(answer.data?.createJob.__typename).toBe("CreateJobPayload");
  }

  async function waitUntilReplayed(): Promise<void> {
    const { rows } = await writer.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
    const target = rows[0]!.lsn;
    for (let i = 0; i < 200; i++) {
      const replayed = await replica.replayed();
      const [th, tl] = target.split("/").map((part) => Number.parseInt(part, 16));
      const [rh, rl] = replayed.split("/").map((part) => Number.parseInt(part, 16));
      if (rh! > th! || (rh === th && rl! >= tl!)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("the replica did not catch up");
  }

  /** Waits for the gateways' next check of the replica (once a second). */
  const nextCheck = () => new Promise((resolve) => setTimeout(resolve, 1_300));

  it("serves queries from the replica: a write it has not replayed is not seen by another client", async () => {
    const name = "replica-stale";
    await createTemplate(name);
    await waitUntilReplayed();
    await nextCheck();
    await replica.pause();
    try {
      await insertJob(name);
      // Through the fast lane (a document seen before) and through yoga's handler: the replica's view.
      expect(count(await post(0, JobsOf, { name }))).toBe(0);
      expect(count(await post(0, JobsOf, { name }))).toBe(0);
      expect(count(await viaYoga(1, JobsOf, { name }))).toBe(0);
    } finally {
      await replica.resume();
    }
    await waitUntilReplayed();
    expect(count(await post(0, JobsOf, { name }))).toBe(1);
  });

  it("a client reads its own write at once, on the instance it wrote through and, with the position it was given, on another", async () => {
    const name = "replica-own-write";
    await createTemplate(name);
    await waitUntilReplayed();
    await nextCheck();
    await replica.pause();
    try {
      const created = await post(0, CreateJob, { name });
      expect(created.body.data!.createJob.__typename).toBe("CreateJobPayload");
      const position = created.headers.get("jobgraph-lsn");
      expect(position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      const cookie = created.headers.get("set-cookie")!;
      expect(cookie).toMatch(new RegExp(`^jobgraph_lsn=${position!.replace("/", "\\/")}; Path=/graphql; Max-Age=${MAX_LAG_SECONDS}; HttpOnly; SameSite=Lax$`));

      // The instance it wrote through remembers the write for the caller (any of its tokens): the
      // replica, paused, does not have it within the wait, so the read runs on the primary.
      const started = performance.now();
      expect(count(await post(0, JobsOf, { name }))).toBe(1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 20);
      expect(count(await viaYoga(0, JobsOf, { name }))).toBe(1);

      // Another instance knows nothing of it: the replica's view, unless the client brings the
      // position along, in the header or in the cookie a browser sends back.
      expect(count(await post(1, JobsOf, { name }))).toBe(0);
      expect(count(await post(1, JobsOf, { name }, { "JobGraph-LSN": position! }))).toBe(1);
      expect(count(await post(1, JobsOf, { name }, { cookie: `theme=dark; jobgraph_lsn=${position}` }))).toBe(1);
      expect(count(await viaYoga(1, JobsOf, { name }, { "JobGraph-LSN": position! }))).toBe(1);
      // A header that is no position: the primary, which has every write.
      expect(count(await post(1, JobsOf, { name }, { "JobGraph-LSN": "yesterday" }))).toBe(1);

      // Another user, on the instance that remembers the admin's write: the replica's view.
      const other = await createTestUser(db, "ADMIN");
      expect(count(await post(0, JobsOf, { name }, {}, other.secret))).toBe(0);
    } finally {
      await replica.resume();
    }
  });

  it("a page of another origin may read a mutation's position, and send it back", async () => {
    const name = "replica-cross-origin";
    await createTemplate(name);
    const origin = { origin: "https://app.example" };
    // The first through yoga, the second through the fast lane, the third through yoga's own handler.
    for (const created of [await post(0, CreateJob, { name }, origin), await post(0, CreateJob, { name }, origin), await viaYoga(0, CreateJob, { name }, origin)]) {
      expect(created.body.data!.createJob.__typename).toBe("CreateJobPayload");
      expect(created.headers.get("jobgraph-lsn")).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(created.headers.get("access-control-allow-origin")).toBe("https://app.example");
      expect(created.headers.get("access-control-expose-headers")).toBe("JobGraph-LSN, X-Request-Id");
    }
    const preflight = await apps[1]!.yoga.fetch("http://jobgraph.test/graphql", {
      method: "OPTIONS",
      headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, jobgraph-lsn" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("jobgraph-lsn");
  });

  it("a replica that has replayed the write serves the read that must see it, without waiting out the bound", async () => {
    const name = "replica-caught-up";
    await createTemplate(name);
    const created = await post(0, CreateJob, { name });
    const position = created.headers.get("jobgraph-lsn")!;
    await waitUntilReplayed();
    // The replica has it: served there, so a write the replica lacks (replay paused now) stays unseen.
    await replica.pause();
    try {
      await insertJob(name);
      const started = performance.now();
      expect(count(await post(1, JobsOf, { name }, { "JobGraph-LSN": position }))).toBe(1);
      expect(performance.now() - started).toBeLessThan(WAIT_MS);
    } finally {
      await replica.resume();
    }
  });

  it("the SDK's client brings its writes' position along, so its reads see them on any instance", async () => {
    const name = "replica-sdk";
    await createTemplate(name);
    await waitUntilReplayed();
    await nextCheck();
    await replica.pause();
    // A client behind a round-robin balancer: its read goes to the instance its write did not.
    const balancer = await roundRobin(urls.map((url) => new URL(url).origin));
    try {
      const first = createJobgraphClient({ url: `${balancer.url}/graphql`, token: admin.secret });
      const created = (await first.request(graphql(`mutation ReplicaSdkCreate($name: String!) { createJob(input: { templateName: $name }) { __typename } }`), { name })) as {
        createJob: { __typename: string };
      };
      expect(created.createJob.__typename).toBe("CreateJobPayload");
      const page = (await first.request(graphql(`query ReplicaSdkJobs($name: String!) { jobs(filter: { template: { name: $name } }) { totalCount } }`), { name })) as {
        jobs: { totalCount: number };
      };
      expect(page.jobs.totalCount).toBe(1);
      expect(balancer.sent).toEqual([1, 1]);
    } finally {
      await balancer.stop();
      await replica.resume();
    }
  });

  it("a replica further behind than allowed serves nothing until it has caught up", async () => {
    const name = "replica-behind";
    await createTemplate(name);
    await waitUntilReplayed();
    await replica.pause();
    try {
      await insertJob(name);
      expect(count(await post(1, JobsOf, { name }))).toBe(0);
      // Writes go on while it stands still; after the lag allowed (and a check), the primary serves.
      const deadline = Date.now() + (MAX_LAG_SECONDS + 5) * 1000;
      let seen = 0;
      while (Date.now() < deadline && seen === 0) {
        await writer.query("select pg_switch_wal()").catch(() => undefined);
        await insertJob(name);
        await new Promise((resolve) => setTimeout(resolve, 250));
        seen = count(await post(1, JobsOf, { name }));
      }
      expect(seen).toBeGreaterThan(0);
      expect(Date.now()).toBeLessThan(deadline);
    } finally {
      await replica.resume();
    }
    // Caught up: the replica serves again (a write it lacks is unseen once more).
    await waitUntilReplayed();
    await nextCheck();
    await createTemplate("replica-behind-2");
    await waitUntilReplayed();
    await replica.pause();
    try {
      await insertJob("replica-behind-2");
      expect(count(await post(1, JobsOf, { name: "replica-behind-2" }))).toBe(0);
    } finally {
      await replica.resume();
    }
  }, 30_000);

  it("a replica that stops: reads go on at once on the primary, without an error, and return to it once it is back", async () => {
    const name = "replica-stopped";
    await createTemplate(name);
    await waitUntilReplayed();
    await nextCheck();
    await replica.stop();
    try {
      await insertJob(name);
      // No check has run since: the read finds the replica's pool cannot connect, and takes the primary's.
      for (let i = 0; i < 5; i++) {
        const answer = await post(i % 2, JobsOf, { name });
        expect(answer.status).toBe(200);
        expect(count(answer)).toBe(1);
      }
      await nextCheck();
      expect(count(await post(0, JobsOf, { name }))).toBe(1);
    } finally {
      await replica.start();
    }
    await waitUntilReplayed();
    await nextCheck();
    await replica.pause();
    try {
      await insertJob(name);
      expect(count(await post(0, JobsOf, { name }))).toBe(1);
    } finally {
      await replica.resume();
    }
  }, 30_000);

  it("a replica that stops while reads run on it: every read is answered, from the primary when its connection went", async () => {
    const name = "replica-stops-mid-read";
    await createTemplate(name);
    await insertJob(name);
    await waitUntilReplayed();
    await nextCheck();
    let reading = true;
    const answers: Array<{ status: number; body: Answer }> = [];
    // Clients reading all the time from both instances, through the fast lane and through yoga.
    const readers = Array.from({ length: 6 }, async (_, i) => {
      while (reading) answers.push(i % 3 === 2 ? await viaYoga(i % 2, JobsOf, { name }) : await post(i % 2, JobsOf, { name }));
    });
    try {
      while (answers.length < 30) await new Promise((resolve) => setTimeout(resolve, 5));
      // A fast shutdown: PostgreSQL ends every connection, reads in the middle of a statement included.
      await replica.stop();
      const stoppedAt = answers.length;
      while (answers.length < stoppedAt + 30) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      reading = false;
      await Promise.all(readers);
      await replica.start();
    }
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(count(answer)).toBe(1);
    }
    await waitUntilReplayed();
    await nextCheck();
  }, 60_000);

  it("keeps mutations, claims and subscriptions on the primary: all work while the replica stands still", async () => {
    const name = "replica-writes";
    await createTemplate(name);
    await waitUntilReplayed();
    await nextCheck();
    await replica.pause();
    const watcher = createJobgraphClient({ url: urls[1]!, token: admin.secret });
    try {
      const node = await createTestNode(db);
      const created = await post(0, CreateJob, { name });
      const id = created.body.data!.createJob.job.id as string;
      const feed = watcher.subscribe(JobProgress, { id });
      expect((await feed.next()).value!.jobProgress.initial).toBe(true);
      const acquired = await post(1, `mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { job { id } lease { token } } } }`, { id }, {}, node.secret);
      expect(acquired.body.data!.acquireJob).toMatchObject({ __typename: "AcquireJobPayload", job: { id } });
      const lease = acquired.body.data!.acquireJob.lease.token as string;
      const started = await post(1, `mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id, lease }, {}, node.secret);
      expect(started.body.data!.startJob.__typename).toBe("LeasePayload");
      const reported = await post(
        0,
        `mutation ($id: ID!, $lease: String!) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5) { __typename } }`,
        { id, lease },
        {},
        node.secret,
      );
      expect(reported.body.data!.reportJobProgress.__typename).toBe("LeasePayload");
      let update = (await feed.next()).value!;
      while (update.jobProgress.progress !== 0.5) update = (await feed.next()).value!;
      await feed.return?.();
      // The node's own read after its writes: from the primary, as the replica lacks them.
      const mine = await post(1, `query ($id: ID!) { job(id: $id) { status progress } }`, { id }, {}, node.secret);
      expect(mine.body.data!.job).toEqual({ status: "RUNNING", progress: 0.5 });
    } finally {
      await watcher.close?.();
      await replica.resume();
    }
  });

  it("answers every query shape from the replica as the primary answers it", async () => {
    await waitUntilReplayed();
    await nextCheck();
    const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));
    const pool = await readPool(primary.url);
    const shapes = generateShapes(schema, pool, { maxCost: 5000, maxDepth: 12, maxTokens: 2000, defaultPageSize: 20, maxPageSize: 100 }, 11, 120);
    // A reader that has written nothing: every one of its queries reads on the replica.
    const reader = await createTestUser(db, "ADMIN");
    await waitUntilReplayed();
    const replicaReads = async () => {
      const client = new pg.Client({ connectionString: replica.url("jobgraph") });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>("select xact_commit::text as n from pg_stat_database where datname = 'jobgraph'");
        return Number(rows[0]!.n);
      } finally {
        await client.end();
      }
    };
    const before = await replicaReads();
    const differences: string[] = [];
    for (const shape of shapes) {
      const fromReplica = await post(shape.index % 2, shape.text, {}, {}, reader.secret);
      const response = await plain.yoga.fetch("http://jobgraph.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${reader.secret}` },
        body: JSON.stringify({ query: shape.text }),
      });
      const fromPrimary = (await response.json()) as Answer;
      const codes = (answer: Answer) => (answer.errors ?? []).map((error) => `${error.extensions?.code}: ${error.message}`);
      if (JSON.stringify(codes(fromReplica.body)) !== JSON.stringify(codes(fromPrimary))) {
        differences.push(`${shape.summary}: ${JSON.stringify(codes(fromReplica.body))} on the replica, ${JSON.stringify(codes(fromPrimary))} on the primary`);
      }
    }
    expect(differences).toEqual([]);
    // Statistics reach pg_stat_database within a second or so; each shape ran a statement or more there.
    let after = before;
    for (let i = 0; i < 50 && after - before < shapes.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await replicaReads();
    }
    expect(after - before).toBeGreaterThanOrEqual(shapes.length);
  }, 120_000);

  it("reports each replica, and where queries read, in /metrics", async () => {
    await waitUntilReplayed();
    await nextCheck();
    const reader = await createTestUser(db, "ADMIN");
    const scrape = async () => {
      const text = await (await fetch(urls[0]!.replace("/graphql", "/metrics"))).text();
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
      return {
        serving: value(/^jobgraph_replica_serving\{replica="127\.0\.0\.1:\d+\/jobgraph"\} (\S+)$/m),
        lag: value(/^jobgraph_replica_lag_seconds\{replica="127\.0\.0\.1:\d+\/jobgraph"\} (\S+)$/m),
        onReplica: value(/^jobgraph_replica_reads_total\{on="replica"\} (\S+)$/m),
        onPrimary: value(/^jobgraph_replica_reads_total\{on="primary"\} (\S+)$/m),
        pool: value(/^jobgraph_db_pool_max_connections\{pool="replica 127\.0\.0\.1:\d+\/jobgraph"\} (\S+)$/m),
      };
    };
    // The replica serves again at the next check that reaches it: once a second, or later on a busy machine.
    const serving = async (value: number) => {
      let last = await scrape();
      for (let i = 0; i < 100 && last.serving !== value; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await scrape();
      }
      return last;
    };
    const before = await serving(1);
    expect(before).toMatchObject({ serving: 1, pool: 10 });
    expect(before.lag).toBeGreaterThanOrEqual(0);
    await post(0, JobsOf, { name: "replica-metrics" }, {}, reader.secret);
    await post(0, JobsOf, { name: "replica-metrics" }, { "JobGraph-LSN": "not a position" }, reader.secret);
    const after = await scrape();
    expect(after.onReplica).toBe(before.onReplica + 1);
    expect(after.onPrimary).toBe(before.onPrimary + 1);
    await replica.stop();
    try {
      expect((await serving(0)).serving).toBe(0);
    } finally {
      await replica.start();
    }
    await waitUntilReplayed();
    expect((await serving(1)).serving).toBe(1);
  }, 60_000);

  it("the gateway process set up as docs/deploy.md says reads from the replica, and logs when the replica stops serving and serves again", async () => {
    const name = "replica-process";
    await createTemplate(name);
    const server = await startServer(
      {
        DATABASE_URL: primary.url,
        DATABASE_REPLICA_URLS: ` ${replica.url("jobgraph")} `,
        JOBGRAPH_REPLICA_MAX_LAG_SECONDS: "3",
        JOBGRAPH_DEMO_DATA: "false",
        JOBGRAPH_LOG_LEVEL: "info",
      },
      120_000,
    );
    try {
      await waitUntilReplayed();
      await nextCheck();
      await replica.pause();
      try {
        await insertJob(name);
        const page = await send<{ jobs: { totalCount: number } }>(server, admin.secret, JobsOf, { name });
        expect(page.jobs.totalCount).toBe(0);
      } finally {
        await replica.resume();
      }
      await replica.stop();
      try {
        const page = await send<{ jobs: { totalCount: number } }>(server, admin.secret, JobsOf, { name });
        expect(page.jobs.totalCount).toBe(1);
        const deadline = Date.now() + 10_000;
        while (!server.output().includes("a read replica serves no reads") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(server.output()).toContain("a read replica serves no reads");
      } finally {
        await replica.start();
      }
      const deadline = Date.now() + 10_000;
      while (!server.output().includes("a read replica serves reads again") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.output()).toContain("a read replica serves reads again");
    } finally {
      await server.dispose();
    }
  }, 180_000);

  async function createTemplate(name: string): Promise<void> {
    const answer = await post(0, `mutation ($name: String!) { createJobTemplate(input: { name: $name, executor: { name: "shell" } }) { __typename } }`, { name });
    expect(answer.body.data?.createJobTemplate.__typename).toBe("JobTemplatePayload");
  }
});
