// Builds the dashboard (web/, see web/vite.config.ts) into dist/web/, which the gateway serves at
// /: its typed documents and their manifest first (web/codegen.ts), then Vite's bundle, then the
// manifest beside it, which the gateway trusts so that the dashboard may send documents by hash.
//
// dist/web/build.json lists the sources (web/'s and the schema) with when each was last changed;
// an unchanged web/ is not built again, so `npm start` costs nothing more once it is built. Vite
// and GraphQL Code Generator are development tools: without them (an install that omitted them)
// the dashboard is not built, and the gateway says so at /.
//
//   node scripts/build-web.mjs     builds
import { existsSync, readdirSync, statSync } from "node:fs";
import { copyFile, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { builtFrom } from "./build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const web = path.join(root, "web");
const out = path.join(root, "dist", "web");
const record = path.join(out, "build.json");

/** What the build is made from, by path relative to the root, with when each was last changed. */
function sources() {
  const found = { "schema.graphql": statSync(path.join(root, "schema.graphql")).mtimeMs };
  for (const file of ["index.html", "vite.config.ts", "codegen.ts"]) found[`web/${file}`] = statSync(path.join(web, file)).mtimeMs;
  for (const file of readdirSync(path.join(web, "src"), { recursive: true })) {
    const name = file.split(path.sep).join("/");
    if (name.startsWith("gql/") || statSync(path.join(web, "src", file)).isDirectory()) continue;
    found[`web/src/${name}`] = statSync(path.join(web, "src", file)).mtimeMs;
  }
  return found;
}

/** Whether dist/web holds a build of web/ as it is now. */
export function isWebFresh() {
  return builtFrom(record, sources());
}

export async function buildWeb() {
  const bin = path.join(root, "node_modules", ".bin");
  if (!existsSync(path.join(bin, "graphql-codegen")) || !existsSync(path.join(root, "node_modules", "vite"))) {
    console.warn("jobgraph: the dashboard is not built (Vite and GraphQL Code Generator are not installed: npm ci installs them)");
    return;
  }
  const before = sources();
  const codegen = spawnSync(path.join(bin, "graphql-codegen"), ["--config", "codegen.ts"], { cwd: web, stdio: "inherit" });
  if (codegen.status !== 0) throw new Error("the dashboard's documents do not fit the schema (web/codegen.ts)");
  const { build } = await import("vite");
  await build({ configFile: path.join(web, "vite.config.ts"), logLevel: "warn" });
  await copyFile(path.join(web, "src", "gql", "persisted-documents.json"), path.join(out, "persisted-documents.json"));
  await writeFile(record, `${JSON.stringify({ sources: before }, null, 1)}\n`);
}

export async function ensureWebBuilt() {
  if (!isWebFresh()) await buildWeb();
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) await buildWeb();
