import { defineConfig } from "vitest/config";
import LongestFirst from "./test/helpers/sequencer.js";
import { testWorkers } from "./test/helpers/workers.js";

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) builds. Node loads the CommonJS one for
    // the libraries; Vite would pick the ESM one for our code, and graphql refuses to mix the two.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Ends a test worker whose event loop stays blocked, which no timeout can (see the file).
    setupFiles: ["test/helpers/watchdog.ts"],
    // Each test file has its own database, cloned from a migrated template, so files run in
    // parallel, in worker processes, without seeing each other's rows.
    pool: "forks",
    // A worker process runs file after file in the same module graph, rather than loading the app
    // again for each (that was 200 s of a suite run's CPU). Every file still makes its own app; a
    // test that needs a module's process-wide state fresh imports a copy of it (freshModule in
    // test/helpers/fresh.ts, as test/unit/statement-caches.test.ts does).
    isolate: false,
    // Vitest's default (one file fewer than the cores) would run one file at a time on two cores;
    // see test/helpers/workers.ts.
    maxWorkers: testWorkers,
    // The longest files first, also on a fresh clone (see the file).
    sequence: { sequencer: LongestFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
