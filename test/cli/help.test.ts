// Every command explains itself with --help, and the program starts the same from anywhere:
// through `node bin/jobgraph.mjs`, or a symlink to it (as npm installs a package's bin) run from
// another folder.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { bin, cli } from "./cli.js";

const commands: Array<[string[], string[]]> = [
  [[], ["serve", "migrate", "seed", "token", "templates", "jobs", "queues", "nodes", "workflows", "schedules", "worker", "Exit codes", "Examples"]],
  [["serve"], ["--port", "--host", "--no-generate", "DATABASE_URL"]],
  [["migrate"], ["--no-generate", "DATABASE_URL"]],
  [["seed"], ["--no-generate", "refuses a database that holds jobs"]],
  [["token"], ["create"]],
  [["token", "create"], ["--user", "--name", "--expires", "--node", "--executor", "--json", "--url", "--token"]],
  [["templates"], ["apply"]],
  [["templates", "apply"], ["<file>", "--dry-run", "executor", "parameters", "unchanged", "--url", "--token"]],
  [["jobs"], ["list", "get", "create", "cancel", "watch"]],
  [["jobs", "list"], ["--status", "--queue", "--template", "--tag", "--search", "--limit", "--include-deleted", "--json", "JOBGRAPH_URL"]],
  [["jobs", "get"], ["<job>", "--json"]],
  [["jobs", "create"], ["--template", "--input", "--param", "--queue", "--priority", "--tag", "--name", "--description"]],
  [["jobs", "cancel"], ["<job>", "--reason"]],
  [["jobs", "watch"], ["<job>", "--json", "Exit codes"]],
  [["jobs", "why"], ["<job>", "--json", "jobgraph jobs why 12"]],
  [["jobs", "logs"], ["<job>", "--follow", "--task", "--json", "jobgraph jobs logs 12 --follow"]],
  [["queues"], ["list", "pause", "resume", "limit"]],
  [["queues", "limit"], ["<queue>", "<limit>", "none"]],
  [["nodes"], ["list", "drain", "undrain"]],
  [["workflows"], ["create", "watch"]],
  [["workflows", "create"], ["<file>", "--json", "after", "templateVersion", "jobgraph workflows create nightly.yaml"]],
  [["workflows", "watch"], ["<workflow>", "--json", "jobgraph workflows watch 3"]],
  [["schedules"], ["list", "create", "pause", "resume", "delete"]],
  [["schedules", "list"], ["--json", "time zone", "--url", "--token"]],
  [["schedules", "create"], ["<file>", "--json", "cron", "timeZone", "overlap", "catchUp", "template", "jobgraph schedules create nightly-train.yaml"]],
  [["schedules", "pause"], ["<name>", "--json", "jobgraph schedules pause nightly-train"]],
  [["schedules", "resume"], ["<name>", "--json", "jobgraph schedules resume nightly-train"]],
  [["schedules", "delete"], ["<name>", "--json", "the jobs it made stay", "jobgraph schedules delete nightly-train"]],
  [["worker"], ["--exec", "--concurrency", "--queue", "--template", "JOBGRAPH_INPUT_<NAME>", "JOBGRAPH_OUTPUT_DIR", "progress 0.5", "SIGKILL"]],
];

describe("jobgraph --help", () => {
  it.concurrent.each(commands)("jobgraph %j --help describes the command and its options", async (command, mentions) => {
    const { code, stdout, stderr } = await cli([...command, "--help"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: jobgraph ${command.join(" ")}`.trimEnd());
    for (const mention of mentions) expect(stdout).toContain(mention);
  });

  it("names every client command where it says what they connect to", async () => {
    const { stdout } = await cli(["--help"]);
    const listed = /The client commands \(([^)]*)\)/.exec(stdout)?.[1]?.split(", ");
    const commands = [...stdout.slice(stdout.indexOf("Commands:"), stdout.indexOf("The client commands")).matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(commands.filter((name) => !["serve", "migrate", "seed", "help"].includes(name!)));
    expect(listed).toContain("nodes");
  });

  it("answers a wrong command line with the problem, a pointer to --help and exit code 2", async () => {
    const unknown = await cli(["jobs", "list", "--colour"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--colour'");
    expect(unknown.stderr).toContain("--help");
    const badValue = await cli(["jobs", "list", "--status", "sleeping"]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('"sleeping" is not a status');
    const missing = await cli(["jobs", "create"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--template");
  });
});

describe("output piped into a reader that stops early", () => {
  it("ends the command quietly, with exit code 0", async () => {
    const child = spawn(process.execPath, [bin, "--help"], { cwd: projectRoot });
    // The reader is gone before the command writes anything: every write of it fails (EPIPE).
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (piece: Buffer) => (stderr += piece.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("the bin", () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-bin-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("runs through a symlink from another working directory", async () => {
    const link = path.join(folder, "jobgraph");
    symlinkSync(bin, link);
    const direct = await cli(["--version"], {}, folder);
    expect(direct.code).toBe(0);
    expect(direct.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // execFile rejects on a non-zero exit code.
    const { stdout } = await promisify(execFile)(link, ["jobs", "--help"], { cwd: folder });
    expect(stdout).toContain("Usage: jobgraph jobs");
  });
});
