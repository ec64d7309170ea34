// runWorker against a real gateway over HTTP and WebSocket: jobs get done, failures and
// cancellations reach the right place, a stopped worker gives its jobs back, a killed worker's
// job is finished by another, and a worker rides out a gateway restart.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { projectRoot } from "../../src/db/migrate.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { RetryableError, runWorker, type AbortReason, type JobAbortedError, type Worker, type WorkerTask } from "../../src/sdk/index.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode } from "../helpers/principals.js";

const CancelForSdk = graphql(`
  mutation CancelForSdk($id: ID!) { cancelJob(id: $id) { __typename } }
`);

let database: TestDatabase;
let api: TestApi;
let url: string;
const settings = { leaseSeconds: 5 };

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = (ids: string[]) => database.db.job.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, errorReason: true, attempts: true } });
const allIn = (status: string) => (jobs: Array<{ status: string }>) => jobs.every((j) => j.status === status);

async function newJobs(n: number, queue: string): Promise<string[]> {
  const template = await createTemplate(database.db, `sdk-${queue}`);
  return createJobs(database.db, template.id, n, { spec: () => ({ queue }) });
}

describe("runWorker", () => {
  const workers: Worker[] = [];
  const start = (options: Omit<Parameters<typeof runWorker>[0], "url">) => {
    const worker = runWorker({ url, pollIntervalMs: 500, ...options });
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { settings, reclaimIntervalMs: 300 });
    const address = await api.app.start(0);
    url = `http://127.0.0.1:${address.port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api.app.stop();
  });

  it("sends a job's log lines in few batches, in order, before it finishes the job", async () => {
    const [id] = await newJobs(1, "logging");
    const node = await createTestNode(database.db);
    database.counter.reset();
    start({
      token: node.secret,
      filter: { queues: ["logging"] },
      handler: async (_job, context) => {
        for (let i = 1; i <= 1200; i++) context.log(`line ${i}`, i % 100 === 0 ? "STDERR" : "STDOUT");
        context.log("two\nlines");
        await new Promise((r) => setTimeout(r, 50));
      },
    });
    await eventually(() => statusOf([id!]), allIn("SUCCEEDED"), "the job to succeed");
    const lines = await database.db.jobLogLine.findMany({ where: { jobId: id! }, orderBy: { seq: "asc" } });
    expect(lines.map((l) => l.line)).toEqual([...Array.from({ length: 1200 }, (_, i) => `line ${i + 1}`), "two", "lines"]);
    expect(lines.filter((l) => l.stream === "STDERR")).toHaveLength(12);
    // 1,202 lines in batches of at most 500 lines: a handful of requests, not one a line.
    const appends = database.counter.statements.filter((sql) => sql.includes("/* appendJobLog */")).length;
    expect(appends).toBeGreaterThanOrEqual(3);
    expect(appends).toBeLessThanOrEqual(6);
    const events = await database.db.jobEvent.count({ where: { jobId: id!, kind: { in: ["PROGRESS"] } } });
    expect(events).toBe(0);
  });

  it("does the jobs, reporting progress, uploading outputs and keeping a long job's lease", async () => {
    const ids = await newJobs(4, "done");
    const node = await createTestNode(database.db);
    const worker = start({
      token: node.secret,
      filter: { queues: ["done"] },
      concurrency: 2,
      handler: async (job, { progress, uploadOutput }) => {
        await progress(0.5, { step: "half" });
        await uploadOutput("result", "txt", new TextEncoder().encode(`job ${job.number}`));
        // Longer than the 5 s lease for one job: only renewals keep it.
        if (job.id === encodeGlobalId("Job", ids[0]!)) await new Promise((r) => setTimeout(r, 7000));
      },
    });
    await eventually(() => statusOf(ids), allIn("SUCCEEDED"), "every job to succeed", 25_000);
    await worker.stop();

    const outputs = await database.db.jobOutput.findMany({ where: { jobId: { in: ids } } });
    expect(outputs).toHaveLength(4);
    const progress = await database.db.jobEvent.count({ where: { jobId: { in: ids }, kind: "PROGRESS" } });
    expect(progress).toBe(4);
    expect(await database.db.jobEvent.count({ where: { jobId: { in: ids }, kind: "LEASE_EXPIRED" } })).toBe(0);
    expect((await statusOf(ids)).every((j) => j.attempts === 1)).toBe(true);
  }, 40_000);

  it("finishes a job as FAILED with the error its handler threw", async () => {
    const ids = await newJobs(1, "fail");
    const node = await createTestNode(database.db);
    const worker = start({ token: node.secret, filter: { queues: ["fail"] }, handler: () => Promise.reject(new Error("out of disk space")) });
    const [job] = await eventually(() => statusOf(ids), allIn("FAILED"), "the job to fail");
    await worker.stop();
    expect(job!.errorReason).toBe("out of disk space");
  });

  it("finishes a job as FAILED when its handler throws an empty value or an error longer than the gateway takes, cut and saying so", async () => {
    const ids = await newJobs(2, "fail-oddly");
    const node = await createTestNode(database.db);
    const worker = start({
      token: node.secret,
      filter: { queues: ["fail-oddly"] },
      // A handler that throws "" reported a success before the gateway took an empty error as a failure.
      handler: (job) => Promise.reject(job.id === encodeGlobalId("Job", ids[0]!) ? "" : new Error("trace ".repeat(5000))),
    });
    const jobs = await eventually(() => statusOf(ids), allIn("FAILED"), "both jobs to fail");
    await worker.stop();
    const [empty, long] = [ids[0], ids[1]].map((id) => jobs.find((j) => j.id === id)!);
    expect(empty!.errorReason).toBe("failed without a reason given");
    expect(long!.errorReason).toHaveLength(10_000 - 20 + " … (message cut)".length);
    expect(long!.errorReason).toMatch(/^trace trace .* … \(message cut\)$/);
  });

  it("takes a finish whose answer was lost, and found done when sent again, as delivered: no error reported", async () => {
    const ids = await newJobs(1, "lost-answer");
    const node = await createTestNode(database.db);
    const realFetch = globalThis.fetch;
    let dropped = 0;
    // The gateway finishes the job; its answer never arrives, as when a connection breaks.
    globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const response = await realFetch(input, init);
      if (!dropped && typeof init?.body === "string" && init.body.includes("SdkFinishJob")) {
        dropped++;
        await response.text();
        throw new TypeError("fetch failed");
      }
      return response;
    }) as typeof fetch;
    const reported: unknown[] = [];
    try {
      const worker = start({ token: node.secret, filter: { queues: ["lost-answer"] }, handler: async () => {}, onError: (error) => reported.push(error) });
      await eventually(() => statusOf(ids), allIn("SUCCEEDED"), "the job to succeed");
      await new Promise((r) => setTimeout(r, 1500));
      await worker.stop();
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(dropped).toBe(1);
    // The lost answer is reported (a network error); the retry that found the job done is not.
    expect(reported.map((error) => (error as Error).constructor.name)).not.toContain("RefusedError");
    expect((await statusOf(ids))[0]).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
  });

  it("gives a job another attempt after its backoff when its handler throws a RetryableError", async () => {
    const [id] = await newJobs(1, "retryable");
    await database.db.job.update({ where: { id: id! }, data: { retryBackoffBaseSeconds: 0.2, retryJitter: 0 } });
    const node = await createTestNode(database.db);
    const seen: number[] = [];
    const worker = start({
      token: node.secret,
      filter: { queues: ["retryable"] },
      pollIntervalMs: 100,
      handler: (job) => {
        seen.push(job.attemptCount);
        if (job.attemptCount < 3) throw new RetryableError(`busy on attempt ${job.attemptCount}`);
      },
    });
    const [job] = await eventually(() => statusOf([id!]), allIn("SUCCEEDED"), "the job to succeed on its third attempt");
    await worker.stop();
    expect(seen).toEqual([1, 2, 3]);
    expect(job!.attempts).toBe(3);
    const attempts = await database.db.jobAttempt.findMany({ where: { jobId: id! }, orderBy: { number: "asc" } });
    expect(attempts.map((a) => [a.outcome, a.error, a.retryable])).toEqual([
      ["FAILED", "busy on attempt 1", true],
      ["FAILED", "busy on attempt 2", true],
      ["SUCCEEDED", null, null],
    ]);
  });

  it("tells the handler when its attempt's time limit passes, and leaves the job to the gateway", async () => {
    const [id] = await newJobs(1, "time-limit");
    await database.db.job.update({ where: { id: id! }, data: { timeLimitSeconds: 1, maxAttempts: 1 } });
    const node = await createTestNode(database.db);
    const reasons: AbortReason[] = [];
    const worker = start({
      token: node.secret,
      filter: { queues: ["time-limit"] },
      handler: (_job, { signal }) =>
        new Promise<void>((resolve) => signal.addEventListener("abort", () => (reasons.push((signal.reason as JobAbortedError).reason), resolve()))),
    });
    const [job] = await eventually(() => statusOf([id!]), allIn("FAILED"), "the job to time out");
    await worker.stop();
    expect(reasons).toEqual(["timed-out"]);
    expect(job!.errorReason).toBe("timed out: attempt 1 ran past the time limit of 1 s");
    expect(await database.db.jobAttempt.findMany({ where: { jobId: id! } })).toMatchObject([{ outcome: "TIMED_OUT" }]);
  });

  it("finishes a job whose handler returned with its tasks unfinished as FAILED, saying so, at once", async () => {
    const [id] = await newJobs(1, "tasks-left");
    await database.db.task.create({ data: { jobId: id!, name: "never started", qsequence: 0 } });
    const node = await createTestNode(database.db);
    const worker = start({ token: node.secret, filter: { queues: ["tasks-left"] }, handler: async () => {} });
    const [job] = await eventually(() => statusOf([id!]), allIn("FAILED"), "the job to fail");
    await worker.stop();
    expect(job).toMatchObject({
      attempts: 1,
      errorReason:
        "the handler returned, but cannot finish the job as SUCCEEDED while a task is unfinished: never started; finish it first, or finish the job with an error",
    });
  });

  it("lets the handler run the job's tasks stage by stage, retrying a failed one while it has attempts", async () => {
    const [id] = await newJobs(1, "staged");
    await database.db.task.createMany({
      data: [
        { jobId: id!, name: "prepare", qsequence: 0, sequence: 0 },
        { jobId: id!, name: "flaky", qsequence: 1, sequence: 1, maxAttempts: 2 },
        { jobId: id!, name: "merge", qsequence: 2, sequence: 2 },
      ],
    });
    const node = await createTestNode(database.db);
    const seen: string[] = [];
    let refused = "";
    const worker = start({
      token: node.secret,
      filter: { queues: ["staged"] },
      handler: async (_job, { tasks, startTask, taskProgress, finishTask }) => {
        const list = await tasks();
        seen.push(...list.map((t) => `${t.name}:${t.status}`));
        const [prepare, flaky, merge] = list as [typeof list[0], typeof list[0], typeof list[0]];
        await startTask(prepare.id).then(() => taskProgress(prepare.id, 0.5));
        // A later stage waits for the earlier one: refused, saying why.
        await startTask(merge.id).catch((error: Error) => (refused = error.message));
        await finishTask(prepare.id, { success: true, output: "prepared" });
        await startTask(flaky.id);
        expect(await finishTask(flaky.id, { success: false })).toMatchObject({ status: "QUEUED", attempts: 1 });
        expect(await startTask(flaky.id)).toMatchObject({ status: "RUNNING", attempts: 2 });
        await finishTask(flaky.id, { success: true });
        await startTask(merge.id);
        await finishTask(merge.id, { success: true });
      },
    });
    const [job] = await eventually(() => statusOf([id!]), allIn("SUCCEEDED"), "the job to succeed");
    await worker.stop();
    expect(job!.attempts).toBe(1);
    expect(seen).toEqual(["prepare:QUEUED", "flaky:QUEUED", "merge:QUEUED"]);
    expect(refused).toBe("InvalidTransitionError: tasks of a lower sequence have not succeeded yet: prepare, flaky");
    expect(await database.db.task.findMany({ where: { jobId: id! }, orderBy: { qsequence: "asc" }, select: { status: true, attempts: true } })).toEqual([
      { status: "SUCCEEDED", attempts: 1 },
      { status: "SUCCEEDED", attempts: 2 },
      { status: "SUCCEEDED", attempts: 1 },
    ]);
  });

  it("sends the task calls a handler makes together in one request, each answered on its own, and the tasks with startJob", async () => {
    const [id] = await newJobs(1, "together");
    await database.db.task.createMany({
      data: [
        { jobId: id!, name: "left", qsequence: 0, sequence: 0 },
        { jobId: id!, name: "right", qsequence: 1, sequence: 0 },
        { jobId: id!, name: "join", qsequence: 2, sequence: 1 },
      ],
    });
    const node = await createTestNode(database.db);
    const sent: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (typeof init?.body === "string") sent.push(init.body);
      return original(input, init);
    }) as typeof fetch;
    const seen: unknown[] = [];
    try {
      const worker = start({
        token: node.secret,
        filter: { queues: ["together"] },
        handler: async (_job, { tasks, startTask, taskProgress, finishTask, progress }) => {
          const [left, right, join] = (await tasks()) as [WorkerTask, WorkerTask, WorkerTask];
          seen.push((await Promise.allSettled([startTask(left.id), startTask(right.id), startTask(join.id)])).map((r) => (r.status === "fulfilled" ? r.value.status : (r.reason as Error).message)));
          seen.push((await Promise.all([taskProgress(left.id, 0.5), taskProgress(right.id, 0.5)])).map((t) => t.progress));
          // The job's progress rides with the stage's last finishes, and is run after them.
          const [l, r] = await Promise.all([finishTask(left.id, { success: true }), finishTask(right.id, { success: true }), progress(0.5)]);
          seen.push([l.status, r.status]);
          await startTask(join.id);
          await finishTask(join.id, { success: true });
          seen.push((await tasks()).map((t) => t.status));
        },
      });
      await eventually(() => statusOf([id!]), allIn("SUCCEEDED"), "the job to succeed");
      await worker.stop();
    } finally {
      globalThis.fetch = original;
    }
    expect(seen).toEqual([
      ["RUNNING", "RUNNING", "InvalidTransitionError: tasks of a lower sequence have not succeeded yet: left, right"],
      [0.5, 0.5],
      ["SUCCEEDED", "SUCCEEDED"],
      ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"],
    ]);
    // The job's own requests (renewals aside, which a slow machine may add): startJob with its
    // tasks, the three starts, the two reports, the two finishes with the job's progress, the last
    // task's start and finish, the second tasks() and finishJob.
    const jobId = encodeGlobalId("Job", id!);
    const tasks = await database.db.task.findMany({ where: { jobId: id! }, select: { id: true } });
    const ofJob = sent.filter((body) => !body.includes("SdkRenewJobLease") && [jobId, ...tasks.map((t) => encodeGlobalId("Task", t.id))].some((ref) => body.includes(ref)));
    expect(ofJob.map((body) => (JSON.parse(body) as { query: string }).query.match(/(?:mutation|query) (\w+)/)![1])).toEqual([
      "SdkStartJob",
      "SdkBatch",
      "SdkBatch",
      "SdkBatch",
      "SdkStartTask",
      "SdkFinishTask",
      "SdkJobTasks",
      "SdkFinishJob",
    ]);
    const progressEvents = await database.pool.query<{ kind: string }>(
      "select kind from job_events where job_id = $1::uuid and kind in ('PROGRESS', 'TASK_FINISHED') order by id",
      [id!],
    );
    expect(progressEvents.rows.map((r) => r.kind)).toEqual(["TASK_FINISHED", "TASK_FINISHED", "PROGRESS", "TASK_FINISHED"]);
  });

  it("lists every task of a job of more than a page, the first page from startJob's answer", async () => {
    const [id] = await newJobs(1, "many-tasks");
    await database.db.task.createMany({ data: Array.from({ length: 130 }, (_, i) => ({ jobId: id!, name: `t${i}`, qsequence: i, sequence: 0 })) });
    const node = await createTestNode(database.db);
    let names: string[] = [];
    const worker = start({
      token: node.secret,
      filter: { queues: ["many-tasks"] },
      handler: async (_job, { tasks, startTask, finishTask }) => {
        const list = await tasks();
        names = list.map((t) => t.name);
        for (const task of list) await startTask(task.id).then(() => finishTask(task.id, { success: true }));
      },
    });
    await eventually(() => statusOf([id!]), allIn("SUCCEEDED"), "the job to succeed", 60_000);
    await worker.stop();
    expect(names).toEqual(Array.from({ length: 130 }, (_, i) => `t${i}`));
  }, 90_000);

  it("tells the handler when its job is cancelled, and goes on to the next", async () => {
    const [first, second] = (await newJobs(2, "cancel")) as [string, string];
    const node = await createTestNode(database.db);
    const reasons: AbortReason[] = [];
    const worker = start({
      token: node.secret,
      filter: { queues: ["cancel"] },
      handler: (job, { signal }) =>
        job.id === encodeGlobalId("Job", first)
          ? new Promise<void>((resolve) => signal.addEventListener("abort", () => (reasons.push((signal.reason as JobAbortedError).reason), resolve())))
          : undefined,
    });
    await eventually(() => statusOf([first]), allIn("RUNNING"), "the first job to run");
    expect((await api.query(CancelForSdk, { id: encodeGlobalId("Job", first) })).cancelJob.__typename).toBe("JobPayload");
    await eventually(async () => reasons, (r) => r.length === 1, "the handler to see the cancellation", 5000);
    expect(reasons).toEqual(["cancelled"]);
    await eventually(() => statusOf([second]), allIn("SUCCEEDED"), "the second job to succeed");
    await worker.stop();
    expect((await statusOf([first]))[0]!.status).toBe("CANCELLED");
  });

  it("gives its jobs back when stopped", async () => {
    const ids = await newJobs(1, "stop");
    const node = await createTestNode(database.db);
    let reason: AbortReason | undefined;
    let running = false;
    const worker = start({
      token: node.secret,
      filter: { queues: ["stop"] },
      handler: (_job, { signal }) => {
        running = true;
        return new Promise<void>((resolve) => signal.addEventListener("abort", () => ((reason = (signal.reason as JobAbortedError).reason), resolve())));
      },
    });
    // The handler itself, not the job's status: the job is RUNNING before startJob's answer is back.
    await eventually(async () => running, Boolean, "the handler to run");
    await worker.stop();
    expect(reason).toBe("shutdown");
    expect(await statusOf(ids)).toMatchObject([{ status: "QUEUED" }]);
    expect(await database.db.jobEvent.count({ where: { jobId: ids[0], kind: "RELEASED" } })).toBe(1);
  });

  it("runs no handler for a job it was stopped from while starting it, and gives the job back", async () => {
    const ids = await newJobs(1, "stop-while-starting");
    const node = await createTestNode(database.db);
    // A proxy in front of the gateway holds back startJob's answer until the worker is stopped.
    const gateway = new URL(url);
    let startAsked!: () => void;
    const asked = new Promise<void>((resolve) => (startAsked = resolve));
    let releaseStart!: () => void;
    const held = new Promise<void>((resolve) => (releaseStart = resolve));
    const proxy = http.createServer((request, response) => {
      const body: Buffer[] = [];
      request.on("data", (piece: Buffer) => body.push(piece));
      request.on("end", () => {
        const text = Buffer.concat(body);
        const starting = text.includes("startJob(");
        const forward = http.request({ host: gateway.hostname, port: gateway.port, path: request.url, method: request.method, headers: request.headers }, async (answer) => {
          if (starting) {
            startAsked();
            await held;
          }
          response.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(response);
        });
        forward.end(text);
      });
    });
    // Subscriptions (graphql-ws) go through untouched.
    proxy.on("upgrade", (request, socket, head) => {
      const upstream = net.connect(Number(gateway.port), gateway.hostname, () => {
        upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`);
        upstream.write(head);
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      let handled = 0;
      const worker = runWorker({
        url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/graphql`,
        token: node.secret,
        pollIntervalMs: 500,
        filter: { queues: ["stop-while-starting"] },
        handler: () => void handled++,
      });
      await asked;
      const stopped = worker.stop();
      releaseStart();
      await stopped;
      expect(handled).toBe(0);
      expect(await statusOf(ids)).toMatchObject([{ status: "QUEUED" }]);
      expect(await database.db.jobEvent.count({ where: { jobId: ids[0], kind: "RELEASED" } })).toBe(1);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("finishes the job of a worker that was killed, once its lease has run out", async () => {
    const ids = await newJobs(1, "killed");
    const dying = await createTestNode(database.db);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "test", "sdk", "worker-process.ts"), url, dying.secret, "killed"], { cwd: projectRoot });
    let output = "";
    child.stdout.on("data", (piece: Buffer) => (output += piece.toString()));
    await eventually(async () => output, (o) => o.includes("working on"), "the child worker to take the job", 20_000);
    child.kill("SIGKILL");

    const survivor = await createTestNode(database.db);
    const worker = start({ token: survivor.secret, filter: { queues: ["killed"] }, handler: () => undefined });
    const [job] = await eventually(() => statusOf(ids), allIn("SUCCEEDED"), "the job to be finished by the other worker", 20_000);
    await worker.stop();
    expect(job!.attempts).toBe(2);
    expect(await database.db.jobEvent.count({ where: { jobId: ids[0], kind: "LEASE_EXPIRED" } })).toBe(1);
    const finisher = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: ids[0], kind: "SUCCEEDED" } });
    expect(finisher.actorNodeId).toBe(survivor.id);
  }, 45_000);

  it("keeps going through a gateway restart", async () => {
    const node = await createTestNode(database.db);
    // A gateway of its own on a fixed port, so that its successor listens where it did.
    const first: App = buildApp({ db: database.db, databaseUrl: database.url, directDatabaseUrl: database.directUrl, settings: { maxPageSize: 100, defaultPageSize: 20, ...settings } });
    const { port } = await first.start(0);
    const worker = runWorker({ url: `http://127.0.0.1:${port}/graphql`, token: node.secret, filter: { queues: ["restart"] }, pollIntervalMs: 300, handler: () => undefined });
    workers.push(worker);
    await first.stop();

    const ids = await newJobs(1, "restart");
    const db = createDb({ url: database.url, pooled: database.pooled });
    const second = buildApp({ db, databaseUrl: database.url, directDatabaseUrl: database.directUrl, settings: { maxPageSize: 100, defaultPageSize: 20, ...settings } });
    await second.start(port);
    try {
      await eventually(() => statusOf(ids), allIn("SUCCEEDED"), "the job to be done after the restart", 30_000);
    } finally {
      await worker.stop();
      await second.stop();
      await db.$disconnect();
    }
  }, 45_000);
});
