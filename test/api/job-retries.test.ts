// Retry policies for jobs: a template sets maxAttempts, backoff (base, cap, jitter) and which
// failures are retried; a job may ask for its own within that. A worker's finishJob(error,
// retryable) and an expired lease lead to another attempt after the backoff while the policy
// allows; every attempt is kept and readable as job.attempts.
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { reclaimExpiredLeases } from "../../src/domain/claiming.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

let database: TestDatabase;
let api: TestApi;
let alice: TestUser;
let node: TestNode;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

const ATTEMPTS = `attempts { number node { name } startTime endTime outcome error retryable retryAt }`;
const JOB = `id status attemptCount maxAttempts runAfter errorReason node { name } retryPolicy { maxAttempts backoffBaseSeconds backoffCapSeconds jitter retryOn } ${ATTEMPTS}`;

async function template(name: string, policy?: Record<string, unknown>) {
  const answer = await send(
    `mutation ($input: CreateJobTemplateInput!) { createJobTemplate(input: $input) { __typename
       ... on JobTemplatePayload { jobTemplate { name maxAttemptsLimit retryPolicy { maxAttempts backoffBaseSeconds backoffCapSeconds jitter retryOn } } }
       ... on ValidationError { fieldErrors { path message } } } }`,
    { input: { name, executor: { name: "python" }, ...(policy ? { retryPolicy: policy } : {}) } },
    alice.secret,
  );
  return answer.createJobTemplate!;
}

async function create(input: Record<string, unknown>) {
  const answer = await send(
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename
       ... on CreateJobPayload { job { ${JOB} } }
       ... on ValidationError { fieldErrors { path message } } } }`,
    { input },
    alice.secret,
  );
  return answer.createJob!;
}

async function jobOf(id: string) {
  const answer = await send(`query ($id: ID!) { job(id: $id) { ${JOB} } }`, { id }, alice.secret);
  return answer.job as unknown as Record<string, unknown> & { attempts: Array<Record<string, unknown>>; runAfter: string };
}

/** Acquires (now, whatever its runAfter) and starts the job as `node`; returns the lease. */
async function takeAndStart(id: string): Promise<string> {
  await database.db.job.update({ where: { id: decodeGlobalId(id).id }, data: { runAfter: new Date(Date.now() - 1000) } });
  const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } ... on Error { message } } }`, { id }, node.secret);
  const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
  const started = await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id, lease }, node.secret);
  expect(started.startJob!.__typename).toBe("LeasePayload");
  return lease;
}

async function finish(id: string, lease: string, args: string) {
  const answer = await send(
    `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease${args}) { __typename ... on JobPayload { job { status } } ... on Error { message } } }`,
    { id, lease },
    node.secret,
  );
  return answer.finishJob!;
}

async function kinds(id: string): Promise<string[]> {
  return (await database.db.jobEvent.findMany({ where: { jobId: decodeGlobalId(id).id }, orderBy: { id: "asc" } })).map((e) => e.kind);
}

/** Seconds from now until `at`. */
const secondsUntil = (at: string) => (new Date(at).getTime() - Date.now()) / 1000;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  alice = await createTestUser(database.db, "USER", "alice");
  node = await createTestNode(database.db, "worker-1");
  await template("plain");
  await template("patient", { maxAttempts: 4, maxAttemptsLimit: 6, backoffBaseSeconds: 60, backoffCapSeconds: 100, jitter: 0, retryOn: ["ERROR", "LEASE_EXPIRED"] });
});

