// Workers: N worker nodes (1, 8, 32 by default), split evenly across two gateway instances on one
// PostgreSQL, each running jobs of 4 tasks in 2 sequences through the GraphQL API in a tight loop
// (the documents runWorker sends, without its waits): acquireNextJob -> startJob (its answer holds
// the tasks) -> for each sequence, its 2 tasks at once: their startTasks, their
// reportTaskProgress, their finishTasks with the job's reportJobProgress -> finishJob (17
// mutations; 9 requests a job, as the SDK sends mutations made in the same tick in one document).
// Reported:
// jobs completed per second, per minute and per core, mutations per second, claim latency
// (p50/p99 of acquireNextJob round trips), CPU milliseconds per mutation and per job in the
// gateways, PostgreSQL and this process, and checks that no job was acquired twice or lost. The
// floor, interleaved with it in every round: the same SQL statements sent straight to PostgreSQL
// (see bench/workers/drivers.ts). In every round the most workers run twice more: each job also
// appending a batch of log lines, and on workflows (diamonds of 4 jobs, 3 of which wait for
// others) instead of independent jobs. Traffic goes to 127.0.0.1 only.
//
//   npm run bench:workers               3 rounds × (1, 8, 32 workers) × (GraphQL, floor), 20 s each,
//                                       after a 5 s warm-up of each: about 8-10 minutes on 2 cores
//   npm run bench:workers -- --smoke    1 and 2 workers, 1.5 s each, 1 round, checks included (about
//                                       25 s; the suite runs it); results go to a temporary folder
//   npm run bench:workers -- --soak     300,000 claims through GraphQL, each a whole lifecycle (the
//                                       job and its 4 tasks), with the queue kept as deep and
//                                       autovacuum alone cleaning up: throughput in 30 s windows, the
//                                       ratio of the end to the start (must be >= 0.8), and CPU per
//                                       job in the gateways and in PostgreSQL, which shows a slower
//                                       database even where throughput noise would hide it. About two
//                                       hours on 2 cores (at 40-50 jobs/s with 8 workers); through the
//                                       floor's statements (BENCH_SOAK_VIA=sql), which churn the
//                                       tables faster, about half that. Not run by default. With
//                                       --smoke: 600 claims in 1 s windows, to see that it runs (its
//                                       ratio is not judged).
//
// Environment (each overrides the smoke scale too):
//   BENCH_WORKERS=1,8,32          worker counts
//   BENCH_SECONDS=20              length of each measured phase
//   BENCH_ROUNDS=3                rounds; each runs every worker count through GraphQL and the floor
//   BENCH_WARMUP_SECONDS=5        an unmeasured phase of each kind first (0: none)
//   BENCH_QUEUE_DEPTH=1000        jobs kept waiting: the queue is topped up every 200 ms as workers
//                                 drain it (a phase that empties the queue fails)
//   BENCH_WORKFLOWS=1000          diamonds the workflow phases complete, shared between the rounds
//                                 (each phase runs until its share has; 10 with --smoke)
//   BENCH_SOAK_CLAIMS=300000      claims in the soak
//   BENCH_SOAK_WORKERS=8          workers in the soak
//   BENCH_SOAK_VIA=graphql        graphql or sql (the floor's statements)
//   BENCH_SOAK_WINDOW_SECONDS=30  throughput windows of the soak
//   BENCH_SOAK_RETENTION          with a duration (e.g. 10m): the gateways keep events and finished
//                                 jobs that long (JOBGRAPH_EVENT_RETENTION, JOBGRAPH_JOB_RETENTION),
//                                 pruning every 10 s, and the soak reports to its own section (soak
//                                 with retention), where the tables' sizes should level off
//   BENCH_DEADLINE_MINUTES        give up after this long (default: twice the expected duration at
//                                 a pessimistic rate)
//   DATABASE_URL                  use this PostgreSQL instead of a fresh embedded one (PostgreSQL
//                                 CPU is then not measured); JOBGRAPH_DB_POOL_SIZE reaches the gateways
//
// The run fails (exit 1) on any double acquisition, lost job, failed call or emptied queue, and a
// soak also when its end runs below 80% of its start. The benchmark sets the jobs table's
// autovacuum as docs/deploy.md recommends, unless the table already has its own settings.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { database, deadline, gateway, machine, median, percentile, report, root, scratch, smoke, type Gateway } from "./lib.js";
import { findPostmaster, readCpu, type CpuReading } from "./workers/cpu.js";
import { graphqlDriver, LEASE_SECONDS, sqlDriver, type Driver } from "./workers/drivers.js";
import {
  acquiredTooEarly,
  clearQueue,
  createQueue,
  diamondsCompleted,
  jobUpdates,
  keepFull,
  lastEventId,
  settle,
  topUp,
  tuneAutovacuum,
  type Queue,
} from "./workers/queue.js";
import { SOAK_CHART, SOAK_RETENTION_CHART, soakChart, soakSection, workersSection, type Kind, type Phase, type Results, type SoakResults, type Summary } from "./workers/section.js";
import { compareEnds, endWindows } from "./workers/soak.js";
import { check, MUTATIONS_PER_JOB, newTally, REQUESTS_PER_JOB, work, type Window } from "./workers/work.js";

