// Where a server's CPU time goes under one benchmarked read: a jobgraph gateway (or one of the read
// benchmark's peers) started with --cpu-prof, loaded with one of the read benchmark's queries, and
// its profile summed up by package and by function (self time). docs/performance.md cites these
// summaries.
//
//   npm run bench:profile -- jobById                 (or any other query of bench/reads/queries.ts)
//   npm run bench:profile -- jobById postgraphile    (or postgraphile5, floor)
//   npm run bench:profile -- <file>.cpuprofile       sums up a profile kept before
//
//   ... --smoke                                      50 jobs, 1 s, nothing kept (the suite runs it)
//
// Settings: BENCH_PROFILE_JOBS jobs seeded (2000), BENCH_PROFILE_SECONDS of load (10) after 3 s of
// warm-up, BENCH_PROFILE_TOP functions listed (30). Besides the profile's summary, the server's CPU
// per request is read from /proc over the load alone. The profile itself (.cpuprofile, for
// Chrome's DevTools or speedscope) and the summary (.json) are kept, untracked, in
// bench/results/profiles/.
import { mkdir, mkdtemp, readdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { cpuMs, deadline, root, scratch, smoke } from "./lib.js";
import { load } from "./reads/load.js";
import { startPostgres } from "./reads/postgres.js";
import { bodies, QUERIES, SERVERS, serves, type QueryName, type ServerName } from "./reads/queries.js";
import { benchIds, seed } from "./reads/seed.js";
import { startServer } from "./reads/servers.js";

const JOBS = Number(process.env.BENCH_PROFILE_JOBS ?? (smoke ? 50 : 2000));
const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? (smoke ? 1 : 10));
const WARMUP_SECONDS = smoke ? 0 : 3;
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 30);
const CONNECTIONS = 10;

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** The package a script belongs to (the last node_modules folder in its path), or the project's own folder. */
function owner(url: string): string {
  if (!url) return "(native, GC, idle)";
  if (url.startsWith("node:")) return url;
  const parts = url.replace(/^file:\/\//, "").split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at >= 0) return parts[at + 1]!.startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
  const src = parts.lastIndexOf("src");
  return src >= 0 ? parts.slice(src, src + 2).join("/") : path.basename(url);
}

/** Self time (ms) by package and by function, from a V8 CPU profile. */
export function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    total += ms;
    const pkg = frame.url ? owner(frame.url) : frame.functionName;
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const name = `${frame.functionName || "(anonymous)"} ${frame.url ? `${owner(frame.url)}:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const ranked = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / total }));
  return { busyMs: Math.round(total), idleMs: Math.round(idle), packages: ranked(packages, 25), functions: ranked(functions, TOP) };
}

function print(summary: ReturnType<typeof summarise>) {
  console.log("\nby package (self time):");
  for (const p of summary.packages) console.log(`${(p.share * 100).toFixed(1).padStart(6)}%  ${String(p.ms).padStart(7)} ms  ${p.name}`);
  console.log("\nby function (self time):");
  for (const f of summary.functions) console.log(`${(f.share * 100).toFixed(1).padStart(6)}%  ${String(f.ms).padStart(7)} ms  ${f.name}`);
}

async function main() {
  const [query, serverName = "jobgraph"] = process.argv.slice(2).filter((arg) => !arg.startsWith("--")) as [QueryName, ServerName?];
  if (query?.endsWith(".cpuprofile")) return print(summarise(JSON.parse(await readFile(query, "utf8")) as Profile));
  if (!QUERIES.includes(query)) throw new Error(`usage: npm run bench:profile -- ${QUERIES.join("|")} [${SERVERS.join("|")}]`);
  if (!SERVERS.includes(serverName)) throw new Error(`servers: ${SERVERS.join(", ")}`);
  if (!serves(serverName, query)) throw new Error(`the ${serverName} does not answer ${query}`);
  const work = await scratch("profile");
  const profiles = path.join(work.dir, "profiles");
  await mkdir(profiles);
  const giveUp = deadline(15 * 60_000);
  const db = await startPostgres(work.dir);
  try {
    await seed(db.url, JOBS);
    const ids = await benchIds(db.client, 1000);
    process.env.BENCH_GATEWAY_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profiles}`;
    const server = await startServer(serverName, db.url, 10);
    const requests = bodies(serverName, query, ids);
    if (WARMUP_SECONDS) await load(server.url, server.headers, requests, WARMUP_SECONDS, CONNECTIONS);
    const before = await cpuMs(server.pid);
    const result = await load(server.url, server.headers, requests, SECONDS, CONNECTIONS);
    const cpuMsPerRequest = ((await cpuMs(server.pid)) - before) / Math.max(result.sent, 1);
    await server.stop();
    const [file] = await readdir(profiles);
    const summary = summarise(JSON.parse(await readFile(path.join(profiles, file!), "utf8")) as Profile);
    const kept = smoke ? work.dir : path.join(root, "bench", "results", "profiles");
    await mkdir(kept, { recursive: true });
    const name = `${query}-${serverName}`;
    if (!smoke) await rename(path.join(profiles, file!), path.join(kept, `${name}.cpuprofile`));
    console.log(`${query} on ${serverName}: ${Math.round(result.rps)} req/s over ${SECONDS} s, ${result.failures} failed; ${cpuMsPerRequest.toFixed(3)} CPU ms per request (from /proc, under load)`);
    console.log(`profile: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle over the process' whole life, start-up included`);
    print(summary);
    const results = { at: new Date().toISOString(), smoke, query, server: serverName, jobs: JOBS, seconds: SECONDS, rps: result.rps, failures: result.failures, cpuMsPerRequest, summary };
    const json = path.join(smoke ? await mkdtemp(path.join(os.tmpdir(), "jobgraph-bench-profile-smoke-")) : kept, `${name}.json`);
    await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`results in ${json}`);
    if (result.failures) process.exitCode = 1;
  } finally {
    await db.stop();
    await work.remove();
    giveUp();
  }
}

await main();