describe("a retry policy", () => {
  it("has defaults: 3 attempts (up to 100 on request), 5 s base, 3600 s cap, jitter 0.2, every failure retried", async () => {
    const created = await create({ templateName: "plain" });
    expect(created).toMatchObject({
      job: { maxAttempts: 3, attemptCount: 0, attempts: [], retryPolicy: { maxAttempts: 3, backoffBaseSeconds: 5, backoffCapSeconds: 3600, jitter: 0.2, retryOn: ["ERROR", "LEASE_EXPIRED", "TIMED_OUT"] } },
    });
    expect(await template("plain")).toMatchObject({ jobTemplate: { maxAttemptsLimit: 100 } });
  });

  it("comes from the template, and a job may ask for its own within it", async () => {
    expect(await create({ templateName: "patient" })).toMatchObject({
      job: { retryPolicy: { maxAttempts: 4, backoffBaseSeconds: 60, backoffCapSeconds: 100, jitter: 0, retryOn: ["ERROR", "LEASE_EXPIRED"] } },
    });
    expect(await create({ templateName: "patient", retryPolicy: { maxAttempts: 6, backoffBaseSeconds: 1, backoffCapSeconds: 2, jitter: 0.5, retryOn: ["LEASE_EXPIRED"] } })).toMatchObject({
      job: { maxAttempts: 6, retryPolicy: { maxAttempts: 6, backoffBaseSeconds: 1, backoffCapSeconds: 2, jitter: 0.5, retryOn: ["LEASE_EXPIRED"] } },
    });
    expect(await create({ templateName: "patient", maxAttempts: 2 })).toMatchObject({ job: { maxAttempts: 2, retryPolicy: { maxAttempts: 2 } } });
  });

  it("refuses what the template does not allow, naming each value, and writes nothing", async () => {
    const before = await database.db.job.count();
    const refused = await create({
      templateName: "patient",
      retryPolicy: { maxAttempts: 7, backoffBaseSeconds: -1, backoffCapSeconds: 101, jitter: 1.5, retryOn: ["TIMED_OUT"] },
    });
    expect(refused.__typename).toBe("ValidationError");
    expect((refused.fieldErrors as Array<{ path: string[]; message: string }>).map((e) => `${e.path.join(".")}: ${e.message}`)).toEqual([
      "retryPolicy.maxAttempts: must be an integer from 1 to 6, the most the template allows",
      "retryPolicy.backoffBaseSeconds: must be a number from 0 to 86400",
      "retryPolicy.backoffCapSeconds: must be a number from 0 to 100",
      "retryPolicy.jitter: must be a number from 0 to 1",
      "retryPolicy.retryOn: the template does not retry TIMED_OUT",
    ]);
    expect(await create({ templateName: "patient", maxAttempts: 7 })).toMatchObject({
      fieldErrors: [{ path: ["maxAttempts"], message: "must be at most 6, the most the template allows" }],
    });
    expect(await create({ templateName: "patient", maxAttempts: 2, retryPolicy: { maxAttempts: 3 } })).toMatchObject({
      fieldErrors: [{ path: ["maxAttempts"], message: "differs from retryPolicy.maxAttempts: give one" }],
    });
    expect(await create({ templateName: "plain", retryPolicy: { backoffBaseSeconds: 10, backoffCapSeconds: 5 } })).toMatchObject({
      fieldErrors: [{ path: ["retryPolicy", "backoffCapSeconds"], message: "must be at least the base (10 s)" }],
    });
    expect(await database.db.job.count()).toBe(before);
  });

  it("is checked on the template too", async () => {
    const refused = await template("bad-policy", { maxAttempts: 5, maxAttemptsLimit: 4, jitter: -0.1, backoffCapSeconds: 90000 });
    expect((refused.fieldErrors as Array<{ path: string[]; message: string }>).map((e) => `${e.path.join(".")}: ${e.message}`)).toEqual([
      "retryPolicy.maxAttempts: must be an integer from 1 to 4, the most the template allows",
      "retryPolicy.backoffCapSeconds: must be a number from 0 to 86400",
      "retryPolicy.jitter: must be a number from 0 to 1",
    ]);
    expect(await database.db.jobTemplate.count({ where: { name: "bad-policy" } })).toBe(0);
  });
});

