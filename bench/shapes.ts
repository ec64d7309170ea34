// Random shapes: read documents generated from schema.graphql (bench/shapes/generate.ts: random
// entry points, fields, nesting and arguments, within the gateway's cost, depth and token limits),
// each sent to one jobgraph gateway over seeded data, and its gateway CPU per 1,000 fields resolved
// compared with the median document's. A document far above the median is a read path that costs
// more than its answer's size explains.
//
//   npm run bench:shapes     300 documents over 10,000 jobs (the read benchmark's data and more),
//                            each measured until the gateway spent 1 s of CPU on it (20 requests at
//                            least, 10 s at most); the 15 worst measured twice more
//   ... --smoke              (or BENCH_SMOKE=1) 6 documents over 200 jobs, 0.1 s each, nothing
//                            written to the docs
//
// Settings, in either mode (full default, smoke default):
//   BENCH_SHAPES_SEED           the documents' seed                                  (1, 1)
//   BENCH_SHAPES_COUNT          documents                                            (300, 6)
//   BENCH_SHAPES_ONLY           a comma-separated list of documents' numbers: only these are
//                               measured (again), and nothing is written to the docs (unset)
//   BENCH_SHAPES_JOBS           jobs to seed (bench/shapes/seed.ts)                  (10000, 200)
//   BENCH_SHAPES_CPU_MS         gateway CPU to spend on each document, ms            (1000, 100)
//   BENCH_SHAPES_MIN_REQUESTS   requests of each document at least                   (20, 5)
//   BENCH_SHAPES_MAX_SECONDS    time on each document at most, s                     (10, 1)
//   BENCH_SHAPES_CONCURRENCY    clients sending each document                        (2, 2)
//   BENCH_SHAPES_CONFIRM        worst documents (by CPU per field, and by CPU per field
//                               less the fixed cost of a request) measured twice more (15, 0)
//   BENCH_SHAPES_WARMUP_SECONDS the gateway's warm-up before anything is measured, s (20, 0)
//   BENCH_SHAPES_DEADLINE_MIN   the run gives up after this many minutes             (60, 3)
//
// Every answer must come without errors: a document the gateway refuses (cost, depth, tokens,
// validation) fails the run, as a bug of the generator; any other error, and any answer that breaks
// what a correct one must hold (measure.ts checkAnswer), is listed in the results and the docs, and
// the document is not measured.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildSchema } from "graphql";
import { defaultLimits } from "../src/config.js";
import { deadline, machine, median, percentile, report, root, scratch, smoke } from "./lib.js";
import { startPostgres, type Postgres } from "./reads/postgres.js";
import { startJobgraph, type Server } from "./reads/servers.js";
import { generateShapes, type Limits, type Shape } from "./shapes/generate.js";
import { checkAnswer, countFields, countStatements, load, Refused, send, type Statements, type Target } from "./shapes/measure.js";
import { readPool, seed, type Seeded } from "./shapes/seed.js";

const setting = (name: string, full: number, smokeValue: number) => Number(process.env[name] ?? (smoke ? smokeValue : full));
const SEED = setting("BENCH_SHAPES_SEED", 1, 1);
const COUNT = setting("BENCH_SHAPES_COUNT", 300, 6);
const ONLY = process.env.BENCH_SHAPES_ONLY?.split(",").filter(Boolean).map(Number);
const JOBS = setting("BENCH_SHAPES_JOBS", 10_000, 200);
const CPU_MS = setting("BENCH_SHAPES_CPU_MS", 1000, 100);
const MIN_REQUESTS = setting("BENCH_SHAPES_MIN_REQUESTS", 20, 5);
const MAX_SECONDS = setting("BENCH_SHAPES_MAX_SECONDS", 10, 1);
const CONCURRENCY = setting("BENCH_SHAPES_CONCURRENCY", 2, 2);
const CONFIRM = setting("BENCH_SHAPES_CONFIRM", 15, 0);
const WARMUP_SECONDS = setting("BENCH_SHAPES_WARMUP_SECONDS", 20, 0);
/** Each document's own warm-up (its compiled form made, its code optimised): requests and seconds at least. */
const DOCUMENT_WARMUP = smoke ? { requests: 5, seconds: 0.2 } : { requests: 20, seconds: 0.5 };
/** Documents sent in turn during the gateway's warm-up. */
const WARMUP_DOCUMENTS = 20;
const DEADLINE_MS = setting("BENCH_SHAPES_DEADLINE_MIN", 60, 3) * 60_000;
/** Connections in the gateway's pool (its default). */
const POOL_SIZE = 10;
/** Requests sent one after another whose statements are counted. */
const STATEMENT_SAMPLE = 3;
/** A document above this many times the median CPU per field is flagged. */
const TARGET_RATIO = 3;
/** The documents listed in the docs. */
const WORST = 10;
/** The least a request costs: the gateway's fixed work (HTTP, authentication, the document cache). */
const FLOOR_DOCUMENT = "query Floor { __typename }";
/** The floor is measured again after every this many documents. */
const FLOOR_EVERY = 50;

