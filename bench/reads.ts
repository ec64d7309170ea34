// Reads: jobgraph next to PostGraphile v4 and v5 over the same tables and a floor (one hand-written
// SQL statement per request behind graphql-yoga), on one seeded database, interleaved round by round.
//
//   npm run bench:reads      10,000 jobs (200,000 tasks, about 53,000 events), 3 rounds of 10 s per
//                            server and query after a 3 s warm-up of each, 10 connections
//   ... --smoke              (or BENCH_SMOKE=1) 200 jobs, no warm-up, 1 round of 0.3 s, nothing
//                            written to the docs
//
// Settings, in either mode (full default, smoke default); a smoke run with larger settings is a
// trial that still writes nothing to the docs:
//   BENCH_READS_JOBS            jobs to seed, 20 tasks and 0-5 outputs each    (10000, 200)
//   BENCH_ROUNDS                rounds                                         (3, 1)
//   BENCH_READS_SECONDS         load per server and query in each round, s     (10, 0.3)
//   BENCH_READS_WARMUP_SECONDS  warm-up per server and query, s                (3, 0)
//   BENCH_READS_CONNECTIONS     concurrent HTTP clients                        (10, 10)
//   BENCH_READS_DEADLINE_MIN    the run gives up after this many minutes       (30, 4)
//   DATABASE_URL                an existing PostgreSQL instead of an embedded one (its tables are
//                               seeded: use an empty database)
//
// The queries (bench/reads/queries.ts): twelve shapes a dashboard or an API client writes, which
// between them read every stored field and relation of jobs, tasks, templates, outputs, events,
// users and worker nodes: lists with filters, orders, counts and nested pages, and single-job pages
// (cycling through up to 1,000 ids). The floor answers the first three only.
// PostGraphile v5 requires Node 22: on an older Node the bench fetches Node 22 once from the npm
// registry into node_modules/.cache and runs v5 on it (bench/reads/servers.ts).
// Each server is its own process with a pool of 10 connections; traffic goes to 127.0.0.1 only.
// Per server, query and round: requests/s, p50/p99 latency, CPU ms per request of the server
// process and of PostgreSQL (/proc). SQL statements per request are counted once, by
// pg_stat_statements, over requests sent one at a time. Before measuring, the servers' answers are
// checked to hold the same rows. Any failed request (HTTP error, GraphQL error, timeout) fails the
// run (exit 1) before anything is written.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { cpuMs, deadline, machine, median, postgresCpuMs, report, root, scratch, smoke } from "./lib.js";
import { barChart } from "./chart.js";
import { load } from "./reads/load.js";
import { countStatements, resetStatements, startPostgres, type Postgres } from "./reads/postgres.js";
import { bodies, canonical, FILTER_QUEUE, FLOOR_QUERIES, PAGE_SIZE, QUERIES, SERVERS, serves, TEMPLATE_EXECUTOR, type Ids, type QueryName, type ServerName } from "./reads/queries.js";
import { benchIds, comparedIds, seed, TASKS_PER_JOB, type Seeded } from "./reads/seed.js";
import { modernNode, startServer, type Server } from "./reads/servers.js";

const execFileAsync = promisify(execFile);
const setting = (name: string, full: number, smokeValue: number) => Number(process.env[name] ?? (smoke ? smokeValue : full));
const JOBS = setting("BENCH_READS_JOBS", 10_000, 200);
const ROUNDS = setting("BENCH_ROUNDS", 3, 1);
const SECONDS = setting("BENCH_READS_SECONDS", 10, 0.3);
const WARMUP_SECONDS = setting("BENCH_READS_WARMUP_SECONDS", 3, 0);
const CONNECTIONS = setting("BENCH_READS_CONNECTIONS", 10, 10);
const DEADLINE_MS = setting("BENCH_READS_DEADLINE_MIN", 30, 4) * 60_000;
/** Connections in each server's pool: the same for all. */
const POOL_SIZE = 10;
/** How many job ids the single-job queries cycle through, and how many of them (and of the users) are compared. */
const JOB_IDS = 1000;
const COMPARED_IDS = 3;
/**
 * Bounds of the wait after a measurement for requests still in flight; shorter in a smoke run, whose
 * CPU times are only checked to be there.
 */
