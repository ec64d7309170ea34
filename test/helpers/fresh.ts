// A copy of one of the project's modules with state of its own. Test files share a worker's
// modules (vitest.config.ts, isolate), so a module's process-wide state (a cache, a count) is
// whatever the files before left; a test that counts from its start imports a copy. The copy is
// the module loaded again under another URL: the modules it imports stay the shared ones, and the
// rest of the worker's files are not touched (as vi.resetModules would touch them).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../../src/db/migrate.js";

let copies = 0;

/** A new copy of the module at `file` (relative to the project's root). */
export async function freshModule<T>(file: string): Promise<T> {
  return (await import(`${pathToFileURL(path.join(projectRoot, file)).href}?copy=${++copies}`)) as T;
}
