#!/usr/bin/env node
// The `jobgraph` command. It runs the JavaScript that `npm start` (or `npm run build`) compiles
// into dist/ when that was compiled from the sources as they are, and otherwise the TypeScript
// sources themselves, through tsx (slower to start; see scripts/build.mjs). Paths are resolved
// from this file, not from the working directory, so it works the same through npx, a bin symlink
// or `node bin/jobgraph.mjs` from anywhere.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isFresh } from "../scripts/build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
if (isFresh()) {
  await import(pathToFileURL(path.join(root, "dist", "src", "cli", "main.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  // The project's compiler settings, whatever tsconfig.json the working directory may hold.
  register({ tsconfig: path.join(root, "tsconfig.json") });
  await import(pathToFileURL(path.join(root, "src", "cli", "main.ts")).href);
}