const SETTLE_MIN_MS = smoke ? 50 : 200;
const SETTLE_MAX_MS = smoke ? 300 : 5000;
/** Requests per server and query in the count of SQL statements. */
const STATEMENT_SAMPLE = smoke ? 4 : 20;

const LABELS: Record<ServerName, string> = {
  jobgraph: "jobgraph",
  postgraphile: "PostGraphile v4",
  postgraphile5: "PostGraphile v5",
  floor: "floor: one hand-written SQL statement",
};
const QUERY_LABELS: Record<QueryName, string> = {
  nestedPage: "nested page",
  jobById: "job by id",
  filteredList: "filtered list",
  dashboard: "dashboard page",
  jobDetail: "job detail",
  templates: "templates",
  nodes: "worker nodes",
  jobEvents: "job timeline",
  users: "users",
  jobTasks: "job's tasks",
  jobFamily: "job family",
  userJobs: "user's jobs",
};
/** The peers jobgraph's ratios are taken against. */
const PEERS = ["postgraphile", "postgraphile5", "floor"] as const;
type Peer = (typeof PEERS)[number];

type Cell = {
  round: number;
  query: QueryName;
  server: ServerName;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
  cpuMsPerRequest: number;
  postgresCpuMsPerRequest: number | null;
};

type Summary = Pick<Cell, "rps" | "p50" | "p99" | "cpuMsPerRequest" | "postgresCpuMsPerRequest">;
type Ratios = { rps: number; cpuMsPerRequest: number };

