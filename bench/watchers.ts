// Watchers: how fast progress reports reach graphql-ws subscribers on another gateway instance,
// what it costs that instance in CPU and memory, and where delivery saturates.
//
//   npm run bench:watchers     1,000, 10,000 and 50,000 subscribers, 3 rounds, then a saturation
//                              search at 50,000 in each round (about 20 minutes on 2 cores)
//   --smoke (or BENCH_SMOKE=1) 20 jobs, 100 subscribers on 4 sockets, 2 s of reports, then up to
//                              two 1 s saturation steps; results to a temporary folder, not the docs
//
// Settings (full mode only):
//   BENCH_ROUNDS                      rounds, 3; each measures every size, fresh gateway A per size
//   BENCH_WATCHERS_SIZES              subscriber counts, comma-separated, "1000,10000,50000"
//   BENCH_WATCHERS_JOBS               RUNNING jobs the subscriptions are spread over, 1000
//   BENCH_WATCHERS_PER_SOCKET         subscriptions multiplexed on one WebSocket, 10
//   BENCH_WATCHERS_CLIENTS            subscriber processes, 2
//   BENCH_WATCHERS_RATE               progress reports a second in total, 100
//   BENCH_WATCHERS_SECONDS            seconds of reports measured per size, 20 (after 2 s of warm-up)
//   BENCH_WATCHERS_SATURATION         0 skips the saturation search
//   BENCH_WATCHERS_STEP_SECONDS       seconds per saturation step, 10
//   BENCH_WATCHERS_MAX_RATE           the search stops doubling the report rate beyond this, 12800
//
// When instance B runs out of reports before A runs out of deliveries (the search then stops with
// "reports"), fewer jobs raise each report's fan-out: BENCH_WATCHERS_JOBS=100 gives 100
// subscribers per job at 10,000.
//
// One PostgreSQL (embedded, or DATABASE_URL) and two gateway processes on it: instance A serves the
// subscribers, instance B takes the reports, so every delivery crosses instances (B's NOTIFY wakes
// A's tail of job_events). Subscribers run in processes of their own. Traffic goes to 127.0.0.1
// only. The run fails (exit 1) if any report of a measured phase is not delivered exactly once to
// every subscriber of its job.
//
// Instance A holds one socket per BENCH_WATCHERS_PER_SOCKET subscriptions (5,000 at 50,000), and
// each subscriber process its share: the run checks first that the open-files limit it passes on
// to them (`ulimit -n`) leaves room for that, and stops with the limit to set if not.
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { cpuMs, database, deadline, gateway, graphql, machine, median, percentile, postgresCpuMs, report, root, rss, scratch, smoke, type Gateway } from "./lib.js";
import { SubscriberProcesses, type Receipts } from "./watchers/clients.js";
import { ProgressLoad, type HeldJob, type LoadResult } from "./watchers/load.js";
import { wallClock, type PlannedSubscription } from "./watchers/protocol.js";

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const SIZES = smoke ? [100] : (process.env.BENCH_WATCHERS_SIZES ?? "1000,10000,50000").split(",").map(Number);
if (!SIZES.every((n) => Number.isInteger(n) && n > 0)) throw new Error("BENCH_WATCHERS_SIZES must list positive integers, e.g. 1000,10000,50000");
const JOBS = smoke ? 20 : setting("BENCH_WATCHERS_JOBS", 1000);
const PER_SOCKET = smoke ? 25 : setting("BENCH_WATCHERS_PER_SOCKET", 10);
const CLIENTS = smoke ? 1 : setting("BENCH_WATCHERS_CLIENTS", 2);
const RATE = smoke ? 100 : setting("BENCH_WATCHERS_RATE", 100);
const SECONDS = smoke ? 2 : setting("BENCH_WATCHERS_SECONDS", 20);
const WARMUP_SECONDS = smoke ? 0 : 2;
const ROUNDS = smoke ? 1 : setting("BENCH_ROUNDS", 3);
const SATURATION = smoke || process.env.BENCH_WATCHERS_SATURATION !== "0";
const STEP_SECONDS = smoke ? 1 : setting("BENCH_WATCHERS_STEP_SECONDS", 10);
const MAX_RATE = smoke ? 4 * RATE : setting("BENCH_WATCHERS_MAX_RATE", 12_800);
/** The saturation search runs on the largest size, right after its measured phase. */
const SATURATION_SIZE = Math.max(...SIZES);
/** Worker nodes holding the jobs (round-robin); their tokens sign the reports. */
const WORKER_NODES = Math.min(10, JOBS);
/** Sockets opening at once, over all subscriber processes. */
const OPEN_CONCURRENCY = 20;
/**
 * The target: at this many idle subscribers an instance spends at most `memoryKiB` per subscriber
 * (resident memory, as measured below), and delivers with p99 under `p99Ms` at `rate` reports a
 * second sent to another instance.
 */
