// The project's folder, found from this file rather than the working directory, so that every
// command behaves the same whichever folder `jobgraph` is run from.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
