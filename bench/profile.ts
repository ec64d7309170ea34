// Where a server's CPU time goes under one benchmarked read: a jobgraph gateway (or one of the read
// benchmark's peers) started with --cpu-prof, loaded with one of the read benchmark's queries, and
// its profile summed up by package and by function (self time). docs/performance.md cites these
// summaries.
//
//   npm run bench:profile -- jobById                 (or nestedPage, filteredList)
//   npm run bench:profile -- jobById postgraphile    (or floor)
//   npm run bench:profile -- <file>.cpuprofile       sums up a profile kept before
//
// Settings: BENCH_PROFILE_JOBS jobs seeded (2000), BENCH_PROFILE_SECONDS of load (10) after 3 s of
// warm-up, BENCH_PROFILE_TOP functions listed (30). The profile itself (.cpuprofile, for Chrome's
// DevTools or speedscope) is kept in bench/results/profiles/.
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { deadline, root, scratch } from "./lib.js";
import { load } from "./reads/load.js";
import { startPostgres } from "./reads/postgres.js";
import { bodies, QUERIES, SERVERS, type QueryName, type ServerName } from "./reads/queries.js";
import { seed } from "./reads/seed.js";
import { startJobgraph, startPeer } from "./reads/servers.js";

const JOBS = Number(process.env.BENCH_PROFILE_JOBS ?? 2000);
const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 10);
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
  const query = process.argv[2] as QueryName;
  if (query?.endsWith(".cpuprofile")) return print(summarise(JSON.parse(await readFile(query, "utf8")) as Profile));
  if (!QUERIES.includes(query)) throw new Error(`usage: npm run bench:profile -- ${QUERIES.join("|")}`);
  const work = await scratch("profile");
  const profiles = path.join(work.dir, "profiles");
  await mkdir(profiles);
  const giveUp = deadline(15 * 60_000);
  const db = await startPostgres(work.dir);
  try {
    await seed(db.url, JOBS);
    const { rows } = await db.client.query<{ id: string }>(`/* profileJobIds */ select id::text from jobs order by md5(id::text) limit 1000`);
    process.env.BENCH_GATEWAY_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profiles}`;
    const name = (process.argv[3] ?? "jobgraph") as ServerName;
    if (!SERVERS.includes(name)) throw new Error(`servers: ${SERVERS.join(", ")}`);
    const server = name === "jobgraph" ? await startJobgraph(db.url, 10) : await startPeer(name, `${name === "floor" ? "floor" : "postgraphile"}-server.ts`, db.url, 10);
    const requests = bodies(name, query, rows.map((r) => r.id));
    await load(server.url, server.headers, requests, 3, CONNECTIONS);
    const result = await load(server.url, server.headers, requests, SECONDS, CONNECTIONS);
    await server.stop();
    const [file] = await readdir(profiles);
    const profile = JSON.parse(await readFile(path.join(profiles, file!), "utf8")) as Profile;
    const summary = summarise(profile);
    const kept = path.join(root, "bench", "results", "profiles");
    await mkdir(kept, { recursive: true });
    await rename(path.join(profiles, file!), path.join(kept, `${query}-${name}.cpuprofile`));
    console.log(`${query} on ${name}: ${Math.round(result.rps)} req/s over ${SECONDS} s, ${result.failures} failed; gateway busy ${summary.busyMs} ms, idle ${summary.idleMs} ms (profile of the whole process life, start-up included)`);
    console.log(`busy ms per request (load only, roughly): ${(summary.busyMs / (result.sent * (1 + 3 / SECONDS))).toFixed(3)}`);
    print(summary);
  } finally {
    await db.stop();
    await work.remove();
    giveUp();
  }
}

await main();
