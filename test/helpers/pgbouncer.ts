// A real PgBouncer in transaction mode in front of a test server, for the tests of jobgraph behind a
// pooler: Debian's pgbouncer package (.ci/run installs it when it may), started on a free port of
// 127.0.0.1 with every database of the server behind it. Few server connections for many clients,
// handed out in turn (server_round_robin) rather than the last one used first, so that consecutive
// transactions of one client land on different server connections even when nothing else runs.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./server-process.js";
import { POSTGRES_USER } from "../../src/db/postgres-placement.js";

/** Where the pgbouncer binary is: PGBOUNCER, or Debian's. */
export const pgbouncerPath = process.env.PGBOUNCER ?? "/usr/sbin/pgbouncer";

export const havePgBouncer = existsSync(pgbouncerPath);

export type PgBouncer = {
  /** The URL of `database` through the pooler, with the server's user and password. */
  url(database: string): string;
  /** Stops the pooler and removes its files. */
  stop(): Promise<void>;
  /** The pooler's process, for measuring its CPU. */
  pid: number;
};

const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** Starts PgBouncer in transaction mode in front of the server of `adminUrl`, and waits until it answers. */
export async function startPgBouncer(adminUrl: string, { serverConnections = 3 } = {}): Promise<PgBouncer> {
  const server = new URL(adminUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-pgbouncer-"));
  // PgBouncer refuses to run as root; it switches to the user PostgreSQL runs as, who must read these.
  chmodSync(folder, 0o755);
  const port = await freePort();
  const authFile = path.join(folder, "users.txt");
  const ini = path.join(folder, "pgbouncer.ini");
  // The password in clear, so that PgBouncer can log in to the server with SCRAM on the client's behalf.
  writeFileSync(authFile, `${quote(user)} ${quote(password)}\n`, { mode: 0o644 });
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${authFile}`,
      "pool_mode = transaction",
      `default_pool_size = ${serverConnections}`,
      "max_client_conn = 1000",
      "max_db_connections = 0",
      "server_round_robin = 1",
      "server_login_retry = 1",
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const args = process.getuid?.() === 0 ? ["-u", POSTGRES_USER, ini] : [ini];
  const child: ChildProcess = spawn(pgbouncerPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(folder, { recursive: true, force: true });
  };
  const url = (database: string) => {
    const through = new URL(server.toString());
    through.hostname = "127.0.0.1";
    through.port = String(port);
    through.pathname = `/${database}`;
    return through.toString();
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`pgbouncer exited (${child.exitCode}): ${output}`);
    }
    const client = new pg.Client({ connectionString: url(server.pathname.slice(1) || "postgres") });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      return { url, stop, pid: child.pid! };
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pgbouncer did not answer on port ${port}: ${(error as Error).message}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
