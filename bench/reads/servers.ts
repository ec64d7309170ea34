// The servers of the read benchmark, each its own process on the same database, so that each one's
// CPU time can be read alone from /proc.
import { execFile, spawn } from "node:child_process";
import { access, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, gateway, root } from "../lib.js";
import type { ServerName } from "./queries.js";

export type Server = {
  name: ServerName;
  url: string;
  pid: number;
  /** Headers every request carries (jobgraph's bearer token). */
  headers: Record<string, string>;
  stop(): Promise<void>;
};

/**
 * jobgraph as `npm start` runs it in production, on `databaseUrl`. Its pool has `poolSize`
 * connections, as the peers' have; the reclaimer is slowed to once an hour and the schedule ticker
 * is off, so that no background statement lands in a measurement or in the statements counted for
 * another server (the seeded leases do not expire anyway, and the bench makes no schedules).
 */
export async function startJobgraph(databaseUrl: string, poolSize: number): Promise<Server> {
  const gw = await gateway({
    databaseUrl,
    env: { JOBGRAPH_DB_POOL_SIZE: String(poolSize), JOBGRAPH_RECLAIM_INTERVAL_MS: "3600000", JOBGRAPH_SCHEDULE_INTERVAL_MS: "0" },
  });
  return { name: "jobgraph", url: gw.url, pid: gw.pid, headers: { authorization: `Bearer ${gw.token}` }, stop: () => gw.stop() };
}

/** The oldest Node.js major a peer may need (PostGraphile v5 requires 22). */
const NODE_MAJOR = 22;

/**
 * A Node.js binary of major 22 or later: this one when it is (as in CI), else the official
 * binary of the newest Node 22, fetched once from the npm registry (the node-linux-<arch> package,
 * as .ci/run fetches it; npm checks its integrity) and kept in node_modules/.cache.
 */
export async function modernNode(): Promise<string> {
  if (Number(process.versions.node.split(".")[0]) >= NODE_MAJOR) return process.execPath;
  const arch = ({ x64: "x64", arm64: "arm64" } as Record<string, string>)[process.arch];
  if (process.platform !== "linux" || !arch) throw new Error(`no Node.js ${NODE_MAJOR} package for ${process.platform}-${process.arch}: run the benchmark on Node ${NODE_MAJOR} or later`);
  const dir = path.join(root, "node_modules", ".cache", `bench-node${NODE_MAJOR}-${arch}`);
  const binary = path.join(dir, "package", "bin", "node");
  const present = await access(binary).then(() => true, () => false);
  if (!present) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const run = promisify(execFile);
    const { stdout } = await run("npm", ["pack", "--silent", `node-linux-${arch}@${NODE_MAJOR}`], { cwd: dir });
    const tarball = stdout.trim().split("\n").pop()!;
    await run("tar", ["-xzf", tarball, "package/bin/node"], { cwd: dir });
    await rm(path.join(dir, tarball));
  }
  return binary;
}

const PEER_SCRIPTS: Record<Exclude<ServerName, "jobgraph">, string> = {
  postgraphile: "postgraphile-server.ts",
  postgraphile5: "postgraphile5-server.ts",
  floor: "floor-server.ts",
};

/** Any server of the benchmark by its name; PostGraphile v5 on Node 22 or later (`modernNode`). */
export async function startServer(name: ServerName, databaseUrl: string, poolSize: number): Promise<Server> {
  if (name === "jobgraph") return startJobgraph(databaseUrl, poolSize);
  return startPeer(name, PEER_SCRIPTS[name], databaseUrl, poolSize, name === "postgraphile5" ? await modernNode() : process.execPath);
}

/**
 * A peer (bench/reads/<script>), run by `node` (this process's Node.js unless given); resolves
 * once it answers a GraphQL query.
 */
export async function startPeer(name: ServerName, script: string, databaseUrl: string, poolSize: number, node = process.execPath): Promise<Server> {
  const port = await freePort();
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(node, [...nodeArgs, "--import", "tsx", `bench/reads/${script}`], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production", DATABASE_URL: databaseUrl, PORT: String(port), POOL_SIZE: String(poolSize) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}/graphql`;
  const ready = () =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) }).then(
      (r) => r.ok,
      () => false,
    );
  const giveUp = Date.now() + 60_000;
  let answered = false;
  while (!gone && !answered && Date.now() < giveUp) {
    answered = await ready();
    if (!answered) await new Promise((r) => setTimeout(r, 100));
  }
  if (!answered) {
    child.kill("SIGKILL");
    throw new Error(`${name} ${gone ? "exited during start-up" : "did not answer within a minute"}`);
  }
  return {
    name,
    url,
    pid: child.pid!,
    headers: {},
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
