// Queue diagnostics: what queuePosition, whyNotRunning and estimatedStartTime cost on a page of 50
// waiting jobs with 100,000 jobs waiting in their queue, next to the same page without them in the
// same run; and how wrong estimatedStartTime was on a workload that drains a queue.
//
//   npm run bench:queues       100,000 waiting jobs, 3 rounds of 40 requests per page shape,
//                              then a 600-job drain by 4 workers
//   ... --smoke                (or BENCH_SMOKE=1) 2,000 waiting jobs, 1 round of 5 requests, a
//                              120-job drain; nothing written to the docs
//
// Settings: BENCH_QUEUES_JOBS (100000, 2000) waiting jobs; BENCH_ROUNDS (3, 1); DATABASE_URL an
// existing, empty PostgreSQL instead of an embedded one.
//
// Latency: requests one at a time (the cost of one page, not the server's throughput), the shapes
// interleaved round by round; the median of each shape and its ratio to the plain page. The page
// is the newest 50 waiting jobs: the back of the queue, where a position counts the most jobs.
//
// End estimates: 16 jobs (4 in smoke mode) report progress for 10 s (3 s) on four curves; each one's
// estimatedEndTime is read as it passes 25, 50 and 75 % and compared with when it finished.
//
// Start estimates: 4 workers (GraphQL clients in this process, one node each) drain a queue of jobs that
// take 50 to 250 ms each (uniform); once a sixth of them ended, every waiting job's
// estimatedStartTime is read, and later compared with when the job was acquired. Errors are
// reported in seconds and as a fraction of the wait, as median and 90th percentile, with how often
// the acquisition fell within [earliest, latest].
import pg from "pg";
import { deadline, gateway, graphql, machine, median, percentile, report, scratch, smoke, database as startDatabase, type Gateway } from "./lib.js";
import { createQueue, uuidOf } from "./workers/queue.js";

const setting = (name: string, full: number, smokeValue: number) => Number(process.env[name] ?? (smoke ? smokeValue : full));
const JOBS = setting("BENCH_QUEUES_JOBS", 100_000, 2_000);
const ROUNDS = setting("BENCH_ROUNDS", 3, 1);
const REQUESTS = smoke ? 5 : 40;
const DRAIN_JOBS = smoke ? 120 : 600;
const DRAIN_WORKERS = 4;
const PAGE = 50;

const SHAPES = {
  plain: "number status priority",
  queuePosition: "number status priority queuePosition",
  whyNotRunning: "number status priority whyNotRunning { code message }",
  everything: "number status priority queuePosition whyNotRunning { code message } estimatedStartTime { time earliest latest }",
} as const;
type Shape = keyof typeof SHAPES;

const pageOf = (shape: Shape) => `query ($first: Int!) { jobs(first: $first, filter: { queue: ["bulk"], status: [QUEUED] }) { edges { node { ${SHAPES[shape]} } } } }`;

