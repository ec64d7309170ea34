// Applies prisma/migrations with `prisma migrate deploy`, the command users know, so a database
// migrated by jobgraph and one migrated by hand look the same (`_prisma_migrations`).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const require = createRequire(import.meta.url);

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

/**
 * Runs the Prisma CLI against `url` (it connects through the pg adapter, see prisma.config.ts,
 * even for commands that only compare files) and resolves to what it printed on stdout.
 */
export async function runPrismaCli(args: string[], url: string, what = `prisma ${args.join(" ")}`): Promise<string> {
  const cli = require.resolve("prisma/build/index.js");
  const preload = path.join(projectRoot, "scripts", "unref-long-timers.cjs");
  const child = spawn(process.execPath, ["--require", preload, cli, ...args], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      // Nothing to download: the WebAssembly engines are used (see prisma.config.ts).
      PRISMA_QUERY_ENGINE_LIBRARY: path.join(projectRoot, "package.json"),
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) {
    const reason =
      output
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l.startsWith("Error:")) ?? output.trim().split("\n").slice(-3).join(" ");
    throw new MigrationError(`${what} failed: ${reason.replace(/^Error:\s*/, "")}`);
  }
  return stdout;
}

/**
 * Runs `prisma migrate deploy` against `url`; resolves when every migration is applied. A database
 * that already holds them all is left alone without starting the CLI, which costs about 2 s of CPU
 * and most of a restart's time.
 */
export async function migrate(url: string): Promise<void> {
  if (await isMigrated(url)) return;
  await runPrismaCli(["migrate", "deploy"], url, "migrating the database");
}

const MIGRATIONS = path.join(projectRoot, "prisma", "migrations");

/**
 * Whether `_prisma_migrations` records exactly the migrations of prisma/migrations, each applied
 * whole from the file as it is now (Prisma's checksum is the SHA-256 of migration.sql), and no
 * failed one: then `prisma migrate deploy` has nothing to do. Anything else (a migration to apply,
 * a failed one, one this version does not know, a file changed since, no table yet, an
 * unreachable database) is left to the CLI, which applies what is missing under its lock and
 * reports problems in its own words.
 */
export async function isMigrated(url: string): Promise<boolean> {
  const expected = new Map<string, string>();
  for (const entry of await readdir(MIGRATIONS, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sql = await readFile(path.join(MIGRATIONS, entry.name, "migration.sql"));
    expected.set(entry.name, createHash("sha256").update(sql).digest("hex"));
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // A connection the server ends between statements reports it as an event, which must be heard.
  client.on("error", () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      "select migration_name, checksum, finished_at, rolled_back_at from _prisma_migrations",
    );
    // A migration marked rolled back (`prisma migrate resolve --rolled-back`) counts as never applied.
    const applied = rows.filter((row) => row.rolled_back_at === null);
    if (applied.length !== expected.size) return false;
    return applied.every((row) => row.finished_at !== null && expected.get(row.migration_name) === row.checksum);
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