/** Sends each query to each server once and checks that all answers hold the same rows. */
async function checkEquivalence(servers: Server[], ids: Ids) {
  const answers: Record<string, Record<string, unknown>> = {};
  for (const query of QUERIES) {
    answers[query] = {};
    const answering = servers.filter((s) => serves(s.name, query));
    for (const server of answering) {
      const sample = bodies(server.name, query, ids);
      const data = [];
      for (const body of sample) data.push(canonical(query, await post(server, body), server.name));
      answers[query]![server.name] = data;
    }
    const [first, ...others] = answering.map((s) => JSON.stringify(answers[query]![s.name]));
    if (others.some((other) => other !== first)) {
      throw new Error(`the servers answered ${query} differently:\n${answering.map((s) => `${s.name}: ${JSON.stringify(answers[query]![s.name]).slice(0, 2000)}`).join("\n")}`);
    }
  }
  // What the compared answers held: the same for every server, or the run stopped above.
  type Job = { tasks: unknown[]; outputs: unknown[] };
  const [nested] = answers.nestedPage!.jobgraph as Job[][];
  const [list] = answers.filteredList!.jobgraph as unknown[][];
  const [dashboard] = answers.dashboard!.jobgraph as Array<{ totalCount: number; jobs: unknown[] }>;
  const details = answers.jobDetail!.jobgraph as Array<{ tasks: { nodes: unknown[] } } | null>;
  type Page<T = unknown> = { totalCount: number; nodes: T[] };
  const rows = (query: QueryName) => answers[query]!.jobgraph as unknown[];
  /** Of the rows compared, how many there were and how many had `present` (a relation, a value). */
  const tally = <T,>(items: T[], present: (item: T) => boolean) => ({ rows: items.length, with: items.filter(present).length });
  const [templates] = rows("templates") as Array<Page<{ creator: unknown; jobs: Page }>>;
  const [nodes] = rows("nodes") as Array<Page<{ currentJobs: Page<{ tasks: Page }> }>>;
  const timelines = (rows("jobEvents") as Array<{ events: Page<{ actorUser: unknown; actorNode: unknown; task: unknown }> } | null>).flatMap((t) => t?.events.nodes ?? []);
  const [users] = rows("users") as Array<Page<{ tokens: Page }>>;
  const tasks = (rows("jobTasks") as Array<{ tasks: Page<{ mapTask: unknown; createdByTask: unknown; stoppedBy: unknown }> } | null>).flatMap((j) => j?.tasks.nodes ?? []);
  const families = (rows("jobFamily") as Array<{ parent: unknown; children: Page<{ outputs: Page }> } | null>).filter((f) => f !== null);
  const userJobs = (rows("userJobs") as Array<Page<{ deletedAt: unknown }>>).flatMap((p) => p.nodes);
  return {
    equivalent: true,
    comparedJobIds: ids.jobs.length,
    comparedUserIds: ids.users.length,
    nestedPage: { jobs: nested!.length, tasks: nested!.reduce((n, j) => n + j.tasks.length, 0), outputs: nested!.reduce((n, j) => n + j.outputs.length, 0) },
    jobById: { jobs: ids.jobs.length },
    filteredList: { jobs: list!.length },
    dashboard: { jobs: dashboard!.jobs.length, totalCount: dashboard!.totalCount },
    jobDetail: { jobs: details.filter(Boolean).length, tasks: details.reduce((n, d) => n + (d?.tasks.nodes.length ?? 0), 0) },
    templates: { templates: templates!.nodes.length, totalCount: templates!.totalCount, jobs: templates!.nodes.reduce((n, t) => n + t.jobs.nodes.length, 0) },
    nodes: {
      nodes: nodes!.nodes.length,
      currentJobs: nodes!.nodes.reduce((n, w) => n + w.currentJobs.nodes.length, 0),
      runningTasks: nodes!.nodes.reduce((n, w) => n + w.currentJobs.nodes.reduce((m, j) => m + j.tasks.nodes.length, 0), 0),
    },
    jobEvents: { events: timelines.length, withUser: tally(timelines, (e) => e.actorUser !== null).with, withNode: tally(timelines, (e) => e.actorNode !== null).with, withTask: tally(timelines, (e) => e.task !== null).with },
    users: { users: users!.nodes.length, tokens: users!.nodes.reduce((n, u) => n + u.tokens.nodes.length, 0) },
    jobTasks: { tasks: tasks.length, withMapTask: tally(tasks, (t) => t.mapTask !== null).with, withCreatedBy: tally(tasks, (t) => t.createdByTask !== null).with, withStoppedBy: tally(tasks, (t) => t.stoppedBy !== null).with },
    jobFamily: {
      jobs: families.length,
      withParent: tally(families, (f) => f.parent !== null).with,
      children: families.reduce((n, f) => n + f.children.nodes.length, 0),
      outputs: families.reduce((n, f) => n + f.children.nodes.reduce((m, c) => m + c.outputs.nodes.length, 0), 0),
    },
    userJobs: { jobs: userJobs.length },
  };
}

/** One measurement: `server` under load with `query` for `seconds`, and the CPU time it took. */
async function measure(db: Postgres, server: Server, query: QueryName, ids: Ids, seconds: number, round: number): Promise<Cell> {
  const pgBefore = db.postmasterPid ? await postgresCpuMs(db.postmasterPid) : null;
  const before = await cpuMs(server.pid);
  const result = await load(server.url, server.headers, bodies(server.name, query, ids), seconds, CONNECTIONS);
  // Requests still in flight when the time is up are worked on after it: their CPU time is let in
  // (at most about a p99 later), and they count among the requests it is divided by.
  await new Promise((r) => setTimeout(r, Math.min(SETTLE_MAX_MS, Math.max(SETTLE_MIN_MS, 2 * result.p99))));
  const cpu = (await cpuMs(server.pid)) - before;
  const pgCpu = pgBefore === null ? null : (await postgresCpuMs(db.postmasterPid!)) - pgBefore;
  const perRequest = (value: number) => value / Math.max(result.sent, 1);
  return {
    round,
    query,
    server: server.name,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.completed,
    failures: result.failures,
    cpuMsPerRequest: perRequest(cpu),
    postgresCpuMsPerRequest: pgCpu === null ? null : perRequest(pgCpu),
  };
}

