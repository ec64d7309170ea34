// jobgraph behind PgBouncer in transaction mode (DATABASE_URL at the pooler, DATABASE_DIRECT_URL at
// PostgreSQL), on two gateway instances, each with two server connections for ten clients: workers
// of the SDK on both instances race for jobs, report progress, log, and upload outputs, while
// subscribers on the other instance watch, and dashboards read. The gateway's process, set up as
// docs/deploy.md says, does the same. And a gateway not told of the pooler fails there, which is
// what the setting is for.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createJobgraphClient, runWorker, type Worker } from "../../src/sdk/index.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { adminUrl, createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { havePgBouncer, pgbouncerPath, startPgBouncer, type PgBouncer } from "../helpers/pgbouncer.js";
import { createTestNode } from "../helpers/principals.js";
import { startServer } from "../helpers/server-process.js";

const JobsWithTasks = graphql(`
  query PooledJobsWithTasks($filter: JobFilter) {
    jobs(first: 50, filter: $filter, orderBy: { field: PRIORITY, direction: DESC }) {
      totalCount
      edges { node { id status progress creator { name } node { name } tasks(first: 5) { totalCount edges { node { name status } } } outputs { totalCount } } }
    }
  }
`);

const JobById = graphql(`
  query PooledJobById($id: ID!) {
    job(id: $id) { id status template { name } events(first: 3) { totalCount edges { node { kind } } } }
  }
`);

const JobProgress = graphql(`
  subscription PooledJobProgress($id: ID!) {
    jobProgress(id: $id) { initial status progress }
  }
`);

const JobOutputs = graphql(`
  query PooledJobOutputs($id: ID!) {
    job(id: $id) { status outputs { edges { node { name size sha256 downloadUrl } } } log(last: 5) { edges { node { line } } } }
  }
`);

if (!havePgBouncer) {
  console.warn(`SKIPPED test/api/pgbouncer.test.ts: ${pgbouncerPath} is missing; install Debian's pgbouncer package (.ci/run does when it may)`);
}