describe("a retryable failure", () => {
  it("queues the job again after the backoff, doubling up to the cap, until the last attempt fails it", async () => {
    const { job } = (await create({ templateName: "patient", retryPolicy: { maxAttempts: 3, backoffBaseSeconds: 60, backoffCapSeconds: 100 } })) as unknown as { job: { id: string } };
    const task = await database.db.task.create({ data: { jobId: decodeGlobalId(job.id).id, name: "t", qsequence: 0 } });

    const first = await takeAndStart(job.id);
    expect(await finish(job.id, first, `, error: "the service was busy", retryable: true`)).toMatchObject({ __typename: "JobPayload", job: { status: "QUEUED" } });
    let seen = await jobOf(job.id);
    expect(seen).toMatchObject({ status: "QUEUED", attemptCount: 1, errorReason: null, node: null });
    // The first retry waits the base (no jitter here), measured from the real clock.
    expect(secondsUntil(seen.runAfter)).toBeGreaterThan(55);
    expect(secondsUntil(seen.runAfter)).toBeLessThanOrEqual(60);
    expect(seen.attempts).toEqual([
      {
        number: 1,
        node: { name: "worker-1" },
        startTime: expect.any(String),
        endTime: expect.any(String),
        outcome: "FAILED",
        error: "the service was busy",
        retryable: true,
        retryAt: seen.runAfter,
      },
    ]);
    // It is not handed out again before its time.
    const early = await send(`mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on Error { message } } }`, { id: job.id }, node.secret);
    expect(early.acquireJob).toMatchObject({ __typename: "InvalidTransitionError", message: `the job may not be acquired before ${seen.runAfter}` });
    // The old lease is no longer any good.
    expect(await finish(job.id, first, "")).toMatchObject({ __typename: "LeaseLostError" });

    const second = await takeAndStart(job.id);
    await database.db.task.update({ where: { id: task.id }, data: { status: "RUNNING", startTime: new Date(), attempts: 1 } });
    expect(await finish(job.id, second, `, error: "busy again", retryable: true`)).toMatchObject({ job: { status: "QUEUED" } });
    seen = await jobOf(job.id);
    // 60 × 2 = 120, capped at 100.
    expect(secondsUntil(seen.runAfter)).toBeGreaterThan(95);
    expect(secondsUntil(seen.runAfter)).toBeLessThanOrEqual(100);
    // Its running task went back to the queue with it, for the next attempt.
    expect(await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ status: "QUEUED", attempts: 0 });

    const third = await takeAndStart(job.id);
    expect(await finish(job.id, third, `, error: "still busy", retryable: true`)).toMatchObject({ job: { status: "FAILED" } });
    seen = await jobOf(job.id);
    expect(seen).toMatchObject({ status: "FAILED", attemptCount: 3, errorReason: "still busy", node: { name: "worker-1" } });
    expect(seen.attempts.map((a) => [a.number, a.outcome, a.error, a.retryable, a.retryAt === null])).toEqual([
      [1, "FAILED", "the service was busy", true, false],
      [2, "FAILED", "busy again", true, false],
      [3, "FAILED", "still busy", true, true],
    ]);
    expect((await kinds(job.id)).filter((k) => ["ACQUIRED", "ATTEMPT_FAILED", "FAILED"].includes(k))).toEqual([
      "ACQUIRED",
      "ATTEMPT_FAILED",
      "ACQUIRED",
      "ATTEMPT_FAILED",
      "ACQUIRED",
      "FAILED",
    ]);
    const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: decodeGlobalId(job.id).id, kind: "ATTEMPT_FAILED" }, orderBy: { id: "asc" } });
    expect(event).toMatchObject({ fromStatus: "RUNNING", toStatus: "QUEUED", detail: { error: "the service was busy", retryable: true, attempts: 1, retryAfter: expect.any(String) } });
  });

  it("takes up to `jitter` of the backoff off at random", async () => {
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { job } = (await create({ templateName: "plain", retryPolicy: { backoffBaseSeconds: 1000, backoffCapSeconds: 1000, jitter: 1 } })) as unknown as { job: { id: string } };
      const lease = await takeAndStart(job.id);
      await finish(job.id, lease, `, error: "flaky", retryable: true`);
      waits.push(secondsUntil((await jobOf(job.id)).runAfter));
    }
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(-1);
      expect(wait).toBeLessThanOrEqual(1000);
    }
    // Eight equal waits would mean no jitter at all.
    expect(new Set(waits.map((w) => Math.round(w))).size).toBeGreaterThan(1);
  });

  it("fails the job at once when the node does not call it retryable, or the policy does not retry errors", async () => {
    const plain = (await create({ templateName: "plain" })) as unknown as { job: { id: string } };
    expect(await finish(plain.job.id, await takeAndStart(plain.job.id), `, error: "bad input"`)).toMatchObject({ job: { status: "FAILED" } });
    expect((await jobOf(plain.job.id)).attempts).toMatchObject([{ outcome: "FAILED", error: "bad input", retryable: false, retryAt: null }]);

    const noErrors = (await create({ templateName: "patient", retryPolicy: { retryOn: ["LEASE_EXPIRED"] } })) as unknown as { job: { id: string } };
    expect(await finish(noErrors.job.id, await takeAndStart(noErrors.job.id), `, error: "flaky", retryable: true`)).toMatchObject({ job: { status: "FAILED" } });
  });

  it("fails the job for an error given empty or blank (a handler that threw \"\"), with a reason that says so", async () => {
    for (const error of ["", "   "]) {
      const { job } = (await create({ templateName: "plain" })) as unknown as { job: { id: string } };
      expect(await finish(job.id, await takeAndStart(job.id), `, error: ${JSON.stringify(error)}`)).toMatchObject({ job: { status: "FAILED" } });
      expect(await jobOf(job.id)).toMatchObject({ status: "FAILED", attempts: [{ outcome: "FAILED", error: "failed without a reason given" }] });
    }
    const patient = (await create({ templateName: "patient" })) as unknown as { job: { id: string } };
    expect(await finish(patient.job.id, await takeAndStart(patient.job.id), `, error: "", retryable: true`)).toMatchObject({ job: { status: "QUEUED" } });
  });

  it("needs an error", async () => {
    const { job } = (await create({ templateName: "plain" })) as unknown as { job: { id: string } };
    const lease = await takeAndStart(job.id);
    expect(await finish(job.id, lease, ", retryable: true")).toMatchObject({ __typename: "ValidationError" });
    expect((await jobOf(job.id)).status).toBe("RUNNING");
  });
});