/**
 * SQL statements per request of each server and query, exactly: pg_stat_statements is reset, a
 * few requests are sent one after another (nothing in flight at either end), and the statements
 * executed meanwhile are counted. They do not vary from round to round, so they are counted once.
 */
async function countStatementsPerRequest(db: Postgres, servers: Server[], ids: Ids) {
  const counts = {} as Record<QueryName, Partial<Record<ServerName, { perRequest: number; top: Array<{ perRequest: number; query: string }> }>>>;
  for (const query of QUERIES) {
    counts[query] = {} as (typeof counts)[QueryName];
    for (const server of servers.filter((s) => serves(s.name, query))) {
      const sample = bodies(server.name, query, ids);
      await resetStatements(db.client);
      for (let i = 0; i < STATEMENT_SAMPLE; i++) await post(server, sample[i % sample.length]!);
      const { total, top } = await countStatements(db.client);
      counts[query][server.name] = {
        perRequest: total / STATEMENT_SAMPLE,
        top: top.map((s) => ({ perRequest: s.calls / STATEMENT_SAMPLE, query: s.query })),
      };
    }
  }
  return counts;
}

/** One GraphQL request; throws unless it is answered with data and no errors. */
async function post(server: Server, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", ...server.headers }, body });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (!response.ok || !json.data || json.errors) throw new Error(`${server.name} failed: ${JSON.stringify(json)}`);
  return json.data;
}