const limits: Limits = { ...defaultLimits, defaultPageSize: 20, maxPageSize: 100 };

type Measurement = {
  requests: number;
  seconds: number;
  gatewayCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number | null;
};

type Measured = Shape & {
  fields: number;
  statements: Statements;
  measurements: Measurement[];
  /** The median of the measurements. */
  gatewayCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number | null;
  cpuMsPer1000Fields: number;
  /** Gateway CPU per 1,000 fields less the floor (the fixed cost of any request). */
  cpuMsPer1000FieldsAboveFloor: number;
  postgresCpuMsPer1000Fields: number | null;
  ratio: number;
  /** CPU per field above the floor ÷ the median's. */
  ratioAboveFloor: number;
  flagged: boolean;
  cause: Cause;
  why: string;
};

type Cause = "postgres" | "floor" | "statements" | "gateway";
const CAUSES: Record<Cause, string> = {
  postgres: "PostgreSQL's work",
  floor: "the fixed cost of a request",
  statements: "statements per field",
  gateway: "the gateway's resolvers",
};

const body = (text: string) => JSON.stringify({ query: text });
const fixed = (value: number | null, digits: number) => (value === null || Number.isNaN(value) ? "n/a" : value.toFixed(digits));

async function measureOnce(target: Target, text: string, warm: boolean): Promise<Measurement> {
  if (warm) await warmUp(target, text, DOCUMENT_WARMUP.requests, DOCUMENT_WARMUP.seconds);
  const run = await load(target, body(text), { concurrency: CONCURRENCY, minRequests: MIN_REQUESTS, minCpuMs: CPU_MS, maxSeconds: MAX_SECONDS });
  return {
    requests: run.requests,
    seconds: run.seconds,
    gatewayCpuMsPerRequest: run.gatewayCpuMs / run.requests,
    postgresCpuMsPerRequest: run.postgresCpuMs === null ? null : run.postgresCpuMs / run.requests,
  };
}

/** Sends `text` one request after another for `requests` and `seconds` at least. */
async function warmUp(target: Target, text: string, requests: number, seconds: number): Promise<void> {
  const until = performance.now() + seconds * 1000;
  for (let i = 0; i < requests || performance.now() < until; i++) await send(target, body(text));
}

/** Statements a request, and how many of them Prisma wrote. */
const statementCount = (s: Statements) => `${fixed(s.perRequest, 1)} statements (${fixed(s.prismaPerRequest, 1)} by Prisma)`;

