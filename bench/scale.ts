// Scale-out: 1, 2 and 4 gateway instances behind a round-robin balancer, with PgBouncer in
// transaction mode in front of one PostgreSQL, all on this machine, as deploy/compose sets them up.
// Each configuration is measured three ways, one after the other:
//   - reads: a dashboard page (filtered, sorted, counted, with each job's creator and node) sent
//     by 32 connections for as long as the phase lasts: answers a second, and their p99;
//   - jobs: 16 worker nodes, each a loop of acquireNextJob, startJob and finishJob: jobs a minute;
//   - delivery: progress reports at a steady rate to 20 running jobs, each watched by 10 graphql-ws
//     subscribers (on sockets the balancer spreads over the instances): the time from a report's
//     sending to its delivery, p50 and p99, every report delivered to every subscriber of its job.
// One instance without the balancer is measured in the same run, as the single-instance figure.
//
//   npm run bench:scale        instances 1 (alone and behind the balancer), 2 and 4; 3 rounds of
//                              15 s phases (about 8 minutes on 2 cores)
//   --smoke (or BENCH_SMOKE=1) 1 and 2 instances, 1 s phases, one round; results to a temporary folder
//
// Settings (full mode only): BENCH_ROUNDS (3), BENCH_SCALE_INSTANCES ("1,2,4"), BENCH_SCALE_SECONDS (15).
//
// Needs Debian's pgbouncer (PGBOUNCER names another binary); traffic stays on 127.0.0.1. The run
// fails (exit 1) when a phase has failures: a read answered with errors, a worker's mutation
// refused, a report not delivered exactly once to each of its job's subscribers.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import pg from "pg";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { startPgBouncer } from "../test/helpers/pgbouncer.js";
import { cpuMs, database, deadline, freePort, gateway, graphql, machine, median, percentile, postgresCpuMs, postmasterOf, report, root, scratch, smoke, type Gateway } from "./lib.js";
import { load } from "./reads/load.js";
import { seed } from "./reads/seed.js";

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const INSTANCES = smoke ? [1, 2] : (process.env.BENCH_SCALE_INSTANCES ?? "1,2,4").split(",").map(Number);
const ROUNDS = smoke ? 1 : setting("BENCH_ROUNDS", 3);
const SECONDS = smoke ? 1 : setting("BENCH_SCALE_SECONDS", 15);
const SEED_JOBS = smoke ? 200 : 2000;
const READ_CONNECTIONS = 32;
const WORKERS = 16;
const WATCHED_JOBS = 20;
const SUBSCRIBERS_PER_JOB = 10;
const SOCKETS = 20;
const REPORT_RATE = 50;

const DASHBOARD = /* GraphQL */ `
  query Dashboard {
    jobs(first: 50, filter: { queue: ["gpu"] }, orderBy: { field: PRIORITY, direction: DESC }) {
      totalCount
      edges { node { id number name status progress priority createdAt creator { name } node { name } tasks { totalCount } outputs { totalCount } } }
    }
  }`;

type Config = { instances: number; balancer: boolean };
type Measured = {
  reads: { rps: number; p99: number; failures: number };
  jobs: { perMinute: number; failures: number };
  delivery: { reports: number; p50: number; p99: number; missing: number; duplicates: number };
  /** CPU cores in use over each phase: the gateways together, PostgreSQL, PgBouncer, the balancer. */
  cores: Record<"reads" | "jobs" | "delivery", { gateways: number; postgres: number; pgbouncer: number; balancer: number }>;
};
type Run = Config & { round: number } & Measured;

const label = (config: Config) => (config.balancer ? `${config.instances} behind the balancer` : `${config.instances} alone`);

/** The balancer process in front of `gateways`; its URL and pid. */
async function startBalancer(gateways: Gateway[]): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/scale/balancer.ts", String(port), ...gateways.map((g) => String(g.port))], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the balancer exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    async stop() {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

type Pids = { gateways: number[]; postmaster: number; pgbouncer: number; balancer?: number };