async function timed(gw: Gateway, query: string, variables: Record<string, unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await fetch(gw.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`request failed: ${response.status} ${JSON.stringify(body.errors)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function seed(pool: pg.Pool, templateId: string, creatorId: string): Promise<void> {
  for (let added = 0; added < JOBS; added += 10_000) {
    await pool.query(
      `insert into jobs (queue, name, template_id, creator_id, priority)
       select 'bulk', 'bench job', $1::uuid, $2::uuid, (g % 5) - 2 from generate_series(1, $3::int) g`,
      [templateId, creatorId, Math.min(10_000, JOBS - added)],
    );
  }
  // The queue's recent throughput, for the estimates: a job ended every second over the last 5 minutes.
  await pool.query(
    `insert into jobs (queue, name, template_id, creator_id, status, start_time, end_time)
     select 'bulk', 'done', $1::uuid, $2::uuid, 'SUCCEEDED', now() - make_interval(secs => g + 30), now() - make_interval(secs => g)
       from generate_series(1, 300) g`,
    [templateId, creatorId],
  );
  await pool.query("vacuum analyze jobs");
}

type Latency = Record<Shape, { medianMs: number; p90Ms: number; toPlain: number }>;

async function measureLatency(gw: Gateway): Promise<Latency> {
  const samples: Record<Shape, number[]> = { plain: [], queuePosition: [], whyNotRunning: [], everything: [] };
  for (const shape of Object.keys(SHAPES) as Shape[]) await timed(gw, pageOf(shape), { first: PAGE });
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of Object.keys(SHAPES) as Shape[]) {
      for (let i = 0; i < REQUESTS; i++) samples[shape].push(await timed(gw, pageOf(shape), { first: PAGE }));
    }
  }
  const plain = median(samples.plain);
  return Object.fromEntries(
    (Object.keys(SHAPES) as Shape[]).map((shape) => [
      shape,
      { medianMs: round2(median(samples[shape])), p90Ms: round2(percentile(samples[shape], 90)), toPlain: round2(median(samples[shape]) / plain) },
    ]),
  ) as Latency;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** A worker node's request (its token, not the admin's); the answer's data. */
async function asNode(gw: Gateway, secret: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(gw.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query, variables }),
  });
  return ((await response.json()) as { data: Record<string, Record<string, unknown>> }).data;
}

type Accuracy = {
  jobs: number;
  estimated: number;
  errorSeconds: { median: number; p90: number };
  errorOfWait: { median: number; p90: number };
  withinRange: number;
};

/** Drains a queue with workers in this process, reading every waiting job's estimate once a sixth has ended. */
async function measureAccuracy(gw: Gateway, pool: pg.Pool, templateId: string, creatorId: string, secrets: string[]): Promise<Accuracy> {
  await pool.query(
    `insert into jobs (queue, name, template_id, creator_id) select 'drain', 'drain job', $1::uuid, $2::uuid from generate_series(1, $3::int)`,
    [templateId, creatorId, DRAIN_JOBS],
  );
  let ended = 0;
  const call = (secret: string, query: string, variables: Record<string, unknown> = {}) => asNode(gw, secret, query, variables);
  const worker = async (secret: string) => {
    for (;;) {
      const data = await call(secret, `mutation { acquireNextJob(filter: { queues: ["drain"] }) { ... on AcquireJobPayload { job { id } lease { token } } } }`);
      const payload = data.acquireNextJob as { job: { id: string } | null; lease: { token: string } | null };
      if (!payload.job) return;
      const variables = { id: payload.job.id, token: payload.lease!.token };
      await call(secret, `mutation ($id: ID!, $token: String!) { startJob(id: $id, leaseToken: $token) { __typename } }`, variables);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      await call(secret, `mutation ($id: ID!, $token: String!) { finishJob(id: $id, leaseToken: $token) { __typename } }`, variables);
      ended++;
    }
  };
  const workers = Promise.all(secrets.map(worker));
  while (ended < DRAIN_JOBS / 6) await new Promise((r) => setTimeout(r, 20));
  const askedAt = Date.now();
  const read = await graphql<{ jobs: { edges: Array<{ node: { id: string; estimatedStartTime: { time: string; earliest: string; latest: string } | null } }> } }>(
    gw,
    `{ jobs(first: 1000, filter: { queue: ["drain"], status: [QUEUED] }) { edges { node { id estimatedStartTime { time earliest latest } } } } }`,
  );
  // The page and each job's estimate are read by different statements: a job taken between them
  // (a busy machine widens the gap) has no estimate, rightly. Only the jobs acquired after the
  // read ended, waiting all through it, are compared, and each of them must have one.
  const readAt = Date.now();
  await workers;
  const nodes = read.jobs.edges.map((e) => e.node);
  const { rows } = await pool.query<{ id: string; acquired: Date }>(
    `select job_id::text as id, min(start_time) as acquired from job_attempts where job_id = any($1::uuid[]) group by job_id`,
    [nodes.map((n) => uuidOf(n.id))],
  );
  const acquired = new Map(rows.map((r) => [r.id, r.acquired.getTime()]));
  const waitedThrough = nodes.filter((n) => (acquired.get(uuidOf(n.id)) ?? 0) > readAt);
  const seconds: number[] = [];
  const ofWait: number[] = [];
  let within = 0;
  for (const e of waitedThrough) {
    const actual = acquired.get(uuidOf(e.id))!;
    const estimate = e.estimatedStartTime;
    if (!estimate) continue;
    const error = Math.abs(new Date(estimate.time).getTime() - actual) / 1000;
    seconds.push(error);
    ofWait.push(error / Math.max(0.001, (actual - askedAt) / 1000));
    if (new Date(estimate.earliest).getTime() <= actual && actual <= new Date(estimate.latest).getTime()) within++;
  }
  return {
    jobs: waitedThrough.length,
    estimated: seconds.length,
    errorSeconds: { median: round2(median(seconds)), p90: round2(percentile(seconds, 90)) },
    errorOfWait: { median: round2(median(ofWait)), p90: round2(percentile(ofWait, 90)) },
    withinRange: round2(within / Math.max(1, seconds.length)),
  };
}

const PROFILES = {
  /** The same rate throughout. */
  steady: (x: number) => x,
  /** Slow at first, fast at the end. */
  speedingUp: (x: number) => x * x,
  /** Fast at first, slow at the end. */
  slowingDown: (x: number) => 1 - (1 - x) * (1 - x),
  /** Steady, with each report off by up to 4 points and reports at uneven times. */
  jittery: (x: number) => Math.min(1, Math.max(0, x + (Math.random() - 0.5) * 0.08)),
} as const;
type Profile = keyof typeof PROFILES;
const END_SECONDS = smoke ? 3 : 10;
const END_JOBS_PER_PROFILE = smoke ? 1 : 4;

type EndAccuracy = {
  estimates: number;
  errorSeconds: { median: number; p90: number };
  errorOfRemaining: { median: number; p90: number };
  withinRange: number;
  byProfile: Record<Profile, { median: number; p90: number }>;
};

/**
 * Jobs that report progress on a curve over END_SECONDS, a report every 250 ms or so; when each
 * passes 25, 50 and 75 %, its estimatedEndTime is read, and later compared with when it finished.
 */
async function measureEndAccuracy(gw: Gateway, pool: pg.Pool, templateId: string, creatorId: string, secrets: string[]): Promise<EndAccuracy> {
  const profiles = Object.keys(PROFILES) as Profile[];
  const count = profiles.length * END_JOBS_PER_PROFILE;
  await pool.query(
    `insert into jobs (queue, name, template_id, creator_id) select 'progress', 'progress job', $1::uuid, $2::uuid from generate_series(1, $3::int)`,
    [templateId, creatorId, count],
  );
  const call = (secret: string, query: string, variables: Record<string, unknown> = {}) => asNode(gw, secret, query, variables);
  type Sample = { profile: Profile; askedAt: number; time: number; earliest: number; latest: number; endedAt?: number };
  const samples: Sample[] = [];
  const run = async (i: number) => {
    const secret = secrets[i % secrets.length]!;
    const profile = profiles[i % profiles.length]!;
    const data = await call(secret, `mutation { acquireNextJob(filter: { queues: ["progress"] }) { ... on AcquireJobPayload { job { id } lease { token } } } }`);
    const payload = data.acquireNextJob as { job: { id: string }; lease: { token: string } };
    const variables = { id: payload.job.id, token: payload.lease.token };
    await call(secret, `mutation ($id: ID!, $token: String!) { startJob(id: $id, leaseToken: $token) { __typename } }`, variables);
    const started = Date.now();
    const mine: Sample[] = [];
    let next = 0.25;
    for (;;) {
      const x = Math.min(1, (Date.now() - started) / (END_SECONDS * 1000));
      if (x >= 1) break;
      await call(secret, `mutation ($id: ID!, $token: String!, $p: Float!) { reportJobProgress(id: $id, leaseToken: $token, progress: $p) { __typename } }`, { ...variables, p: PROFILES[profile](x) });
      if (x >= next && next <= 0.75) {
        next += 0.25;
        const read = await graphql<{ job: { estimatedEndTime: { time: string; earliest: string; latest: string } | null } }>(
          gw,
          `query ($id: ID!) { job(id: $id) { estimatedEndTime { time earliest latest } } }`,
          { id: payload.job.id },
        );
        const e = read.job.estimatedEndTime;
        if (e) mine.push({ profile, askedAt: Date.now(), time: Date.parse(e.time), earliest: Date.parse(e.earliest), latest: Date.parse(e.latest) });
      }
      await new Promise((r) => setTimeout(r, profile === "jittery" ? 100 + Math.random() * 300 : 250));
    }
    await call(secret, `mutation ($id: ID!, $token: String!) { finishJob(id: $id, leaseToken: $token) { __typename } }`, variables);
    const endedAt = Date.now();
    for (const sample of mine) samples.push({ ...sample, endedAt });
  };
  await Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  const seconds = samples.map((s) => Math.abs(s.time - s.endedAt!) / 1000);
  const ofRemaining = samples.map((s) => Math.abs(s.time - s.endedAt!) / Math.max(1, s.endedAt! - s.askedAt));
  const within = samples.filter((s) => s.earliest <= s.endedAt! && s.endedAt! <= s.latest).length;
  const byProfile = Object.fromEntries(
    profiles.map((profile) => {
      const errors = samples.filter((s) => s.profile === profile).map((s) => Math.abs(s.time - s.endedAt!) / Math.max(1, s.endedAt! - s.askedAt));
      return [profile, { median: round2(median(errors)), p90: round2(percentile(errors, 90)) }];
    }),
  ) as EndAccuracy["byProfile"];
  return {
    estimates: samples.length,
    errorSeconds: { median: round2(median(seconds)), p90: round2(percentile(seconds, 90)) },
    errorOfRemaining: { median: round2(median(ofRemaining)), p90: round2(percentile(ofRemaining, 90)) },
    withinRange: round2(within / Math.max(1, samples.length)),
    byProfile,
  };
}

function section(results: { jobs: number; latency: Latency; accuracy: Accuracy; endAccuracy: EndAccuracy; machine: ReturnType<typeof machine>; at: string }): string {
  const rows = (Object.keys(SHAPES) as Shape[])
    .map((shape) => `| ${shape} | ${results.latency[shape].medianMs} | ${results.latency[shape].p90Ms} | ${results.latency[shape].toPlain}x |`)
    .join("\n");
  const a = results.accuracy;
  return `## Queue diagnostics (bench:queues)

A page of the 50 newest waiting jobs of a queue of ${results.jobs.toLocaleString("en")} waiting jobs (the back of the queue, where a position counts the most), requests one at a time, next to the same page without the diagnostics in the same run (${results.machine.cpus} CPUs, ${results.machine.cpuModel}, ${results.at.slice(0, 10)}):

| page of 50 jobs with | median ms | p90 ms | to the plain page |
| --- | ---: | ---: | ---: |
${rows}

queuePosition counts a job near the front of its queue (fewer than 100 ahead) exactly, from one read of the first 100 of the queue; a job further back is placed in a snapshot of the queue's claim order that each gateway instance reads at most once every 2 s per queue (about 170 ms of PostgreSQL's time at 100,000 waiting jobs) and shares among requests. whyNotRunning adds one statement for the page and reuses the positions; estimatedStartTime reads the queue's jobs ended in the last hour.

estimatedStartTime on a workload: ${DRAIN_WORKERS} workers drain ${DRAIN_JOBS} jobs of 50-250 ms; every waiting job's estimate was read once a sixth had ended (${a.estimated} estimates) and compared with its acquisition: error median ${a.errorSeconds.median} s, 90th percentile ${a.errorSeconds.p90} s; as a fraction of the wait, median ${a.errorOfWait.median}, 90th percentile ${a.errorOfWait.p90}; the acquisition fell within [earliest, latest] for ${Math.round(a.withinRange * 100)} % of them (the range is meant to hold 80 %${
    a.withinRange > 0.9
      ? ": it models the waits between ends as independent, and jobs served by several nodes at once end more regularly than that, so it is wider than it needs to be here"
      : a.withinRange < 0.7
        ? ": here it was too narrow"
        : ""
  }).

