// A real streaming replica of an embedded PostgreSQL, for the tests of reads on replicas. The
// embedded binaries have no pg_basebackup, so the replica is made as pg_basebackup makes one, with
// the server's low-level backup functions: a physical replication slot holds the WAL from before
// the copy, pg_backup_start() marks where replay must begin, the cluster's files are copied while
// the primary runs, and pg_backup_stop() gives the backup_label that tells the copy so. The copy
// then starts as a hot standby (standby.signal) streaming from the slot.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync, copyFileSync, appendFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./server-process.js";

export type Replica = {
  /** The URL of `database` on the replica, with the primary's user and password. */
  url(database: string): string;
  /** Stops replaying WAL (it still arrives): reads see the primary as it was, for as long as it lasts. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** The position the replica has replayed up to. */
  replayed(): Promise<string>;
  /** Stops the server (a fast shutdown); start() starts it again, catching up from its slot. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good, drops its slot on the primary, and removes its files. */
  destroy(): Promise<void>;
};

// What pg_basebackup leaves out of a copy: the running server's own files, and folders whose
// contents the standby makes afresh (the WAL comes from the slot).
const SKIPPED_FILES = new Set(["postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map"]);
const EMPTIED_FOLDERS = new Set(["pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans", "log"]);

/** Copies a running cluster's files; a file removed while the copy runs is no error (replay makes it again). */
function copyCluster(from: string, to: string, uid: number, gid: number, top = true): void {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  chownSync(to, uid, gid);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (top && SKIPPED_FILES.has(entry.name)) continue;
    try {
      if (entry.isDirectory()) {
        if (top && EMPTIED_FOLDERS.has(entry.name)) {
          mkdirSync(target, { mode: 0o700 });
          chownSync(target, uid, gid);
          if (entry.name === "pg_wal") {
            mkdirSync(path.join(target, "archive_status"), { mode: 0o700 });
            chownSync(path.join(target, "archive_status"), uid, gid);
          }
          continue;
        }
        copyCluster(source, target, uid, gid, false);
      } else if (entry.isFile()) {
        copyFileSync(source, target);
        chmodSync(target, 0o600);
        chownSync(target, uid, gid);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/**
 * Makes a streaming replica of the embedded PostgreSQL whose data folder is `dataDir` (one made by
 * startEmbeddedPostgres, running), reached as `adminUrl`, and starts it on a free port.
 */
export async function startReplica(dataDir: string, adminUrl: string): Promise<Replica> {
  const clusterDir = realpathSync(path.join(dataDir, "pg"));
  // The replica runs the primary's binary, as the primary's user.
  const pid = Number(readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const postgres = readlinkSync(`/proc/${pid}/exe`);
  const { uid, gid } = statSync(clusterDir);
  const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-replica-"));
  chmodSync(folder, 0o755);
  const replicaDir = path.join(folder, "pg");
  const slot = `replica_${randomBytes(4).toString("hex")}`;
  const primary = new URL(adminUrl);

  const session = new pg.Client({ connectionString: adminUrl });
  await session.connect();
  try {
    await session.query("select pg_create_physical_replication_slot($1, true)", [slot]);
    await session.query("select pg_backup_start($1, true)", [slot]);
    copyCluster(clusterDir, replicaDir, uid, gid);
    const { rows } = await session.query<{ labelfile: string }>("select labelfile from pg_backup_stop(false)");
    writeFileSync(path.join(replicaDir, "backup_label"), rows[0]!.labelfile, { mode: 0o600 });
    chownSync(path.join(replicaDir, "backup_label"), uid, gid);
  } finally {
    await session.end();
  }
  writeFileSync(path.join(replicaDir, "standby.signal"), "");
  chownSync(path.join(replicaDir, "standby.signal"), uid, gid);
  const conninfo = `host=${primary.hostname} port=${primary.port} user=${decodeURIComponent(primary.username)} password=${decodeURIComponent(primary.password)} application_name=${slot}`;
  appendFileSync(path.join(replicaDir, "postgresql.auto.conf"), `primary_conninfo = '${conninfo.replace(/'/g, "''")}'\nprimary_slot_name = '${slot}'\n`);

  const port = await freePort();
  let server: ChildProcess | undefined;
  const admin = new URL(adminUrl);
  admin.port = String(port);

  async function start(): Promise<void> {
    const args = ["-D", replicaDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "hot_standby_feedback=on"];
    const child = spawn(postgres, args, { uid, gid, env: { ...process.env, LC_MESSAGES: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString("utf8")).slice(-8000);
        if (output.includes("ready to accept read-only connections")) resolve();
      };
      child.stdout!.on("data", collect);
      child.stderr!.on("data", collect);
      child.once("exit", (code, signal) => reject(new Error(`the replica exited (${signal ?? code}): ${output.trim().split("\n").slice(-5).join(" | ")}`)));
    });
    server = child;
  }

  async function stop(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
  }

  async function onReplica<T>(statement: string): Promise<T> {
    const client = new pg.Client({ connectionString: admin.toString() });
    // The replica may be stopping: its end, arriving as an event, must not end the test run.
    client.on("error", () => undefined);
    await client.connect();
    try {
      return (await client.query(statement)).rows[0] as T;
    } finally {
      await client.end();
    }
  }

  await start();
  return {
    url(database) {
      const u = new URL(admin);
      u.pathname = `/${database}`;
      return u.toString();
    },
    pause: () => onReplica("select pg_wal_replay_pause()"),
    resume: () => onReplica("select pg_wal_replay_resume()"),
    replayed: async () => (await onReplica<{ lsn: string }>("select pg_last_wal_replay_lsn()::text as lsn")).lsn,
    stop,
    start,
    async destroy() {
      await stop();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query("select pg_drop_replication_slot($1) from pg_replication_slots where slot_name = $1", [slot]);
      } finally {
        await client.end();
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