async function cpu(pids: Pids) {
  const gateways = (await Promise.all(pids.gateways.map(cpuMs))).reduce((a, b) => a + b, 0);
  return { at: performance.now(), gateways, postgres: await postgresCpuMs(pids.postmaster), pgbouncer: await cpuMs(pids.pgbouncer), balancer: pids.balancer ? await cpuMs(pids.balancer) : 0 };
}

/** Cores in use between two readings. */
function cores(before: Awaited<ReturnType<typeof cpu>>, after: Awaited<ReturnType<typeof cpu>>) {
  const wall = after.at - before.at;
  const of = (key: "gateways" | "postgres" | "pgbouncer" | "balancer") => (after[key] - before[key]) / wall;
  return { gateways: of("gateways"), postgres: of("postgres"), pgbouncer: of("pgbouncer"), balancer: of("balancer") };
}

async function post<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

/** Worker loops for `seconds`: each claims, starts and finishes jobs of the queue "scale" as its own node. */
async function runWorkers(url: string, nodeTokens: string[], seconds: number): Promise<{ done: number; failures: number }> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let failures = 0;
  await Promise.all(
    nodeTokens.map(async (token) => {
      while (performance.now() < until) {
        try {
          const { acquireNextJob } = await post<{ acquireNextJob: { job: { id: string } | null; lease?: { token: string } } }>(
            url,
            token,
            `mutation { acquireNextJob(filter: { queues: ["scale"] }) { ... on AcquireJobPayload { job { id } lease { token } } } }`,
          );
          if (!acquireNextJob.job) {
            if (!failures) console.error("acquireNextJob found no job: the queue ran dry");
            failures++;
            continue;
          }
          const variables = { id: acquireNextJob.job.id, lease: acquireNextJob.lease!.token };
          const started = await post<{ startJob: { __typename: string } }>(url, token, `mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, variables);
          const finished = await post<{ finishJob: { __typename: string } }>(url, token, `mutation ($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename } }`, variables);
          if (started.startJob.__typename !== "LeasePayload" || finished.finishJob.__typename !== "JobPayload") failures++;
          else done++;
        } catch (error) {
          if (!failures) console.error(`a worker's call failed: ${(error as Error).message}`);
          failures++;
        }
      }
    }),
  );
  return { done, failures };
}

type Watched = { id: string; lease: string };