const TARGET = { subscribers: 50_000, memoryKiB: 10, p99Ms: 100, rate: 100 };
/** Descriptors a process needs besides its sockets (its modules, PostgreSQL connections, pipes). */
const SPARE_DESCRIPTORS = 1000;
/** A saturation step still follows when it delivers and sends at least this share of what was offered... */
const FOLLOWS = 0.9;
/** ...and when its p99 (answer to receipt) stays under this. */
const LATENCY_LIMIT_MS = 1000;
/** A drain ends when nothing more arrived for this long. */
const QUIET_MS = 3000;
const DEADLINE_MS = smoke ? 120_000 : 60 * 60_000;

const SUBSCRIPTION = `subscription Watch($id: ID!) { jobProgress(id: $id) { initial kind progress detail status at } }`;

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes to kill should the deadline pass. */
const owned = new Set<number>();

type Stats = { p50: number; p99: number; max: number };
// Not Math.max(...values): a phase may hold more values than a call takes arguments.
const stats = (values: number[]): Stats => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: values.length ? values.reduce((m, v) => Math.max(m, v), -Infinity) : Number.NaN });

type Cpu = { wallMs: number; gatewayA: number; gatewayB: number; postgres: number | null; subscribers: number; driver: number };

type Phase = {
  rate: number;
  seconds: number;
  reports: number;
  achievedRate: number;
  deliveries: { expected: number; delivered: number; missing: number; duplicates: number; misdelivered: number };
  /** Deliveries over the time from the first report sent to the last delivery received. */
  deliveriesPerSecond: number;
  offeredDeliveriesPerSecond: number;
  /**
   * Per delivery. A report commits after its event's time (its transaction's start) and before its
   * mutation answers: answerToReceipt is a lower bound of the time from commit to receipt,
   * eventToReceipt an upper bound, and sendToReceipt a looser one (it adds the request's way in).
   */
  latencyMs: { answerToReceipt: Stats; eventToReceipt: Stats; sendToReceipt: Stats; mutation: Stats };
  cpuMs: Cpu;
  gatewayACpuMsPerDelivery: number;
  problems: string[];
};

type Step = Phase & { follows: boolean; stoppedBy?: StopReason };
type StopReason = "reports" | "deliveries" | "latency";

type Saturation = {
  steps: Step[];
  /** The highest report rate whose deliveries kept up, and what they were; null if none did. */
  lastFollowing: { rate: number; deliveriesPerSecond: number } | null;
  /** The most deliveries a second any step reached. */
  peakDeliveriesPerSecond: number;
  stoppedBy: StopReason | "max rate";
};

type SizeRun = {
  subscribers: number;
  sockets: number;
  clientProcesses: number;
  openSeconds: number;
  rssIdleMiB: number;
  rssSubscribedMiB: number;
  memoryPerSubscriberKiB: number;
  load: Phase;
  saturation?: Saturation;
};

/** Which subscription watches which job: subscription s watches job s mod JOBS; socket k carries every s with s mod S = k. */
type Plan = { jobOfSubscription: number[]; subscribersOfJob: number[]; sockets: PlannedSubscription[][] };

function plan(subscribers: number, jobs: HeldJob[]): Plan {
  const socketCount = Math.ceil(subscribers / PER_SOCKET);
  const jobOfSubscription = Array.from({ length: subscribers }, (_, s) => s % jobs.length);
  const subscribersOfJob = new Array<number>(jobs.length).fill(0);
  const sockets: PlannedSubscription[][] = Array.from({ length: socketCount }, () => []);
  for (let s = 0; s < subscribers; s++) {
    subscribersOfJob[jobOfSubscription[s]!]!++;
    sockets[s % socketCount]!.push({ index: s, jobId: jobs[jobOfSubscription[s]!]!.id });
  }
  return { jobOfSubscription, subscribersOfJob, sockets };
}

/** The PostgreSQL postmaster, or null when it cannot be found here. */
async function findPostmaster(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ data_directory: string }>("show data_directory");
    const postmaster = Number((await readFile(path.join(rows[0]!.data_directory, "postmaster.pid"), "utf8")).split("\n")[0]);
    return Number.isInteger(postmaster) ? postmaster : null;
  } catch {
    // DATABASE_URL names a server elsewhere, or one whose files this user cannot read.
    return null;
  } finally {
    await client.end();
  }
}

/** Measures the CPU time of every process involved, as a difference between two snapshots. */
class CpuMeter {
  constructor(
    private readonly postmaster: number | null,
    private readonly b: Gateway,
  ) {}

  async snapshot(a: Gateway, subscribers: SubscriberProcesses): Promise<Cpu> {
    const driver = process.cpuUsage();
    return {
      wallMs: wallClock(),
      gatewayA: await cpuMs(a.pid),
      gatewayB: await cpuMs(this.b.pid),
      // Exited backends included (lib's postgresCpuMs), so that differences stay whole.
      postgres: this.postmaster ? await postgresCpuMs(this.postmaster) : null,
      subscribers: await subscribers.cpuMs(),
      driver: (driver.user + driver.system) / 1000,
    };
  }

