// Driving the CLI as a person or a script would: `node bin/jobgraph.mjs ...` in a process of its
// own, with JOBGRAPH_URL and JOBGRAPH_TOKEN in its environment, against a real gateway listening
// on a port of this test process.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { afterAll } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

export const bin = path.join(projectRoot, "bin", "jobgraph.mjs");

export type Gateway = { database: TestDatabase; api: TestApi; url: string };

/** A fresh database and a gateway on it, listening on a free port until the file's tests end. */
export async function startGateway(): Promise<Gateway> {
  const database = await createTestDatabase();
  const api = await createTestApi(database);
  const address = await api.app.start(0);
  afterAll(() => api.app.stop());
  return { database, api, url: `http://127.0.0.1:${address.port}/graphql` };
}

/** The CLI's environment: this process's, without what could point it elsewhere, plus `env`. */
function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["JOBGRAPH_URL", "JOBGRAPH_TOKEN", "JOBGRAPH_DATA_DIR", "DATABASE_URL"]) delete result[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

export type Running = {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) has matched, failing after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Starts `jobgraph <args>` and returns at once, for the commands that run on (watch, worker). */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, cwd = projectRoot): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: environment(env) });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  afterAll(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout) && !pattern.test(stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`jobgraph ${args.join(" ")} did not print ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export type Result = { code: number | null; stdout: string; stderr: string };

/** Runs `jobgraph <args>` to its end. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<Result> {
  const running = startCli(args, env, cwd);
  const { code } = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

/** Polls `read` until `done` holds. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
