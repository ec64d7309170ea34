// The real server process, as `npm start` runs it: no DATABASE_URL, an embedded PostgreSQL, HTTP.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { adminUrl, databaseUrl } from "../helpers/db.js";

type Running = { child: ChildProcessWithoutNullStreams; url: string; output: () => string };

const dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-smoke-"));
chmodSync(dataDir, 0o755);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JOBGRAPH_DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", ...extra };
  if (!("DATABASE_URL" in extra)) delete env.DATABASE_URL;
  return env;
}

/** What `npm start` (or `npm run migrate`, `npm run seed`) runs: the build the tests' set-up made. */
function spawnServer(env: NodeJS.ProcessEnv, entry = "server.js", args: string[] = []) {
  return spawn(process.execPath, [path.join(projectRoot, "dist", "src", entry), ...args], {
    cwd: projectRoot,
    env,
  });
}

/** An empty database on the test server, dropped when the file's tests end. */
async function emptyDatabase(): Promise<string> {
  const name = `jobgraph_smoke_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  afterAll(async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl() });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  });
  return databaseUrl(name);
}

async function start(env: NodeJS.ProcessEnv = serverEnv()): Promise<Running> {
  const child = spawnServer(env);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 60_000);
    child.stdout.on("data", () => {
      const match = /serving the API and its playground at (http:\/\/\S+\/graphql), the dashboard at http:\/\/\S+\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function playground(url: string): Promise<string> {
  return (await fetch(url, { headers: { accept: "text/html" } })).text();
}

const devTokenLine = /development admin token \(shown once; the playground sends it\): (jgu_\S+)/;

async function stop({ child }: Running, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

async function countJobs(url: string, token: string): Promise<number> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: "{ jobs(filter: { includeDeleted: true }) { totalCount } }" }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { data: { jobs: { totalCount: number } } };
  return body.data.jobs.totalCount;
}

async function runUntilDone(
  env: NodeJS.ProcessEnv,
  entry = "server.js",
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnServer(env, entry, args);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stdout, stderr };
}

describe("the server process", () => {
  // Three starts of a real process: on a busy shared machine they took longer than the default 30 s.
  it("starts on an embedded PostgreSQL, serves the API and stops cleanly; the data survives a restart", { timeout: 120_000 }, async () => {
    const first = await start();
    expect(first.url).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
    const base = first.url.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    // The first start makes a development admin token, prints it once, and the playground sends it.
    const token = devTokenLine.exec(first.output())?.[1];
    expect(token).toBeDefined();
    expect(readFileSync(path.join(dataDir, "admin-token"), "utf8").trim()).toBe(token);
    expect(await playground(first.url)).toContain(`Bearer ${token}`);
    const jobs = await countJobs(first.url, token!);
    expect(jobs).toBeGreaterThan(0);
    expect(first.output()).toContain("demo data");

    expect(await stop(first, "SIGTERM")).toBe(0);
    expect(first.output()).toContain("stopped");
    // PostgreSQL removes its pid file only when it has shut down cleanly.
    expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);

    const second = await start();
    expect(await countJobs(second.url, token!)).toBe(jobs);
    expect(second.output()).not.toContain("demo data");
    expect(second.output()).not.toMatch(devTokenLine);
    expect(await playground(second.url)).toContain(`Bearer ${token}`);
    expect(await stop(second, "SIGINT")).toBe(0);
    expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);

    // Production mode prefills nothing; the token still works for whoever holds it.
    const production = await start(serverEnv({ NODE_ENV: "production" }));
    expect(await playground(production.url)).not.toContain("Bearer");
    expect(await countJobs(production.url, token!)).toBe(jobs);
    expect(await stop(production, "SIGTERM")).toBe(0);
  });

  it("starts its embedded PostgreSQL again when it is killed, and serves again with the data it had", { timeout: 120_000 }, async () => {
    const running = await start();
    // Stopped whatever the test finds, rather than left holding the data folder.
    onTestFinished(async () => {
      if (running.child.exitCode === null && running.child.signalCode === null) await stop(running, "SIGTERM");
    });
    const token = readFileSync(path.join(dataDir, "admin-token"), "utf8").trim();
    const jobs = await countJobs(running.url, token);
    const pidFile = path.join(dataDir, "pg", "postmaster.pid");
    const postgres = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    // As the kernel's OOM killer would: no shutdown, its sessions left to notice.
    process.kill(postgres, "SIGKILL");
    const deadline = Date.now() + 60_000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const response = await fetch(running.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ jobs(filter: { includeDeleted: true }) { totalCount } }" }),
      });
      // Meanwhile an error that says to come back, never a cut connection or a 500.
      expect([200, 503]).toContain(response.status);
      answered = response.status === 200;
    }
    expect(answered).toBe(true);
    expect(await countJobs(running.url, token)).toBe(jobs);
    expect(Number(readFileSync(pidFile, "utf8").split("\n")[0])).not.toBe(postgres);
    expect(running.output()).toContain("the embedded PostgreSQL exited (SIGKILL); starting it again");
    expect(running.output()).toContain("the embedded PostgreSQL is running again");
    expect(await stop(running, "SIGTERM")).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  it("migrates and uses the database DATABASE_URL names, with JOBGRAPH_ADMIN_TOKEN; seed fills it once", { timeout: 120_000 }, async () => {
    const url = await emptyDatabase();
    const adminToken = "an-operator-chosen-secret-0123456789";
    const env = serverEnv({ DATABASE_URL: url, JOBGRAPH_ADMIN_TOKEN: adminToken });
    const server = await start(env);
    expect(server.output()).toContain("database: DATABASE_URL");
    expect(server.output()).not.toMatch(devTokenLine);
    // A configured secret is the operator's: it is never put into a page.
    expect(await playground(server.url)).not.toContain(adminToken);
    expect(await countJobs(server.url, adminToken)).toBe(0);
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    const { rows } = await probe.query("select count(*)::int as n from _prisma_migrations where finished_at is not null");
    await probe.end();
    expect(rows[0].n).toBeGreaterThan(0);

    const seeded = await runUntilDone(env, "seed.js");
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/^jobgraph: demo data added: \d+ users/);
    const jobs = await countJobs(server.url, adminToken);
    expect(jobs).toBeGreaterThan(0);
    const again = await runUntilDone(env, "seed.js");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing added");
    expect(await countJobs(server.url, adminToken)).toBe(jobs);
    expect(await stop(server, "SIGTERM")).toBe(0);
  });

  it("refuses an unreachable database with one clear line and a non-zero exit", async () => {
    const { code, stderr, stdout } = await runUntilDone(
      serverEnv({ DATABASE_URL: "postgresql://jobgraph:secret@127.0.0.1:1/jobgraph" }),
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^jobgraph: .*127\.0\.0\.1:1/);
    expect(stderr).not.toContain("secret");
  });

  it("answers --help with its usage, and an argument with the usage and exit code 2, starting nothing", async () => {
    const elsewhere = path.join(dataDir, "never-made");
    for (const flag of ["--help", "-h"]) {
      const help = await runUntilDone({ ...serverEnv({ JOBGRAPH_DATA_DIR: elsewhere }) }, "server.js", [flag]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: npm start");
      expect(help.stdout).toContain("environment variables");
    }
    const wrong = await runUntilDone({ ...serverEnv({ JOBGRAPH_DATA_DIR: elsewhere }) }, "server.js", ["--port", "5000"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("the server takes no arguments (given: --port 5000)");
    expect(existsSync(elsewhere)).toBe(false);
  });

  it("refuses a bad setting with one line naming it", async () => {
    const { code, stderr } = await runUntilDone(serverEnv({ PORT: "eighty" }));
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^jobgraph: invalid configuration: PORT/);
  });
});
