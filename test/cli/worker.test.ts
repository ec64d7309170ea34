// `jobgraph worker --exec`: a worker node that runs a shell command per job, with the job in the
// command's environment, its printed progress reported, the files it leaves uploaded, its exit
// code deciding the outcome, and cancellation or a stop ending it.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reclaimExpiredLeases } from "../../src/domain/claiming.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { sendText } from "../helpers/api.js";
import { createTestNode } from "../helpers/principals.js";
import { cli, eventually, startCli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let admin: Record<string, string>;
const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-cli-worker-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeAll(async () => {
  gateway = await startGateway();
  admin = { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret };
  await gateway.database.db.jobTemplate.create({
    data: {
      name: "cli-work",
      version: 1,
      executorName: "sh",
      inputs: [
        { name: "dataset", types: ["string"], required: true, help: "" },
        { name: "config", types: ["json"], required: false, help: "" },
      ],
      parameters: [
        { name: "epochs", types: ["int"], required: false, default: 10, help: "" },
        { name: "learning-rate", types: ["float"], required: false, help: "" },
      ],
    },
  });
  await gateway.database.db.jobTemplate.create({
    data: { name: "cli-consume", version: 1, executorName: "sh", inputs: [{ name: "model", types: ["output"], required: true, help: "" }] },
  });
});

/** Starts a worker for one queue, as a node; the env adds to the worker's environment. */
async function worker(queue: string, command: string, env: Record<string, string> = {}) {
  const node = await createTestNode(gateway.database.db);
  const running = startCli(["worker", "--queue", queue, "--exec", command], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: node.secret, ...env });
  await running.waitFor(/taking jobs/);
  return running;
}

