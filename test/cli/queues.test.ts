// The commands that answer "why isn't my job running" and steer queues and nodes: queues list,
// pause, resume and limit; nodes list, drain and undrain; jobs why.
import { beforeAll, describe, expect, it } from "vitest";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";
import { cli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let templateId: string;

beforeAll(async () => {
  gateway = await startGateway();
  templateId = (await createTemplate(gateway.database.db, "cli-queues")).id;
});

const asAdmin = () => ({ JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret });

describe("jobgraph queues", () => {
  it("lists every queue with what it holds, and pauses, limits and resumes one", async () => {
    await createJobs(gateway.database.db, templateId, 3, { spec: (i) => ({ queue: "cli-gpu", status: i === 0 ? "RUNNING" : "QUEUED" }) });
    const listed = await cli(["queues"], asAdmin());
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split("\n").find((l) => l.startsWith("cli-gpu "))!;
    expect(row.split(/\s{2,}/).slice(0, 6)).toEqual(["cli-gpu", "open", "-", "2", "0", "1"]);

    const paused = await cli(["queues", "pause", "cli-gpu"], asAdmin());
    expect(paused.stdout).toContain("cli-gpu: paused");
    expect((await gateway.database.db.queue.findUniqueOrThrow({ where: { name: "cli-gpu" } })).paused).toBe(true);
    const limited = await cli(["queues", "limit", "cli-gpu", "2", "--json"], asAdmin());
    expect(JSON.parse(limited.stdout)).toMatchObject({ name: "cli-gpu", paused: true, concurrencyLimit: 2 });
    expect((await cli(["queues", "resume", "cli-gpu"], asAdmin())).stdout).toContain("cli-gpu: handing out jobs, at most 2 held at once");
    expect((await cli(["queues", "limit", "cli-gpu", "none"], asAdmin())).stdout).toContain("no concurrency limit");
  });

  it("lists every queue when there are more than a page of them", async () => {
    const names = Array.from({ length: 130 }, (_, i) => `cli-many-${String(i).padStart(3, "0")}`);
    await createJobs(gateway.database.db, templateId, names.length, { spec: (i) => ({ queue: names[i]! }) });
    const listed = await cli(["queues", "--json"], asAdmin());
    expect(listed.code, listed.stderr).toBe(0);
    const queues = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((q) => q.name);
    expect(queues.filter((name) => name.startsWith("cli-many-"))).toEqual(names);
    expect(new Set(queues).size).toBe(queues.length);
  });

  it("refuses a bad limit before calling, and a non-admin with exit code 1", async () => {
    const bad = await cli(["queues", "limit", "cli-gpu", "lots"], asAdmin());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"lots" is not a whole number');
    const user = await createTestUser(gateway.database.db);
    const refused = await cli(["queues", "pause", "cli-gpu"], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: user.secret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ForbiddenError");
  });
});

describe("jobgraph nodes", () => {
  it("lists the nodes, online or not, and drains and undrains one by name", async () => {
    const node = await createTestNode(gateway.database.db, "cli-node-1");
    await gateway.database.db.workerNode.update({ where: { id: node.id }, data: { lastSeenAt: new Date() } });
    const listed = await cli(["nodes"], asAdmin());
    expect(listed.stdout.split("\n").find((l) => l.startsWith("cli-node-1 "))).toMatch(/online\s+0\s+/);
    const drained = await cli(["nodes", "drain", "cli-node-1"], asAdmin());
    expect(drained.stdout).toContain("cli-node-1: draining, holding 0 jobs");
    expect((await gateway.database.db.workerNode.findUniqueOrThrow({ where: { id: node.id } })).draining).toBe(true);
    expect((await cli(["nodes"], asAdmin())).stdout).toMatch(/cli-node-1\s+online, draining/);
    expect((await cli(["nodes", "undrain", "cli-node-1"], asAdmin())).stdout).toContain("cli-node-1: takes new work");
    const missing = await cli(["nodes", "drain", "no-such-node"], asAdmin());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no worker node no-such-node");
  });
});

describe("jobgraph jobs why", () => {
  it("says why a waiting job is not running and where it stands", async () => {
    await createJobs(gateway.database.db, templateId, 1, { spec: () => ({ queue: "cli-why" }) });
    const [id] = await createJobs(gateway.database.db, templateId, 1, { spec: () => ({ queue: "cli-why" }) });
    const { number } = await gateway.database.db.job.findUniqueOrThrow({ where: { id: id! } });
    await cli(["queues", "pause", "cli-why"], asAdmin());
    const why = await cli(["jobs", "why", String(number)], asAdmin());
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toContain(`Job #${number} is QUEUED in queue cli-why, 1 ahead of it.`);
    expect(why.stdout).toContain('QUEUE_PAUSED: its queue "cli-why" is paused');
    expect(why.stdout).toContain("BEHIND_JOBS: 1 job");
    const json = JSON.parse((await cli(["jobs", "why", String(number), "--json"], asAdmin())).stdout) as { whyNotRunning: Array<{ code: string }> };
    expect(json.whyNotRunning.map((r) => r.code)).toContain("QUEUE_PAUSED");
  });
});
