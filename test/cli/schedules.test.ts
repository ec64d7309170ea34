// `jobgraph schedules create FILE` (YAML or JSON, refused whole with every problem named),
// `schedules list` (every page), and pause, resume and delete by name, for the schedule's creator
// or an admin only. The gateway here ticks no schedules, so no schedule makes a job.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser, type TestUser } from "../helpers/principals.js";
import { cli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
let templateId: string;
let user: TestUser;
const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-cli-schedules-"));
const asAdmin = () => ({ JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret });
const asUser = () => ({ JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: user.secret });

beforeAll(async () => {
  gateway = await startGateway();
  templateId = (await createTemplate(gateway.database.db, "cli-sched")).id;
  user = await createTestUser(gateway.database.db);
});

function file(name: string, text: string): string {
  const at = path.join(folder, name);
  writeFileSync(at, text);
  return at;
}

/** The cells of the row of `schedules list` for the schedule of that name. */
async function listedRow(name: string): Promise<string[] | undefined> {
  const listed = await cli(["schedules", "list"], asAdmin());
  expect(listed.code, listed.stderr).toBe(0);
  return listed.stdout
    .split("\n")
    .find((line) => line.startsWith(`${name} `))
    ?.split(/\s{2,}/);
}

const YAML = `name: nightly-cli
description: trains every night
cron: "0 12 * * *"
timeZone: Europe/Berlin
job:
  template: cli-sched
  inputs: { dataset: "s3://nightly" }
  parameters:
    epochs: 3
  priority: 4
`;

describe("jobgraph schedules", () => {
  it("creates a schedule from YAML, its template named, and shows its next runs in its time zone", async () => {
    const created = await cli(["schedules", "create", file("nightly.yaml", YAML)], asAdmin());
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Schedule nightly-cli created: 0 12 * * * in Europe/Berlin");
    expect(lines[1]).toBe("Next runs:");
    const runs = lines.slice(2);
    expect(runs).toHaveLength(5);
    // Noon in Berlin (a time every day has, whatever daylight saving does), an hour or two ahead of
    // UTC as daylight saving goes, on 5 days in a row.
    for (const run of runs) expect(run).toMatch(/^ {2}\d{4}-\d{2}-\d{2} 12:00:00 \+0[12]:00$/);
    const days = runs.map((r) => Date.parse(`${r.trim().slice(0, 10)}T00:00:00Z`));
    expect(days.slice(1).map((d, i) => d - days[i]!)).toEqual([1, 2, 3, 4].map(() => 86_400_000));

    const stored = await gateway.database.db.schedule.findUniqueOrThrow({ where: { name: "nightly-cli" } });
    expect(stored).toMatchObject({ cron: "0 12 * * *", timeZone: "Europe/Berlin", description: "trains every night", paused: false, overlap: "SKIP" });
    expect(stored.job).toMatchObject({
      templateName: "cli-sched",
      inputs: [{ name: "dataset", value: "s3://nightly" }],
      parameters: [{ name: "epochs", value: 3 }],
      priority: 4,
    });
  });

  it("creates one from JSON, paused, with its policies", async () => {
    const json = JSON.stringify({
      name: "quarterly-cli",
      cron: "*/15 * * * *",
      overlap: "QUEUE",
      catchUp: "SKIP",
      paused: true,
      job: { template: "cli-sched", inputs: [{ name: "dataset", value: "s3://q" }], queue: "cli-sched-q" },
    });
    const created = await cli(["schedules", "create", file("quarterly.json", json)], asAdmin());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("Schedule quarterly-cli created (paused): */15 * * * * in UTC\nNext runs once resumed:\n");
    const runs = created.stdout.trimEnd().split("\n").slice(2);
    expect(runs).toHaveLength(5);
    for (const run of runs) expect(run).toMatch(/^ {2}\d{4}-\d{2}-\d{2} \d{2}:(00|15|30|45):00 \+00:00$/);
    const stored = await gateway.database.db.schedule.findUniqueOrThrow({ where: { name: "quarterly-cli" } });
    expect(stored).toMatchObject({ overlap: "QUEUE", catchUp: "SKIP", paused: true, timeZone: "UTC" });
    expect(stored.job).toMatchObject({ templateName: "cli-sched", queue: "cli-sched-q" });
  });

  it("refuses a bad cron expression and a bad job with each field error, exit code 1, and creates nothing", async () => {
    const before = await gateway.database.db.schedule.count();
    const bad = `name: broken-cli
cron: "61 * * * *"
job:
  template: cli-sched
  inputs: { dataset: "s3://x" }
  findOrCreate: true
`;
    const refused = await cli(["schedules", "create", file("bad.yaml", bad)], asAdmin());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("ValidationError");
    expect(refused.stderr).toMatch(/^ {2}cron: not a cron expression/m);
    expect(refused.stderr).toMatch(/^ {2}job\.findOrCreate: does not apply to a scheduled job/m);
    const noTemplate = await cli(["schedules", "create", file("no-template.yaml", 'name: lost-cli\ncron: "@daily"\njob: { template: no-such-template }\n')], asAdmin());
    expect(noTemplate.code).toBe(1);
    expect(noTemplate.stderr).toMatch(/^ {2}job\.template: /m);
    expect(await gateway.database.db.schedule.count()).toBe(before);
  });

  it("says what is wrong with a command line or a file that is not a schedule, with exit code 2", async () => {
    const noFile = await cli(["schedules", "create"], asAdmin());
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("missing required argument 'file'");
    const missing = await cli(["schedules", "create", path.join(folder, "nowhere.yaml")], asAdmin());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    const notYaml = await cli(["schedules", "create", file("broken.yaml", "job: [\n")], asAdmin());
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toContain("neither YAML nor JSON");
    const noJob = await cli(["schedules", "create", file("no-job.yaml", 'name: x\ncron: "@daily"\n')], asAdmin());
    expect(noJob.code).toBe(2);
    expect(noJob.stderr).toContain("the schedule's job must be a job");
    const unknown = await cli(["schedules", "pause"], asAdmin());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("missing required argument 'name'");
  });

  it("lists every schedule: cron, time zone, state, next run, overlap and the job of its latest tick", async () => {
    // As a tick would leave it: the job it made, which the list shows by number and status.
    const [jobId] = await createJobs(gateway.database.db, templateId, 1, { spec: () => ({ status: "SUCCEEDED" }) });
    const { number } = await gateway.database.db.job.findUniqueOrThrow({ where: { id: jobId! } });
    await gateway.database.db.schedule.update({ where: { name: "nightly-cli" }, data: { lastJobId: jobId! } });

    const listed = await cli(["schedules"], asAdmin());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^NAME\s+CRON\s+TIME ZONE\s+STATE\s+NEXT RUN\s+OVERLAP\s+LAST JOB$/);
    const nightly = (await listedRow("nightly-cli"))!;
    expect(nightly.slice(0, 4)).toEqual(["nightly-cli", "0 12 * * *", "Europe/Berlin", "running"]);
    expect(nightly[4]).toMatch(/^\d{4}-\d{2}-\d{2} 12:00:00 \+0[12]:00$/);
    expect(nightly.slice(5)).toEqual(["SKIP", `#${number} SUCCEEDED`]);
    expect(await listedRow("quarterly-cli")).toEqual(["quarterly-cli", "*/15 * * * *", "UTC", "paused", "-", "QUEUE", "-"]);
  });

  it("lists past the gateway's largest page, and as JSON", async () => {
    const creatorId = gateway.api.admin.id;
    await gateway.database.db.schedule.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({
        name: `bulk-${String(i).padStart(3, "0")}`,
        cron: "@daily",
        job: { templateName: "cli-sched", inputs: [{ name: "dataset", value: "s3://bulk" }] },
        nextRunAt: new Date(Date.now() + 86_400_000),
        creatorId,
      })),
    });
    try {
      const listed = await cli(["schedules", "list", "--json"], asAdmin());
      expect(listed.code, listed.stderr).toBe(0);
      const schedules = JSON.parse(listed.stdout) as Array<{ name: string; paused: boolean; lastJob: unknown }>;
      const total = await gateway.database.db.schedule.count();
      expect(total).toBeGreaterThan(100);
      expect(schedules).toHaveLength(total);
      expect(new Set(schedules.map((s) => s.name)).size).toBe(total);
      expect(schedules.find((s) => s.name === "quarterly-cli")).toMatchObject({ paused: true, lastJob: null });
    } finally {
      await gateway.database.db.schedule.deleteMany({ where: { name: { startsWith: "bulk-" } } });
    }
  });

  it("pauses and resumes a schedule by name, and the list shows it", async () => {
    const paused = await cli(["schedules", "pause", "nightly-cli"], asAdmin());
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toBe("nightly-cli: paused, makes no jobs until resumed\n");
    expect((await gateway.database.db.schedule.findUniqueOrThrow({ where: { name: "nightly-cli" } })).paused).toBe(true);
    expect((await listedRow("nightly-cli"))!.slice(3, 5)).toEqual(["paused", "-"]);

    const resumed = await cli(["schedules", "resume", "nightly-cli", "--json"], asAdmin());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ __typename: "Schedule", name: "nightly-cli", paused: false, nextRunAt: expect.any(String) });
    expect((await listedRow("nightly-cli"))![3]).toBe("running");
    const again = await cli(["schedules", "resume", "quarterly-cli"], asAdmin());
    expect(again.stdout).toMatch(/^quarterly-cli: running, next run \d{4}-\d{2}-\d{2} \d{2}:(00|15|30|45):00 \+00:00\n$/);
  });

  it("refuses another user's pause and delete with exit code 1, and lets its creator pause their own", async () => {
    const refused = await cli(["schedules", "pause", "nightly-cli"], asUser());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("schedule nightly-cli was not paused: ForbiddenError: only the schedule's creator or an admin may change it");
    const notDeleted = await cli(["schedules", "delete", "nightly-cli"], asUser());
    expect(notDeleted.code).toBe(1);
    expect(notDeleted.stderr).toContain("ForbiddenError");
    expect(await gateway.database.db.schedule.findUniqueOrThrow({ where: { name: "nightly-cli" } })).toMatchObject({ paused: false });

    const own = `name: own-cli\ncron: "@hourly"\njob: { template: cli-sched, inputs: { dataset: "s3://own" } }\n`;
    expect((await cli(["schedules", "create", file("own.yaml", own)], asUser())).code).toBe(0);
    const pausedOwn = await cli(["schedules", "pause", "own-cli"], asUser());
    expect(pausedOwn.code, pausedOwn.stderr).toBe(0);
    expect(pausedOwn.stdout).toContain("own-cli: paused");
  });

  it("deletes a schedule by name, which leaves the list; a name there is none of exits 1", async () => {
    const deleted = await cli(["schedules", "delete", "nightly-cli"], asAdmin());
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe("Schedule nightly-cli deleted; the jobs it made stay.\n");
    expect(await gateway.database.db.schedule.findUnique({ where: { name: "nightly-cli" } })).toBeNull();
    expect(await listedRow("nightly-cli")).toBeUndefined();
    expect(await listedRow("quarterly-cli")).toBeDefined();

    for (const verb of ["pause", "resume", "delete"]) {
      const missing = await cli(["schedules", verb, "nightly-cli"], asAdmin());
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe("jobgraph: there is no schedule named nightly-cli\n");
    }
  });
});
