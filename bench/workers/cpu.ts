// Where the machine's CPU time goes while workers run: the gateway processes, PostgreSQL (all of
// its processes) and this process, the load generator, which shares the machine with both.
import pg from "pg";
import { cpuMs, postgresCpuMs, postmasterOf } from "../lib.js";

/**
 * The postmaster's pid, when the server runs on this machine where we can see it (the embedded
 * one): every backend is its child.
 */
export async function findPostmaster(pool: pg.Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  return postmasterOf(rows[0]!.pid);
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