describe("an expired lease", () => {
  it("is retried after the backoff while the policy retries it, and kept as the attempt's end", async () => {
    const { job } = (await create({ templateName: "patient" })) as unknown as { job: { id: string } };
    await takeAndStart(job.id);
    await reclaimExpiredLeases(database.db, new Date(Date.now() + 3_600_000));
    const seen = await jobOf(job.id);
    expect(seen).toMatchObject({ status: "QUEUED", attemptCount: 1 });
    expect(secondsUntil(seen.runAfter)).toBeGreaterThan(55);
    expect(seen.attempts).toMatchObject([{ number: 1, outcome: "LEASE_EXPIRED", error: "the lease expired", retryable: null, retryAt: seen.runAfter }]);
  });

  it("fails the job when the policy does not retry it", async () => {
    const { job } = (await create({ templateName: "patient", retryPolicy: { retryOn: ["ERROR"] } })) as unknown as { job: { id: string } };
    await takeAndStart(job.id);
    await reclaimExpiredLeases(database.db, new Date(Date.now() + 3_600_000));
    expect(await jobOf(job.id)).toMatchObject({ status: "FAILED", errorReason: "lease expired after 1 attempts", attempts: [{ outcome: "LEASE_EXPIRED", retryAt: null }] });
  });
});

