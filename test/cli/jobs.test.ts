// Creating, listing, showing and cancelling jobs from the command line.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser } from "../helpers/principals.js";
import { cli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let env: Record<string, string>;

beforeAll(async () => {
  gateway = await startGateway();
  env = { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret };
  await createTemplate(gateway.database.db, "cli-train");
});

const jobOf = (number: number) => gateway.database.db.job.findUniqueOrThrow({ where: { number: BigInt(number) } });

describe("jobgraph jobs create", () => {
  it("creates a job, reading each value as the template declares it, and prints its number and ID", async () => {
    const { code, stdout, stderr } = await cli(
      [
        "jobs", "create", "--template", "cli-train", "--input", "dataset=007", "--param", "epochs=3",
        "--queue", "gpu", "--priority", "5", "--tag", "nightly", "--tag", "cli", "--name", "first", "--description", "from the CLI",
      ],
      env,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [, number, id] = /^Created job #(\d+) \((\S+)\) from cli-train@1, QUEUED in queue gpu\n$/.exec(stdout) ?? [];
    const job = await jobOf(Number(number));
    expect(encodeGlobalId("Job", job.id)).toBe(id);
    // "007" is declared as a string, so it stays text; epochs is an int.
    expect(job).toMatchObject({
      name: "first",
      description: "from the CLI",
      queue: "gpu",
      priority: 5,
      tags: ["nightly", "cli"],
      inputValues: { dataset: { type: "string", value: "007" } },
      parameterValues: { epochs: { type: "int", value: 3 } },
    });
  });

  it("prints a validation failure with the path of each problem, and exits with 1", async () => {
    const before = await gateway.database.db.job.count();
    const { code, stdout, stderr } = await cli(["jobs", "create", "--template", "cli-train", "--param", "epochs=many", "--input", "colour=red"], env);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("jobgraph: the job was not created: ValidationError:");
    expect(stderr).toContain("inputs.0.name:");
    expect(stderr).toContain("parameters.0.value: must be an integer");
    expect(await gateway.database.db.job.count()).toBe(before);
  });

  it("says when there is no such template", async () => {
    const { code, stderr } = await cli(["jobs", "create", "--template", "cli-train@7"], env);
    expect(code).toBe(1);
    expect(stderr).toBe("jobgraph: there is no template cli-train version 7\n");
  });
});

describe("jobgraph jobs list", () => {
  let numbers: number[];
  beforeAll(async () => {
    const template = await createTemplate(gateway.database.db, "cli-list");
    const ids = await createJobs(gateway.database.db, template.id, 3, {
      spec: (i) => ({ status: (["RUNNING", "SUCCEEDED", "FAILED"] as const)[i], queue: "listing", tags: i === 0 ? ["hot"] : [] }),
    });
    const rows = await gateway.database.db.job.findMany({ where: { id: { in: ids } }, orderBy: { number: "asc" } });
    numbers = rows.map((r) => Number(r.number));
  });

  it("shows the jobs as an aligned table, newest first", async () => {
    const { code, stdout } = await cli(["jobs", "list", "--queue", "listing"], env);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^#\s+NAME\s+STATUS\s+PROGRESS\s+QUEUE\s+TEMPLATE\s+NODE\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual([
      [String(numbers[2]), "job 2", "FAILED", "0%", "listing", "cli-list@1"],
      [String(numbers[1]), "job 1", "SUCCEEDED", "0%", "listing", "cli-list@1"],
      [String(numbers[0]), "job 0", "RUNNING", "0%", "listing", "cli-list@1"],
    ]);
    // Aligned: every row's status starts where the header's does.
    const column = lines[0]!.indexOf("STATUS");
    for (const line of lines.slice(1)) expect(line.slice(column)).toMatch(/^(FAILED|SUCCEEDED|RUNNING) /);
  });

  it("filters by status (repeatable, comma lists, any case) and tag, and limits", async () => {
    const statuses = await cli(["jobs", "list", "--queue", "listing", "--status", "running,failed", "--json"], env);
    expect(statuses.code).toBe(0);
    expect((JSON.parse(statuses.stdout) as Array<{ number: number }>).map((j) => j.number)).toEqual([numbers[2], numbers[0]]);

    const tagged = await cli(["jobs", "list", "--tag", "hot", "--json"], env);
    expect((JSON.parse(tagged.stdout) as Array<{ number: number }>).map((j) => j.number)).toEqual([numbers[0]]);

    const limited = await cli(["jobs", "list", "--queue", "listing", "--limit", "1"], env);
    expect(limited.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(limited.stderr).toBe("1 of 3 jobs shown; --limit shows more.\n");
  });

  it("prints JSON that a script can read", async () => {
    const { code, stdout } = await cli(["jobs", "list", "--queue", "listing", "--status", "SUCCEEDED", "--json"], env);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject([{ number: numbers[1], status: "SUCCEEDED", queue: "listing", template: { name: "cli-list", version: 1 } }]);
  });

  it("says so when nothing matches", async () => {
    const { code, stdout, stderr } = await cli(["jobs", "list", "--queue", "nowhere"], env);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toBe("No jobs match.\n");
  });
});

describe("jobgraph jobs get and cancel", () => {
  it("shows a job by number", async () => {
    const template = await createTemplate(gateway.database.db, "cli-get");
    const [id] = await createJobs(gateway.database.db, template.id, 1);
    const job = await gateway.database.db.job.findUniqueOrThrow({ where: { id } });
    const { code, stdout } = await cli(["jobs", "get", `#${job.number}`], env);
    expect(code).toBe(0);
    expect(stdout).toContain(`Job #${job.number}\n`);
    expect(stdout).toMatch(/id\s+Sm9i/);
    expect(stdout).toMatch(/input dataset\s+s3:\/\/data\/0 \(string\)/);
    const json = await cli(["jobs", "get", encodeGlobalId("Job", id!), "--json"], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ number: Number(job.number), status: "QUEUED" });
  });

  it("cancels a job given by number, with a reason", async () => {
    const template = await createTemplate(gateway.database.db, "cli-cancel");
    const [id] = await createJobs(gateway.database.db, template.id, 1);
    const { number } = await gateway.database.db.job.findUniqueOrThrow({ where: { id } });
    const { code, stdout } = await cli(["jobs", "cancel", String(number), "--reason", "wrong dataset"], env);
    expect(code).toBe(0);
    expect(stdout).toBe(`Cancelled job #${number} (job 0)\n`);
    expect(await gateway.database.db.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "CANCELLED" });
    const event = await gateway.database.db.jobEvent.findFirstOrThrow({ where: { jobId: id, kind: "CANCELLED" } });
    expect(JSON.stringify(event.detail)).toContain("wrong dataset");

    const again = await cli(["jobs", "cancel", String(number)], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^jobgraph: job \d+ was not cancelled: InvalidTransitionError: .+\n$/);
  });

  it("refuses to cancel someone else's job, printing the ForbiddenError", async () => {
    const template = await createTemplate(gateway.database.db, "cli-forbidden");
    const [id] = await createJobs(gateway.database.db, template.id, 1);
    const stranger = await createTestUser(gateway.database.db, "USER");
    const { code, stderr } = await cli(["jobs", "cancel", encodeGlobalId("Job", id!)], { ...env, JOBGRAPH_TOKEN: stranger.secret });
    expect(code).toBe(1);
    expect(stderr).toMatch(/ForbiddenError: /);
    expect(await gateway.database.db.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "QUEUED" });
  });

  it("finds a job by number among more than a page of jobs, from either end", async () => {
    const template = await createTemplate(gateway.database.db, "cli-many");
    const ids = await createJobs(gateway.database.db, template.id, 250);
    const rows = await gateway.database.db.job.findMany({ where: { id: { in: ids } }, orderBy: { number: "asc" } });
    for (const row of [rows[0]!, rows[120]!]) {
      const { code, stdout } = await cli(["jobs", "get", String(row.number), "--json"], env);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ id: encodeGlobalId("Job", row.id), number: Number(row.number) });
    }
  });

  it("says when there is no job of that number", async () => {
    const { code, stderr } = await cli(["jobs", "cancel", "99999"], env);
    expect(code).toBe(1);
    expect(stderr).toBe("jobgraph: there is no job #99999\n");
  });
});