  static difference(before: Cpu, after: Cpu): Cpu {
    return {
      wallMs: after.wallMs - before.wallMs,
      gatewayA: after.gatewayA - before.gatewayA,
      gatewayB: after.gatewayB - before.gatewayB,
      postgres: after.postgres === null || before.postgres === null ? null : after.postgres - before.postgres,
      subscribers: after.subscribers - before.subscribers,
      driver: after.driver - before.driver,
    };
  }
}

/** Waits until `expected` reports arrived, or until nothing more arrived for QUIET_MS. */
async function drain(subscribers: SubscriberProcesses, expected: number): Promise<void> {
  let last = -1;
  let lastChange = wallClock();
  for (;;) {
    const count = await subscribers.count();
    if (count >= expected) return;
    if (count !== last) {
      last = count;
      lastChange = wallClock();
    } else if (wallClock() - lastChange > QUIET_MS) return;
    await sleep(100);
  }
}

/** Checks every delivery against the reports sent: each report once to each subscriber of its job. */
function analyse(load: LoadResult, receipts: Receipts, layout: Plan, rate: number, seconds: number, cpu: Cpu): Phase {
  const bySeq = new Map(load.sent.map((s) => [s.seq, s]));
  const seen = new Set<number>();
  const answerToReceipt: number[] = [];
  const eventToReceipt: number[] = [];
  const sendToReceipt: number[] = [];
  let duplicates = 0;
  let misdelivered = 0;
  let lastReceipt = 0;
  for (let i = 0; i < receipts.at.length; i++) {
    const sent = bySeq.get(receipts.seq[i]!);
    // A straggler of an earlier phase.
    if (!sent) continue;
    const subscription = receipts.subscription[i]!;
    if (layout.jobOfSubscription[subscription] !== sent.job) {
      misdelivered++;
      continue;
    }
    const key = sent.seq * layout.jobOfSubscription.length + subscription;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const at = receipts.at[i]!;
    answerToReceipt.push(at - sent.answeredAt);
    eventToReceipt.push(at - receipts.eventAt[i]!);
    sendToReceipt.push(at - sent.sentAt);
    lastReceipt = Math.max(lastReceipt, at);
  }
  const expected = load.sent.reduce((sum, s) => sum + layout.subscribersOfJob[s.job]!, 0);
  const firstSent = load.sent[0]?.sentAt ?? 0;
  return {
    rate,
    seconds,
    reports: load.sent.length,
    achievedRate: load.sent.length / (load.durationMs / 1000),
    deliveries: { expected, delivered: seen.size, missing: expected - seen.size, duplicates, misdelivered },
    deliveriesPerSecond: seen.size ? seen.size / ((lastReceipt - firstSent) / 1000) : 0,
    offeredDeliveriesPerSecond: expected / seconds,
    latencyMs: {
      answerToReceipt: stats(answerToReceipt),
      eventToReceipt: stats(eventToReceipt),
      sendToReceipt: stats(sendToReceipt),
      mutation: stats(load.sent.map((s) => s.answeredAt - s.sentAt)),
    },
    cpuMs: cpu,
    gatewayACpuMsPerDelivery: cpu.gatewayA / Math.max(1, seen.size),
    problems: receipts.problems,
  };
}

/** One phase of reports at `rate` for `seconds`, drained and checked. */
async function phase(ctx: { a: Gateway; subscribers: SubscriberProcesses; load: ProgressLoad; meter: CpuMeter; layout: Plan }, rate: number, seconds: number): Promise<Phase> {
  const { a, subscribers, load, meter, layout } = ctx;
  // Stragglers of an earlier phase go, but not what went wrong meanwhile.
  const earlier = await subscribers.collect();
  const before = await meter.snapshot(a, subscribers);
  const sent = await load.run(rate, seconds * 1000);
  await drain(subscribers, sent.sent.reduce((sum, s) => sum + layout.subscribersOfJob[s.job]!, 0));
  const after = await meter.snapshot(a, subscribers);
  const receipts = await subscribers.collect();
  receipts.problems.unshift(...earlier.problems);
  return analyse(sent, receipts, layout, rate, seconds, CpuMeter.difference(before, after));
}

/** Resident memory of a process at rest: the median of a few samples after it settled. */
async function settledRss(pid: number): Promise<number> {
  await sleep(smoke ? 300 : 2000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await rss(pid));
    await sleep(100);
  }
  return median(samples);
}

/** Whether a phase kept up with what was offered, and if not, what gave first. */
function judge(measured: Phase): Step {
  const stoppedBy: StopReason | undefined =
    measured.achievedRate < FOLLOWS * measured.rate
      ? "reports"
      : measured.deliveries.missing > 0 || measured.deliveriesPerSecond < FOLLOWS * measured.offeredDeliveriesPerSecond
        ? "deliveries"
        : measured.latencyMs.eventToReceipt.p99 > LATENCY_LIMIT_MS
          ? "latency"
          : undefined;
  return { ...measured, follows: !stoppedBy, ...(stoppedBy ? { stoppedBy } : {}) };
}