describe("the attempts of a job", () => {
  it("record every way an attempt ends, and go on counting across a reset", async () => {
    const admin = api.admin.secret;
    const { job } = (await create({ templateName: "plain", retryPolicy: { maxAttempts: 10 } })) as unknown as { job: { id: string } };
    const released = await takeAndStart(job.id);
    await send(`mutation ($id: ID!, $lease: String!) { releaseJob(id: $id, leaseToken: $lease) { __typename } }`, { id: job.id, lease: released }, node.secret);
    await takeAndStart(job.id);
    await send(`mutation ($id: ID!) { abortJob(id: $id) { __typename } }`, { id: job.id }, admin);
    await takeAndStart(job.id);
    await send(`mutation ($id: ID!) { resetJob(id: $id) { __typename } }`, { id: job.id }, alice.secret);
    expect(await jobOf(job.id)).toMatchObject({ attemptCount: 0 });
    await takeAndStart(job.id);
    await send(`mutation ($id: ID!) { cancelJob(id: $id, reason: "not needed") { __typename } }`, { id: job.id }, alice.secret);
    const seen = await jobOf(job.id);
    expect(seen).toMatchObject({ status: "CANCELLED", attemptCount: 1 });
    expect(seen.attempts.map((a) => [a.number, a.outcome, a.error])).toEqual([
      [1, "RELEASED", null],
      [2, "ABORTED", null],
      [3, "RESET", null],
      [4, "CANCELLED", "not needed"],
    ]);
    for (const attempt of seen.attempts) expect(new Date(attempt.endTime as string).getTime()).toBeGreaterThanOrEqual(new Date(attempt.startTime as string).getTime());
  });

  it("shows the attempt under way without an end, and a success", async () => {
    const { job } = (await create({ templateName: "plain" })) as unknown as { job: { id: string } };
    const lease = await takeAndStart(job.id);
    expect((await jobOf(job.id)).attempts).toMatchObject([{ number: 1, outcome: null, endTime: null, node: { name: "worker-1" } }]);
    await finish(job.id, lease, "");
    expect((await jobOf(job.id)).attempts).toMatchObject([{ number: 1, outcome: "SUCCEEDED", error: null, retryAt: null }]);
  });

});

describe("a job's attempts, when resets have kept many", () => {
  let database: TestDatabase;
  let api: TestApi;
  let jobId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "many-attempts");
    jobId = (await createJobs(database.db, template.id, 1, { spec: () => ({ queue: "many-attempts" }) }))[0]!;
    await database.pool.query(
      `insert into job_attempts (job_id, number, lease_token, outcome, end_time) select $1::uuid, n, gen_random_uuid(), 'FAILED', now() from generate_series(1, 25) n`,
      [jobId],
    );
  });

  const attempts = (last?: number) =>
    api.request(parse(`query($id: ID!, $last: Int) { job(id: $id) { attempts(last: $last) { number } } }`) as never, { id: encodeGlobalId("Job", jobId), ...(last === undefined ? {} : { last }) });

  it("lists the latest, a page's size unless asked, oldest first", async () => {
    const numbers = async (last?: number) => ((await attempts(last)).data as { job: { attempts: Array<{ number: number }> } }).job.attempts.map((a) => a.number);
    expect(await numbers()).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
    expect(await numbers(3)).toEqual([23, 24, 25]);
    expect(await numbers(100)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    for (const [last, code] of [[101, "PAGE_SIZE_EXCEEDED"], [-1, "INVALID_PAGE_SIZE"]] as const) {
      expect((await attempts(last)).errors?.[0]?.extensions?.code).toBe(code);
    }
  });

  it("costs as many rows as it may return", async () => {
    // 100 jobs with 100 attempts each, a node for each: 30,301, over the limit; 50 numbers each, within it.
    const over = await api.request(parse(`{ jobs(first: 100) { edges { node { attempts(last: 100) { number node { name } } } } } }`) as never);
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COSTLY", cost: 30301 });
    const within = await api.request(parse(`{ jobs(first: 100) { edges { node { attempts(last: 50) { number } } } } }`) as never);
    expect(within.errors).toBeUndefined();
  });
});