estimatedEndTime on a workload: ${(Object.keys(PROFILES) as Profile[]).length * END_JOBS_PER_PROFILE} jobs ran for ${END_SECONDS} s each, reporting progress about every 250 ms on four curves (steady, speeding up, slowing down, and steady with noisy reports at uneven times); when each passed 25, 50 and 75 %, its estimate was read (${results.endAccuracy.estimates} estimates) and compared with when it finished: error median ${results.endAccuracy.errorSeconds.median} s, 90th percentile ${results.endAccuracy.errorSeconds.p90} s; as a fraction of the time that was left, median ${results.endAccuracy.errorOfRemaining.median}, 90th percentile ${results.endAccuracy.errorOfRemaining.p90} (steady ${results.endAccuracy.byProfile.steady.median}, speeding up ${results.endAccuracy.byProfile.speedingUp.median}, slowing down ${results.endAccuracy.byProfile.slowingDown.median}, noisy ${results.endAccuracy.byProfile.jittery.median}, medians); the end fell within [earliest, latest] for ${Math.round(results.endAccuracy.withinRange * 100)} % of them.`;
}

async function main() {
  const stop = deadline(30 * 60_000);
  const dir = await scratch("queues");
  const db = await startDatabase(dir.dir);
  const gw = await gateway({ databaseUrl: db.url, env: { JOBGRAPH_MAX_PAGE_SIZE: "1000" } });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // An idle connection the server ends (PostgreSQL stopping at the end) is reported here; unheard, it would end the run.
  pool.on("error", () => undefined);
  try {
    const queue = await createQueue(gw, DRAIN_WORKERS);
    await seed(pool, queue.templateId, queue.creatorId);
    console.log(`seeded ${JOBS} waiting jobs; measuring pages`);
    const latency = await measureLatency(gw);
    console.log(`measuring estimates over a drain of ${DRAIN_JOBS} jobs`);
    const accuracy = await measureAccuracy(gw, pool, queue.templateId, queue.creatorId, queue.nodes.map((n) => n.secret));
    console.log(`measuring end estimates over ${END_SECONDS} s jobs`);
    const endAccuracy = await measureEndAccuracy(gw, pool, queue.templateId, queue.creatorId, queue.nodes.map((n) => n.secret));
    const results = { jobs: JOBS, rounds: ROUNDS, requestsPerRound: REQUESTS, latency, accuracy, endAccuracy, machine: machine(), at: new Date().toISOString() };
    console.log(JSON.stringify(results, null, 2));
    const file = await report("queues", results, section(results));
    console.log(`results in ${file}`);
  } finally {
    await pool.end();
    await gw.stop();
    await db.stop();
    await dir.remove();
    stop();
  }
}

await main();
