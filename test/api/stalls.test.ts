// Stalled jobs: a running job whose holder reports nothing for longer than its template's
// stallAfterSeconds is stalled (the field and the filter say so at once), gets one STALLED event
// from the sweep however often and however many instances sweep, and one RECOVERED event once its
// holder reports again; renewals alone keep it from stalling; finishing it clears it.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { sweepStalls } from "../../src/domain/stalls.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let node: TestNode;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

/** A template with stallAfterSeconds (or none), made through the API. */
async function template(name: string, stallAfterSeconds?: number): Promise<Record<string, unknown>> {
  const answer = await send(
    `mutation ($input: CreateJobTemplateInput!) { createJobTemplate(input: $input) { __typename ... on JobTemplatePayload { jobTemplate { name stallAfterSeconds } } ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { name, executor: { name: "python" }, ...(stallAfterSeconds === undefined ? {} : { stallAfterSeconds }) } },
  );
  return answer.createJobTemplate!;
}

/** A job of the template, acquired and started by `node`; its global ID and lease. */
async function runningJob(templateName: string): Promise<{ id: string; lease: string }> {
  const created = await send(`mutation ($t: String!) { createJob(input: { templateName: $t }) { ... on CreateJobPayload { job { id } } } }`, { t: templateName });
  const id = (created.createJob as unknown as { job: { id: string } }).job.id;
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  await send(`mutation ($id: ID!, $t: String!) { startJob(id: $id, leaseToken: $t) { __typename } }`, { id, t: lease }, node.secret);
  return { id, lease };
}

const uuid = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

/** Makes the job's holder look silent for `seconds`, as if its last report was that long ago. */
async function silentFor(id: string, seconds: number) {
  await db.job.update({ where: { id: uuid(id) }, data: { lastReportAt: new Date(Date.now() - seconds * 1000) } });
}

async function state(id: string) {
  const answer = await send(`query ($id: ID!) { job(id: $id) { stalled stalledSince lastReportAt stallAfterSeconds } }`, { id });
  return answer.job as unknown as { stalled: boolean; stalledSince: string | null; lastReportAt: string; stallAfterSeconds: number | null };
}

const eventsOf = (id: string, kind: "STALLED" | "RECOVERED") => db.jobEvent.findMany({ where: { jobId: uuid(id), kind }, orderBy: { id: "asc" } });

async function stalledIds(stalled: boolean): Promise<string[]> {
  const answer = await send(`query ($s: Boolean) { jobs(first: 100, filter: { stalled: $s }) { totalCount edges { node { id } } } }`, { s: stalled });
  return (answer.jobs as unknown as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  node = await createTestNode(db);
  expect(await template("watched", 60)).toMatchObject({ __typename: "JobTemplatePayload", jobTemplate: { stallAfterSeconds: 60 } });
  expect(await template("unwatched")).toMatchObject({ jobTemplate: { stallAfterSeconds: null } });
});

beforeEach(async () => {
  await db.job.deleteMany();
});

describe("a stalled job", () => {
  it("is stalled as soon as its holder has been silent longer than stallAfterSeconds, in the field and the filter", async () => {
    const { id } = await runningJob("watched");
    expect(await state(id)).toMatchObject({ stalled: false, stalledSince: null, stallAfterSeconds: 60 });
    expect(await stalledIds(false)).toContain(id);
    await silentFor(id, 61);
    const now = await state(id);
    expect(now.stalled).toBe(true);
    expect(Date.now() - new Date(now.stalledSince!).getTime()).toBeGreaterThanOrEqual(500);
    expect(Date.now() - new Date(now.stalledSince!).getTime()).toBeLessThan(5000);
    expect(await stalledIds(true)).toEqual([id]);
    expect(await stalledIds(false)).not.toContain(id);
  });

  it("gets one STALLED event however often the sweep runs, in two instances at once", async () => {
    const { id } = await runningJob("watched");
    await silentFor(id, 120);
    const sweeps = await Promise.all([sweepStalls(db), sweepStalls(db), sweepStalls(db)]);
    expect(sweeps.reduce((n, s) => n + s.stalled, 0)).toBe(1);
    await sweepStalls(db);
    const events = await eventsOf(id, "STALLED");
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toMatchObject({ stallAfterSeconds: 60, lastReportAt: expect.any(String) });
  });

  it("recovers with one RECOVERED event when its holder reports progress again", async () => {
    const { id, lease } = await runningJob("watched");
    await silentFor(id, 120);
    await sweepStalls(db);
    const reported = await send(`mutation ($id: ID!, $t: String!) { reportJobProgress(id: $id, leaseToken: $t, progress: 0.5) { __typename } }`, { id, t: lease }, node.secret);
    expect(reported.reportJobProgress!.__typename).toBe("LeasePayload");
    expect((await state(id)).stalled).toBe(false);
    await sweepStalls(db);
    await sweepStalls(db);
    expect(await eventsOf(id, "RECOVERED")).toHaveLength(1);
    expect(await eventsOf(id, "STALLED")).toHaveLength(1);
    // Silent again: a second stall, a second STALLED event.
    await silentFor(id, 120);
    await sweepStalls(db);
    expect(await eventsOf(id, "STALLED")).toHaveLength(2);
  });

  it("is kept from stalling by lease renewals alone", async () => {
    const { id, lease } = await runningJob("watched");
    await silentFor(id, 120);
    await send(`mutation ($id: ID!, $t: String!) { renewJobLease(id: $id, leaseToken: $t) { __typename } }`, { id, t: lease }, node.secret);
    expect((await state(id)).stalled).toBe(false);
    expect((await sweepStalls(db)).stalled).toBe(0);
  });

  it("never stalls without a stallAfterSeconds, however long it is silent", async () => {
    const { id } = await runningJob("unwatched");
    await silentFor(id, 30 * 86_400);
    expect(await state(id)).toMatchObject({ stalled: false, stallAfterSeconds: null });
    expect((await sweepStalls(db)).stalled).toBe(0);
  });

  it("is no longer stalled once it finishes, and gets no RECOVERED event for it", async () => {
    const { id, lease } = await runningJob("watched");
    await silentFor(id, 120);
    await sweepStalls(db);
    await send(`mutation ($id: ID!, $t: String!) { finishJob(id: $id, leaseToken: $t) { __typename } }`, { id, t: lease }, node.secret);
    expect((await state(id)).stalled).toBe(false);
    expect(await stalledIds(true)).toEqual([]);
    await sweepStalls(db);
    expect(await eventsOf(id, "RECOVERED")).toHaveLength(0);
  });
});

describe("stallAfterSeconds", () => {
  it("is refused unless a whole number from 1 to 86400, and no template is made", async () => {
    for (const value of [0, -5, 86_401]) {
      const answer = await template(`bad-${value}`, value);
      expect(answer, String(value)).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["stallAfterSeconds"] }] });
    }
    const wrongType = await sendText(api, `mutation { createJobTemplate(input: { name: "x", executor: { name: "p" }, stallAfterSeconds: "soon" }) { __typename } }`).catch((e: Error) => e);
    expect(String(wrongType)).toContain("GRAPHQL_VALIDATION_FAILED");
    expect(await db.jobTemplate.count({ where: { name: { startsWith: "bad-" } } })).toBe(0);
  });

  it("shows in a gauge per queue of the stalled jobs", async () => {
    const { id } = await runningJob("watched");
    await silentFor(id, 120);
    const text = await (await api.fetch("/metrics", {}, { token: null })).text();
    expect(text).toContain('jobgraph_jobs_stalled{queue="default"} 1');
    expect(encodeGlobalId("Job", uuid(id))).toBe(id);
  });
});
