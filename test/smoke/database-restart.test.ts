// PostgreSQL restarts (a fast shutdown: every connection ended with 57P01, then a start on the same
// port) under a gateway process that serves readers, a worker and a subscriber. The gateway must
// live through it: answer every request meanwhile (an error while the database is away, not a cut
// connection), serve reads and claims again once it is back, and deliver to the subscriber that
// was open all along the events written after the restart. A worker of the SDK that finishes its
// job while PostgreSQL is away delivers the result once it is back.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrate.js";
import { runWorker } from "../../src/sdk/index.js";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";

const ADMIN = `jgu_restart_${"r".repeat(32)}`;
let dataDir: string;
let postgres: EmbeddedPostgres;
let gateway: ServerProcess;
let subscriber: Client | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-restart-"));
  // mkdtemp makes the folder private; run as root, the embedded PostgreSQL runs as user postgres.
  chmodSync(dataDir, 0o755);
  postgres = await startEmbeddedPostgres({ dataDir });
  await migrate(postgres.url);
  gateway = await startServer({ DATABASE_URL: postgres.url, JOBGRAPH_ADMIN_TOKEN: ADMIN, JOBGRAPH_DEMO_DATA: "false", JOBGRAPH_LOG_LEVEL: "warn" });
}, 120_000);

