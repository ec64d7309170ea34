// The real server process (`node dist/src/server.js`, what `npm start` runs) on its own embedded
// PostgreSQL, in a fresh data folder, for tests that need what only a process has: signals, an
// exit code, a browser.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../../src/db/migrate.js";

export type ServerProcess = {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** The GraphQL endpoint (and the playground). */
  graphqlUrl: string;
  dataDir: string;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process if it still runs and waits for it, then removes its data folder. */
  dispose(): Promise<void>;
};

/** A port nobody listens on now; the server is told to use it, so the test knows where to look. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The server process (`dist/src/server.js` of `root`, compiled from its src/) on 127.0.0.1, with
 * `env` on top of this process's environment: without DATABASE_URL (its own embedded PostgreSQL)
 * unless `env` names a database; a variable set to undefined is removed.
 */
function spawnServer(root: string, env: Record<string, string | undefined>): ChildProcessWithoutNullStreams {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: "127.0.0.1" };
  delete childEnv.DATABASE_URL;
  Object.assign(childEnv, env);
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  // What `npm start` runs: the build the tests' set-up made (see scripts/build.mjs).
  return spawn(process.execPath, [path.join(root, "dist", "src", "server.js")], { cwd: root, env: childEnv });
}

/**
 * Starts the server with `env` on top of this process's environment (without DATABASE_URL, so it
 * starts its embedded PostgreSQL; a variable set to undefined is removed too) and resolves once
 * GET /ready answers 200. It runs from `where.root` (the project by default), on `where.dataDir`
 * (a new temporary folder by default). The console output is not parsed: its format is the
 * operators', and may change.
 */
export async function startServer(
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
  where: { root?: string; dataDir?: string } = {},
): Promise<ServerProcess> {
  const root = where.root ?? projectRoot;
  const dataDir = where.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "jobgraph-process-"));
  // mkdtemp makes the folder private; run as root, the embedded PostgreSQL runs as user postgres.
  if (!where.dataDir) chmodSync(dataDir, 0o755);
  const port = await freePort();
  const child = spawnServer(root, { PORT: String(port), JOBGRAPH_DATA_DIR: dataDir, ...env });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    child,
    port,
    baseUrl,
    graphqlUrl: `${baseUrl}/graphql`,
    dataDir,
    output: () => output,
    exited,
    async dispose() {
      if (!hasExited) {
        // SIGKILL would leave the embedded PostgreSQL running on a folder about to be removed.
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited) {
      await server.dispose();
      throw new Error(`the server exited before it was ready: ${output}`);
    }
    const status = await fetch(`${baseUrl}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return server;
    if (Date.now() > deadline) {
      await server.dispose();
      throw new Error(`the server was not ready within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GraphQL request over HTTP with a bearer token; fails the test on a transport or GraphQL error. */
export async function graphql<T>(server: ServerProcess, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(server.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`GraphQL request failed (HTTP ${response.status}): ${JSON.stringify(body)}`);
  }
  return body.data;
}

/**
 * Runs the server process with `env` on top of this process's environment (without DATABASE_URL)
 * until it exits, for starts that are meant to fail (or to be killed: `started` gets the process);
 * kills it after `timeoutMs`.
 */
export async function runServerToExit(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  started: (child: ChildProcessWithoutNullStreams) => void = () => {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnServer(projectRoot, env);
  started(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
