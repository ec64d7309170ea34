// scripts/build.mjs: what processes run is src/ compiled to dist/src/, which must compute the same
// paths as the sources do, and must be known to be stale as soon as a source changes (the
// `jobgraph` command then runs the sources through tsx instead).
import { mkdtempSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ensureBuilt, isFresh } from "../../scripts/build.mjs";
import { projectRoot } from "../../src/db/migrate.js";

describe("the build", () => {
  it("computes paths from the sources' locations, as the sources do", async () => {
    await ensureBuilt();
    const compiled = (await import(pathToFileURL(path.join(projectRoot, "dist", "src", "cli", "paths.js")).href)) as { projectRoot: string };
    expect(compiled.projectRoot).toBe(projectRoot);
  });

  it("is stale once a source changes, and fresh again when it is as built", async () => {
    await ensureBuilt();
    expect(isFresh()).toBe(true);
    // A source touched, not edited: the check goes by when each was last changed.
    const source = path.join(projectRoot, "src", "lru.ts");
    const { atime, mtime } = statSync(source);
    try {
      utimesSync(source, atime, new Date(mtime.getTime() + 60_000));
      expect(isFresh()).toBe(false);
    } finally {
      utimesSync(source, atime, mtime);
    }
    expect(isFresh()).toBe(true);
  });

  it("is fresh again when a source's time is set back to the millisecond, which reads back a little off", async () => {
    // A time kept to the nanosecond can be set back (from a Date, by `touch -d`) only to the
    // millisecond, and on Node.js 20 and 22 such a time reads back with floating-point error about
    // half the time: find one that does. Node.js 24 reads times back exactly, so the search is
    // bounded (a loop that never yields would hang its test worker past every timeout); there the
    // test checks the same round trip with a time that reads back as it was set.
    const scratch = path.join(mkdtempSync(path.join(tmpdir(), "jobgraph-build-")), "file");
    writeFileSync(scratch, "");
    let setTo = Date.now() - 86_400_000;
    for (let tries = 0; tries < 1000; tries++) {
      utimesSync(scratch, new Date(setTo), new Date(setTo));
      if (statSync(scratch).mtimeMs !== setTo) break;
      setTo += 1;
    }
    const source = path.join(projectRoot, "src", "lru.ts");
    const { atimeMs, mtimeMs } = statSync(source);
    try {
      utimesSync(source, (setTo + 0.5) / 1000, (setTo + 0.5) / 1000);
      await ensureBuilt();
      utimesSync(source, new Date(setTo), new Date(setTo));
      expect(isFresh()).toBe(true);
    } finally {
      utimesSync(source, atimeMs / 1000, mtimeMs / 1000);
      await ensureBuilt();
    }
  });
});