/** Subscribers of each watched job on sockets through `url`, reports at REPORT_RATE for `seconds`; delivery latencies. */
async function measureDelivery(url: string, userToken: string, nodeToken: string, jobs: Watched[], seconds: number) {
  const sockets: Client[] = Array.from({ length: SOCKETS }, () =>
    createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${userToken}` }, retryAttempts: 0, lazy: false }),
  );
  const latencies: number[] = [];
  const received = new Map<string, number>();
  let ready = 0;
  const unsubscribes: Array<() => void> = [];
  jobs.forEach((job, j) => {
    for (let s = 0; s < SUBSCRIBERS_PER_JOB; s++) {
      const socket = sockets[(j * SUBSCRIBERS_PER_JOB + s) % SOCKETS]!;
      unsubscribes.push(
        socket.subscribe<{ jobProgress: { initial: boolean; detail: { n: number; sentAt: number } | null } }>(
          { query: `subscription ($id: ID!) { jobProgress(id: $id) { initial detail } }`, variables: { id: job.id } },
          {
            next: ({ data }) => {
              if (!data) return;
              if (data.jobProgress.initial) {
                ready++;
                return;
              }
              const detail = data.jobProgress.detail;
              if (!detail) return;
              latencies.push(Date.now() - detail.sentAt);
              received.set(`${detail.n}`, (received.get(`${detail.n}`) ?? 0) + 1);
            },
            error: () => undefined,
            complete: () => undefined,
          },
        ),
      );
    }
  });
  const expected = jobs.length * SUBSCRIBERS_PER_JOB;
  for (let i = 0; i < 600 && ready < expected; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (ready < expected) throw new Error(`only ${ready} of ${expected} subscriptions started`);

  let n = 0;
  const until = performance.now() + seconds * 1000;
  const pending: Array<Promise<unknown>> = [];
  while (performance.now() < until) {
    const job = jobs[n % jobs.length]!;
    pending.push(
      post(url, nodeToken, `mutation ($id: ID!, $lease: String!, $detail: JSON) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5, detail: $detail) { __typename } }`, {
        id: job.id,
        lease: job.lease,
        detail: { n, sentAt: Date.now() },
      }).catch(() => undefined),
    );
    n++;
    await new Promise((resolve) => setTimeout(resolve, 1000 / REPORT_RATE));
  }
  await Promise.all(pending);
  // Deliveries still on their way get a moment to arrive.
  for (let i = 0; i < 40 && [...received.values()].reduce((a, b) => a + b, 0) < n * SUBSCRIBERS_PER_JOB; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const unsubscribe of unsubscribes) unsubscribe();
  await Promise.all(sockets.map((socket) => socket.dispose()));
  let missing = 0;
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    const count = received.get(`${i}`) ?? 0;
    if (count < SUBSCRIBERS_PER_JOB) missing += SUBSCRIBERS_PER_JOB - count;
    if (count > SUBSCRIBERS_PER_JOB) duplicates += count - SUBSCRIBERS_PER_JOB;
  }
  return { reports: n, p50: percentile(latencies, 50), p99: percentile(latencies, 99), missing, duplicates };
}

type Fleet = { userToken: string; nodeTokens: string[]; reporterToken: string; templateId: string; creatorId: string };

/** Nodes and a user, made once through a gateway; the template the workers' jobs are made from. */
async function setUp(gw: Gateway, pool: pg.Pool): Promise<Fleet> {
  await graphql(gw, `mutation { createJobTemplate(input: { name: "bench-scale", executor: { name: "bench" } }) { __typename } }`);
  const register = async (name: string) => {
    const answer = await graphql<{ registerWorkerNode: { secret?: string; message?: string } }>(
      gw,
      `mutation ($name: String!) { registerWorkerNode(input: { name: $name, executors: ["bench"] }) { ... on RegisterWorkerNodePayload { secret } ... on Error { message } } }`,
      { name },
    );
    if (!answer.registerWorkerNode.secret) throw new Error(`registerWorkerNode: ${answer.registerWorkerNode.message}`);
    return answer.registerWorkerNode.secret;
  };
  const nodeTokens: string[] = [];
  for (let i = 0; i < WORKERS; i++) nodeTokens.push(await register(`bench-scale-${i}`));
  const reporterToken = await register("bench-scale-reporter");
  const user = await graphql<{ createUser: { user: { id: string } } }>(gw, `mutation { createUser(input: { name: "bench-scale-watcher" }) { ... on CreateUserPayload { user { id } } } }`);
  const token = await graphql<{ createApiToken: { secret: string } }>(gw, `mutation ($user: ID!) { createApiToken(input: { name: "bench-scale", user: $user }) { ... on CreateApiTokenPayload { secret } } }`, {
    user: user.createUser.user.id,
  });
  const { rows } = await pool.query<{ template_id: string; creator_id: string }>(
    `select t.id as template_id, u.id as creator_id from job_templates t, users u where t.name = 'bench-scale' and u.name = 'bench-scale-watcher'`,
  );
  return { userToken: token.createApiToken.secret, nodeTokens, reporterToken, templateId: rows[0]!.template_id, creatorId: rows[0]!.creator_id };
}

/** Queued jobs for the workers: more than they can take in a phase. */
async function fillQueue(pool: pg.Pool, fleet: Fleet, count: number): Promise<void> {
  await pool.query(`delete from jobs where queue = 'scale' and status = 'QUEUED'`);
  await pool.query(
    `with created as (
       insert into jobs (queue, name, template_id, creator_id) select 'scale', 'scale job', $1::uuid, $2::uuid from generate_series(1, $3::int) returning id
     )
     insert into job_events (job_id, kind, to_status, actor_user_id, job_version) select id, 'CREATED', 'QUEUED', $2::uuid, 1 from created`,
    [fleet.templateId, fleet.creatorId, count],
  );
}

/** Running jobs held by the reporter node, for the delivery phase. */
async function watchedJobs(pool: pg.Pool, fleet: Fleet): Promise<Watched[]> {
  const { rows } = await pool.query<{ id: string; lease_token: string }>(
    `insert into jobs (queue, template_id, creator_id, name, status, node_id, lease_token, lease_expires_at, start_time, attempts)
     select 'scale-watched', $1::uuid, $2::uuid, 'watched-' || i, 'RUNNING'::"JobStatus", (select id from worker_nodes where name = 'bench-scale-reporter'),
            gen_random_uuid(), now() + interval '1 day', now(), 1
       from generate_series(1, $3::int) as i
     returning id, lease_token`,
    [fleet.templateId, fleet.creatorId, WATCHED_JOBS],
  );
  return rows.map((row) => ({ id: Buffer.from(`Job:${row.id}`).toString("base64"), lease: row.lease_token }));
}

async function measure(config: Config, round: number, urls: { pooled: string; direct: string }, pool: pg.Pool, fleetOf: (gw: Gateway) => Promise<Fleet>, pids: Omit<Pids, "gateways" | "balancer">): Promise<Run> {
  const gateways: Gateway[] = await Promise.all(
    Array.from({ length: config.instances }, (_, i) =>
      gateway({
        databaseUrl: urls.pooled,
        env: { DATABASE_DIRECT_URL: urls.direct, JOBGRAPH_DB_POOL_SIZE: "10", JOBGRAPH_SCHEDULE_INTERVAL_MS: i === 0 ? "1000" : "0" },
      }),
    ),
  );
  const balancer = config.balancer ? await startBalancer(gateways) : undefined;
  try {
    const url = balancer?.url ?? gateways[0]!.url;
    const fleet = await fleetOf(gateways[0]!);
    const all: Pids = { ...pids, gateways: gateways.map((g) => g.pid), ...(balancer ? { balancer: balancer.pid } : {}) };
    // A second of warm-up per instance: the documents parsed and compiled, the pools open. A smoke
    // run's figures are not read, so it goes without.
    if (!smoke) await load(url, { authorization: `Bearer ${fleet.userToken}` }, [JSON.stringify({ query: DASHBOARD })], 1, READ_CONNECTIONS);

    let before = await cpu(all);
    const reads = await load(url, { authorization: `Bearer ${fleet.userToken}` }, [JSON.stringify({ query: DASHBOARD })], SECONDS, READ_CONNECTIONS);
    const readCores = cores(before, await cpu(all));

    await fillQueue(pool, fleet, Math.max(2000, 400 * SECONDS));
    before = await cpu(all);
    const started = performance.now();
    const workers = await runWorkers(url, fleet.nodeTokens, SECONDS);
    const jobMinutes = (performance.now() - started) / 60_000;
    const jobCores = cores(before, await cpu(all));

    const watched = await watchedJobs(pool, fleet);
    before = await cpu(all);
    const delivery = await measureDelivery(url, fleet.userToken, fleet.reporterToken, watched, SECONDS);
    const deliveryCores = cores(before, await cpu(all));

    const run: Run = {
      ...config,
      round,
      reads: { rps: reads.rps, p99: reads.p99, failures: reads.failures },
      jobs: { perMinute: workers.done / jobMinutes, failures: workers.failures },
      delivery,
      cores: { reads: readCores, jobs: jobCores, delivery: deliveryCores },
    };
    console.log(
      `round ${round}, ${label(config)}: ${Math.round(run.reads.rps)} reads/s (p99 ${run.reads.p99} ms), ${Math.round(run.jobs.perMinute)} jobs/min, ` +
        `delivery p50 ${run.delivery.p50} ms p99 ${run.delivery.p99} ms over ${run.delivery.reports} reports`,
    );
    return run;
  } finally {
    await balancer?.stop();
    for (const gw of gateways) await gw.stop();
  }
}

type Summary = Config & {
  readsPerSecond: number;
  readP99Ms: number;
  jobsPerMinute: number;
  deliveryP50Ms: number;
  deliveryP99Ms: number;
  gatewayCores: { reads: number; jobs: number; delivery: number };
  postgresCores: { reads: number; jobs: number; delivery: number };
  /** Against one instance alone, in the same run. */
  ratios: { reads: number; jobs: number };
};

function summarise(runs: Run[], configs: Config[]): Summary[] {
  const medians = configs.map((config) => {
    const mine = runs.filter((run) => run.instances === config.instances && run.balancer === config.balancer);
    const m = (pick: (run: Run) => number) => median(mine.map(pick));
    return {
      ...config,
      readsPerSecond: m((run) => run.reads.rps),
      readP99Ms: m((run) => run.reads.p99),
      jobsPerMinute: m((run) => run.jobs.perMinute),
      deliveryP50Ms: m((run) => run.delivery.p50),
      deliveryP99Ms: m((run) => run.delivery.p99),
      gatewayCores: { reads: m((run) => run.cores.reads.gateways), jobs: m((run) => run.cores.jobs.gateways), delivery: m((run) => run.cores.delivery.gateways) },
      postgresCores: { reads: m((run) => run.cores.reads.postgres), jobs: m((run) => run.cores.jobs.postgres), delivery: m((run) => run.cores.delivery.postgres) },
    };
  });
  const alone = medians.find((s) => s.instances === 1 && !s.balancer)!;
  return medians.map((s) => ({ ...s, ratios: { reads: s.readsPerSecond / alone.readsPerSecond, jobs: s.jobsPerMinute / alone.jobsPerMinute } }));
}

function section(results: { at: string; machine: ReturnType<typeof machine>; rounds: number; seconds: number; summary: Summary[]; runs: Run[] }): string {
  const rows = results.summary.map((s) => {
    const mine = results.runs.filter((run) => run.instances === s.instances && run.balancer === s.balancer);
    const hop = median(mine.map((run) => run.cores.jobs.balancer + run.cores.jobs.pgbouncer));
    return (
      `| ${label(s)} | ${Math.round(s.readsPerSecond)} (${s.ratios.reads.toFixed(2)}x) | ${s.readP99Ms} | ${Math.round(s.jobsPerMinute)} (${s.ratios.jobs.toFixed(2)}x) | ${s.deliveryP50Ms} / ${s.deliveryP99Ms} | ` +
      `${s.gatewayCores.reads.toFixed(2)} / ${s.postgresCores.reads.toFixed(2)} | ${s.gatewayCores.jobs.toFixed(2)} / ${s.postgresCores.jobs.toFixed(2)} / ${hop.toFixed(2)} |`
    );
  });
  const alone = results.summary.find((s) => s.instances === 1 && !s.balancer)!;
  const behind = results.summary.find((s) => s.instances === 1 && s.balancer);
  const most = results.summary.reduce((a, b) => (b.instances > a.instances ? b : a));
  return `## Scale-out: instances behind a balancer

