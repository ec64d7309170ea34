// Every shell example of README.md and docs/*.md runs as a newcomer would run it: in the project's
// folder, page by page in the order the page gives them, against a real gateway (the server
// process on its own embedded PostgreSQL with the demo data, as `npm start` makes it). A variable
// an example sets (TOKEN, JOB, SECRET...) is there for the page's later examples. Each example
// must exit with 0 and print no error: no GraphQL `errors`, no error member of a mutation's
// answer, no `jobgraph: ...` failure, no curl or shell error.
//
// What differs from a newcomer's terminal, and why:
// - The gateway listens on a free port, not 4000, so that a gateway of the developer's own is
//   never touched: `localhost:4000` in an example is replaced with its address, and JOBGRAPH_URL
//   points the CLI there (the CLI's default is http://localhost:4000/graphql).
// - The examples run in a scratch folder standing in for the project's: its package.json and bin/
//   are the project's (so `npx jobgraph` and `node bin/jobgraph.mjs` work as in the project), and
//   its .data/ is the gateway's data folder (JOBGRAPH_DATA_DIR tells the CLI so too); files the
//   examples write stay there.
// - npm runs offline, so `npx` can never fetch a package of the same name from the registry.
// - `npx jobgraph ...` runs what npx would run for it (node bin/jobgraph.mjs) through a shim first
//   on PATH, without npx's own second or two of start-up per example; one test runs the real npx.
// - An example marked `<!-- runs until Ctrl-C -->` is stopped with SIGINT once it has printed
//   something; one marked `<!-- not run: <why> -->` is not run, and the list below must name it.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { assigned, codeBlocks, docFiles, isShell, type CodeBlock } from "../helpers/doc-blocks.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";

/**
 * The examples the suite does not run, by page and first line, each for the reason its marker
 * gives. Marking another one means adding it here too: nothing is left out unseen.
 */
const NOT_RUN = [
  "README.md: npm ci && npm start",
  "README.md: DATABASE_URL=postgresql://user:password@db.example:5432/jobgraph npm start",
  "README.md: npm ci && npm test",
  "README.md: git show HEAD:prisma/schema.prisma > /tmp/old.prisma",
  "docs/cli.md: npx jobgraph serve                   # what `npm start` runs: migrate, seed a new embedded database, serve",
  "docs/cli.md: JOBGRAPH_TOKEN=$SECRET npx jobgraph worker --exec ./train.sh --queue gpu --concurrency 2",
  "docs/cli.md: #!/bin/sh",
  "docs/deploy.md: export NODE_ENV=production            # no development token, nothing prefilled, no field suggestions",
  "docs/deploy.md: export JOBGRAPH_OUTPUT_STORE=s3",
  "docs/deploy.md: export DATABASE_URL=postgres://jobgraph:...@pgbouncer.internal:6432/jobgraph",
  "docs/deploy.md: export DATABASE_URL=postgres://jobgraph:...@db.internal:5432/jobgraph",
  "docs/deploy.md: cd deploy/compose",
  "docs/worker.md: npx jobgraph worker --queue gpu --concurrency 2 --exec 'python train.py --data \"$JOBGRAPH_INPUT_DATASET\" --out \"$JOBGRAPH_OUTPUT_DIR\"'",
];

/** What shows that an example went wrong, in what it printed. */
const ERROR_SIGNS: Array<[RegExp, string]> = [
  [/"errors"\s*:/, "a GraphQL error"],
  [/"__typename"\s*:\s*"\w+Error"/, "an error member of a mutation's answer"],
  [/^jobgraph: /m, "a failure of the jobgraph command"],
  [/^curl: /m, "a curl error"],
  [/^[\w.-]+: (?:line \d+: )?.*(?:command not found|No such file or directory)$/m, "a shell error"],
  [/Unexpected error/, "an unexpected error of the gateway"],
  [/^\s*at .+:\d+:\d+\)?$/m, "a stack trace"],
];

const shellBlocks = (file: string) => codeBlocks(file).filter(isShell);
const firstLine = (block: CodeBlock) => block.source.split("\n")[0]!;
const pages = docFiles.filter((file) => shellBlocks(file).some((b) => b.marker?.kind !== "not run"));

let server: ServerProcess;
let folder: string;
/** Holds the `npx` shim. */
let shims: string;