const env = process.env;
const numberFrom = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const soak = process.argv.includes("--soak");

const WORKERS = env.BENCH_WORKERS ? env.BENCH_WORKERS.split(",").map(Number) : smoke ? [1, 2] : [1, 8, 32];
const SECONDS = numberFrom("BENCH_SECONDS", smoke ? 1.5 : 20);
const ROUNDS = numberFrom("BENCH_ROUNDS", smoke ? 1 : 3);
const WARMUP_SECONDS = numberFrom("BENCH_WARMUP_SECONDS", smoke ? 0 : 5);
const QUEUE_DEPTH = numberFrom("BENCH_QUEUE_DEPTH", smoke ? 200 : 1_000);
const SOAK_CLAIMS = numberFrom("BENCH_SOAK_CLAIMS", smoke ? 600 : 300_000);
const SOAK_WORKERS = numberFrom("BENCH_SOAK_WORKERS", smoke ? 4 : 8);
const SOAK_VIA: Kind = env.BENCH_SOAK_VIA === "sql" ? "sql" : "graphql";
const SOAK_WINDOW_SECONDS = numberFrom("BENCH_SOAK_WINDOW_SECONDS", smoke ? 1 : 30);
/**
 * Log lines each job appends in the logs phases (one batch after it starts, as the SDK sends a
 * batch every half second): about 1,000 lines a second in all at the target's 50 jobs a second.
 */
const LOG_LINES_PER_JOB = numberFrom("BENCH_LOG_LINES_PER_JOB", 20);
/** Workflows (diamonds of 4 jobs) the workflow phases complete, shared between the rounds. */
const WORKFLOWS = numberFrom("BENCH_WORKFLOWS", smoke ? 10 : 1_000);
/** Issue 8's target for the whole machine: 3,000 jobs per minute (issue 14: with their tasks' work, 17 mutations each). */
const TARGET_JOBS_PER_MINUTE = 3_000;
/** The soak's end must keep at least this share of its start's throughput. */
const SOAK_MIN_RATIO = 0.8;

for (const [name, value] of Object.entries({ SECONDS, ROUNDS, QUEUE_DEPTH, SOAK_CLAIMS, SOAK_WORKERS, SOAK_WINDOW_SECONDS })) {
  if (!(value > 0)) throw new Error(`BENCH_${name} must be a positive number`);
}
if (env.BENCH_SOAK_VIA && !["sql", "graphql"].includes(env.BENCH_SOAK_VIA)) throw new Error("BENCH_SOAK_VIA must be sql or graphql");
/** With --soak: how long the gateways keep events and finished jobs; none by default. */
const SOAK_RETENTION = soak ? env.BENCH_SOAK_RETENTION?.trim() || undefined : undefined;
if (SOAK_RETENTION && !/^\d+\s*[mhdw]$/.test(SOAK_RETENTION)) throw new Error("BENCH_SOAK_RETENTION must be a duration such as 10m");
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** The retention in milliseconds: the jobs finished within half of it keep their rows and events until the soak's checks have read them. */
const SOAK_RETENTION_MS = SOAK_RETENTION ? Number(/^\d+/.exec(SOAK_RETENTION)![0]) * UNIT_MS[SOAK_RETENTION.slice(-1)]! : undefined;
if (!WORKERS.every((n) => Number.isInteger(n) && n > 0)) throw new Error("BENCH_WORKERS must list positive integers, e.g. 1,8,32");

