// Compiles src/ to JavaScript in dist/src/, file for file (esbuild, no bundling), for `npm start`,
// the `jobgraph` command and the processes the tests and benchmarks start.
//
// Why: run through tsx, every module a process loads (its own, and every package's) goes through
// tsx's loader hooks, which Node runs on a thread of their own, one round trip per module. Loading
// the gateway's modules took about 3 s of CPU that way, against 1.5 s as JavaScript, and a CLI
// command 1 s against 0.4 s. `npm start` (and every script that runs a process from dist/) builds
// first: it takes under a second.
//
// A file that computes a path from its own location (import.meta.url: the project's root, the
// migrations, the Prisma client's files) is given its source's location instead, so the paths it
// makes are the same as when it runs from src/.
//
// dist/build.json lists the sources and when each was last changed; `isFresh` compares them with
// src/ as it is now, so that nothing runs an old build of changed sources.
//
//   node scripts/build.mjs     builds
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const dist = path.join(root, "dist");
const manifest = path.join(dist, "build.json");

/** The TypeScript sources, by path relative to src/, with when each was last changed (in milliseconds). */
function sources() {
  const found = {};
  for (const file of readdirSync(src, { recursive: true })) {
    if (file.endsWith(".ts")) found[file.split(path.sep).join("/")] = statSync(path.join(src, file)).mtimeMs;
  }
  return found;
}

/**
 * Whether two change times are the same. Within a millisecond, not equal: a time set to the
 * millisecond (a checkout, a copy, `touch -d`, utimes from a Date) reads back with
 * floating-point error (…123 ms as …122.999999), and a time kept to the nanosecond may be set
 * back only to the millisecond.
 */
function sameTime(a, b) {
  return typeof a === "number" && Math.abs(a - b) < 1;
}

/** Whether the build recorded in `record` was made of exactly the sources `now` lists (name: change time), none changed since. */
export function builtFrom(record, now) {
  if (!existsSync(record)) return false;
  let built;
  try {
    built = JSON.parse(readFileSync(record, "utf8")).sources;
  } catch {
    return false;
  }
  const names = Object.keys(now);
  return names.length === Object.keys(built).length && names.every((name) => sameTime(built[name], now[name]));
}

/** Whether dist/ holds a build of src/ as it is now: the same files, none changed since. */
export function isFresh() {
  return builtFrom(manifest, sources());
}

/**
 * Compiles src/ to dist/src/ and records what it compiled. Files are written over, not removed
 * first: a process already running from dist/ may still load a module from it (the CLI loads the
 * server's when told to serve); the compiled files of sources that are gone are removed after.
 */
export async function build() {
  // Loaded only to build: checking whether dist/ is fresh (the CLI does it at every start) needs none of it.
  const esbuild = await import("esbuild");
  const before = sources();
  const out = path.join(dist, "src");
  // A source's location, as a URL relative to its compiled file (see the file's comment).
  const ownLocation = {
    name: "own-location",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        let text = await readFile(args.path, "utf8");
        if (text.includes("import.meta.url")) {
          const compiled = path.join(out, path.relative(src, args.path));
          const relative = path.relative(path.dirname(compiled), args.path).split(path.sep).join("/");
          text = text.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative)}, import.meta.url).href`);
        }
        return { contents: text, loader: "ts" };
      });
    },
  };
  await mkdir(dist, { recursive: true });
  await esbuild.build({
    entryPoints: Object.keys(before).map((name) => path.join(src, name)),
    outdir: out,
    outbase: src,
    platform: "node",
    format: "esm",
    target: "node20",
    plugins: [ownLocation],
    logLevel: "warning",
  });
  for (const file of await readdir(out, { recursive: true })) {
    if (file.endsWith(".js") && !Object.hasOwn(before, file.split(path.sep).join("/").replace(/\.js$/, ".ts"))) await rm(path.join(out, file));
  }
  await writeFile(manifest, `${JSON.stringify({ sources: before }, null, 1)}\n`);
}

let building;

/** Builds unless dist/ is fresh; callers that come while a build runs wait for it instead of starting another. */
export async function ensureBuilt() {
  if (building) return building;
  if (isFresh()) return;
  building = build().finally(() => (building = undefined));
  return building;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) await build();
