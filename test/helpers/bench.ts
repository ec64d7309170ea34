// Runs a benchmark in its smoke mode (a few seconds, nothing written to the docs), so that the
// suite notices when a benchmark stops working.
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { projectRoot } from "../../src/db/migrate.js";

export type SmokeRun = { code: number | null; output: string; results: Record<string, unknown> };

export async function runBenchSmoke(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<SmokeRun> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("bench", script), ...args, "--smoke"], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: "", ...env },
  });
  let output = "";
  child.stdout.on("data", (piece: Buffer) => (output += piece.toString()));
  child.stderr.on("data", (piece: Buffer) => (output += piece.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  // Every benchmark ends by saying where its results went.
  const file = output.match(/results in (\S+\.json)/)?.[1];
  const results = file ? (JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>) : {};
  // A smoke run writes to a folder of its own in the temporary directory.
  if (file) await rm(path.dirname(file), { recursive: true, force: true });
  return { code, output, results };
}
