#!/usr/bin/env node
// The `jobgraph` command. It runs the TypeScript sources through tsx, as `npm start` does, so the
// CLI needs no build step. Paths are resolved from this file, not from the working directory, so
// it works the same through npx, a bin symlink or `node bin/jobgraph.mjs` from anywhere.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The project's compiler settings, whatever tsconfig.json the working directory may hold.
register({ tsconfig: path.join(root, "tsconfig.json") });
await import(pathToFileURL(path.join(root, "src", "cli", "main.ts")).href);
