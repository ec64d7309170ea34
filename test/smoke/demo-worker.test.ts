// The demo worker in the real server process: with demo data on, a progress subscription to a
// running demo job shows new reports within seconds, the demo's leases are renewed, jobs without
// the demo tag are left alone, and the process still stops cleanly; JOBGRAPH_DEMO_WORKER=false
// leaves everything as the seed wrote it.
import { randomBytes } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";

const adminToken = `demo-worker-test-${randomBytes(16).toString("hex")}`;

let server: ServerProcess | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.dispose();
  client = undefined;
  await server?.dispose();
  server = undefined;
});

type Job = { id: string; number: string; status: string; progress: number; version: number; leaseExpiresAt: string | null; tags: string[] };

async function jobs(server: ServerProcess, filter: Record<string, unknown>): Promise<Job[]> {
  const { jobs } = await graphql<{ jobs: { edges: Array<{ node: Job }> } }>(
    server,
    adminToken,
    "query ($filter: JobFilter) { jobs(first: 100, filter: $filter) { edges { node { id number status progress version leaseExpiresAt tags } } } }",
    { filter },
  );
  return jobs.edges.map((e) => e.node);
}

/** The progress reports of a jobProgress subscription, as they arrive. */
function watchProgress(server: ServerProcess, jobId: string): Array<{ kind: string; progress: number }> {
  const received: Array<{ kind: string; progress: number }> = [];
  client = createClient({
    url: `ws://127.0.0.1:${server.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${adminToken}` },
    retryAttempts: 0,
  });
  client.subscribe(
    { query: "subscription ($id: ID!) { jobProgress(id: $id) { kind progress } }", variables: { id: jobId } },
    {
      next: (result) => received.push((result.data as { jobProgress: { kind: string; progress: number } }).jobProgress),
      error: () => {},
      complete: () => {},
    },
  );
  return received;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return condition();
}

/** A job of the demo's hash-files template without the demo tag, as a user's own job would be. */
async function ownJob(server: ServerProcess): Promise<string> {
  const { createJob } = await graphql<{ createJob: { __typename: string; job?: { id: string }; message?: string } }>(
    server,
    adminToken,
    `mutation { createJob(input: { templateName: "hash-files", inputs: [{ name: "input", value: "my-own-collection" }], tags: ["mine"] }) {
      __typename ... on CreateJobPayload { job { id } } ... on Error { message } } }`,
  );
  expect(createJob, createJob.message).toMatchObject({ __typename: "CreateJobPayload" });
  return createJob.job!.id;
}

describe("the demo worker", () => {
  it("keeps the demo moving: live progress within seconds, renewed leases, other jobs untouched, a clean stop", { timeout: 180_000 }, async () => {
    server = await startServer({ JOBGRAPH_ADMIN_TOKEN: adminToken, JOBGRAPH_DEMO_DATA: "true" }, 120_000);
    const mine = await ownJob(server);
    // The one furthest from its end, so that it still runs while the test watches.
    const [running] = (await jobs(server, { status: ["RUNNING"], tags: ["demo"] })).sort((a, b) => a.progress - b.progress);
    expect(running).toBeDefined();
    const seededExpiry = Date.parse(running!.leaseExpiresAt!);

    const received = watchProgress(server, running!.id);
    // The first message is the job as it is; reports follow while the worker runs it.
    expect(await until(() => received.filter((r) => r.kind === "PROGRESS").length >= 2, 15_000), JSON.stringify(received)).toBe(true);
    const progresses = received.filter((r) => r.kind === "PROGRESS").map((r) => r.progress);
    expect(new Set(progresses).size).toBeGreaterThan(1);

    const [now] = (await jobs(server, { tags: ["demo"], status: ["RUNNING", "SUCCEEDED"] })).filter((j) => j.id === running!.id);
    // Each report renews the lease for JOBGRAPH_LEASE_SECONDS (120 s by default) from now, where
    // the seed's lease ran for a quarter of an hour from the seed's last renewal.
    if (now!.status === "RUNNING") {
      const expiry = Date.parse(now!.leaseExpiresAt!);
      expect(expiry).not.toBe(seededExpiry);
      expect(Math.abs(expiry - (Date.now() + 120_000))).toBeLessThan(30_000);
    }

    const [own] = (await jobs(server, { tags: ["mine"] })).filter((j) => j.id === mine);
    expect(own).toMatchObject({ status: "QUEUED", version: 1 });

    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
    expect(server.output()).toContain("demo worker: moving the demo jobs along");
  });

  it("does nothing with JOBGRAPH_DEMO_WORKER=false", { timeout: 180_000 }, async () => {
    server = await startServer({ JOBGRAPH_ADMIN_TOKEN: adminToken, JOBGRAPH_DEMO_DATA: "true", JOBGRAPH_DEMO_WORKER: "false" }, 120_000);
    const before = await jobs(server, { tags: ["demo"] });
    const [running] = before.filter((j) => j.status === "RUNNING");
    const received = watchProgress(server, running!.id);
    expect(await until(() => received.length >= 1, 10_000)).toBe(true);
    // Three of the worker's ticks would have passed.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(received).toHaveLength(1);
    expect((await jobs(server, { tags: ["demo"] })).map((j) => [j.id, j.version])).toEqual(before.map((j) => [j.id, j.version]));
    expect(server.output()).not.toContain("demo worker");
  });
});
