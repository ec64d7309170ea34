import os from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) builds. Node loads the CommonJS one for
    // the libraries; Vite would pick the ESM one for our code, and graphql refuses to mix the two.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Each test file runs in its own process with its own database, cloned from a migrated
    // template, so files run in parallel without seeing each other's rows.
    pool: "forks",
    // Vitest's default (one file fewer than the cores) runs one file at a time on two cores, but
    // most files spend their time waiting on PostgreSQL and on server processes they started:
    // two at a time halves the suite's time there.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