\`npm run bench:scale\`, ${results.at.slice(0, 10)}, ${results.machine.cpus} cores (${results.machine.cpuModel}), Node.js ${results.machine.node}: gateway instances behind a
round-robin TCP balancer (\`bench/scale/balancer.ts\`, a Node.js process passing each connection to the next instance), with PgBouncer in
transaction mode in front of one embedded PostgreSQL, everything on this machine. Medians of ${results.rounds} rounds of ${results.seconds} s phases. Reads: a
dashboard page (50 jobs of a queue by priority, \`totalCount\`, creator, node, counts of tasks and outputs) from ${READ_CONNECTIONS} connections.
Jobs: ${WORKERS} worker nodes claiming, starting and finishing jobs. Delivery: ${REPORT_RATE} progress reports a second to ${WATCHED_JOBS} running jobs,
each watched by ${SUBSCRIBERS_PER_JOB} graphql-ws subscribers on sockets the balancer spreads over the instances, from a report's sending to its
delivery. Ratios against one instance alone (no balancer), in the same run. Cores: CPU time over each phase's wall time.

| instances | reads/s | read p99 ms | jobs/min | delivery p50 / p99 ms | cores, reads: gateways / PostgreSQL | cores, jobs: gateways / PostgreSQL / balancer and PgBouncer |
|---|---|---|---|---|---|---|
${rows.join("\n")}

On ${results.machine.cpus} cores the machine is the limit, not the number of instances: the load generator, the gateways, PostgreSQL,
PgBouncer and the balancer share it, and PostgreSQL alone takes ${alone.postgresCores.jobs.toFixed(1)} cores of the jobs phase. So more
instances share the same cores, and each adds its fixed costs (its event tail woken by every other's writes, its pools, its
timers)${behind ? `; the balancer's hop alone costs ${Math.round((1 - behind.ratios.reads) * 100)}% of the reads and ${Math.round((1 - behind.ratios.jobs) * 100)}% of the jobs of one instance here` : ""}.
${most.instances} instances still serve ${most.ratios.reads.toFixed(2)}x the reads and ${most.ratios.jobs.toFixed(2)}x the jobs of one, with delivery p99 at
${most.deliveryP99Ms} ms; every report reached each of its job's subscribers exactly once, wherever their sockets landed, and no
worker call failed. Instances add throughput where they bring cores of their own; where the shared parts give out is in
docs/deploy.md ("At a hundred times the load").`;
}

/** With --render, only the section of docs/performance.md is written again, from bench/results/scale.json. */
async function render(): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const results = JSON.parse(await readFile(`${root}/bench/results/scale.json`, "utf8")) as Parameters<typeof section>[0];
  await report("scale", results, section(results));
}

async function main() {
  const stopDeadline = deadline(smoke ? 5 * 60_000 : 60 * 60_000);
  const work = await scratch("scale");
  const db = await database(work.dir);
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // An idle connection the server ends (PostgreSQL stopping at the end) is reported here; unheard, it would end the run.
  pool.on("error", () => undefined);
  const bouncer = await startPgBouncer(db.url, { serverConnections: 20 });
  try {
    console.log(`seeding ${SEED_JOBS} jobs for the reads`);
    await seed(db.url, SEED_JOBS);
    const dbName = new URL(db.url).pathname.slice(1);
    const urls = { pooled: bouncer.url(dbName), direct: db.url };
    const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
    const postmaster = (await postmasterOf(rows[0]!.pid))!;
    let fleet: Fleet | undefined;
    const fleetOf = async (gw: Gateway) => (fleet ??= await setUp(gw, pool));
    const configs: Config[] = [{ instances: 1, balancer: false }, ...INSTANCES.map((instances) => ({ instances, balancer: true }))];
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const config of configs) runs.push(await measure(config, round, urls, pool, fleetOf, { postmaster, pgbouncer: bouncer.pid }));
    }
    const failures = runs.flatMap((run) => {
      const problems: string[] = [];
      if (run.reads.failures) problems.push(`${run.reads.failures} failed reads`);
      if (run.jobs.failures) problems.push(`${run.jobs.failures} failed worker calls`);
      if (run.delivery.missing || run.delivery.duplicates) problems.push(`${run.delivery.missing} deliveries missing, ${run.delivery.duplicates} twice`);
      return problems.map((problem) => `round ${run.round}, ${label(run)}: ${problem}`);
    });
    const summary = summarise(runs, configs);
    const results = { at: new Date().toISOString(), machine: machine(), database: db.version, rounds: ROUNDS, seconds: SECONDS, summary, runs, failures };
    const file = await report("scale", results, section(results));
    console.log(`results in ${file}`);
    for (const s of summary) console.log(`${label(s)}: ${Math.round(s.readsPerSecond)} reads/s, ${Math.round(s.jobsPerMinute)} jobs/min, delivery p99 ${s.deliveryP99Ms} ms`);
    if (failures.length) {
      console.error(`failures:\n${failures.join("\n")}`);
      process.exitCode = 1;
    }
  } finally {
    await pool.end();
    await bouncer.stop();
    await db.stop();
    await work.remove();
    stopDeadline();
  }
}

await (process.argv.includes("--render") ? render() : main());