/** The label of a statement: its leading comment when it has one, else its first words. */
function label(query: string): string {
  return query.match(/\/\*\s*([\w-]+)\s*\*\//)?.[1] ?? query.replace(/"public"\./g, "").slice(0, 70);
}

/**
 * Why a document costs what it does, by the first that holds: PostgreSQL spends more CPU on it
 * than the gateway (its statements' work, such as a count over a whole table, is the cost); less
 * the fixed cost of a request, its CPU per field is within the target and that fixed cost is a
 * quarter of its CPU at least (it resolves few fields);
 * it runs more than three times the median's statements per field (each statement costs the
 * gateway a round trip and its rows' parsing); else the gateway's resolvers are the cost.
 */
function classify(d: Omit<Measured, "ratio" | "ratioAboveFloor" | "flagged" | "cause" | "why">, medians: { aboveFloor: number; statementsPer1000: number }, floorMs: number): { cause: Cause; why: string } {
  const slowest = d.statements.top[0];
  const pg = d.postgresCpuMsPerRequest;
  if (pg !== null && pg >= d.gatewayCpuMsPerRequest) {
    return {
      cause: "postgres",
      why: `PostgreSQL ${pg.toFixed(2)} ms a request against the gateway's ${d.gatewayCpuMsPerRequest.toFixed(2)}${slowest ? `; slowest statement \`${label(slowest.query)}\` ${slowest.execMsPerRequest.toFixed(2)} ms` : ""}`,
    };
  }
  if (d.cpuMsPer1000FieldsAboveFloor <= TARGET_RATIO * medians.aboveFloor && floorMs >= d.gatewayCpuMsPerRequest / 4) {
    return { cause: "floor", why: `${d.fields} fields: the fixed ${floorMs.toFixed(2)} ms of a request is ${Math.round((100 * floorMs) / d.gatewayCpuMsPerRequest)}% of its ${d.gatewayCpuMsPerRequest.toFixed(2)} ms` };
  }
  const statementsPer1000 = (1000 * d.statements.perRequest) / d.fields;
  if (statementsPer1000 > TARGET_RATIO * medians.statementsPer1000) {
    return { cause: "statements", why: `${statementCount(d.statements)} a request for ${d.fields} fields (${statementsPer1000.toFixed(1)} per 1,000; median ${medians.statementsPer1000.toFixed(1)})` };
  }
  return { cause: "gateway", why: `${d.fields} fields, ${statementCount(d.statements)}; PostgreSQL ${fixed(pg, 2)} ms a request${slowest ? `; slowest statement \`${label(slowest.query)}\` ${slowest.execMsPerRequest.toFixed(2)} ms` : ""}` };
}

type Failure = { index: number; summary: string; text: string; message: string };

async function main() {
  const begun = performance.now();
  const work = await scratch("shapes");
  let db: Postgres | undefined;
  let server: Server | undefined;
  const giveUp = deadline(DEADLINE_MS, () => server && process.kill(server.pid, "SIGKILL"));
  try {
    db = await startPostgres(work.dir);
    if (!db.statements) throw new Error("pg_stat_statements is not loaded: statements cannot be counted");
    console.log(`seeding ${JOBS} jobs`);
    const seeded: Seeded = await seed(db.url, JOBS);
    console.log(`seeded ${JSON.stringify(seeded)}`);
    server = await startJobgraph(db.url, POOL_SIZE);
    // The gateway's admin token exists once it started: the pool is read after, so that tokens are among the ids.
    const pool = await readPool(db.url);
    const target: Target = { url: server.url, token: server.headers.authorization!.slice("Bearer ".length), pid: server.pid, postmasterPid: db.postmasterPid, db: db.client };
    const schema = buildSchema(await readFile(path.join(root, "schema.graphql"), "utf8"));
    const shapes = generateShapes(schema, pool, limits, SEED, COUNT).filter((s) => !ONLY || ONLY.includes(s.index));
    console.log(`${shapes.length} documents from seed ${SEED}`);

    // The gateway's shared code (HTTP, authentication, execution, the database client) is warm
    // before the first document counts, as it is for the last ones. A document the gateway fails
    // on is left to the loop below, which records it.
    if (WARMUP_SECONDS > 0) {
      const until = performance.now() + WARMUP_SECONDS * 1000;
      for (let i = 0; performance.now() < until; i++) await send(target, body(shapes[i % Math.min(WARMUP_DOCUMENTS, shapes.length)]!.text)).catch(() => undefined);
    }
    // The floor is measured now and then through the run (its median is kept): one measurement
    // alone may land on a busy moment of this shared machine.
    const floors = [await measureOnce(target, FLOOR_DOCUMENT, true)];
    const floorBefore = floors[0]!;
    const refused: Failure[] = [];
    const errors: Failure[] = [];
    const wrong: Array<Failure & { problems: string[] }> = [];
    const raw: Array<Omit<Measured, "ratio" | "ratioAboveFloor" | "flagged" | "cause" | "why" | "cpuMsPer1000FieldsAboveFloor">> = [];
    for (const [i, shape] of shapes.entries()) {
      if (i > 0 && i % FLOOR_EVERY === 0) floors.push(await measureOnce(target, FLOOR_DOCUMENT, false));
      let data: Record<string, unknown>;
      try {
        data = await send(target, body(shape.text));
      } catch (error) {
        const failure = { index: shape.index, summary: shape.summary, text: shape.text, message: (error as Error).message };
        (error instanceof Refused ? refused : errors).push(failure);
        console.log(`#${shape.index} ${error instanceof Refused ? "REFUSED" : "FAILED"}: ${failure.message}`);
        continue;
      }
      const problems = checkAnswer(shape.text, data, limits.defaultPageSize);
      if (problems.length) {
        wrong.push({ index: shape.index, summary: shape.summary, text: shape.text, message: problems[0]!, problems });
        console.log(`#${shape.index} WRONG: ${problems.join("; ")}`);
        continue;
      }
      const fields = countFields(schema, data);
      const statements = await countStatements(target, body(shape.text), STATEMENT_SAMPLE);
      const m = await measureOnce(target, shape.text, true);
      raw.push({ ...shape, fields, statements, measurements: [m], ...perField(m, fields) });
      console.log(
        `#${shape.index} ${shape.summary.slice(0, 80)}: ${fields} fields, ${m.gatewayCpuMsPerRequest.toFixed(2)} ms/req, ` +
          `${((1000 * m.gatewayCpuMsPerRequest) / fields).toFixed(2)} ms/1000 fields, ${statements.perRequest.toFixed(1)} statements (${m.requests} requests)`,
      );
    }
    if (refused.length) throw new Error(`the gateway refused ${refused.length} generated documents (a generator bug): ${JSON.stringify(refused.slice(0, 3))}`);
    if (!raw.length) throw new Error("no document was measured");

    // The worst are measured twice more, so that a noisy moment does not put one among them.
    // The worst by either measure: CPU per field, and CPU per field less the floor as measured so far.
    const worstBy = (value: (d: (typeof raw)[number]) => number) => [...raw].sort((a, b) => value(b) - value(a)).slice(0, CONFIRM);
    const confirmed = [
      ...new Set([...worstBy((d) => d.cpuMsPer1000Fields), ...worstBy((d) => (d.gatewayCpuMsPerRequest - floorBefore.gatewayCpuMsPerRequest) / d.fields)]),
    ];
    for (let round = 0; round < 2 && confirmed.length; round++) {
      for (const d of confirmed) {
        d.measurements.push(await measureOnce(target, d.text, false));
        Object.assign(d, perField(middle(d.measurements), d.fields));
      }
    }
    floors.push(await measureOnce(target, FLOOR_DOCUMENT, false));
    const floorMs = median(floors.map((f) => f.gatewayCpuMsPerRequest));

    const withFloor = raw.map((d) => ({ ...d, cpuMsPer1000FieldsAboveFloor: (1000 * Math.max(0, d.gatewayCpuMsPerRequest - floorMs)) / d.fields }));
    const medianCpu = median(withFloor.map((d) => d.cpuMsPer1000Fields));
    const medians = {
      aboveFloor: median(withFloor.map((d) => d.cpuMsPer1000FieldsAboveFloor)),
      statementsPer1000: median(withFloor.map((d) => (1000 * d.statements.perRequest) / d.fields)),
    };
    const documents: Measured[] = withFloor
      .map((d) => {
        const ratio = d.cpuMsPer1000Fields / medianCpu;
        return { ...d, ratio, ratioAboveFloor: d.cpuMsPer1000FieldsAboveFloor / medians.aboveFloor, flagged: ratio > TARGET_RATIO, ...classify(d, medians, floorMs) };
      })
      .sort((a, b) => a.index - b.index);
    const flagged = documents.filter((d) => d.flagged);
    const byCause = Object.fromEntries((Object.keys(CAUSES) as Cause[]).map((c) => [c, flagged.filter((d) => d.cause === c).length])) as Record<Cause, number>;
    const distribution = (values: number[]) => Object.fromEntries([10, 25, 50, 75, 90, 99, 100].map((p) => [`p${p}`, percentile(values, p)]));

    const results = {
      at: new Date().toISOString(),
      smoke,
      machine: machine(),
      versions: { postgres: db.serverVersion, postgresSource: db.version, node: process.version },
      settings: { seed: SEED, count: COUNT, only: ONLY ?? null, jobs: JOBS, warmupSeconds: WARMUP_SECONDS, documentWarmup: DOCUMENT_WARMUP, cpuMs: CPU_MS, minRequests: MIN_REQUESTS, maxSeconds: MAX_SECONDS, concurrency: CONCURRENCY, confirm: CONFIRM, statementSample: STATEMENT_SAMPLE, limits },
      seeded,
      floor: { document: FLOOR_DOCUMENT, gatewayCpuMsPerRequest: floorMs, measurements: floors },
      medianCpuMsPer1000Fields: medianCpu,
      medianCpuMsPer1000FieldsAboveFloor: medians.aboveFloor,
      medianStatementsPer1000Fields: medians.statementsPer1000,
      distribution: { cpuMsPer1000Fields: distribution(documents.map((d) => d.cpuMsPer1000Fields)), ratio: distribution(documents.map((d) => d.ratio)), fields: distribution(documents.map((d) => d.fields)) },
      target: {
        ratio: TARGET_RATIO,
        flagged: flagged.length,
        byCause,
        met: errors.length === 0 && wrong.length === 0 && flagged.every((d) => d.cause === "postgres"),
      },
      measured: documents.length,
      errors,
      wrong,
      worst: [...documents].sort((a, b) => b.ratio - a.ratio).slice(0, WORST).map((d) => d.index),
      worstAboveFloor: [...documents].sort((a, b) => b.ratioAboveFloor - a.ratioAboveFloor).slice(0, WORST).map((d) => d.index),
      documents,
      runSeconds: Math.round((performance.now() - begun) / 1000),
    };
    console.log(
      `median ${medianCpu.toFixed(2)} ms/1000 fields; ${flagged.length} above ${TARGET_RATIO}x (${JSON.stringify(byCause)}); ${errors.length} errors, ${wrong.length} wrong answers`,
    );
    if (ONLY) {
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), "jobgraph-bench-shapes-only-")), "shapes.json");
      await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`results in ${file}`);
    } else {
      console.log(`results in ${await report("shapes", results, section(results))}`);
    }
  } finally {
    giveUp();
    await server?.stop();
    await db?.stop();
    await work.remove();
  }
}

