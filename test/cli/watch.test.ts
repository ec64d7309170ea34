// `jobgraph jobs watch` follows a job that the test drives through its lifecycle with the API calls
// a worker node makes, and ends with the job's outcome as its exit code. Its stdout is a pipe, not
// a terminal, so it prints plain lines.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { cli, startCli, startGateway, type Gateway } from "./cli.js";

const Acquire = graphql(`
  mutation CliTestAcquire($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } ... on Error { message } } }
`);
const Start = graphql(`
  mutation CliTestStart($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }
`);
const Progress = graphql(`
  mutation CliTestProgress($id: ID!, $lease: String!, $progress: Float!, $detail: JSON) {
    reportJobProgress(id: $id, leaseToken: $lease, progress: $progress, detail: $detail) { __typename }
  }
`);
const Finish = graphql(`
  mutation CliTestFinish($id: ID!, $lease: String!, $error: String) { finishJob(id: $id, leaseToken: $lease, error: $error) { __typename } }
`);

let gateway: Gateway;
let env: Record<string, string>;
let node: TestNode;
let templateId: string;

beforeAll(async () => {
  gateway = await startGateway();
  env = { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret };
  node = await createTestNode(gateway.database.db);
  templateId = (await createTemplate(gateway.database.db, "cli-watch")).id;
});

/** A new queued job: its global ID and number. */
async function newJob(): Promise<{ id: string; number: number }> {
  const [id] = await createJobs(gateway.database.db, templateId, 1);
  const { number } = await gateway.database.db.job.findUniqueOrThrow({ where: { id } });
  return { id: encodeGlobalId("Job", id!), number: Number(number) };
}

/** Acquires and starts the job as the node would; returns the lease token. */
async function acquireAndStart(id: string): Promise<string> {
  const { acquireJob } = await gateway.api.query(Acquire, { id }, { token: node.secret });
  if (acquireJob.__typename !== "AcquireJobPayload") throw new Error(`acquireJob: ${JSON.stringify(acquireJob)}`);
  const lease = acquireJob.lease!.token;
  expect((await gateway.api.query(Start, { id, lease }, { token: node.secret })).startJob.__typename).toBe("LeasePayload");
  return lease;
}

describe("jobgraph jobs watch", () => {
  it("prints the state as it changes and ends with SUCCEEDED and exit code 0", async () => {
    const job = await newJob();
    const watch = startCli(["jobs", "watch", String(job.number)], env);
    await watch.waitFor(/^QUEUED 0%$/m);

    const lease = await acquireAndStart(job.id);
    await watch.waitFor(/^RUNNING 0%$/m);
    await gateway.api.query(Progress, { id: job.id, lease, progress: 0.42, detail: { message: "epoch 4 of 10" } }, { token: node.secret });
    await watch.waitFor(/^RUNNING 42% epoch 4 of 10$/m);
    await gateway.api.query(Finish, { id: job.id, lease, error: null }, { token: node.secret });

    const { code } = await watch.exited;
    expect(code).toBe(0);
    expect(watch.stdout()).not.toContain("\r");
    expect(watch.stdout().trimEnd().split("\n").at(-1)).toBe("SUCCEEDED");
  });

  it("ends with FAILED and the job's error, and exit code 1", async () => {
    const job = await newJob();
    const watch = startCli(["jobs", "watch", job.id], env);
    await watch.waitFor(/^QUEUED 0%$/m);
    const lease = await acquireAndStart(job.id);
    await gateway.api.query(Finish, { id: job.id, lease, error: "CUDA out of memory" }, { token: node.secret });

    const { code } = await watch.exited;
    expect(code).toBe(1);
    expect(watch.stdout().trimEnd().split("\n").at(-1)).toBe("FAILED: CUDA out of memory");
  });

  it("reports a job that has already finished at once", async () => {
    const job = await newJob();
    const lease = await acquireAndStart(job.id);
    await gateway.api.query(Finish, { id: job.id, lease, error: null }, { token: node.secret });

    const { code, stdout } = await cli(["jobs", "watch", String(job.number)], env);
    expect(code).toBe(0);
    expect(stdout).toBe("SUCCEEDED\n");
  });

  it("prints each update as a line of JSON with --json, and exits with 1 for a cancelled job", async () => {
    const job = await newJob();
    const watch = startCli(["jobs", "watch", String(job.number), "--json"], env);
    await watch.waitFor(/"initial":true/);
    await cli(["jobs", "cancel", job.id], env);

    const { code } = await watch.exited;
    expect(code).toBe(1);
    const updates = watch.stdout().trimEnd().split("\n").map((line) => JSON.parse(line) as { initial: boolean; status: string | null; job: { status: string } });
    expect(updates[0]).toMatchObject({ initial: true, job: { status: "QUEUED" } });
    expect(updates.at(-1)).toMatchObject({ initial: false, status: "CANCELLED" });
  });
});
