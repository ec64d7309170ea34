// Reproduces every generated file: the Prisma client and Pothos types (src/db/generated), the
// JavaScript that processes run (dist/, see build.mjs), the printed schema (schema.graphql), the
// typed documents of the tests (test/gql) and the dashboard (dist/web, see build-web.mjs, when web/
// changed since it was last built). `node scripts/generate.mjs prisma` skips the schema and the
// tests' documents, which `npm start` does not need.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "./build.mjs";
import { ensureWebBuilt } from "./build-web.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

// Prisma runs its generators (prisma-pothos-types) by name, so the local bin folder goes on PATH.
const PATH = [path.join(root, "node_modules", ".bin"), process.env.PATH].join(path.delimiter);

// `npm start` and `npm run seed` regenerate the Prisma client quietly; its output is shown only if
// it fails. `npm run generate` shows everything.
const quiet = process.argv[2] === "prisma";

function run(command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: quiet ? "pipe" : "inherit",
    env: { ...process.env, PATH, ...env },
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(Buffer.concat([result.stdout ?? Buffer.alloc(0), result.stderr ?? Buffer.alloc(0)]));
    process.exit(result.status ?? 1);
  }
}

// Prisma's generator asks for a native query engine that nothing here loads (the client runs
// on WebAssembly); naming any existing file as that library skips the download it would try.
run(bin("prisma"), ["generate"], {
  PRISMA_QUERY_ENGINE_LIBRARY: path.join(root, "package.json"),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
});
await build();
if (process.argv[2] !== "prisma") {
  run(process.execPath, ["--import", "tsx", path.join(root, "scripts", "print-schema.ts")]);
  run(bin("graphql-codegen"), ["--config", "codegen.ts"]);
}
// After the schema is printed: the dashboard's documents are checked against it.
await ensureWebBuilt();
