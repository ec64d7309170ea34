// Which test files start first. Two workers share the files (test/helpers/workers.ts), so a long
// file that starts near the end leaves one worker running it alone while the other has nothing
// left: the run lasts as long as that file, not as long as the work. Vitest starts the files that
// took longest in the last run it remembers (node_modules/.vite) first, and the others by size,
// largest first. On a fresh clone (as in CI) nothing is remembered, and size puts the longest
// files last: those that start processes (the type-check, the benchmarks' smoke runs, gateway
// processes, a browser) are small. Measured on two cores, a fresh clone's run started the
// type-check (36 s) at 448 s, and ran it alone for its last 18 s; in order, the two workers ended
// within 4 s of each other.
//
// So each file is given how long it took in the last run when that is known, and an estimate
// otherwise: PROCESS_FILE_MS for a file in one of PROCESS_FOLDERS (5 to 50 s each when measured),
// OTHER_FILE_MS for the rest (most take 1 to 5 s); the longest start first, ties by size.
import { statSync } from "node:fs";
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const PROCESS_FOLDERS = ["test/bench/", "test/smoke/", "test/browser/"];
const PROCESS_FILE_MS = 20_000;
const OTHER_FILE_MS = 3_000;

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimated = files.map((spec) => {
      const relative = path.relative(root, spec.moduleId).split(path.sep).join("/");
      const last = this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative}`);
      const ms = last ? last.duration : PROCESS_FOLDERS.some((folder) => relative.startsWith(folder)) ? PROCESS_FILE_MS : OTHER_FILE_MS;
      return { spec, ms, failed: last?.failed ?? false, size: statSync(spec.moduleId).size };
    });
    // Files that failed last time first, as vitest does, so that a fix is seen soonest.
    estimated.sort((a, b) => Number(b.failed) - Number(a.failed) || b.ms - a.ms || b.size - a.size);
    return estimated.map((e) => e.spec);
  }
}
