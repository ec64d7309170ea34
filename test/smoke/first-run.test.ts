// A newcomer's first `npm start`, in the situations that used to go wrong: the port taken, a clone
// only root may enter.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runServerToExit } from "../helpers/server-process.js";

const scratch = mkdtempSync(path.join(os.tmpdir(), "jobgraph-first-run-"));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("a start whose port is taken", () => {
  it("stops with one line naming the port and PORT, before it creates anything", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as net.AddressInfo;
    const dataDir = path.join(scratch, "port-taken");
    try {
      const { code, stdout, stderr } = await runServerToExit({ PORT: String(port), JOBGRAPH_DATA_DIR: dataDir, JOBGRAPH_ADMIN_TOKEN: undefined });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^jobgraph: port ${port} is in use .*set PORT`))]);
      // No database, no token: the data folder was never even made.
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