/** The measurement with the median gateway CPU. */
function middle(measurements: Measurement[]): Measurement {
  const sorted = [...measurements].sort((a, b) => a.gatewayCpuMsPerRequest - b.gatewayCpuMsPerRequest);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function perField(m: Measurement, fields: number) {
  return {
    gatewayCpuMsPerRequest: m.gatewayCpuMsPerRequest,
    postgresCpuMsPerRequest: m.postgresCpuMsPerRequest,
    cpuMsPer1000Fields: (1000 * m.gatewayCpuMsPerRequest) / fields,
    postgresCpuMsPer1000Fields: m.postgresCpuMsPerRequest === null ? null : (1000 * m.postgresCpuMsPerRequest) / fields,
  };
}

type Results = {
  at: string;
  machine: ReturnType<typeof machine>;
  versions: { postgres: string; postgresSource: string; node: string };
  settings: { seed: number; count: number; jobs: number; warmupSeconds: number; documentWarmup: typeof DOCUMENT_WARMUP; cpuMs: number; minRequests: number; maxSeconds: number; concurrency: number; confirm: number; statementSample: number };
  seeded: Seeded;
  floor: { gatewayCpuMsPerRequest: number };
  medianCpuMsPer1000Fields: number;
  medianCpuMsPer1000FieldsAboveFloor: number;
  distribution: Record<"cpuMsPer1000Fields" | "ratio" | "fields", Record<string, number>>;
  target: { ratio: number; flagged: number; byCause: Record<Cause, number>; met: boolean };
  measured: number;
  errors: Failure[];
  wrong: Array<Failure & { problems: string[] }>;
  worst: number[];
  worstAboveFloor: number[];
  documents: Measured[];
  runSeconds: number;
};

/** The random-shapes section of docs/performance.md. */
function section(results: Results): string {
  const { machine: m, versions: v, settings: s, seeded, target } = results;
  const percentiles = ["p10", "p25", "p50", "p75", "p90", "p99", "p100"];
  const n = (value: number) => value.toLocaleString("en");
  const shape = (summary: string) => (summary.length > 140 ? `${summary.slice(0, 140)}…` : summary);
  const causes = (Object.keys(CAUSES) as Cause[]).filter((c) => target.byCause[c] > 0).map((c) => `${target.byCause[c]} by ${CAUSES[c]}`);
  const lines = [
    "## Random shapes",
    "",
    `\`npm run bench:shapes\`, ${results.at.slice(0, 10)}. ${n(results.measured)} read documents generated from \`schema.graphql\` (seed ${s.seed}; \`bench/shapes/generate.ts\`): an entry point among Query's fields (pages of jobs, templates, schedules, users and nodes, lookups by id, number or name, \`node\`, \`nodes\`, queues, the viewer), a random subset of each type's fields, relations nested at random down to the depth limit, page sizes, filters and orderings drawn from the schema's enums and the seeded values; each within the gateway's cost (${n(defaultLimits.maxCost)}), depth (${defaultLimits.maxDepth}) and token (${n(defaultLimits.maxTokens)}) limits, and accepted by it. The data: ${n(seeded.jobs)} jobs, ${n(seeded.tasks)} tasks, ${n(seeded.outputs)} outputs, ${n(seeded.events)} events, ${n(seeded.attempts)} attempts, ${n(seeded.logLines)} log lines, ${n(seeded.workflows)} workflows, ${n(seeded.schedules)} schedules (\`bench/shapes/seed.ts\`).`,
    "",
    `One gateway as \`npm start\` runs it in production (no schedule ticker, the reclaimer once an hour), admin token. Each document is checked (no errors, pages no longer than asked, counts no smaller than their page, filters obeyed), its SQL statements counted over ${s.statementSample} requests (pg_stat_statements), then sent by ${s.concurrency} clients back to back until the gateway spent ${n(s.cpuMs)} ms of CPU on it (${s.minRequests} requests at least, ${s.maxSeconds} s at most), after a warm-up of its own (${s.documentWarmup.requests} requests and ${s.documentWarmup.seconds} s at least; the gateway was warmed up for ${s.warmupSeconds} s before the first); the ${s.confirm} worst (by CPU per field, with and without the fixed cost of a request) were measured twice more and their median kept. Fields resolved are counted in the answer: every field of every object, a list's objects each. CPU time of the gateway's process and of PostgreSQL's is read from /proc; on this shared machine a document's figure moves by 10-30% from run to run.`,
    "",
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}. Node ${v.node}; ${v.postgres.split(" on ")[0]} (${v.postgresSource}).`,
    "",
    `**Median: ${results.medianCpuMsPer1000Fields.toFixed(2)} ms of gateway CPU per 1,000 fields resolved** (${results.medianCpuMsPer1000FieldsAboveFloor.toFixed(2)} ms above the fixed cost of a request: ${results.floor.gatewayCpuMsPerRequest.toFixed(2)} ms for \`{ __typename }\`, the median of its measurements before the first document, after every ${FLOOR_EVERY} and after the last).`,
    "",
    `| | ${percentiles.map((p) => (p === "p100" ? "max" : p)).join(" | ")} |`,
    `|---|${percentiles.map(() => "---:").join("|")}|`,
    `| gateway CPU ms per 1,000 fields | ${percentiles.map((p) => results.distribution.cpuMsPer1000Fields[p]!.toFixed(2)).join(" | ")} |`,
    `| ÷ median | ${percentiles.map((p) => results.distribution.ratio[p]!.toFixed(2)).join(" | ")} |`,
    `| fields resolved | ${percentiles.map((p) => n(results.distribution.fields[p]!)).join(" | ")} |`,
    "",
    `Target: no document above ${target.ratio}× the median per field unless PostgreSQL's work explains it: **${target.met ? "met" : "not met"}**. ${target.flagged} of ${n(results.measured)} documents are above ${target.ratio}×${causes.length ? ` (${causes.join(", ")})` : ""}${results.errors.length ? `; ${results.errors.length} documents failed with an error` : ""}${results.wrong.length ? `; ${results.wrong.length} answers broke what a correct answer holds` : ""}.`,
    "",
    "The ten documents with the most gateway CPU per field (their text is in `bench/results/shapes.json`; rerun them alone with `BENCH_SHAPES_ONLY=<numbers> npm run bench:shapes`). The shape is the entry point and the relations read, with page sizes; \"why\" is worked out from the measures: PostgreSQL's work (its CPU above the gateway's), the fixed cost of a request (few fields; within the target once the cost of `{ __typename }` is taken off), statements per field (over three times the median's), or else the gateway's resolvers.",
    "",
    "| # | shape | fields | gateway CPU ms/req | ms per 1,000 fields | ÷ median | statements/req (by Prisma) | PostgreSQL CPU ms/req | why |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const index of results.worst) {
    const d = results.documents.find((x) => x.index === index)!;
    lines.push(
      `| ${d.index} | \`${shape(d.summary)}\` | ${n(d.fields)} | ${d.gatewayCpuMsPerRequest.toFixed(2)} | ${d.cpuMsPer1000Fields.toFixed(2)} | ${d.ratio.toFixed(1)} | ${fixed(d.statements.perRequest, 1)} (${fixed(d.statements.prismaPerRequest, 1)}) | ${fixed(d.postgresCpuMsPerRequest, 2)} | ${CAUSES[d.cause]}: ${d.why} |`,
    );
  }
  lines.push(
    "",
    `Less the fixed cost of a request (${results.floor.gatewayCpuMsPerRequest.toFixed(2)} ms), the ten with the most gateway CPU per field: the read paths that cost more than their answers' size explains (median ${results.medianCpuMsPer1000FieldsAboveFloor.toFixed(2)} ms per 1,000 fields).`,
    "",
    "| # | shape | fields | gateway CPU ms/req | ms per 1,000 fields above the fixed cost | ÷ median | statements/req (by Prisma) | PostgreSQL CPU ms/req | why |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---|",
  );
  for (const index of results.worstAboveFloor) {
    const d = results.documents.find((x) => x.index === index)!;
    lines.push(
      `| ${d.index} | \`${shape(d.summary)}\` | ${n(d.fields)} | ${d.gatewayCpuMsPerRequest.toFixed(2)} | ${d.cpuMsPer1000FieldsAboveFloor.toFixed(2)} | ${d.ratioAboveFloor.toFixed(1)} | ${fixed(d.statements.perRequest, 1)} (${fixed(d.statements.prismaPerRequest, 1)}) | ${fixed(d.postgresCpuMsPerRequest, 2)} | ${CAUSES[d.cause]}: ${d.why} |`,
    );
  }
  if (results.errors.length || results.wrong.length) {
    lines.push("", "Documents not measured:", "");
    for (const f of results.errors) lines.push(`- #${f.index} \`${f.summary.slice(0, 100)}\`: error ${f.message.slice(0, 300)}`);
    for (const f of results.wrong) lines.push(`- #${f.index} \`${f.summary.slice(0, 100)}\`: wrong answer: ${f.problems.slice(0, 3).join("; ")}`);
  }
  lines.push("", `Run it with \`npm run bench:shapes\` (this run took ${(results.runSeconds / 60).toFixed(1)} minutes, seeding included; \`--smoke\` takes seconds); the settings are listed at the top of \`bench/shapes.ts\`.`);
  return lines.join("\n");
}

await main();
