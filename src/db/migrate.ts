// Applies prisma/migrations with `prisma migrate deploy`, the command users know, so a database
// migrated by jobgraph and one migrated by hand look the same (`_prisma_migrations`).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

/** Runs `prisma migrate deploy` against `url`; resolves when every migration is applied. */
export async function migrate(url: string): Promise<void> {
  await runPrismaCli(["migrate", "deploy"], url, "migrating the database");
}
