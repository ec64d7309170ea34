// Job.estimatedEndTime through the API: from a running job's own progress reports of its current
// attempt, null until there are enough, and read for a page of running jobs in statements constant
// in page size.
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let node: TestNode;
let templateId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  node = await createTestNode(db);
  templateId = (await createTemplate(db)).id;
});

async function running(): Promise<{ id: string; lease: string }> {
  const [uuid] = await createJobs(db, templateId, 1);
  const id = encodeGlobalId("Job", uuid!);
  const acquired = await sendText(api, `mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await sendText(api, `mutation ($id: ID!, $t: String!) { startJob(id: $id, leaseToken: $t) { __typename } }`, { id, t: lease }, node.secret);
  return { id, lease };
}

const report = (job: { id: string; lease: string }, progress: number) =>
  sendText(api, `mutation ($id: ID!, $t: String!, $p: Float!) { reportJobProgress(id: $id, leaseToken: $t, progress: $p) { __typename } }`, { id: job.id, t: job.lease, p: progress }, node.secret);

type Estimate = { time: string; earliest: string; latest: string; confidence: number; basis: string } | null;

async function estimate(id: string): Promise<Estimate> {
  const answer = await sendText(api, `query ($id: ID!) { job(id: $id) { estimatedEndTime { time earliest latest confidence basis } } }`, { id });
  return (answer.job as unknown as { estimatedEndTime: Estimate }).estimatedEndTime;
}

describe("estimatedEndTime", () => {
  it("is null until the job has reported enough, then extends its rate to the end", async () => {
    const job = await running();
    expect(await estimate(job.id)).toBeNull();
    const started = Date.now();
    for (const progress of [0.1, 0.2, 0.3, 0.4]) {
      await report(job, progress);
      if (progress < 0.3) expect(await estimate(job.id)).toBeNull();
      await new Promise((r) => setTimeout(r, 500));
    }
    const e = (await estimate(job.id))!;
    // 0.1 every half second (plus the requests' own time): about 1.5 s per 0.3 left... some 3 s after the last report.
    const reportedFor = (Date.now() - started) / 1000;
    const left = (new Date(e.time).getTime() - Date.now()) / 1000;
    expect(left).toBeGreaterThan(reportedFor * 0.6);
    expect(left).toBeLessThan(reportedFor * 2.5);
    expect(new Date(e.earliest).getTime()).toBeLessThanOrEqual(new Date(e.time).getTime());
    expect(new Date(e.latest).getTime()).toBeGreaterThanOrEqual(new Date(e.time).getTime());
    expect(e.basis).toMatch(/^fitted to 4 progress reports over \d+ s/);
  });

  it("is null for a job that is not running, and counts only the current attempt's reports", async () => {
    const job = await running();
    for (const progress of [0.1, 0.2, 0.3]) {
      await report(job, progress);
      await new Promise((r) => setTimeout(r, 600));
    }
    expect(await estimate(job.id)).not.toBeNull();
    // Released and taken again: the new attempt has no reports yet.
    await sendText(api, `mutation ($id: ID!, $t: String!) { releaseJob(id: $id, leaseToken: $t) { __typename } }`, { id: job.id, t: job.lease }, node.secret);
    expect(await estimate(job.id)).toBeNull();
    const again = await sendText(api, `mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id: job.id }, node.secret);
    const lease = (again.acquireJob as unknown as { lease: { token: string } }).lease.token;
    await new Promise((r) => setTimeout(r, 20));
    await sendText(api, `mutation ($id: ID!, $t: String!) { startJob(id: $id, leaseToken: $t) { __typename } }`, { id: job.id, t: lease }, node.secret);
    expect(await estimate(job.id)).toBeNull();
  });

  it("is read for a page of running jobs in statements constant in page size", async () => {
    await db.job.deleteMany();
    const jobs = [];
    for (let i = 0; i < 12; i++) jobs.push(await running());
    for (const progress of [0.1, 0.2, 0.3]) {
      for (const job of jobs) await report(job, progress);
      await new Promise((r) => setTimeout(r, 600));
    }
    const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await sendText(api, `query ($first: Int!) { jobs(first: $first, filter: { status: [RUNNING] }) { edges { node { estimatedEndTime { time } } } } }`, { first });
      return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
    };
    const small = await counted(2);
    const large = await counted(12);
    const edges = (large.data.jobs as unknown as { edges: Array<{ node: { estimatedEndTime: { time: string } | null } }> }).edges;
    expect(edges.filter((e) => e.node.estimatedEndTime)).toHaveLength(12);
    expect(large.statements.length, large.statements.join("\n---\n")).toBe(small.statements.length);
  });
});