/** Setting up, checking and settling between phases take about this long per phase and in all. */
const PHASE_OVERHEAD_S = 20;
const SETUP_S = 120;
const expectedSeconds = soak
  ? SETUP_S + SOAK_CLAIMS / (SOAK_VIA === "sql" ? 40 : 20)
  : SETUP_S + (ROUNDS * (WORKERS.length * 2 + 2) + (WARMUP_SECONDS ? 3 : 0)) * PHASE_OVERHEAD_S + ROUNDS * (WORKERS.length * 2 + 1) * SECONDS + WARMUP_SECONDS * 3 + WORKFLOWS / 5;
const DEADLINE_MS = numberFrom("BENCH_DEADLINE_MINUTES", Math.ceil((2 * expectedSeconds) / 60)) * 60_000;

type Bench = { url: string; pool: pg.Pool; gateways: Gateway[]; queue: Queue; postmaster: number | undefined };

/** `count` drivers: GraphQL ones alternate between the gateways; each uses its own worker node. */
async function drivers(bench: Bench, kind: Kind, count: number): Promise<{ drivers: Driver[]; close(): Promise<void> }> {
  if (kind !== "sql") {
    const agents = bench.gateways.map(() => new http.Agent({ keepAlive: true }));
    const lines = kind === "graphqlLogs" ? LOG_LINES_PER_JOB : 0;
    const list = Array.from({ length: count }, (_, i) => graphqlDriver(bench.gateways[i % 2]!, bench.queue.nodes[i]!, agents[i % 2]!, lines));
    return { drivers: list, close: async () => agents.forEach((a) => a.destroy()) };
  }
  const list = await Promise.all(Array.from({ length: count }, (_, i) => sqlDriver(bench.url, bench.queue.nodes[i]!)));
  return { drivers: list, close: async () => void (await Promise.all(list.map((d) => d.close()))) };
}

const cpuReading = (bench: Bench) => readCpu(bench.gateways.map((g) => g.pid), bench.postmaster);

/** CPU used between two readings, per job and per mutation, and as a share of the whole machine. */
function cpuBetween(before: CpuReading, after: CpuReading, jobs: number, mutations: number, kind: Kind) {
  const gateways = after.gatewaysMs - before.gatewaysMs;
  const postgres = after.postgresMs - before.postgresMs;
  const client = after.clientMs - before.clientMs;
  const wallMs = after.at - before.at;
  return {
    gatewayMsPerMutation: kind !== "sql" ? gateways / mutations : null,
    gatewayMsPerJob: kind !== "sql" ? gateways / jobs : null,
    postgresMsPerJob: postgres / jobs,
    clientMsPerJob: client / jobs,
    /** Share of all cores busy in the three (PostgreSQL unknown: left out). */
    busyShare: (gateways + (Number.isNaN(postgres) ? 0 : postgres) + client) / (wallMs * machine().cpus),
  };
}

/**
 * Closes `window` once `target` diamonds have completed since the event `from` (polled every
 * 100 ms), taking the CPU reading then (`closed`); returns when the window has closed either way.
 */