afterAll(async () => {
  await subscriber?.dispose();
  await gateway?.dispose();
  await postgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Answer = { status: number; body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> } };

/** One GraphQL POST; an answer whatever it says, or throws when the connection fails. */
async function post(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(gateway.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("lives through a restart of PostgreSQL under load, and serves, claims and delivers again once it is back", async () => {
  await graphql(gateway, ADMIN, `mutation { createJobTemplate(input: { name: "restart", executor: { name: "sh" } }) { __typename } }`);
  const registered = await graphql<{ registerWorkerNode: { secret: string } }>(
    gateway,
    ADMIN,
    `mutation { registerWorkerNode(input: { name: "restart-node", executors: ["sh"] }) { ... on RegisterWorkerNodePayload { secret } } }`,
  );
  const nodeToken = registered.registerWorkerNode.secret;
  const createJobs = async (n: number) => {
    for (let i = 0; i < n; i++) await graphql(gateway, ADMIN, `mutation { createJob(input: { templateName: "restart", queue: "restart" }) { __typename } }`);
  };
  await createJobs(30);

  // A subscriber to every job's events, open from before the restart to after it.
  const finishedSeen = new Set<string>();
  let subscriptionEnded: unknown;
  subscriber = createClient({ url: gateway.graphqlUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${ADMIN}` }, retryAttempts: 0 });
  subscriber.subscribe<{ jobEvents: { event: { kind: string; job: { id: string } } } }>(
    { query: `subscription { jobEvents { event { kind job { id } } } }` },
    {
      next: ({ data }) => {
        if (data?.jobEvents.event.kind === "SUCCEEDED") finishedSeen.add(data.jobEvents.event.job.id);
      },
      error: (error) => (subscriptionEnded = error),
      complete: () => (subscriptionEnded = "completed"),
    },
  );

  // Readers and a worker, going on whatever happens, recording what they were answered.
  let running = true;
  const answers: Array<{ at: number; status: number; codes: string[] }> = [];
  const cut: unknown[] = [];
  const finishedIds: Array<{ at: number; id: string }> = [];
  const record = (answer: Answer) =>
    answers.push({ at: Date.now(), status: answer.status, codes: (answer.body.errors ?? []).map((e) => e.extensions?.code ?? e.message) });
  const reader = async () => {
    while (running) {
      try {
        record(await post(ADMIN, `{ jobs(first: 5) { totalCount edges { node { id status } } } }`));
      } catch (error) {
        cut.push(error);
      }
      await sleep(20);
    }
  };
  const worker = async () => {
    while (running) {
      try {
        const acquired = await post(nodeToken, `mutation { acquireNextJob(filter: { queues: ["restart"] }) { ... on AcquireJobPayload { job { id } lease { token } } } }`);
        record(acquired);
        const claim = acquired.body.data?.acquireNextJob as { job?: { id: string } | null; lease?: { token: string } } | undefined;
        if (!claim?.job || !claim.lease) {
          await sleep(50);
          continue;
        }
        const variables = { id: claim.job.id, lease: claim.lease.token };
        record(await post(nodeToken, `mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, variables));
        const finished = await post(nodeToken, `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename } }`, variables);
        record(finished);
        if ((finished.body.data?.finishJob as { __typename?: string } | undefined)?.__typename === "JobPayload") finishedIds.push({ at: Date.now(), id: claim.job.id });
      } catch (error) {
        cut.push(error);
      }
      await sleep(20);
    }
  };
  const load = Promise.all([reader(), reader(), worker()]);

  // And a worker of the SDK whose handler returns while PostgreSQL is away: it delivers the
  // job's result once it is back, as long as the lease holds.
  const sdkNode = await graphql<{ registerWorkerNode: { secret: string } }>(
    gateway,
    ADMIN,
    `mutation { registerWorkerNode(input: { name: "restart-sdk-node", executors: ["sh"] }) { ... on RegisterWorkerNodePayload { secret } } }`,
  );
  const sdkJob = await graphql<{ createJob: { job: { id: string } } }>(
    gateway,
    ADMIN,
    `mutation { createJob(input: { templateName: "restart", queue: "sdk" }) { ... on CreateJobPayload { job { id } } } }`,
  );
  let down!: () => void;
  const isDown = new Promise<void>((resolve) => (down = resolve));
  let handled = false;
  const sdkWorker = runWorker({
    url: gateway.graphqlUrl,
    token: sdkNode.registerWorkerNode.secret,
    filter: { queues: ["sdk"] },
    pollIntervalMs: 100,
    handler: async () => {
      await isDown;
      handled = true;
    },
  });
  for (let i = 0; i < 100 && sdkWorker.running === 0; i++) await sleep(50);
  expect(sdkWorker.running).toBe(1);

  await sleep(1_000);
  const port = postgres.port;
  await postgres.stop();
  const downAt = Date.now();
  down();
  await sleep(2_000);
  expect(handled).toBe(true);
  postgres = await startEmbeddedPostgres({ dataDir, port });
  const upAt = Date.now();

  // Back: reads succeed again, the worker finishes jobs again, and the subscriber hears of them.
  let sdkStatus = "";
  const recovered = async (what: string, done: () => boolean) => {
    for (let i = 0; i < 300 && !done(); i++) {
      await sleep(100);
      const answer = await post(ADMIN, `query ($id: ID!) { job(id: $id) { status } }`, { id: sdkJob.createJob.job.id }).catch(() => undefined);
      sdkStatus = (answer?.body.data?.job as { status?: string } | undefined)?.status ?? sdkStatus;
    }
    expect(done(), what).toBe(true);
  };
  await recovered("a read answered with data after the restart", () => answers.some((a) => a.at > upAt && a.status === 200 && a.codes.length === 0));
  await recovered("a job finished after the restart", () => finishedIds.some((f) => f.at > upAt));
  await recovered("the open subscription delivered a job finished after the restart", () => finishedIds.some((f) => f.at > upAt && finishedSeen.has(f.id)));
  await recovered("the SDK worker's job finished, its result delivered after the restart", () => sdkStatus === "SUCCEEDED");
  running = false;
  await load;
  await sdkWorker.stop();

  // The process lived, every request was answered, and the answers while PostgreSQL was away were errors saying so.
  expect(gateway.child.exitCode).toBeNull();
  expect(cut).toEqual([]);
  expect(subscriptionEnded).toBeUndefined();
  const during = answers.filter((a) => a.at > downAt && a.at < upAt);
  expect(during.length).toBeGreaterThan(0);
  for (const answer of during) expect(answer.status === 200 || answer.status === 503, JSON.stringify(answer)).toBe(true);
  const duringCodes = new Set(during.flatMap((a) => a.codes));
  expect([...duringCodes].every((code) => code === "SERVICE_UNAVAILABLE"), [...duringCodes].join(", ")).toBe(true);
  expect(gateway.output()).not.toMatch(/uncaught|unhandled/i);
}, 120_000);