/** Creates a job through the CLI; returns its number. */
async function createJob(queue: string, ...args: string[]): Promise<number> {
  const { code, stdout, stderr } = await cli(["jobs", "create", "--template", "cli-work", "--queue", queue, "--input", "dataset=s3://cats", ...args], admin);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return Number(/#(\d+)/.exec(stdout)![1]);
}

const jobOf = (number: number) => gateway.database.db.job.findUniqueOrThrow({ where: { number: BigInt(number) } });
const until = (number: number, status: string, timeoutMs?: number) => eventually(() => jobOf(number), (job) => job.status === status, `job #${number} to be ${status}`, timeoutMs);

describe("jobgraph worker --exec", () => {
  it("runs the command with the job in its environment, reports its progress and uploads its output files", async () => {
    const running = await worker(
      "env",
      [
        'echo "progress 0.5 halfway"',
        'printf "%s\\n" "$JOBGRAPH_JOB_ID" "$JOBGRAPH_JOB_NUMBER" "$JOBGRAPH_JOB_NAME" "$JOBGRAPH_QUEUE" "$JOBGRAPH_INPUT_DATASET" ' +
          '"$JOBGRAPH_INPUT_CONFIG" "$JOBGRAPH_PARAM_EPOCHS" "$JOBGRAPH_PARAM_LEARNING_RATE" "$JOBGRAPH_INPUTS_JSON" "${JOBGRAPH_TOKEN:-no token}" > "$JOBGRAPH_OUTPUT_DIR/env.txt"',
        'echo "just a line"',
        'echo notes > "$JOBGRAPH_OUTPUT_DIR/notes"',
      ].join("\n"),
    );
    const number = await createJob("env", "--input", 'config={"lr": 0.1}', "--param", "learning-rate=0.01", "--name", "env job");
    const job = await until(number, "SUCCEEDED");

    const response = await gateway.api.fetch(`/jobs/${number}/outputs/env/txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const [id, jobNumber, name, queue, dataset, config, epochs, rate, inputs, token] = (await response.text()).trimEnd().split("\n");
    expect({ jobNumber, name, queue, dataset, config, epochs, rate, token }).toEqual({
      jobNumber: String(number),
      name: "env job",
      queue: "env",
      dataset: "s3://cats",
      config: '{"lr":0.1}',
      epochs: "10",
      rate: "0.01",
      token: "no token",
    });
    expect(Buffer.from(id!, "base64").toString()).toBe(`Job:${job.id}`);
    expect(JSON.parse(inputs!)).toEqual({ dataset: "s3://cats", config: { lr: 0.1 } });
    expect(await (await gateway.api.fetch(`/jobs/${number}/outputs/notes/bin`)).text()).toBe("notes\n");

    const progress = await gateway.database.db.jobEvent.findMany({ where: { jobId: job.id, kind: "PROGRESS" } });
    expect(progress).toMatchObject([{ progress: 0.5, detail: { message: "halfway" } }]);
    await running.waitFor(new RegExp(`\\[#${number}\\] SUCCEEDED`));
    expect(running.stdout()).toContain(`[#${number}] just a line`);

    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
  });

  it("downloads the outputs bound to a job's inputs, checked against their sha256, and names their files in its environment", async () => {
    // One command for both jobs: train leaves a model, evaluate reports what it was given.
    const running = await worker(
      "bind",
      'if [ -n "$JOBGRAPH_INPUT_MODEL_FILE" ]; then ' +
        'printf "%s\\n" "$(cat "$JOBGRAPH_INPUT_MODEL_FILE")" "$(basename "$JOBGRAPH_INPUT_MODEL_FILE")" "$JOBGRAPH_INPUT_MODEL_SIZE" "$JOBGRAPH_INPUT_MODEL_SHA256" "$JOBGRAPH_INPUT_MODEL_URL" > "$JOBGRAPH_OUTPUT_DIR/seen.txt"; ' +
        'else printf weights > "$JOBGRAPH_OUTPUT_DIR/model.pt"; fi',
    );
    const workflow = path.join(folder, "bind.json");
    writeFileSync(
      workflow,
      JSON.stringify({
        jobs: [
          { key: "evaluate", template: "cli-consume", queue: "bind", inputs: { model: { after: "train", name: "model", type: "pt" } } },
          { key: "train", template: "cli-work", queue: "bind", inputs: { dataset: "s3://cats" } },
        ],
      }),
    );
    const created = await cli(["workflows", "create", workflow], admin);
    expect(created.code, created.stderr).toBe(0);
    const evaluate = Number(/evaluate\s+#(\d+)/.exec(created.stdout)![1]);
    await until(evaluate, "SUCCEEDED");
    const [content, file, size, sha256, url] = (await (await gateway.api.fetch(`/jobs/${evaluate}/outputs/seen/txt`)).text()).trimEnd().split("\n");
    const model = await gateway.database.db.jobOutput.findFirstOrThrow({ where: { name: "model", type: "pt" } });
    expect({ content, file, size, sha256 }).toEqual({ content: "weights", file: "model.pt", size: "7", sha256: model.sha256 });
    expect(url).toBe(`${gateway.url.replace(/\/graphql$/, "")}/outputs/${model.id}`);
    await running.waitFor(new RegExp(`\\[#${evaluate}\\] input model downloaded \\(7 bytes\\)`));
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("fails the attempt, as retryable, when an input's content does not match its sha256, and never runs the command", async () => {
    const db = gateway.database.db;
    const template = await db.jobTemplate.findFirstOrThrow({ where: { name: "cli-work" } });
    const upstream = await db.job.create({ data: { templateId: template.id, status: "SUCCEEDED", queue: "nowhere" } });
    // The stored bytes are not the ones the output's sha256 was taken of.
    const output = await db.jobOutput.create({
      data: { jobId: upstream.id, name: "model", type: "pt", size: 8, sha256: createHash("sha256").update("weights!").digest("hex") },
    });
    await db.jobOutputChunk.create({ data: { outputId: output.id, seq: 0, data: Buffer.from("tampered") } });
    const running = await worker("corrupt", 'touch "$JOBGRAPH_OUTPUT_DIR/ran"');
    const created = await sendText(
      gateway.api,
      `mutation ($input: CreateJobInput!) { createJob(input: $input) { __typename ... on CreateJobPayload { job { number } } } }`,
      { input: { templateName: "cli-consume", queue: "corrupt", maxAttempts: 1, inputs: [{ name: "model", value: { output: encodeGlobalId("JobOutput", output.id) } }] } },
    );
    const number = (created.createJob as unknown as { job: { number: number } }).job.number;
    const job = await until(number, "FAILED");
    expect(job.errorReason).toBe("downloading input model: its content does not match its sha256");
    const attempts = await db.jobAttempt.findMany({ where: { jobId: job.id } });
    expect(attempts.map((a) => a.retryable)).toEqual([true]);
    expect(await db.jobOutput.count({ where: { jobId: job.id } })).toBe(0);
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("fails the job when the command fails, with the end of its stderr as the error", async () => {
    const running = await worker("fail", 'echo "about to fail"; echo "checking disk" >&2; echo "disk full" >&2; exit 4');
    const number = await createJob("fail");
    const job = await until(number, "FAILED");
    expect(job.errorReason).toBe("the command exited with code 4: checking disk\ndisk full");
    expect(await gateway.database.db.jobOutput.count({ where: { jobId: job.id } })).toBe(0);
    await running.waitFor(new RegExp(`\\[#${number}\\] FAILED: the command exited with code 4`));
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("reports exit code 75 as a retryable failure: the job runs again after its backoff", async () => {
    const number = await createJob("retry");
    await gateway.database.db.job.update({ where: { number: BigInt(number) }, data: { retryBackoffBaseSeconds: 0.2, retryJitter: 0 } });
    const running = await worker("retry", 'echo "attempt $JOBGRAPH_ATTEMPT of $JOBGRAPH_MAX_ATTEMPTS" >&2; [ "$JOBGRAPH_ATTEMPT" = 2 ] || exit 75');
    const job = await until(number, "SUCCEEDED");
    await running.waitFor(new RegExp(`\\[#${number}\\] FAILED \\(retryable\\): the command exited with code 75: attempt 1 of 3`));
    const attempts = await gateway.database.db.jobAttempt.findMany({ where: { jobId: job.id }, orderBy: { number: "asc" } });
    expect(attempts.map((a) => [a.outcome, a.error, a.retryable])).toEqual([
      ["FAILED", "the command exited with code 75: attempt 1 of 3", true],
      ["SUCCEEDED", null, null],
    ]);
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("stops the command when its attempt's time limit passes, and the attempt ends as TIMED_OUT", async () => {
    const number = await createJob("time-limit");
    await gateway.database.db.job.update({ where: { number: BigInt(number) }, data: { timeLimitSeconds: 2, maxAttempts: 1 } });
    const marker = path.join(folder, "stopped-by-time-limit");
    const running = await worker("time-limit", `echo "until $JOBGRAPH_TIME_LIMIT_AT"; trap 'echo stopped > "${marker}"; exit 1' TERM; sleep 30 & wait`);
    await running.waitFor(new RegExp(`\\[#${number}\\] stopped: the attempt ran past the job's time limit`), 15_000);
    await eventually(async () => existsSync(marker), Boolean, "the command to be stopped");
    const limitAt = (await jobOf(number)).timeLimitAt!;
    expect(running.stdout()).toContain(`[#${number}] until ${limitAt.toISOString()}`);
    // The gateway's housekeeping ends the attempt (the test gateway runs none of its own).
    await eventually(async () => (await reclaimExpiredLeases(gateway.database.db)).failed, (n) => n > 0, "the attempt to be reclaimed");
    expect(await jobOf(number)).toMatchObject({ status: "FAILED", errorReason: "timed out: attempt 1 ran past the time limit of 2 s" });
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("stops the command when its job is cancelled, and gives a job back when the worker is stopped", async () => {
    const pids = mkdtempSync(path.join(folder, "pids-"));
    // exec: the sleep takes the shell's process ID, which the test then watches.
    const running = await worker("long", 'echo $$ > "$PIDS/$JOBGRAPH_JOB_NUMBER"; exec sleep 60', { PIDS: pids });
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const pidOf = async (number: number) =>
      Number(await eventually(async () => (existsSync(path.join(pids, String(number))) ? readFileSync(path.join(pids, String(number)), "utf8") : ""), Boolean, "the command to start"));

    const cancelled = await createJob("long");
    const first = await pidOf(cancelled);
    expect(alive(first)).toBe(true);
    expect((await cli(["jobs", "cancel", String(cancelled)], admin)).code).toBe(0);
    // From the cancel's answer: starting the CLI's own process can take seconds on a busy machine.
    const cancelledAt = Date.now();
    await eventually(async () => alive(first), (a) => !a, "the cancelled job's command to end", 4000);
    // SIGTERM ended it, long before the SIGKILL that would follow 5 s later.
    expect(Date.now() - cancelledAt).toBeLessThan(4000);
    await running.waitFor(new RegExp(`\\[#${cancelled}\\] stopped: the job was cancelled`));
    expect((await jobOf(cancelled)).status).toBe("CANCELLED");

    const released = await createJob("long");
    const second = await pidOf(released);
    await until(released, "RUNNING");
    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
    expect(alive(second)).toBe(false);
    expect(await jobOf(released)).toMatchObject({ status: "QUEUED" });
    const releasedId = (await gateway.database.db.job.findUniqueOrThrow({ where: { number: BigInt(released) }, select: { id: true } })).id;
    expect(await gateway.database.db.jobEvent.count({ where: { jobId: releasedId, kind: "RELEASED" } })).toBe(1);
  });

  it("refuses a user's token, which may not take jobs", async () => {
    const { code, stderr } = await cli(["worker", "--exec", "true"], admin);
    expect(code).toBe(2);
    expect(stderr).toContain("the worker needs a worker node's token");
  });
});