async function versions(db: Postgres, v5Node: string) {
  const version = async (pkg: string) => ((JSON.parse(await readFile(path.join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version);
  return {
    postgres: db.serverVersion,
    postgresSource: db.version,
    node: process.version,
    graphqlYoga: await version("graphql-yoga"),
    pothos: await version("@pothos/core"),
    pothosPrisma: await version("@pothos/plugin-prisma"),
    prisma: await version("@prisma/client"),
    postgraphile: await version("postgraphile"),
    postgraphile5: await version("postgraphile5"),
    postgraphile5Node: v5Node,
    autocannon: await version("autocannon"),
  };
}

async function main() {
  const begun = performance.now();
  const work = await scratch("reads");
  const servers: Server[] = [];
  let db: Postgres | undefined;
  const giveUp = deadline(DEADLINE_MS, () => servers.forEach((s) => process.kill(s.pid, "SIGKILL")));
  try {
    db = await startPostgres(work.dir);
    console.log(`seeding ${JOBS} jobs`);
    const seeded = await seed(db.url, JOBS);
    console.log(`seeded ${seeded.jobs} jobs, ${seeded.tasks} tasks, ${seeded.outputs} outputs`);
    const ids = await benchIds(db.client, JOB_IDS);
    const v5Node = await modernNode();

    // Started together, they take seconds instead of their sum; those that did start are stopped
    // below should another fail.
    const started = await Promise.allSettled(SERVERS.map((name) => startServer(name, db!.url, POOL_SIZE)));
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const equivalence = await checkEquivalence(servers, await comparedIds(db.client, ids, COMPARED_IDS));
    console.log(`the servers agree: ${JSON.stringify(equivalence)}`);

    // JIT, pools, plan and query caches: every server has answered every query before it counts.
    if (WARMUP_SECONDS > 0) for (const query of QUERIES) for (const server of servers.filter((s) => serves(s.name, query))) await measure(db, server, query, ids, WARMUP_SECONDS, 0);
    const statements = db.statements ? await countStatementsPerRequest(db, servers, ids) : null;

    const cells: Cell[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const query of QUERIES) {
        // The order of servers rotates from round to round, so that none always follows the same one.
        const answering = servers.filter((s) => serves(s.name, query));
        for (let i = 0; i < answering.length; i++) {
          const server = answering[(i + round - 1) % answering.length]!;
          const cell = await measure(db, server, query, ids, SECONDS, round);
          cells.push(cell);
          console.log(
            `round ${round} ${query} ${server.name}: ${cell.rps.toFixed(0)} req/s, p50 ${cell.p50} ms, p99 ${cell.p99} ms, ` +
              `${cell.cpuMsPerRequest.toFixed(2)} CPU ms/req (PostgreSQL ${cell.postgresCpuMsPerRequest?.toFixed(2) ?? "n/a"})` +
              `${cell.failures ? `, ${cell.failures} FAILED` : ""}`,
          );
        }
      }
    }

    const failed = cells.filter((c) => c.failures > 0);
    if (failed.length) {
      throw new Error(`requests failed: ${failed.map((c) => `${c.server} ${c.query} round ${c.round}: ${c.failures}`).join("; ")}`);
    }

    const results = {
      at: new Date().toISOString(),
      smoke,
      machine: machine(),
      versions: await versions(db, (await execFileAsync(v5Node, ["--version"])).stdout.trim()),
      settings: { jobs: JOBS, tasksPerJob: TASKS_PER_JOB, jobIds: ids.jobs.length, userIds: ids.users.length, rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, poolSize: POOL_SIZE },
      seeded,
      equivalence,
      statementCounting: db.statements ? "pg_stat_statements" : null,
      statements,
      cells,
      ...summarise(cells),
      runSeconds: Math.round((performance.now() - begun) / 1000),
    };
    console.log(`results in ${await report("reads", results, section(results), { [READS_CHART]: chart(results) })}`);
  } finally {
    giveUp();
    await Promise.all(servers.map((s) => s.stop()));
    await db?.stop();
    await work.remove();
  }
}

/**
 * Medians over the rounds, and ratios (jobgraph ÷ peer) taken within each round, then their
 * medians; and over all queries, the least and the median of jobgraph's requests/s ratio to each
 * PostGraphile.
 */
function summarise(cells: Cell[]) {
  const medians = {} as Record<QueryName, Partial<Record<ServerName, Summary>>>;
  const ratios = {} as Record<QueryName, Record<Peer, Ratios | null>>;
  const nullable = (values: Array<number | null>) => (values.some((v) => v === null) ? null : median(values as number[]));
  for (const query of QUERIES) {
    medians[query] = {};
    for (const server of SERVERS.filter((s) => serves(s, query))) {
      const mine = cells.filter((c) => c.query === query && c.server === server);
      medians[query][server] = {
        rps: median(mine.map((c) => c.rps)),
        p50: median(mine.map((c) => c.p50)),
        p99: median(mine.map((c) => c.p99)),
        cpuMsPerRequest: median(mine.map((c) => c.cpuMsPerRequest)),
        postgresCpuMsPerRequest: nullable(mine.map((c) => c.postgresCpuMsPerRequest)),
      };
    }
    const ratio = (peer: ServerName): Ratios => {
      const rounds = [...new Set(cells.map((c) => c.round))];
      const pick = (round: number, server: ServerName) => cells.find((c) => c.round === round && c.query === query && c.server === server)!;
      return {
        rps: median(rounds.map((r) => pick(r, "jobgraph").rps / pick(r, peer).rps)),
        cpuMsPerRequest: median(rounds.map((r) => pick(r, "jobgraph").cpuMsPerRequest / pick(r, peer).cpuMsPerRequest)),
      };
    };
    ratios[query] = Object.fromEntries(PEERS.map((peer) => [peer, serves(peer, query) ? ratio(peer) : null])) as Record<Peer, Ratios | null>;
  }
  const across = (peer: "postgraphile" | "postgraphile5") => {
    const values = QUERIES.map((query) => ratios[query][peer]!.rps);
    return { min: Math.min(...values), median: median(values), below1: QUERIES.filter((query) => ratios[query][peer]!.rps < 1) };
  };
  return { medians, ratios, overall: { postgraphile: across("postgraphile"), postgraphile5: across("postgraphile5") } };
}

type Results = {
  at: string;
  machine: ReturnType<typeof machine>;
  versions: Awaited<ReturnType<typeof versions>>;
  settings: { jobs: number; jobIds: number; userIds: number; rounds: number; seconds: number; warmupSeconds: number; connections: number; poolSize: number };
  seeded: Seeded;
  equivalence: Awaited<ReturnType<typeof checkEquivalence>>;
  statementCounting: string | null;
  statements: Awaited<ReturnType<typeof countStatementsPerRequest>> | null;
  runSeconds: number;
} & ReturnType<typeof summarise>;

/** The reads section of docs/performance.md. */
const READS_CHART = "reads.svg";

/** Requests per second of each server, relative to PostGraphile v4's, by query (medians of the rounds). */
function chart(results: Results): string {
  const relative = (server: ServerName) =>
    QUERIES.map((query) =>
      server === "jobgraph" ? results.ratios[query].postgraphile!.rps : (results.medians[query][server]?.rps ?? Number.NaN) / results.medians[query].postgraphile!.rps,
    );
  return barChart({
    title: "Requests per second, relative to PostGraphile v4 (higher is better)",
    yLabel: "× PostGraphile v4",
    groups: QUERIES.map((query) => QUERY_LABELS[query]),
    series: SERVERS.map((server) => ({ name: LABELS[server], values: relative(server) })),
    format: (value) => value.toFixed(2),
  });
}

function section(results: Results): string {
  const { machine: m, versions: v, settings: s, seeded, equivalence: e } = results;
  const fixed = (value: number | null | undefined, digits: number) => (value == null ? "n/a" : value.toFixed(digits));
  const count = (value: number) => value.toLocaleString("en");
  const lines = [
    "## Reads",
    "",
    `\`npm run bench:reads\`, ${results.at.slice(0, 10)}. One database of ${count(seeded.jobs)} jobs, ${count(seeded.tasks)} tasks, ${count(seeded.outputs)} outputs, ${count(seeded.events)} events and ${count(seeded.tokens)} API tokens; ${SERVERS.length} servers on it, each its own process with ${s.poolSize} database connections; ${s.connections} concurrent HTTP clients (autocannon) on 127.0.0.1. Each round loads every server with every query for ${s.seconds} s, servers interleaved (their order rotates from round to round), after a ${s.warmupSeconds} s warm-up of each; medians of ${s.rounds} rounds.`,
    "",
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}. Node ${v.node} (PostGraphile v5 on Node ${v.postgraphile5Node}); ${v.postgres.split(" on ")[0]} (${v.postgresSource}); graphql-yoga ${v.graphqlYoga}, Pothos ${v.pothos} with plugin-prisma ${v.pothosPrisma}, Prisma ${v.prisma}, PostGraphile ${v.postgraphile} and ${v.postgraphile5}.`,
    "",
    "The queries, the same rows and fields from every server; between them they read every stored field and every relation of jobs, tasks, templates, outputs, events, users and worker nodes that PostGraphile can also read (jobgraph's computed fields, such as a job's queue position or why it is not running, are left out):",
    "",
    `- **nested page**: the ${PAGE_SIZE} newest jobs (id, number, name, status, progress), each with its template (name, version), its first ${TASKS_PER_JOB} tasks (name, status, progress, sequence) and its outputs (name, type, size).`,
    `- **job by id**: one job (scalar fields and its template), cycling through ${count(s.jobIds)} ids in a random order.`,
    `- **filtered list**: the ${PAGE_SIZE} newest jobs with status RUNNING in queue \`${FILTER_QUEUE}\`, scalar fields.`,
    `- **dashboard page**: the ${PAGE_SIZE} jobs of queue \`${FILTER_QUEUE}\` with the highest priority, with how many there are (totalCount); each job's scalar fields, the name of its creator and of its node, and how many tasks and outputs it has.`,
    `- **job detail**: one job's page, cycling through the same ids: its scalar and JSON fields (inputs, parameters, progress detail, required labels), template, creator and node, and its first 10 tasks (with their parameters) and how many it has.`,
    `- **templates**: the templates of executor \`${TEMPLATE_EXECUTOR}\` (not deleted) by name and newest version, with how many there are: every stored setting (executor, input and parameter declarations, retry policy, time limits), the creator's name, and each template's 5 newest jobs with how many it has.`,
    "- **worker nodes**: every node by name with its stored fields, the first 5 jobs it holds (ACQUIRED or RUNNING, oldest first) with how many, and each job's running tasks. PostGraphile's conditions take one value per column, so its documents ask for the node's RUNNING and ACQUIRED jobs side by side, and the two pages are merged when answers are compared.",
    "- **job timeline**: one job's first 20 events (of all its events, counted), cycling through the job ids: every stored field of each event, the user or node that caused it and the task it concerns. Events keep their job's id without a foreign key, so PostGraphile reads them with `allJobEvents(condition: {jobId})` beside the job.",
    "- **users**: the first 20 users by name with how many there are: their stored fields, and each one's 5 newest API tokens with how many they have.",
    "- **job's tasks**: one job's first 10 tasks sorted by name, last first, with how many it has: every stored field of each task (executor, requirements, inputs, parameters, payload, hints, map index and value, time limits...) and the tasks it relates to (its MAP task, the task that created it, the task that stopped it).",
    "- **job family**: one job with its parent and its first 10 children (oldest first, soft-deleted ones left out) with how many, and each child's outputs with every stored field.",
    `- **user's jobs**: one user's 20 most recently changed jobs, soft-deleted ones included, with how many there are, cycling through ${count(s.userIds)} users: every stored field of a job that the other queries do not read (attempts, retry policy, failure policies, limits, deadline, lease, versions, fingerprint...), its template and its node.`,
    "",
    "The servers:",
    "",
    "- **jobgraph**: the gateway as `npm start` runs it in production (`NODE_ENV=production`, default settings but for its background work: the reclaimer once an hour, no schedule ticker), authenticating every request with a bearer token (looked up at most once per `JOBGRAPH_AUTH_CACHE_SECONDS`, 10 s).",
    "- **PostGraphile v4** over the same tables (`bench/reads/postgraphile-server.ts`), with equivalent queries (`allJobs`, `tasksByJobId`, `jobByRowId`...).",
    "- **PostGraphile v5** over the same tables (`bench/reads/postgraphile5-server.ts`): the amber preset with the pg adaptor and grafserv's Node adaptor, set as the v4 peer is (no mutations, every column usable in conditions and orders); its queries are v4's, but for the name of the `id` column's order (ROW_ID_ASC in v5).",
    `- **floor**: graphql-yoga whose resolver answers each query with one hand-written SQL statement that builds the whole answer as JSON (\`bench/reads/floor-server.ts\`): the least a GraphQL server over these tables can cost. It answers the ${FLOOR_QUERIES.map((q) => QUERY_LABELS[q]).join(", ")} only.`,
    "",
    "| query | server | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | SQL statements/req |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const query of QUERIES) {
    for (const server of SERVERS.filter((s) => serves(s, query))) {
      const c = results.medians[query][server]!;
      lines.push(
        `| ${QUERY_LABELS[query]} | ${LABELS[server]} | ${c.rps.toFixed(0)} | ${c.p50} | ${c.p99} | ${c.cpuMsPerRequest.toFixed(2)} | ${fixed(c.postgresCpuMsPerRequest, 2)} | ${fixed(results.statements?.[query][server]?.perRequest ?? null, 1)} |`,
      );
    }
  }
  const { postgraphile: v4, postgraphile5: v5 } = results.overall;
  lines.push(
    "",
    "Ratios, jobgraph ÷ peer, taken within each round (medians of the rounds): above 1 jobgraph serves more requests per second, or spends more CPU per request.",
    "",
    `![Requests per second of each server relative to PostGraphile v4, by query](images/${READS_CHART})`,
    "",
    "| query | req/s vs PostGraphile v4 | req/s vs PostGraphile v5 | req/s vs floor | server CPU/req vs PostGraphile v4 | server CPU/req vs PostGraphile v5 | server CPU/req vs floor |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const query of QUERIES) {
    const r = results.ratios[query];
    lines.push(
      `| ${QUERY_LABELS[query]} | ${fixed(r.postgraphile?.rps, 2)} | ${fixed(r.postgraphile5?.rps, 2)} | ${fixed(r.floor?.rps, 2)} | ${fixed(r.postgraphile?.cpuMsPerRequest, 2)} | ${fixed(r.postgraphile5?.cpuMsPerRequest, 2)} | ${fixed(r.floor?.cpuMsPerRequest, 2)} |`,
    );
  }
  const below = (names: QueryName[]) => (names.length ? `; below 1 on the ${names.map((q) => QUERY_LABELS[q]).join(", ")}` : "");
  lines.push(
    "",
    `Over the ${QUERIES.length} queries, jobgraph's requests/s ratio to PostGraphile v4 is at least ${v4.min.toFixed(2)}, median ${v4.median.toFixed(2)}${below(v4.below1)}; to PostGraphile v5, at least ${v5.min.toFixed(2)}, median ${v5.median.toFixed(2)}${below(v5.below1)}.`,
    "",
    `How it is measured: CPU time is read from /proc for the server's process and for all of PostgreSQL's before and after each measurement, and divided by the requests sent; it is steadier than requests/s on a shared machine. ${results.statementCounting ? `SQL statements are counted by pg_stat_statements (loaded into the benchmark's embedded PostgreSQL), BEGIN and COMMIT included, over ${STATEMENT_SAMPLE} requests sent one after another to each server after the warm-up; each server's statements are listed in \`bench/results/reads.json\`.` : "SQL statements were not counted: pg_stat_statements is not loaded on the server used."} Before measuring, the servers' answers to each query are compared and must hold the same rows and values (for the single-job queries, ${e.comparedJobIds} jobs among which a failed, a running and a parent job; nested page: ${e.nestedPage.jobs} jobs, ${e.nestedPage.tasks} tasks, ${e.nestedPage.outputs} outputs; dashboard page: ${e.dashboard.jobs} jobs of ${count(e.dashboard.totalCount)}; job detail: ${e.jobDetail.jobs} jobs, ${e.jobDetail.tasks} tasks; templates: ${e.templates.templates} with ${e.templates.jobs} jobs; worker nodes: ${e.nodes.nodes} holding ${e.nodes.currentJobs} jobs with ${e.nodes.runningTasks} running tasks; timelines: ${e.jobEvents.events} events; users: ${e.users.users} with ${e.users.tokens} tokens; tasks: ${e.jobTasks.tasks}; families: ${e.jobFamily.children} children with ${e.jobFamily.outputs} outputs; user's jobs: ${e.userJobs.jobs}); a failed request fails the run.`,
    "",
    `Run it with \`npm run bench:reads\` (this run took ${(results.runSeconds / 60).toFixed(1)} minutes, seeding included; \`--smoke\` takes about a minute here); the scale and durations are set by environment variables listed at the top of \`bench/reads.ts\`.`,
  );
  return lines.join("\n");
}

await main();