/**
 * Doubles the report rate, starting behind the measured phase at RATE (the search's first step),
 * until deliveries stop following, latency passes LATENCY_LIMIT_MS, or the rate passes MAX_RATE.
 */
async function saturate(ctx: Parameters<typeof phase>[0], measured: Phase): Promise<Saturation> {
  const steps = [judge(measured)];
  for (let rate = 2 * RATE; !steps.at(-1)!.stoppedBy && rate <= MAX_RATE; rate *= 2) {
    const step = judge(await phase(ctx, rate, STEP_SECONDS));
    steps.push(step);
    console.log(
      `  saturation ${rate} reports/s: sent ${step.achievedRate.toFixed(0)}/s, ${step.deliveriesPerSecond.toFixed(0)} deliveries/s, ` +
        `p99 ${step.latencyMs.eventToReceipt.p99.toFixed(1)} ms (event -> receipt), missing ${step.deliveries.missing}${step.stoppedBy ? ` -> stops (${step.stoppedBy})` : ""}`,
    );
  }
  const following = steps.filter((s) => s.follows).at(-1);
  return {
    steps,
    lastFollowing: following ? { rate: following.rate, deliveriesPerSecond: following.deliveriesPerSecond } : null,
    peakDeliveriesPerSecond: Math.max(0, ...steps.map((s) => s.deliveriesPerSecond)),
    stoppedBy: steps.at(-1)!.stoppedBy ?? "max rate",
  };
}

/** One size in one round: a fresh instance A, its subscribers opened and idle, then reports. */
async function measureSize(subscriberCount: number, databaseUrl: string, jobs: HeldJob[], userToken: string, load: ProgressLoad, meter: CpuMeter): Promise<SizeRun> {
  const a = await gateway({ databaseUrl, env: GATEWAY_ENV });
  owned.add(a.pid);
  let subscribers: SubscriberProcesses | undefined;
  try {
    subscribers = await SubscriberProcesses.start(CLIENTS, (pid) => owned.add(pid));
    const layout = plan(subscriberCount, jobs);
    // One socket's worth first, then closed: the gateway has loaded and compiled what a
    // subscription needs before its idle memory is taken.
    await subscribers.open(a.url, userToken, SUBSCRIPTION, plan(PER_SOCKET, jobs).sockets, 1);
    await subscribers.closeSockets();
    const idle = await settledRss(a.pid);
    const opening = wallClock();
    await subscribers.open(a.url, userToken, SUBSCRIPTION, layout.sockets, OPEN_CONCURRENCY);
    const openSeconds = (wallClock() - opening) / 1000;
    const subscribed = await settledRss(a.pid);
    console.log(
      `  ${subscriberCount} subscribers on ${layout.sockets.length} sockets open in ${openSeconds.toFixed(1)} s; ` +
        `gateway A RSS ${(idle / MiB).toFixed(0)} -> ${(subscribed / MiB).toFixed(0)} MiB`,
    );
    const ctx = { a, subscribers, load, meter, layout };
    if (WARMUP_SECONDS) await phase(ctx, RATE, WARMUP_SECONDS);
    const measured = await phase(ctx, RATE, SECONDS);
    console.log(
      `  ${RATE} reports/s: ${measured.deliveries.delivered}/${measured.deliveries.expected} delivered, ` +
        `p50/p99 answer->receipt ${measured.latencyMs.answerToReceipt.p50.toFixed(1)}/${measured.latencyMs.answerToReceipt.p99.toFixed(1)} ms, ` +
        `event->receipt ${measured.latencyMs.eventToReceipt.p50.toFixed(1)}/${measured.latencyMs.eventToReceipt.p99.toFixed(1)} ms, ` +
        `send->receipt ${measured.latencyMs.sendToReceipt.p50.toFixed(1)}/${measured.latencyMs.sendToReceipt.p99.toFixed(1)} ms, ` +
        `A ${measured.gatewayACpuMsPerDelivery.toFixed(3)} CPU ms/delivery`,
    );
    const saturation = SATURATION && subscriberCount === SATURATION_SIZE ? await saturate(ctx, measured) : undefined;
    return {
      subscribers: subscriberCount,
      sockets: layout.sockets.length,
      clientProcesses: CLIENTS,
      openSeconds,
      rssIdleMiB: idle / MiB,
      rssSubscribedMiB: subscribed / MiB,
      memoryPerSubscriberKiB: (subscribed - idle) / subscriberCount / 1024,
      load: measured,
      ...(saturation ? { saturation } : {}),
    };
  } finally {
    await subscribers?.stop();
    for (const pid of subscribers?.pids ?? []) owned.delete(pid);
    await a.stop();
    owned.delete(a.pid);
  }
}

/** Both gateways: leases far longer than the run, so that no job is reclaimed between reports. */
const GATEWAY_ENV = { JOBGRAPH_LEASE_SECONDS: "86400" };

/**
 * The RUNNING jobs and who holds them. Nodes and the subscribers' user are made through the API;
 * the jobs are written in one SQL statement (as acquireJob and startJob would leave them), since a
 * thousand jobs through three mutations each would take longer than the measurement.
 */
