// The three servers of the read benchmark, each its own process on the same database, so that each
// one's CPU time can be read alone from /proc.
import { spawn } from "node:child_process";
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

/** A peer (bench/reads/<script>); resolves once it answers a GraphQL query. */
export async function startPeer(name: ServerName, script: string, databaseUrl: string, poolSize: number): Promise<Server> {
  const port = await freePort();
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", `bench/reads/${script}`], {
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
