// Logs from the command line: `jobgraph worker --exec` sends its command's stdout and stderr to the
// job's log, and `jobgraph jobs logs` prints them, following new lines until the job ends.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestNode } from "../helpers/principals.js";
import { cli, eventually, startCli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let admin: Record<string, string>;

beforeAll(async () => {
  gateway = await startGateway();
  admin = { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret };
  await gateway.database.db.jobTemplate.create({ data: { name: "cli-logs", version: 1, executorName: "sh" } });
});

async function createJob(queue: string): Promise<number> {
  const { stdout } = await cli(["jobs", "create", "--template", "cli-logs", "--queue", queue], admin);
  return Number(/#(\d+)/.exec(stdout)![1]);
}

describe("logs from the command line", () => {
  it("worker --exec sends the command's stdout and stderr, and jobs logs --follow tails them until the job ends", async () => {
    const number = await createJob("logs");
    const follow = startCli(["jobs", "logs", String(number), "--follow"], admin);
    const node = await createTestNode(gateway.database.db);
    const worker = startCli(
      ["worker", "--queue", "logs", "--exec", 'echo "first line"; echo "to stderr" >&2; sleep 1; for i in 1 2 3; do echo "line $i"; done; echo "progress 0.5"'],
      { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: node.secret },
    );
    await worker.waitFor(/taking jobs/);
    const done = await follow.exited;
    expect(done.code).toBe(0);
    expect(follow.stdout().split("\n").filter(Boolean)).toEqual(["first line", "! to stderr", "line 1", "line 2", "line 3", "progress 0.5"]);
    worker.child.kill("SIGTERM");
    await worker.exited;

    const printed = await cli(["jobs", "logs", String(number), "--json"], admin);
    const lines = printed.stdout.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; stream: string; line: string });
    expect(lines.map((l) => [l.seq, l.stream, l.line])).toEqual([
      [1, "STDOUT", "first line"],
      [2, "STDERR", "to stderr"],
      [3, "STDOUT", "line 1"],
      [4, "STDOUT", "line 2"],
      [5, "STDOUT", "line 3"],
      [6, "STDOUT", "progress 0.5"],
    ]);
    const job = await eventually(() => gateway.database.db.job.findUniqueOrThrow({ where: { number: BigInt(number) } }), (j) => j.status === "SUCCEEDED", "the job to succeed");
    expect(job.status).toBe("SUCCEEDED");
  }, 60_000);

  it("refuses a job that is not there", async () => {
    const missing = await cli(["jobs", "logs", "999999"], admin);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no job #999999");
  });
});