async function setUp(b: Gateway, databaseUrl: string): Promise<{ jobs: HeldJob[]; userToken: string }> {
  await graphql(b, `mutation { createJobTemplate(input: { name: "bench-watchers", executor: { name: "bench" } }) { __typename } }`);
  const nodeTokens = new Map<string, string>();
  for (let n = 0; n < WORKER_NODES; n++) {
    const name = `bench-watchers-${n}`;
    const registered = await graphql<{ registerWorkerNode: { secret?: string; message?: string } }>(
      b,
      `mutation ($name: String!) { registerWorkerNode(input: { name: $name }) { ... on RegisterWorkerNodePayload { secret } ... on Error { message } } }`,
      { name },
    );
    if (!registered.registerWorkerNode.secret) throw new Error(`registerWorkerNode: ${registered.registerWorkerNode.message}`);
    nodeTokens.set(name, registered.registerWorkerNode.secret);
  }
  const user = await graphql<{ createUser: { user?: { id: string }; message?: string } }>(
    b,
    `mutation { createUser(input: { name: "bench-watcher" }) { ... on CreateUserPayload { user { id } } ... on Error { message } } }`,
  );
  if (!user.createUser.user) throw new Error(`createUser: ${user.createUser.message}`);
  const token = await graphql<{ createApiToken: { secret?: string; message?: string } }>(
    b,
    `mutation ($user: ID!) { createApiToken(input: { name: "bench-watchers", user: $user }) { ... on CreateApiTokenPayload { secret } ... on Error { message } } }`,
    { user: user.createUser.user.id },
  );
  if (!token.createApiToken.secret) throw new Error(`createApiToken: ${token.createApiToken.message}`);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; lease_token: string; node_name: string }>(
      `with nodes as (
         select id, name, row_number() over (order by name) - 1 as n from worker_nodes where name like 'bench-watchers-%'
       ), made as (
         insert into jobs (template_id, name, status, node_id, lease_token, lease_expires_at, start_time, attempts)
         select (select id from job_templates where name = 'bench-watchers'), 'watched-' || i, 'RUNNING'::"JobStatus",
                (select id from nodes where n = i % $2), gen_random_uuid(), now() + interval '1 day', now(), 1
           from generate_series(0, $1 - 1) as i
         returning id, name, node_id, lease_token
       )
       select made.id, made.lease_token, nodes.name as node_name
         from made join nodes on nodes.id = made.node_id
        order by split_part(made.name, '-', 2)::int`,
      [JOBS, WORKER_NODES],
    );
    return {
      jobs: rows.map((r) => ({ id: Buffer.from(`Job:${r.id}`).toString("base64"), leaseToken: r.lease_token, nodeToken: nodeTokens.get(r.node_name)! })),
      userToken: token.createApiToken.secret,
    };
  } finally {
    await client.end();
  }
}

