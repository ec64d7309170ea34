// A measurement run in a process of its own, with the garbage collector exposed: the test workers
// share their heap with other test files, whose leftovers, collected during a measurement, can
// outweigh what it measures. The script (under test/helpers) prints its report as its last line
// of JSON.
import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../../src/db/migrate.js";

/** Runs test/helpers/`script` under `node --expose-gc` (and `flags`), with `env` added; its report. */
export function measureInChild<T>(script: string, env: Record<string, string>, flags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", ...flags, "--import", "tsx", path.join(projectRoot, "test", "helpers", script)], {
      cwd: projectRoot,
      env: { ...process.env, ...env, NODE_ENV: "production" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`exit ${code}: ${stdout}\n${stderr}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}