async function countDiamonds(pool: pg.Pool, from: string, target: number, window: Window, closed: () => void): Promise<void> {
  while (performance.now() < window.end) {
    if ((await diamondsCompleted(pool, from)) >= target) {
      window.end = performance.now();
      closed();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One measured phase: `workers` workers of one kind for `seconds` (workflows: until their share of
 * diamonds has completed) on a settled queue kept full.
 */
async function phase(bench: Bench, kind: Kind, workers: number, seconds: number, round: number): Promise<Phase> {
  const shape = kind === "graphqlWorkflows" ? "diamonds" : "jobs";
  if (shape === "diamonds") await clearQueue(bench.pool, "jobs");
  await topUp(bench.pool, bench.queue, QUEUE_DEPTH, shape);
  await settle(bench.pool);
  const from = await lastEventId(bench.pool);
  const { drivers: list, close } = await drivers(bench, kind, workers);
  const tallies = list.map(() => newTally());
  const stopFilling = keepFull(bench.pool, bench.queue, QUEUE_DEPTH, shape);
  const before = await cpuReading(bench);
  // Independent jobs run for `seconds`; workflows until this round's share of BENCH_WORKFLOWS
  // diamonds have completed (or for at most 20 times `seconds`).
  const window = { end: before.at + (shape === "diamonds" ? 20 : 1) * seconds * 1000 };
  let after: Promise<CpuReading> | undefined;
  const timer = setTimeout(() => (after = cpuReading(bench)), window.end - before.at);
  const counting = shape === "diamonds" ? countDiamonds(bench.pool, from, Math.ceil(WORKFLOWS / ROUNDS), window, () => (after = cpuReading(bench))) : undefined;
  await Promise.all(list.map((driver, i) => work(driver, tallies[i]!, () => performance.now() < window.end, window)));
  clearTimeout(timer);
  await counting;
  const end = await (after ?? cpuReading(bench));
  await stopFilling();
  await close();
  const checks = await check(bench.pool, from, tallies);
  if (shape === "diamonds") {
    const early = await acquiredTooEarly(bench.pool, from);
    checks.acquiredTooEarly = early;
    checks.diamondsCompleted = await diamondsCompleted(bench.pool, from);
    if (early) checks.problems.push(`${early} jobs acquired before a dependency had succeeded`);
    const share = Math.ceil(WORKFLOWS / ROUNDS);
    if (checks.diamondsCompleted < share) checks.problems.push(`${checks.diamondsCompleted} of ${share} diamonds completed in ${20 * seconds} s`);
    await clearQueue(bench.pool, "diamonds");
  }
  const measured = (end.at - before.at) / 1000;
  const completed = tallies.reduce((sum, t) => sum + t.completed, 0);
  const mutations = tallies.reduce((sum, t) => sum + t.mutations, 0);
  const claims = tallies.flatMap((t) => t.claimMs);
  const logLines = tallies.reduce((sum, t) => sum + t.logLines, 0);
  const jobsPerSecond = completed / measured;
  const result: Phase = {
    kind,
    round,
    workers,
    seconds: measured,
    completed,
    mutations,
    jobsPerSecond,
    jobsPerMinute: jobsPerSecond * 60,
    jobsPerSecondPerCore: jobsPerSecond / machine().cpus,
    mutationsPerSecond: mutations / measured,
    claimP50Ms: percentile(claims, 50),
    claimP99Ms: percentile(claims, 99),
    logLinesPerSecond: logLines / measured,
    cpu: cpuBetween(before, end, completed, mutations, kind),
    checks,
  };
  console.log(
    `${round ? `round ${round}` : "warm-up"}, ${{ graphql: "GraphQL", sql: "floor  ", graphqlLogs: "GraphQL with logs", graphqlWorkflows: "GraphQL, workflows" }[kind]}, ${String(workers).padStart(2)} ${workers === 1 ? "worker: " : "workers:"} ` +
      `${jobsPerSecond.toFixed(1)} jobs/s, ${result.mutationsPerSecond.toFixed(0)} mutations/s, claim p50 ${result.claimP50Ms.toFixed(1)} ms p99 ${result.claimP99Ms.toFixed(1)} ms` +
      (logLines ? `, ${result.logLinesPerSecond.toFixed(0)} log lines/s` : "") +
      (checks.problems.length ? `; PROBLEMS: ${checks.problems.join("; ")}` : `; ${checks.acquired} acquired, 0 double, 0 lost`),
  );
  return result;
}

/** Medians per worker count over the rounds, and the ratio to the floor (the median of each round's own ratio). */
function summarise(phases: Phase[]): Summary[] {
  const measured = phases.filter((p) => p.round > 0);
  return WORKERS.map((workers) => {
    const of = (kind: Kind) => measured.filter((p) => p.kind === kind && p.workers === workers);
    const medians = (list: Phase[]) => ({
      jobsPerSecond: median(list.map((p) => p.jobsPerSecond)),
      jobsPerMinute: median(list.map((p) => p.jobsPerMinute)),
      jobsPerSecondPerCore: median(list.map((p) => p.jobsPerSecondPerCore)),
      mutationsPerSecond: median(list.map((p) => p.mutationsPerSecond)),
      claimP50Ms: median(list.map((p) => p.claimP50Ms)),
      claimP99Ms: median(list.map((p) => p.claimP99Ms)),
      gatewayMsPerMutation: list[0]?.cpu.gatewayMsPerMutation == null ? null : median(list.map((p) => p.cpu.gatewayMsPerMutation!)),
      gatewayMsPerJob: list[0]?.cpu.gatewayMsPerJob == null ? null : median(list.map((p) => p.cpu.gatewayMsPerJob!)),
      postgresMsPerJob: median(list.map((p) => p.cpu.postgresMsPerJob)),
      clientMsPerJob: median(list.map((p) => p.cpu.clientMsPerJob)),
      busyShare: median(list.map((p) => p.cpu.busyShare)),
    });
    const graphql = of("graphql");
    const floor = of("sql");
    const ratios = graphql.map((g) => g.jobsPerSecond / floor.find((f) => f.round === g.round)!.jobsPerSecond);
    return { workers, graphql: medians(graphql), floor: medians(floor), ratioToFloor: median(ratios) };
  });
}

async function versions(db: { version: string }, pool: pg.Pool) {
  const pkg = async (name: string) => (JSON.parse(await readFile(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  const { rows } = await pool.query<{ v: string }>("select current_setting('server_version') as v");
  return {
    node: process.version,
    postgres: `${rows[0]!.v} (${db.version})`,
    graphqlYoga: await pkg("graphql-yoga"),
    graphql: await pkg("graphql"),
    pothos: await pkg("@pothos/core"),
    prisma: await pkg("@prisma/client"),
    pg: await pkg("pg"),
  };
}

/** Both gateways, started together; if either fails to start, the other is stopped too. */
async function startGateways(url: string): Promise<Gateway[]> {
  const retention: Record<string, string> = SOAK_RETENTION
    ? { JOBGRAPH_EVENT_RETENTION: SOAK_RETENTION, JOBGRAPH_JOB_RETENTION: SOAK_RETENTION, JOBGRAPH_RETENTION_INTERVAL_MS: "10000" }
    : {};
  const started = await Promise.allSettled([0, 1].map(() => gateway({ databaseUrl: url, env: { JOBGRAPH_LEASE_SECONDS: String(LEASE_SECONDS), ...retention } })));
  const up = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(up.map((g) => g.stop()));
    throw failed.reason;
  }
  return up;
}

/** The warm-up, then every round: each worker count through GraphQL and the floor. */
async function measure(bench: Bench): Promise<Phase[]> {
  const phases: Phase[] = [];
  if (WARMUP_SECONDS) {
    const n = Math.min(8, Math.max(...WORKERS));
    // Log appends too, so that no measured phase is the first to run its statements.
    for (const kind of ["graphql", "sql", "graphqlLogs"] as const) phases.push(await phase(bench, kind, n, WARMUP_SECONDS, 0));
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workers of WORKERS) {
      // Which kind goes first alternates, so neither always runs on the fresher machine.
      const order: Kind[] = (round + WORKERS.indexOf(workers)) % 2 ? ["graphql", "sql"] : ["sql", "graphql"];
      for (const kind of order) phases.push(await phase(bench, kind, workers, SECONDS, round));
    }
    // The most workers again, each job also appending a batch of log lines: in the same round as
    // the phases without, so that their ratio is of one machine at one time.
    phases.push(await phase(bench, "graphqlLogs", Math.max(...WORKERS), SECONDS, round));
    // And again on workflows (diamonds of 4 jobs) instead of independent jobs.
    phases.push(await phase(bench, "graphqlWorkflows", Math.max(...WORKERS), SECONDS, round));
  }
  return phases;
}

async function soakRun(bench: Bench): Promise<Omit<SoakResults, "at" | "machine" | "versions" | "autovacuum">> {
  await topUp(bench.pool, bench.queue, QUEUE_DEPTH);
  await settle(bench.pool);
  const from = await lastEventId(bench.pool);
  const { drivers: list, close } = await drivers(bench, SOAK_VIA, SOAK_WORKERS);
  const tallies = list.map(() => newTally());
  let left = SOAK_CLAIMS;
  // The queue stays equally deep, so the only thing that changes over the soak is what the claims
  // leave behind: dead rows, finished jobs, a longer history, larger indexes.
  const stopFilling = keepFull(bench.pool, bench.queue, QUEUE_DEPTH);
  const windows: SoakResults["windows"] = [];
  const updatesBefore = await jobUpdates(bench.pool);
  const started = performance.now();
  let last = { at: started, finished: 0, claimIndex: tallies.map(() => 0), cpu: await cpuReading(bench) };
  const sample = async () => {
    const at = performance.now();
    // A reading that took most of a window (a busy machine) would leave the next one a moment
    // long, perhaps with no job in it: that window runs on to the next tick instead.
    if (at - last.at < SOAK_WINDOW_SECONDS * 500) return;
    const finished = tallies.reduce((sum, t) => sum + t.finished, 0);
    const cpu = await cpuReading(bench);
    const jobs = finished - last.finished;
    const claims = tallies.flatMap((t, i) => t.claimMs.slice(last.claimIndex[i]));
    const { rows } = await bench.pool.query<{ dead: string; autovacuums: string; bytes: string; tasks: string; events: string; event_rows: string }>(
      `select n_dead_tup::text as dead, autovacuum_count::text as autovacuums, pg_total_relation_size('jobs')::text as bytes,
              pg_total_relation_size('tasks')::text as tasks, pg_total_relation_size('job_events')::text as events,
              (select n_live_tup from pg_stat_user_tables where relid = 'job_events'::regclass)::text as event_rows
         from pg_stat_user_tables where relid = 'jobs'::regclass`,
    );
    windows.push({
      endsAtSeconds: (at - started) / 1000,
      seconds: (at - last.at) / 1000,
      jobsPerSecond: (finished - last.finished) / ((at - last.at) / 1000),
      claimP99Ms: percentile(claims, 99),
      deadRows: Number(rows[0]!.dead),
      autovacuums: Number(rows[0]!.autovacuums),
      jobsTableMiB: Number(rows[0]!.bytes) / 2 ** 20,
      tasksTableMiB: Number(rows[0]!.tasks) / 2 ** 20,
      eventsTableMiB: Number(rows[0]!.events) / 2 ** 20,
      eventRows: Number(rows[0]!.event_rows),
      gatewayMsPerJob: SOAK_VIA === "graphql" && jobs ? (cpu.gatewaysMs - last.cpu.gatewaysMs) / jobs : null,
      clientMsPerJob: jobs ? (cpu.clientMs - last.cpu.clientMs) / jobs : null,
      postgresMsPerJob: bench.postmaster && jobs ? (cpu.postgresMs - last.cpu.postgresMs) / jobs : null,
    });
    const w = windows.at(-1)!;
    console.log(`${w.endsAtSeconds.toFixed(0)} s: ${finished} jobs, ${w.jobsPerSecond.toFixed(1)} jobs/s, claim p99 ${w.claimP99Ms.toFixed(1)} ms, ${w.deadRows} dead rows, ${w.autovacuums} autovacuums`);
    last = { at, finished, claimIndex: tallies.map((t) => t.claimMs.length), cpu };
  };
  // One reading at a time: on a busy machine a reading can take longer than a window. Two
  // overlapping ones would each measure against the other's start (negative CPU, for one), and
  // readings queued behind a slow one would close windows a moment long, with no job in them; a
  // tick that finds a reading under way is skipped, and that window runs on to the next tick.
  let sampling: Promise<void> | undefined;
  const sampler = setInterval(() => {
    sampling ??= sample()
      .catch((error: Error) => console.error(`a soak window was not recorded: ${error.message}`))
      .finally(() => (sampling = undefined));
  }, SOAK_WINDOW_SECONDS * 1000);
  await Promise.all(list.map((driver, i) => work(driver, tallies[i]!, () => left-- > 0, { end: Number.POSITIVE_INFINITY })));
  clearInterval(sampler);
  await Promise.all([sampling, stopFilling()]);
  await close();
  const updatesAfter = await jobUpdates(bench.pool);
  const checks = await check(bench.pool, from, tallies, SOAK_RETENTION_MS === undefined ? undefined : SOAK_RETENTION_MS / 2);
  const ends = compareEnds(windows, SOAK_VIA);
  const { start, end } = endWindows(windows);
  const cpuPerJob = (some: typeof windows) => {
    const measured = some.filter((w) => w.postgresMsPerJob !== null);
    return measured.length ? median(measured.map((w) => (w.gatewayMsPerJob ?? 0) + w.postgresMsPerJob!)) : null;
  };
  const updates = updatesAfter.updates - updatesBefore.updates;
  const problems = [...checks.problems];
  if (windows.length < 4) problems.push(`too few windows (${windows.length - 1} after the warm-up) to compare the end with the start: lower BENCH_SOAK_WINDOW_SECONDS`);
  // A smoke run is seconds long on a machine the test suite keeps busy: its ratio says nothing.
  else if (!smoke && !((ends.adjustedRatio ?? ends.ratio) >= SOAK_MIN_RATIO)) {
    problems.push(`the end ran at ${((ends.adjustedRatio ?? ends.ratio) * 100).toFixed(0)}% of the start${ends.adjustedRatio === null ? "" : " at the same machine speed"}, below ${SOAK_MIN_RATIO * 100}%`);
  }
  return {
    settings: { via: SOAK_VIA, workers: SOAK_WORKERS, claims: SOAK_CLAIMS, windowSeconds: SOAK_WINDOW_SECONDS, queueDepth: QUEUE_DEPTH, retention: SOAK_RETENTION ?? null },
    seconds: (performance.now() - started) / 1000,
    finished: checks.finished,
    windows,
    ...ends,
    startCpuMsPerJob: cpuPerJob(start),
    endCpuMsPerJob: cpuPerJob(end),
    jobsTable: { updates, hotUpdates: updatesAfter.hot - updatesBefore.hot, hotShare: updates ? (updatesAfter.hot - updatesBefore.hot) / updates : 0, autovacuums: updatesAfter.autovacuums - updatesBefore.autovacuums },
    minRatio: SOAK_MIN_RATIO,
    checks,
    correct: problems.length === 0,
    problems,
  };
}

async function main() {
  const work = await scratch("workers");
  const db = await database(work.dir);
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: "jobgraph-bench" });
  // An idle connection that PostgreSQL ends (when it stops, or the machine is slow to close the
  // pool first) reports an error here; unheard, it would end the run.
  pool.on("error", () => undefined);
  let gateways: Gateway[] = [];
  const giveUp = deadline(DEADLINE_MS, () => gateways.forEach((g) => process.kill(g.pid, "SIGKILL")));
  try {
    gateways = await startGateways(db.url);
    const queue = await createQueue(gateways[0]!, soak ? SOAK_WORKERS : Math.max(...WORKERS));
    const autovacuum = await tuneAutovacuum(pool);
    // PostgreSQL's processes can be seen (and their CPU read) only when it runs here: the embedded one.
    const postmaster = env.DATABASE_URL ? undefined : await findPostmaster(pool);
    const bench: Bench = { url: db.url, pool, gateways, queue, postmaster };
    const common = { at: new Date().toISOString(), machine: machine(), versions: await versions(db, pool), autovacuum };

    if (soak) {
      const results: SoakResults = { ...common, ...(await soakRun(bench)) };
      // A soak with retention has a section of its own, beside the one that keeps everything.
      const name = SOAK_RETENTION ? "workers-soak-retention" : "workers-soak";
      console.log(`results in ${await report(name, results, soakSection(results), { [SOAK_RETENTION ? SOAK_RETENTION_CHART : SOAK_CHART]: soakChart(results) })}`);
      if (!results.correct) {
        console.error(`the soak failed: ${results.problems.join("; ")}`);
        process.exitCode = 1;
      }
      return;
    }

    const settings = {
      workers: WORKERS,
      seconds: SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP_SECONDS,
      queueDepth: QUEUE_DEPTH,
      gateways: gateways.length,
      gatewayPoolSize: Number(env.JOBGRAPH_DB_POOL_SIZE ?? 10),
      leaseSeconds: LEASE_SECONDS,
      mutationsPerJob: MUTATIONS_PER_JOB,
      requestsPerJob: REQUESTS_PER_JOB,
      postgresCpuMeasured: postmaster !== undefined,
    };
    const updatesBefore = await jobUpdates(pool);
    const phases = await measure(bench);
    // The gateways' and the floor's connections report their table statistics when they close.
    await Promise.all(gateways.map((g) => g.stop()));
    gateways = [];
    const updatesAfter = await jobUpdates(pool);
    const summary = summarise(phases);
    const most = Math.max(...WORKERS);
    const withLogs = phases.filter((p) => p.kind === "graphqlLogs" && p.round > 0);
    const logRatios = withLogs.map((l) => l.jobsPerSecond / phases.find((p) => p.kind === "graphql" && p.round === l.round && p.workers === most)!.jobsPerSecond);
    const logs = {
      workers: most,
      linesPerJob: LOG_LINES_PER_JOB,
      linesPerSecond: median(withLogs.map((p) => p.logLinesPerSecond)),
      jobsPerMinute: median(withLogs.map((p) => p.jobsPerMinute)),
      withoutLogsJobsPerMinute: summary.find((s) => s.workers === most)!.graphql.jobsPerMinute,
      ratio: median(logRatios),
      targetMet: median(withLogs.map((p) => p.jobsPerMinute)) >= TARGET_JOBS_PER_MINUTE,
    };
    const onWorkflows = phases.filter((p) => p.kind === "graphqlWorkflows" && p.round > 0);
    const workflowRatios = onWorkflows.map((w) => w.jobsPerSecond / phases.find((p) => p.kind === "graphql" && p.round === w.round && p.workers === most)!.jobsPerSecond);
    const workflows = {
      workers: most,
      jobsPerMinute: median(onWorkflows.map((p) => p.jobsPerMinute)),
      independentJobsPerMinute: summary.find((s) => s.workers === most)!.graphql.jobsPerMinute,
      ratio: median(workflowRatios),
      diamondsCompleted: onWorkflows.reduce((sum, p) => sum + (p.checks.diamondsCompleted ?? 0), 0),
      acquiredTooEarly: onWorkflows.reduce((sum, p) => sum + (p.checks.acquiredTooEarly ?? 0), 0),
    };
    const best = Math.max(...summary.map((s) => s.graphql.jobsPerMinute));
    const problems = phases.flatMap((p) => p.checks.problems.map((problem) => `${p.kind} ${p.workers} workers, round ${p.round}: ${problem}`));
    const updates = updatesAfter.updates - updatesBefore.updates;
    const hot = updatesAfter.hot - updatesBefore.hot;
    const results: Results = {
      ...common,
      settings,
      phases,
      summary,
      target: { jobsPerMinute: TARGET_JOBS_PER_MINUTE, bestJobsPerMinute: best, met: best >= TARGET_JOBS_PER_MINUTE },
      logs,
      workflows,
      jobsTable: { updates, hotUpdates: hot, hotShare: updates ? hot / updates : 0, autovacuums: updatesAfter.autovacuums - updatesBefore.autovacuums },
      doubleAcquisitions: phases.reduce((sum, p) => sum + p.checks.doubleAcquisitions, 0),
      lostJobs: phases.reduce((sum, p) => sum + p.checks.lostJobs, 0),
      jobsCompleted: phases.reduce((sum, p) => sum + p.checks.finished, 0),
      correct: problems.length === 0,
      problems,
    };
    console.log(`results in ${await report("workers", results, workersSection(results))}`);
    if (!results.correct) {
      console.error(`the run failed: ${problems.join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    giveUp();
    await Promise.all(gateways.map((g) => g.stop()));
    await pool.end();
    await db.stop();
    await work.remove();
  }
}

await main();