describe.skipIf(!havePgBouncer)("behind PgBouncer in transaction mode, on two instances", () => {
  let database: TestDatabase;
  let bouncer: PgBouncer;
  let pooledUrl: string;
  const dbs: Db[] = [];
  const apis: TestApi[] = [];
  const urls: string[] = [];

  /** A gateway on its own pool through the pooler, as two processes would be; `pooled` as DATABASE_DIRECT_URL would set it. */
  async function instance(pooled: boolean): Promise<{ api: TestApi; url: string }> {
    const db = createDb({ url: pooledUrl, pooled, poolSize: 10 });
    dbs.push(db);
    const api = await createTestApi({ ...database, url: pooledUrl, directUrl: database.directUrl, pooled, db }, { reclaimIntervalMs: 500 });
    apis.push(api);
    const { port } = await api.app.start(0);
    return { api, url: `http://127.0.0.1:${port}/graphql` };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    bouncer = await startPgBouncer(adminUrl(), { serverConnections: 2 });
    pooledUrl = bouncer.url(new URL(database.directUrl).pathname.slice(1));
    for (let i = 0; i < 2; i++) urls.push((await instance(true)).url);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.app.stop()));
    await Promise.all(dbs.map((db) => db.$disconnect()));
    await bouncer?.stop();
  });

  it("runs every job once with workers on both instances, while the other instance's subscribers and readers watch", async () => {
    const template = await createTemplate(database.db, "pooled");
    const ids = await createJobs(database.db, template.id, 24, { tasks: 2, spec: (i) => ({ priority: i % 5 }) });
    const watched = ids[0]!;
    const [a, b] = [0, 1].map((i) => createJobgraphClient({ url: urls[i]!, token: apis[i]!.admin.secret }));
    const subscribers = new Subscribers(urls[1]!.replace("http", "ws"), apis[1]!);
    const progress = subscribers.subscribe(subscribers.connect(), JobProgress, { id: encodeGlobalId("Job", watched) });
    await progress.next();

    const ran = new Map<string, number>();
    const contents = new Map<string, string>();
    const workers: Worker[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const node = await createTestNode(database.db);
      workers.push(
        runWorker({
          url: urls[i % 2]!,
          token: node.secret,
          concurrency: 2,
          pollIntervalMs: 200,
          onError: (error) => errors.push(error),
          handler: async (job, context) => {
            ran.set(job.id, (ran.get(job.id) ?? 0) + 1);
            await context.progress(0.5, { half: true });
            for (const task of await context.tasks()) {
              await context.startTask(task.id);
              await context.finishTask(task.id, { success: true });
            }
            context.log(`ran on worker ${i}`);
            // Two chunks and a bit: chunks are written on connections of their own, in parallel.
            const content = randomBytes(2 * 1024 * 1024 + 1000);
            contents.set(job.id, createHash("sha256").update(content).digest("hex"));
            await context.uploadOutput("result", "bin", content);
          },
        }),
      );
    }
    // Dashboards polling both instances meanwhile, each text many times over (as prepared ones would be).
    let reads = 0;
    const polling = (async () => {
      while ([...ran.values()].length < ids.length) {
        await Promise.all([a!.request(JobsWithTasks, { filter: { template: { name: "pooled" } } }), b!.request(JobById, { id: encodeGlobalId("Job", ids[reads % ids.length]!) })]);
        reads++;
      }
    })();

    const finished = await (async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const page = await b!.request(JobsWithTasks, { filter: { template: { name: "pooled" } } });
        const done = page.jobs.edges.filter((edge) => edge.node.status === "SUCCEEDED");
        if (done.length === ids.length || Date.now() > deadline) return page;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await polling;
    await Promise.all(workers.map((worker) => worker.stop()));

    expect(errors.map(String)).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(finished.jobs.totalCount).toBe(ids.length);
    expect(finished.jobs.edges.map((edge) => [edge.node.status, edge.node.progress, edge.node.tasks.edges.map((t) => t.node.status), edge.node.outputs.totalCount])).toEqual(
      ids.map(() => ["SUCCEEDED", 1, ["SUCCEEDED", "SUCCEEDED"], 1]),
    );
    expect([...ran.values()].filter((n) => n !== 1)).toEqual([]);
    expect(ran.size).toBe(ids.length);

    // The subscriber on instance B saw the report made through whichever instance ran the job.
    await progress.through((m) => m.jobProgress.progress === 0.5, "the report at 0.5");
    await progress.through((m) => m.jobProgress.status === "SUCCEEDED", "the job's end");
    await subscribers.stop();

    // Each output reads back through the other instance whole, and by range.
    for (const id of ids.slice(0, 4)) {
      const job = (await a!.request(JobOutputs, { id: encodeGlobalId("Job", id) })).job!;
      expect(job.log.edges.map((edge) => edge.node.line)).toEqual([expect.stringMatching(/^ran on worker \d$/)]);
      const output = job.outputs.edges[0]!.node;
      expect(output.sha256).toBe(contents.get(encodeGlobalId("Job", id)));
      const whole = Buffer.from(await (await b!.download(output.downloadUrl)).arrayBuffer());
      expect(createHash("sha256").update(whole).digest("hex")).toBe(output.sha256);
      const ranged = await fetch(new URL(output.downloadUrl, urls[1]), { headers: { authorization: `Bearer ${apis[1]!.admin.secret}`, range: "bytes=1048570-1048585" } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(whole.subarray(1048570, 1048586));
    }
    await Promise.all([a!.close(), b!.close()]);
  }, 90_000);

  it("serves from a gateway process given DATABASE_URL at the pooler and DATABASE_DIRECT_URL, as docs/deploy.md says", async () => {
    const token = randomBytes(18).toString("hex");
    const server = await startServer({ DATABASE_URL: pooledUrl, DATABASE_DIRECT_URL: database.directUrl, JOBGRAPH_ADMIN_TOKEN: token, NODE_ENV: "production" });
    try {
      const template = await createTemplate(database.db, "process");
      const ids = await createJobs(database.db, template.id, 10, { tasks: 2 });
      const client = createJobgraphClient({ url: server.graphqlUrl, token });
      const watched = encodeGlobalId("Job", ids[0]!);
      const progress = client.subscribe(JobProgress, { id: watched })[Symbol.asyncIterator]();
      expect((await progress.next()).value).toMatchObject({ jobProgress: { initial: true, status: "QUEUED" } });
      // Each text many times over, from many connections at once: named statements would collide.
      for (let round = 0; round < 3; round++) {
        const pages = await Promise.all(Array.from({ length: 8 }, () => client.request(JobsWithTasks, { filter: { template: { name: "process" } } })));
        expect(pages.map((page) => page.jobs.totalCount)).toEqual(Array(8).fill(10));
        await Promise.all(ids.map((id) => client.request(JobById, { id: encodeGlobalId("Job", id) })));
      }
      // A worker on an in-process instance; the process's subscriber hears of it.
      const node = await createTestNode(database.db);
      const worker = runWorker({
        url: urls[0]!,
        token: node.secret,
        filter: { templateName: "process" },
        pollIntervalMs: 200,
        handler: async (job, context) => {
          if (job.id !== watched) return;
          await context.progress(0.25);
          await context.uploadOutput("result", "bin", randomBytes(1024 * 1024 + 7));
        },
      });
      const seen: Array<{ status: string | null; progress: number | null }> = [];
      for (;;) {
        const { value, done } = await progress.next();
        if (done) break;
        seen.push({ status: value.jobProgress.status, progress: value.jobProgress.progress });
        if (value.jobProgress.status === "SUCCEEDED") break;
      }
      await worker.stop();
      expect(seen).toContainEqual({ status: null, progress: 0.25 });
      const output = (await client.request(JobOutputs, { id: watched })).job!.outputs.edges[0]!.node;
      const whole = Buffer.from(await (await client.download(output.downloadUrl)).arrayBuffer());
      expect([whole.length, createHash("sha256").update(whole).digest("hex")]).toEqual([output.size, output.sha256]);
      await progress.return?.();
      await client.close();
    } finally {
      await server.dispose();
    }
  }, 90_000);

  it("fails through the pooler when not told of it (named prepared statements), which is why DATABASE_DIRECT_URL says so", async () => {
    const template = await createTemplate(database.db, "unpooled");
    const ids = await createJobs(database.db, template.id, 10);
    const { api, url } = await instance(false);
    const client = createJobgraphClient({ url, token: api.admin.secret });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, async () => {
        for (const id of ids) await client.request(JobById, { id: encodeGlobalId("Job", id) });
      }),
    );
    await client.close();
    expect(outcomes.filter((outcome) => outcome.status === "rejected").length).toBeGreaterThan(0);
  }, 30_000);
});
