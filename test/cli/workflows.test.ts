// `jobgraph workflows create FILE` (YAML or JSON, refused whole with every problem named) and
// `jobgraph workflows watch`, which follows every job of a workflow live and exits with its outcome.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { acquireNextJob } from "../../src/domain/claiming.js";
import { finishJob, startJob } from "../../src/domain/transitions.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { cli, startCli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let node: TestNode;
const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-cli-workflows-"));
const asAdmin = () => ({ JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret });
const lease = { leaseSeconds: 60 };

beforeAll(async () => {
  gateway = await startGateway();
  await createTemplate(gateway.database.db, "cli-flow");
  node = await createTestNode(gateway.database.db);
});

function file(name: string, text: string): string {
  const at = path.join(folder, name);
  writeFileSync(at, text);
  return at;
}

const YAML = `name: nightly
jobs:
  - key: prepare
    template: cli-flow
    inputs: { dataset: "s3://raw" }
  - key: train
    template: cli-flow
    after: [prepare]
    inputs:
      dataset: s3://prepared
    priority: 5
`;

async function runNext(error?: string) {
  const actor = { kind: "NODE", nodeId: node.id, name: node.name, tokenId: node.tokenId } as const;
  const job = await acquireNextJob(gateway.database.db, actor, {}, lease);
  if (!job) return null;
  await startJob(gateway.database.db, actor, job.id, job.leaseToken, lease);
  await finishJob(gateway.database.db, actor, job.id, { leaseToken: job.leaseToken, ...(error ? { error } : {}) });
  return job.id;
}

describe("jobgraph workflows", () => {
  it("creates a workflow from YAML, and watches it live to its success with exit code 0", async () => {
    const created = await cli(["workflows", "create", file("nightly.yaml", YAML)], asAdmin());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Workflow #\d+ \(nightly\) created: /);
    expect(created.stdout).toMatch(/prepare\s+#\d+\s+QUEUED/);
    expect(created.stdout).toMatch(/train\s+#\d+\s+WAITING/);
    const number = /Workflow #(\d+)/.exec(created.stdout)![1]!;

    const watching = startCli(["workflows", "watch", number], asAdmin());
    await watching.waitFor(/QUEUED 0%, 0 of 2 succeeded/);
    await runNext();
    await runNext();
    const { code } = await watching.exited;
    expect(code, watching.stderr()).toBe(0);
    expect(watching.stdout()).toContain("SUCCEEDED 100%, 2 of 2 succeeded");
    expect(watching.stdout()).toMatch(/#\d+ prepare\s+\S+\s+100%\s+SUCCEEDED/);
  });

  it("takes JSON too, and exits 1 watching a workflow that failed", async () => {
    const json = JSON.stringify({ jobs: [{ key: "only", template: "cli-flow", inputs: [{ name: "dataset", value: "s3://x" }] }] });
    const created = await cli(["workflows", "create", file("one.json", json), "--json"], asAdmin());
    expect(created.code, created.stderr).toBe(0);
    const answer = JSON.parse(created.stdout) as { workflow: { number: number } };
    await runNext("broken");
    const watched = await cli(["workflows", "watch", String(answer.workflow.number)], asAdmin());
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain("FAILED: broken");
  });

  it("refuses a workflow with a cycle and a bad job, naming each, and creates nothing", async () => {
    const before = await gateway.database.db.job.count();
    const bad = `jobs:
  - { key: a, template: cli-flow, after: [b], inputs: { dataset: x } }
  - { key: b, template: cli-flow, after: [a], inputs: { dataset: x } }
  - { key: c, template: no-such-template }
`;
    const refused = await cli(["workflows", "create", file("bad.yaml", bad)], asAdmin());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ValidationError");
    expect(refused.stderr).toContain("jobs.1.after.0: a cycle: a → b → a");
    expect(refused.stderr).toContain("jobs.2.template: no such template");
    expect(await gateway.database.db.job.count()).toBe(before);
  });

  it("says what is wrong with a file that is not a workflow, with exit code 2", async () => {
    const notYaml = await cli(["workflows", "create", file("broken.yaml", "jobs: [\n")], asAdmin());
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toContain("neither YAML nor JSON");
    const noJobs = await cli(["workflows", "create", file("empty.yaml", "name: x\n")], asAdmin());
    expect(noJobs.code).toBe(2);
    expect(noJobs.stderr).toContain("jobs must be a list");
    const missing = await cli(["workflows", "watch", "999999"], asAdmin());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no workflow #999999");
  });
});