beforeAll(async () => {
  server = await startServer();
  folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-doc-examples-"));
  symlinkSync(path.join(projectRoot, "package.json"), path.join(folder, "package.json"));
  symlinkSync(path.join(projectRoot, "bin"), path.join(folder, "bin"));
  symlinkSync(server.dataDir, path.join(folder, ".data"));
  shims = path.join(folder, ".shims");
  mkdirSync(shims);
  const npx = execFileSync("bash", ["-c", "command -v npx"], { encoding: "utf8" }).trim();
  writeFileSync(
    path.join(shims, "npx"),
    `#!/bin/sh\nif [ "$1" = jobgraph ]; then shift; exec node ${JSON.stringify(path.join(folder, "bin", "jobgraph.mjs"))} "$@"; fi\nexec ${JSON.stringify(npx)} "$@"\n`,
    { mode: 0o755 },
  );
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** A newcomer's environment: this one's, without what the suite or npm put in it, plus the gateway's address. */
function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|JOBGRAPH_|VITEST|TEST_)/.test(name) || ["DATABASE_URL", "NODE_ENV", "NODE_OPTIONS"].includes(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    PATH: `${shims}${path.delimiter}${env.PATH ?? ""}`,
    JOBGRAPH_URL: `${server.baseUrl}/graphql`,
    JOBGRAPH_DATA_DIR: server.dataDir,
    npm_config_offline: "true",
    npm_config_update_notifier: "false",
  };
}

type Outcome = { code: number | null; signal: NodeJS.Signals | null; output: string };

/**
 * Runs one example in bash with `set -e -o pipefail` (any failing command fails it), after the
 * variables the page's earlier examples set, and saves the ones it sets for the later ones.
 */
async function run(block: CodeBlock, state: string): Promise<Outcome> {
  const source = block.source.replaceAll("localhost:4000", `127.0.0.1:${server.port}`);
  const names = assigned(block.source);
  const script = [
    "set -e -o pipefail",
    `source ${JSON.stringify(state)}`,
    source,
    ...(names.length ? [`declare -p ${names.join(" ")} >> ${JSON.stringify(state)} 2>/dev/null || true`] : []),
  ].join("\n");
  const child = spawn("bash", ["-c", script], { cwd: folder, env: environment(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Outcome>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, output })));
  const stop = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // It ended on its own meanwhile.
    }
  };
  if (block.marker?.kind === "until interrupted") {
    // As a person would: watch it print, then Ctrl-C (SIGINT to the whole foreground group).
    const deadline = Date.now() + 15_000;
    while (!output && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop("SIGINT");
  }
  const killer = setTimeout(() => stop("SIGKILL"), 60_000);
  try {
    return await exited;
  } finally {
    clearTimeout(killer);
  }
}

describe("the shell examples of the docs", () => {
  it("leaves out only the examples marked not to run, each with its reason", () => {
    const marked = docFiles.flatMap((file) => shellBlocks(file).filter((b) => b.marker?.kind === "not run").map((b) => `${file}: ${firstLine(b)}`));
    expect(marked).toEqual(NOT_RUN);
  });

  it("finds `npx jobgraph` where a newcomer's npx finds it", () => {
    const env = { ...environment(), PATH: process.env.PATH };
    const version = execFileSync("npx", ["jobgraph", "--version"], { cwd: folder, env, encoding: "utf8" });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);

  it("has examples to run on every page that shows any", () => {
    expect(pages).toEqual(expect.arrayContaining(["README.md", "docs/cli.md", "docs/worker.md"]));
  });

  describe.each(pages)("in %s", (file) => {
    let state: string;
    beforeAll(() => {
      state = path.join(folder, `.variables-${file.replaceAll("/", "-")}.sh`);
      writeFileSync(state, "");
    });

    for (const block of shellBlocks(file).filter((b) => b.marker?.kind !== "not run")) {
      it(`runs line ${block.line}: ${firstLine(block)}`, async () => {
        const outcome = await run(block, state);
        const errors = ERROR_SIGNS.filter(([sign]) => sign.test(outcome.output)).map(([, what]) => what);
        const context = `${file}:${block.line} printed:\n${outcome.output}`;
        expect(errors, context).toEqual([]);
        if (block.marker?.kind === "until interrupted") {
          expect(outcome.output, context).not.toBe("");
          expect(outcome.signal ?? outcome.code, context).not.toBe("SIGKILL");
        } else {
          expect(outcome.code, context).toBe(0);
        }
      }, 90_000);
    }
  });
});