async function versions(databaseVersion: string): Promise<Record<string, string>> {
  const of = async (name: string) => (JSON.parse(await readFile(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  const packages = ["graphql-yoga", "graphql-ws", "ws", "graphql", "@pothos/core", "@prisma/client"];
  return { node: process.version, postgres: databaseVersion, ...Object.fromEntries(await Promise.all(packages.map(async (p) => [p, await of(p)]))) };
}

type Verdict = "met" | "not met" | "undecided" | "not measured";

type Results = {
  at: string;
  smoke: boolean;
  machine: ReturnType<typeof machine>;
  versions: Record<string, string>;
  settings: Record<string, number | number[] | boolean>;
  rounds: Array<{ sizes: SizeRun[] }>;
  medians: Array<{
    subscribers: number;
    sockets: number;
    answerToReceipt: { p50: number; p99: number };
    eventToReceipt: { p50: number; p99: number };
    sendToReceipt: { p50: number; p99: number };
    mutation: { p50: number; p99: number };
    deliveriesPerSecond: number;
    gatewayACpuMsPerDelivery: number;
    memoryPerSubscriberKiB: number;
    openSeconds: number;
    cores: Record<keyof Omit<Cpu, "wallMs">, number | null>;
  }>;
  saturation: {
    subscribers: number;
    lastFollowingRate: number | null;
    lastFollowingDeliveriesPerSecond: number | null;
    peakDeliveriesPerSecond: number;
    stoppedBy: string[];
    steps: Array<{ rate: number; rounds: number; achievedRate: number; deliveriesPerSecond: number; eventToReceiptP99: number; cores: Record<keyof Omit<Cpu, "wallMs">, number | null> }>;
  } | null;
  target: {
    subscribers: number;
    memoryKiB: number;
    p99Ms: number;
    rate: number;
    memoryPerSubscriberKiB: number | null;
    memoryVerdict: Verdict;
    lowerBoundP99: number | null;
    upperBoundP99: number | null;
    verdict: Verdict;
  };
  ok: boolean;
};

/** CPU time as cores busy over the phase's wall time. */
function cores(cpu: Cpu): Record<keyof Omit<Cpu, "wallMs">, number | null> {
  const of = (ms: number | null) => (ms === null ? null : ms / cpu.wallMs);
  return { gatewayA: of(cpu.gatewayA), gatewayB: of(cpu.gatewayB), postgres: of(cpu.postgres), subscribers: of(cpu.subscribers), driver: of(cpu.driver) };
}

function medianCores(list: Cpu[]): Record<keyof Omit<Cpu, "wallMs">, number | null> {
  const each = list.map(cores);
  const m = (key: keyof Omit<Cpu, "wallMs">) => (each.some((c) => c[key] === null) ? null : median(each.map((c) => c[key]!)));
  return { gatewayA: m("gatewayA"), gatewayB: m("gatewayB"), postgres: m("postgres"), subscribers: m("subscribers"), driver: m("driver") };
}

function summarise(rounds: Array<{ sizes: SizeRun[] }>): Pick<Results, "medians" | "saturation" | "target"> {
  const medians = SIZES.map((size) => {
    const runs = rounds.map((r) => r.sizes.find((s) => s.subscribers === size)!);
    const of = (pick: (run: SizeRun) => number) => median(runs.map(pick));
    return {
      subscribers: size,
      sockets: runs[0]!.sockets,
      answerToReceipt: { p50: of((r) => r.load.latencyMs.answerToReceipt.p50), p99: of((r) => r.load.latencyMs.answerToReceipt.p99) },
      eventToReceipt: { p50: of((r) => r.load.latencyMs.eventToReceipt.p50), p99: of((r) => r.load.latencyMs.eventToReceipt.p99) },
      sendToReceipt: { p50: of((r) => r.load.latencyMs.sendToReceipt.p50), p99: of((r) => r.load.latencyMs.sendToReceipt.p99) },
      mutation: { p50: of((r) => r.load.latencyMs.mutation.p50), p99: of((r) => r.load.latencyMs.mutation.p99) },
      deliveriesPerSecond: of((r) => r.load.deliveriesPerSecond),
      gatewayACpuMsPerDelivery: of((r) => r.load.gatewayACpuMsPerDelivery),
      memoryPerSubscriberKiB: of((r) => r.memoryPerSubscriberKiB),
      openSeconds: of((r) => r.openSeconds),
      cores: medianCores(runs.map((r) => r.load.cpuMs)),
    };
  });

  const searches = rounds.map((r) => r.sizes.find((s) => s.saturation)?.saturation).filter((s): s is Saturation => s !== undefined);
  const rates = [...new Set(searches.flatMap((s) => s.steps.map((step) => step.rate)))].sort((x, y) => x - y);
  const following = searches.map((s) => s.lastFollowing);
  const saturation = searches.length
    ? {
        subscribers: SATURATION_SIZE,
        lastFollowingRate: following.every((f) => f) ? median(following.map((f) => f!.rate)) : null,
        lastFollowingDeliveriesPerSecond: following.every((f) => f) ? median(following.map((f) => f!.deliveriesPerSecond)) : null,
        peakDeliveriesPerSecond: median(searches.map((s) => s.peakDeliveriesPerSecond)),
        stoppedBy: searches.map((s) => s.stoppedBy),
        steps: rates.map((rate) => {
          const at = searches.flatMap((s) => s.steps.filter((step) => step.rate === rate));
          return {
            rate,
            rounds: at.length,
            achievedRate: median(at.map((s) => s.achievedRate)),
            deliveriesPerSecond: median(at.map((s) => s.deliveriesPerSecond)),
            eventToReceiptP99: median(at.map((s) => s.latencyMs.eventToReceipt.p99)),
            cores: medianCores(at.map((s) => s.cpuMs)),
          };
        }),
      }
    : null;

  const atTarget = medians.find((m) => m.subscribers === TARGET.subscribers);
  const memoryVerdict: Verdict = !atTarget ? "not measured" : atTarget.memoryPerSubscriberKiB <= TARGET.memoryKiB ? "met" : "not met";
  // The latency target is stated at its report rate: another rate measures something else.
  const verdict: Verdict = !atTarget || RATE !== TARGET.rate
    ? "not measured"
    : atTarget.eventToReceipt.p99 < TARGET.p99Ms
      ? "met"
      : atTarget.answerToReceipt.p99 >= TARGET.p99Ms
        ? "not met"
        : "undecided";
  return {
    medians,
    saturation,
    target: {
      ...TARGET,
      memoryPerSubscriberKiB: atTarget?.memoryPerSubscriberKiB ?? null,
      memoryVerdict,
      lowerBoundP99: RATE === TARGET.rate ? (atTarget?.answerToReceipt.p99 ?? null) : null,
      upperBoundP99: RATE === TARGET.rate ? (atTarget?.eventToReceipt.p99 ?? null) : null,
      verdict,
    },
  };
}

/**
 * Stops before anything starts when the open-files limit (which the gateways and subscriber
 * processes inherit) cannot hold instance A's sockets: it would fail half-way, with EMFILE.
 */
async function checkDescriptors(): Promise<void> {
  const limits = await readFile("/proc/self/limits", "utf8");
  const soft = Number(/^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1] ?? Number.NaN);
  const needed = Math.ceil(Math.max(...SIZES) / PER_SOCKET) + SPARE_DESCRIPTORS;
  if (soft < needed) {
    throw new Error(`the open-files limit is ${soft}, and instance A needs ${needed} for ${int(Math.max(...SIZES))} subscribers: raise it (ulimit -n ${needed}) and run again`);
  }
}

async function main() {
  await checkDescriptors();
  const work = await scratch("watchers");
  const db = await database(work.dir);
  const giveUp = deadline(DEADLINE_MS, () => {
    for (const pid of owned) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  });
  let b: Gateway | undefined;
  let load: ProgressLoad | undefined;
  try {
    b = await gateway({ databaseUrl: db.url, env: GATEWAY_ENV });
    owned.add(b.pid);
    const { jobs, userToken } = await setUp(b, db.url);
    load = new ProgressLoad(b.port, jobs);
    const meter = new CpuMeter(await findPostmaster(db.url), b);
    console.log(`${JOBS} RUNNING jobs, ${SIZES.join(" and ")} subscribers, ${RATE} reports/s for ${SECONDS} s, ${ROUNDS} round(s)`);

    const rounds: Array<{ sizes: SizeRun[] }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      const sizes: SizeRun[] = [];
      for (const size of SIZES) sizes.push(await measureSize(size, db.url, jobs, userToken, load, meter));
      rounds.push({ sizes });
    }

    const measured = rounds.flatMap((r) => r.sizes.map((s) => s.load));
    const ok = measured.every((p) => p.deliveries.missing === 0 && p.deliveries.duplicates === 0 && p.deliveries.misdelivered === 0 && p.problems.length === 0);
    const results: Results = {
      at: new Date().toISOString(),
      smoke,
      machine: machine(),
      versions: await versions(db.version),
      settings: {
        sizes: SIZES,
        jobs: JOBS,
        workerNodes: WORKER_NODES,
        perSocket: PER_SOCKET,
        clientProcesses: CLIENTS,
        rate: RATE,
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        rounds: ROUNDS,
        saturation: SATURATION,
        stepSeconds: STEP_SECONDS,
        maxRate: MAX_RATE,
      },
      rounds,
      ...summarise(rounds),
      ok,
    };
    console.log(`results in ${await report("watchers", results, section(results))}`);
    if (!ok) {
      console.error("some reports were not delivered exactly once to every subscriber of their job (see deliveries and problems)");
      process.exitCode = 1;
    }
  } finally {
    giveUp();
    load?.close();
    await b?.stop();
    await db.stop();
    await work.remove();
  }
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (Math.abs(n) < 10 ? n.toFixed(1) : n.toFixed(0));
const share = (n: number | null) => (n === null ? "n/a" : n.toFixed(2));

/** The watchers section of docs/performance.md. */
function section(results: Results): string {
  const s = results.settings;
  const cpu = results.machine;
  const lines = [
    "## Watchers",
    "",
    `\`npm run bench:watchers\`, ${results.at.slice(0, 10)}: graphql-ws subscribers to \`jobProgress(id)\` on gateway instance A, spread evenly over ${int(JOBS)} RUNNING jobs, ` +
      `${s.perSocket} subscriptions multiplexed per WebSocket, opened from ${s.clientProcesses} client process(es); ${RATE} \`reportJobProgress\` mutations a second in total, ` +
      `round-robin over the jobs, go to instance B on the same PostgreSQL, so every delivery crosses instances (B's NOTIFY wakes A's tail of \`job_events\`). ` +
      `${SECONDS} s of reports per size after ${WARMUP_SECONDS} s of warm-up, a fresh instance A per size; medians of ${results.rounds.length} round(s), sizes interleaved. ` +
      `Both gateways, PostgreSQL, the subscriber processes and the report driver share the machine's ${cpu.cpus} cores, so the client side's CPU is counted below too.`,
    "",
    "| subscribers | sockets | p50 / p99 answer → receipt (ms) | p50 / p99 event → receipt (ms) | p50 / p99 send → receipt (ms) | deliveries/s | A CPU ms per delivery | memory per idle subscriber (KiB) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.medians.map(
      (m) =>
        `| ${int(m.subscribers)} | ${int(m.sockets)} | ${ms(m.answerToReceipt.p50)} / ${ms(m.answerToReceipt.p99)} | ${ms(m.eventToReceipt.p50)} / ${ms(m.eventToReceipt.p99)} | ${ms(m.sendToReceipt.p50)} / ${ms(m.sendToReceipt.p99)} | ` +
        `${int(m.deliveriesPerSecond)} | ${m.gatewayACpuMsPerDelivery.toFixed(3)} | ${m.memoryPerSubscriberKiB.toFixed(1)} |`,
    ),
    "",
    "Latency is taken per delivery, on one clock (one machine). A report commits after its event's time (`at`, its transaction's start, by PostgreSQL, " +
      "to the millisecond) and before its mutation answers, so the time from commit to receipt lies between receipt minus answer (a lower bound, even " +
      "negative when the driver, short of CPU, reads an answer late) and receipt minus event time (an upper bound); receipt minus send adds the request's " +
      `way in (mutation p50 ${results.medians.map((m) => `${ms(m.mutation.p50)} ms at ${int(m.subscribers)}`).join(", ")} subscribers). Memory per idle subscriber is instance A's RSS with every ` +
      `subscription open and idle, less its RSS before, divided by the subscribers (so it includes a ${s.perSocket}th of a socket). A's CPU per delivery is all of A's CPU time ` +
      "during the reports divided by the deliveries; it includes what A spends once per report (reading the event after each wake-up), shared by the report's subscribers.",
    "",
    `**Target** (${int(results.target.subscribers)} idle subscribers at ≤ ${results.target.memoryKiB} KiB each, and progress delivery p99 < ${results.target.p99Ms} ms at ${results.target.rate} reports/s from another instance): ` +
      `memory ${memoryText(results.target)}; latency ${targetText(results.target)}.`,
    "",
    "Where the CPU went during the reports (cores busy, median):",
    "",
    "| subscribers | gateway A | gateway B | PostgreSQL | subscriber clients | report driver |",
    "|---:|---:|---:|---:|---:|---:|",
    ...results.medians.map(
      (m) => `| ${int(m.subscribers)} | ${share(m.cores.gatewayA)} | ${share(m.cores.gatewayB)} | ${share(m.cores.postgres)} | ${share(m.cores.subscribers)} | ${share(m.cores.driver)} |`,
    ),
  ];
  const sat = results.saturation;
  if (sat) {
    lines.push(
      "",
      `**Saturation** at ${int(sat.subscribers)} subscribers: from the ${RATE} reports/s above (the first step), the report rate doubled, ${STEP_SECONDS} s a step, until the reports sent or the deliveries fell ` +
        `below ${FOLLOWS * 100}% of what was offered, a report went undelivered, or p99 (event → receipt) passed ${LATENCY_LIMIT_MS} ms. ` +
        (sat.lastFollowingRate === null
          ? "In some round not even the first step kept up; "
          : `Deliveries kept up to ${int(sat.lastFollowingRate)} reports/s (${int(sat.lastFollowingDeliveriesPerSecond!)} deliveries/s); `) +
        `the most delivered was ${int(sat.peakDeliveriesPerSecond)} deliveries/s. Stopped by, per round: ${sat.stoppedBy.join(", ")} ` +
        '("reports": instance B, PostgreSQL or the driver could not take more reports, so delivery was not the limit; "deliveries": delivery fell behind; "latency": p99 over the limit).',
      "",
      "| reports/s offered | sent/s | deliveries/s | p99 event → receipt (ms) | A | B | PostgreSQL | clients | driver | rounds |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...sat.steps.map(
        (step) =>
          `| ${int(step.rate)} | ${int(step.achievedRate)} | ${int(step.deliveriesPerSecond)} | ${ms(step.eventToReceiptP99)} | ${share(step.cores.gatewayA)} | ` +
          `${share(step.cores.gatewayB)} | ${share(step.cores.postgres)} | ${share(step.cores.subscribers)} | ${share(step.cores.driver)} | ${step.rounds} |`,
      ),
    );
  }
  const v = results.versions;
  lines.push(
    "",
    `Machine: ${cpu.cpus} × ${cpu.cpuModel}, ${cpu.memoryGiB} GiB, ${cpu.platform}; Node ${v.node}, ${v.postgres}; graphql-yoga ${v["graphql-yoga"]}, graphql-ws ${v["graphql-ws"]}, ` +
      `ws ${v.ws}, graphql ${v.graphql}, Pothos ${v["@pothos/core"]}, Prisma ${v["@prisma/client"]}. Scale and length: the settings at the top of \`bench/watchers.ts\` ` +
      "(BENCH_WATCHERS_SIZES, BENCH_WATCHERS_RATE, BENCH_WATCHERS_SECONDS, BENCH_ROUNDS, ...); `--smoke` runs a few seconds and writes nothing here.",
  );
  return lines.join("\n");
}

function memoryText(target: Results["target"]): string {
  if (target.memoryPerSubscriberKiB === null) return `not measured in this run (sizes ${SIZES.join(", ")})`;
  return `${target.memoryVerdict} (${target.memoryPerSubscriberKiB.toFixed(1)} KiB per idle subscriber)`;
}

function targetText(target: Results["target"]): string {
  const bounds = target.lowerBoundP99 === null ? "" : ` (p99 between ${ms(target.lowerBoundP99)} ms, answer → receipt, and ${ms(target.upperBoundP99!)} ms, event → receipt)`;
  switch (target.verdict) {
    case "met":
      return `met${bounds}`;
    case "not met":
      return `not met${bounds}`;
    case "undecided":
      return `undecided: the target lies between the bounds${bounds}`;
    case "not measured":
      return RATE === target.rate ? `not measured in this run (sizes ${SIZES.join(", ")})` : `not measured in this run (${RATE} reports/s)`;
  }
}

await main();
