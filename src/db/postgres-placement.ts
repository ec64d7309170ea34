// Run as root, the embedded PostgreSQL runs as the system user "postgres" (PostgreSQL refuses to
// run as root), which must reach its binaries (in the clone's node_modules) and its cluster (in the
// data folder). A clone in a folder only root may enter (root's home, mode 0700) holds both out of
// its reach: initdb then failed with "spawn .../initdb EACCES". Rather than ask a newcomer to move
// the clone, what that user cannot reach is placed under /var/lib/jobgraph, a root-owned folder it
// may enter: a copy of the binaries (one per package version) and the cluster (one folder per data
// folder, which links to it as <data folder>/pg). Everything else (credentials, the development
// token) stays in the data folder, for root alone.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { binariesIn, type Binaries } from "./postgres-binaries.js";

/** The system user PostgreSQL runs as when this process is root. */
export type RunAs = { uid: number; gid: number };

export const POSTGRES_USER = "postgres";
/** Where what the postgres user cannot reach elsewhere is placed. */
export const PLACEMENT_ROOT = "/var/lib/jobgraph";

const run = promisify(execFile);

async function numericId(flag: "-u" | "-g"): Promise<number | undefined> {
  try {
    const { stdout } = await run("id", [flag, POSTGRES_USER]);
    const id = Number.parseInt(stdout.trim(), 10);
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The postgres system user, created (with its group, no home, no login) when the machine has none. */
export async function postgresUser(): Promise<RunAs> {
  let uid = await numericId("-u");
  if (uid === undefined) {
    try {
      if ((await numericId("-g")) === undefined) await run("groupadd", ["--system", POSTGRES_USER]);
      await run("useradd", ["--system", "--gid", POSTGRES_USER, "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_USER]);
    } catch (error) {
      throw new Error(
        `PostgreSQL refuses to run as root and there is no system user "${POSTGRES_USER}" to run it as; creating one failed ` +
          `(${(error as Error).message.split("\n")[0]}): create it, run jobgraph as another user, or set DATABASE_URL`,
      );
    }
    uid = await numericId("-u");
  }
  const gid = await numericId("-g");
  if (uid === undefined || gid === undefined) throw new Error(`the system user "${POSTGRES_USER}" has no numeric id`);
  return { uid, gid };
}

/** Whether a command run as `user` exits with 0; a command it may not even start counts as no. */
function succeedsAs(user: RunAs, command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { uid: user.uid, gid: user.gid, stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

/** Whether `user` may run the binaries where they are (every folder above them must let it through). */
export function canRun(user: RunAs, binaries: Binaries): Promise<boolean> {
  return succeedsAs(user, binaries.initdb, ["--version"]);
}

/** Whether `user` may enter `folder`, as the kernel decides it (ACLs included). */
export function canEnter(user: RunAs, folder: string): Promise<boolean> {
  return succeedsAs(user, "/bin/sh", ["-c", 'cd -- "$1"', "sh", folder]);
}

/**
 * A folder of PLACEMENT_ROOT for root's own files, made if missing. One that exists must belong
 * to root and be writable by root alone: the postgres user runs what is in it.
 */
async function rootFolder(folder: string): Promise<void> {
  await fs.mkdir(folder, { recursive: true, mode: 0o755 });
  const stat = await fs.lstat(folder);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${folder} must be a folder that belongs to root and only root may write to; it is not, so the embedded PostgreSQL was not placed there`);
  }
  // mkdir's mode is narrowed by the umask; the postgres user must be let through.
  if ((stat.mode & 0o005) !== 0o005) await fs.chmod(folder, 0o755);
}

/**
 * A copy of the binaries under PLACEMENT_ROOT (made once per package version), owned by root. A
 * copy, not hard links: a hard link keeps the owner of the clone's files, who could then change
 * what the postgres user runs.
 */
export async function placedBinaries(binaries: Binaries): Promise<Binaries> {
  await rootFolder(PLACEMENT_ROOT);
  const target = path.join(PLACEMENT_ROOT, `postgresql-${binaries.version}`);
  const complete = path.join(target, ".complete");
  if (!existsSync(complete)) {
    // Copied aside and renamed into place, so a start that dies half-way leaves no half copy behind
    // under the final name, and two starts at once both end with a whole one.
    const staging = await fs.mkdtemp(path.join(PLACEMENT_ROOT, ".copying-"));
    try {
      await fs.cp(binaries.root, staging, { recursive: true, verbatimSymlinks: true });
      await fs.writeFile(path.join(staging, ".complete"), `${binaries.root}\n`);
      await fs.chmod(staging, 0o755);
      await fs.rename(staging, target).catch((error: NodeJS.ErrnoException) => {
        if (!existsSync(complete)) throw error;
      });
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }
  return binariesIn(target, binaries.version);
}

/**
 * The folder under PLACEMENT_ROOT that holds the cluster of `dataDir` (as its `pg`), named after
 * the data folder's path, with a note of that path for whoever looks.
 */
export async function placedClusterParent(dataDir: string): Promise<string> {
  await rootFolder(PLACEMENT_ROOT);
  const folder = path.join(PLACEMENT_ROOT, `cluster-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}`);
  await rootFolder(folder);
  await fs.writeFile(path.join(folder, "data-folder"), `${dataDir}\n`);
  return folder;
}
