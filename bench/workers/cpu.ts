// Where the machine's CPU time goes while workers run: the gateway processes, PostgreSQL (all of
// its processes) and this process, the load generator, which shares the machine with both.
import { readdir, readFile } from "node:fs/promises";
import pg from "pg";
import { cpuMs } from "../lib.js";

// Linux reports CPU time in clock ticks of 1/100 s on every platform Node runs on here (as lib.ts).
const CLOCK_TICKS = 100;

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

/**
 * CPU time of PostgreSQL so far: the postmaster, its live children (backends, autovacuum, WAL
 * writer, checkpointer), and the children that already exited, which the postmaster reaped. A
 * backend or autovacuum worker that ends between two readings moves from the live sum to the
 * reaped one, so differences between readings stay whole.
 */
export async function postgresCpuMs(postmaster: number): Promise<number> {
  const root = await stat(postmaster);
  if (!root) return Number.NaN;
  let total = root.ownMs + root.reapedChildrenMs;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const child = await stat(Number(entry));
    if (child?.ppid === postmaster) total += child.ownMs;
  }
  return total;
}

/**
 * The postmaster's pid, when the server runs on this machine where we can see it (the embedded
 * one): every backend is its child.
 */
export async function findPostmaster(pool: pg.Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  const backend = await stat(rows[0]!.pid);
  return backend?.ppid;
}

export type CpuReading = { at: number; gatewaysMs: number; postgresMs: number; clientMs: number };

/** One reading of every process's CPU time so far, and when it was taken. */
export async function readCpu(gatewayPids: number[], postmaster: number | undefined): Promise<CpuReading> {
  const [gateways, postgres] = await Promise.all([
    Promise.all(gatewayPids.map((pid) => cpuMs(pid))),
    postmaster ? postgresCpuMs(postmaster) : Number.NaN,
  ]);
  const self = process.cpuUsage();
  return { at: performance.now(), gatewaysMs: gateways.reduce((a, b) => a + b, 0), postgresMs: postgres, clientMs: (self.user + self.system) / 1000 };
}
