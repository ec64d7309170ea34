// The project type-checks (`tsc -p .`: the sources, tests, benchmarks and scripts). It runs as a
// test file, beside the others, rather than as a step before the suite: the type-checker takes
// one core for about half a minute, which the suite's files, often waiting on PostgreSQL or a
// child process, leave partly free.
import { spawn } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";

it("type-checks the project with tsc -p .", async () => {
  const child = spawn(process.execPath, [path.join(projectRoot, "node_modules", "typescript", "bin", "tsc"), "-p", projectRoot], { cwd: projectRoot });
  let output = "";
  child.stdout.on("data", (piece: Buffer) => (output += piece.toString()));
  child.stderr.on("data", (piece: Buffer) => (output += piece.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(output).toBe("");
  expect(code).toBe(0);
}, 300_000);
