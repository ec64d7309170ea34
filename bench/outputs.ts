// Output streaming: the gateway's resident memory while a large output is uploaded and downloaded,
// and the throughput of both next to a plain file copy on the same disk, measured in the same run.
//
//   npm run bench:outputs            (1 GiB, 3 rounds; BENCH_OUTPUT_BYTES and BENCH_ROUNDS change them;
//                                     --smoke: 4 MiB, once, nothing written to the docs)
//
// Every output store is measured, each by a gateway of its own: files (the embedded default),
// PostgreSQL (the default with DATABASE_URL) and S3 (an S3-compatible server, s3rver, in a process
// of its own on the same machine, keeping its objects on the same disk). Each gateway runs as its
// own process (`dist/src/server.js`, on a fresh embedded PostgreSQL, or on DATABASE_URL when set),
// so its memory is measured alone.
// Traffic goes to 127.0.0.1 only. The run fails (exit 1) if memory grows more than 64 MiB over the
// idle level.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { multipartFrame } from "../src/sdk/multipart.js";
import { AddJobOutput } from "../src/sdk/operations.js";
import { cpuMs, deadline, gateway, graphql, machine, median, postgresCpuMs, report, root, rss, scratch, smoke, type Gateway } from "./lib.js";

const MiB = 1024 * 1024;
const SIZE = smoke ? 4 * MiB : Number(process.env.BENCH_OUTPUT_BYTES ?? 1024 * MiB);
const ROUNDS = smoke ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_BUDGET = 64 * MiB;
/** The whole run gives up after this long. */
const DEADLINE_MS = 20 * 60_000;

/**
 * CPU time so far of the parties to a transfer: this process (the client), the gateway, PostgreSQL
 * and, for the S3 store, the S3 server.
 */
async function cpuNow(gatewayPid: number, postmaster: number | undefined, s3Server: number | undefined) {
  const own = process.cpuUsage();
  return {
    clientMs: (own.user + own.system) / 1000,
    gatewayMs: await cpuMs(gatewayPid),
    postgresMs: postmaster ? await postgresCpuMs(postmaster) : Number.NaN,
    s3ServerMs: s3Server ? await cpuMs(s3Server) : 0,
  };
}
type Cpu = Awaited<ReturnType<typeof cpuNow>>;

/**
 * Samples the gateway's RSS every 50 ms while `work` runs; returns its result, the peak, and the
 * CPU time each party spent on it.
 */
async function sampled<T>(
  pid: number,
  postmaster: number | undefined,
  s3Server: number | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; peak: number; ms: number; cpu: Cpu }> {
  let peak = await rss(pid);
  const timer = setInterval(() => void rss(pid).then((v) => (peak = Math.max(peak, v))), 50);
  const cpuBefore = await cpuNow(pid, postmaster, s3Server);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    const cpuAfter = await cpuNow(pid, postmaster, s3Server);
    const cpu = {
      clientMs: cpuAfter.clientMs - cpuBefore.clientMs,
      gatewayMs: cpuAfter.gatewayMs - cpuBefore.gatewayMs,
      postgresMs: cpuAfter.postgresMs - cpuBefore.postgresMs,
      s3ServerMs: cpuAfter.s3ServerMs - cpuBefore.s3ServerMs,
    };
    return { result, peak: Math.max(peak, await rss(pid)), ms, cpu };
  } finally {
    clearInterval(timer);
  }
}

/** The embedded PostgreSQL's postmaster, from the pid file in the gateway's data folder (none on DATABASE_URL). */
async function embeddedPostmaster(dataDir: string): Promise<number | undefined> {
  if (process.env.DATABASE_URL) return undefined;
  const text = await readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8").catch(() => undefined);
  return text ? Number.parseInt(text.split("\n")[0]!, 10) : undefined;
}

/** Uploads a file as an output, streaming it from disk; resolves to the output's download URL and sha256. */
function upload(gw: Gateway, jobId: string, file: string, name: string): Promise<{ downloadUrl: string; sha256: string }> {
  const { contentType, head, tail } = multipartFrame({
    query: AddJobOutput,
    variables: { jobId, name, type: "bin", replace: true },
  });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port: gw.port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer ${gw.token}`, "graphql-preflight": "1" },
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
async function download(gw: Gateway, url: string): Promise<string> {
  const response = await fetch(`${gw.base}${url}`, { headers: { authorization: `Bearer ${gw.token}` } });
  if (response.status !== 200 || !response.body) throw new Error(`download answered ${response.status}`);
  const hash = createHash("sha256");
  for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(piece);
  return hash.digest("hex");
}

/** A change in MiB with its sign: RSS can end below its idle level once the warm-up's garbage is collected. */
const signed = (mib: number) => `${mib >= 0 ? "+" : ""}${mib.toFixed(1)}`;

async function copyFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: MiB }), createWriteStream(to));
}

/** The output stores compared: the embedded default (files), PostgreSQL (the default with DATABASE_URL) and S3. */
const STORES = ["files", "postgres", "s3"] as const;
type Store = (typeof STORES)[number];

type S3Server = { endpoint: string; pid: number; child: ChildProcess };

/** s3rver, with a bucket "bench", in a process of its own so that its CPU and memory are its own. */
async function startS3Server(directory: string): Promise<S3Server> {
  const script = `
    import S3rver from "s3rver";
    const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.env.S3_DIRECTORY, configureBuckets: [{ name: "bench", configs: [] }] });
    const { port } = await server.run();
    console.log(JSON.stringify({ port }));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env: { ...process.env, S3_DIRECTORY: directory }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
    child.stdout!.once("data", (data: Buffer) => resolve((JSON.parse(data.toString()) as { port: number }).port));
  });
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid!, child };
}

/** A gateway with its own data folder, storing outputs in `store`, with a job to add outputs to. */
async function storeGateway(work: string, store: Store, s3: S3Server) {
  // The gateway starts its own embedded PostgreSQL (or uses DATABASE_URL), as `npm start` does.
  const dataDir = path.join(work, `data-${store}`);
  const s3Env: Record<string, string> =
    store === "s3" ? { JOBGRAPH_S3_BUCKET: "bench", JOBGRAPH_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" } : {};
  const gw = await gateway({ dataDir, env: { JOBGRAPH_MAX_OUTPUT_BYTES: String(SIZE * 2), JOBGRAPH_OUTPUT_STORE: store, ...s3Env } });
  const postmaster = await embeddedPostmaster(dataDir);
  await graphql(gw, `mutation { createJobTemplate(input: { name: "bench-outputs", executor: { name: "bench" } }) { __typename } }`);
  const created = await graphql<{ createJob: { job?: { id: string } } }>(
    gw,
    `mutation { createJob(input: { templateName: "bench-outputs" }) { ... on CreateJobPayload { job { id } } ... on Error { message } } }`,
  );
  const jobId = created.createJob.job?.id;
  if (!jobId) throw new Error(JSON.stringify(created));
  return { store, gw, postmaster, s3Server: store === "s3" ? s3.pid : undefined, jobId, idle: 0 };
}

async function main() {
  const work = await scratch("outputs");
  const gateways: Array<Awaited<ReturnType<typeof storeGateway>>> = [];
  const s3 = await startS3Server(path.join(work.dir, "s3"));
  const giveUp = deadline(DEADLINE_MS, () => {
    gateways.forEach(({ gw }) => process.kill(gw.pid, "SIGKILL"));
    s3.child.kill("SIGKILL");
  });
  try {
    for (const store of STORES) gateways.push(await storeGateway(work.dir, store, s3));

    console.log(`writing a ${SIZE / MiB} MiB source file`);
    const source = path.join(work.dir, "source.bin");
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

    // Warm up (JIT, pools, first allocations), then take each gateway's idle level.
    const warm = path.join(work.dir, "warm.bin");
    await writeFile(warm, randomBytes(8 * MiB));
    for (const g of gateways) {
      const warmed = await upload(g.gw, g.jobId, warm, "warm-up");
      await download(g.gw, warmed.downloadUrl);
    }
    await new Promise((r) => setTimeout(r, smoke ? 200 : 2000));
    for (const g of gateways) {
      const idleSamples: number[] = [];
      for (let i = 0; i < 20; i++) {
        idleSamples.push(await rss(g.gw.pid));
        await new Promise((r) => setTimeout(r, 50));
      }
      g.idle = median(idleSamples);
    }

    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const copyTarget = path.join(work.dir, "copy.bin");
      const copyStarted = performance.now();
      await copyFile(source, copyTarget);
      const copyMs = performance.now() - copyStarted;
      await rm(copyTarget);
      const mbps = (ms: number) => SIZE / MiB / (ms / 1000);
      const perMiB = (cpu: Cpu) => ({
        clientMs: cpu.clientMs / (SIZE / MiB),
        gatewayMs: cpu.gatewayMs / (SIZE / MiB),
        postgresMs: cpu.postgresMs / (SIZE / MiB),
        s3ServerMs: cpu.s3ServerMs / (SIZE / MiB),
      });
      const stores = {} as Round["stores"];
      // The stores take turns, in another order each round, so neither always follows the copy.
      for (const g of round % 2 ? gateways : [...gateways].reverse()) {
        // A new output each round: replacing one would add the removal of the last round's content
        // (in the background, since outputs' content is removed after them) to the upload measured.
        const up = await sampled(g.gw.pid, g.postmaster, g.s3Server, () => upload(g.gw, g.jobId, source, `large-${round}`));
        if (up.result.sha256 !== sha256) throw new Error("the gateway computed another sha256 than the file's");
        const down = await sampled(g.gw.pid, g.postmaster, g.s3Server, () => download(g.gw, up.result.downloadUrl));
        if (down.result !== sha256) throw new Error("the download differs from the upload");
        stores[g.store] = {
          uploadMBps: mbps(up.ms),
          downloadMBps: mbps(down.ms),
          uploadGrowthMiB: (up.peak - g.idle) / MiB,
          downloadGrowthMiB: (down.peak - g.idle) / MiB,
          uploadCpuPerMiB: perMiB(up.cpu),
          downloadCpuPerMiB: perMiB(down.cpu),
        };
      }
      rounds.push({ copyMBps: mbps(copyMs), stores });
      console.log(
        `round ${round}: copy ${mbps(copyMs).toFixed(0)} MiB/s; ` +
          STORES.map((store) => {
            const r = stores[store];
            return `${store}: upload ${r.uploadMBps.toFixed(0)} MiB/s (peak ${signed(r.uploadGrowthMiB)} MiB), download ${r.downloadMBps.toFixed(0)} MiB/s (peak ${signed(r.downloadGrowthMiB)} MiB)`;
          }).join("; "),
      );
    }

    const growth = Math.max(...rounds.flatMap((r) => STORES.map((store) => Math.max(r.stores[store].uploadGrowthMiB, r.stores[store].downloadGrowthMiB))));
    const byStore = Object.fromEntries(
      STORES.map((store) => {
        const of = rounds.map((r) => r.stores[store]);
        return [
          store,
          {
            uploadMBps: median(of.map((r) => r.uploadMBps)),
            downloadMBps: median(of.map((r) => r.downloadMBps)),
            uploadToCopy: median(rounds.map((r) => r.stores[store].uploadMBps / r.copyMBps)),
            downloadToCopy: median(rounds.map((r) => r.stores[store].downloadMBps / r.copyMBps)),
            uploadGrowthMiB: median(of.map((r) => r.uploadGrowthMiB)),
            downloadGrowthMiB: median(of.map((r) => r.downloadGrowthMiB)),
            uploadCpuPerMiB: medianCpu(of.map((r) => r.uploadCpuPerMiB)),
            downloadCpuPerMiB: medianCpu(of.map((r) => r.downloadCpuPerMiB)),
          },
        ];
      }),
    ) as Results["stores"];
    const results: Results = {
      at: new Date().toISOString(),
      machine: machine(),
      sizeBytes: SIZE,
      rounds,
      idleRssMiB: Object.fromEntries(gateways.map((g) => [g.store, g.idle / MiB])) as Record<Store, number>,
      copyMBps: median(rounds.map((r) => r.copyMBps)),
      stores: byStore,
      maxGrowthMiB: growth,
      budgetMiB: MEMORY_BUDGET / MiB,
      withinBudget: growth * MiB <= MEMORY_BUDGET,
    };
    console.log(`results in ${await report("outputs", results, section(results))}`);
    if (!results.withinBudget) {
      console.error(`a gateway grew ${growth.toFixed(1)} MiB over idle, more than ${MEMORY_BUDGET / MiB} MiB`);
      process.exitCode = 1;
    }
  } finally {
    giveUp();
    for (const { gw } of gateways) await gw.stop();
    s3.child.kill("SIGTERM");
    await work.remove();
  }
}

type CpuPerMiB = { clientMs: number; gatewayMs: number; postgresMs: number; s3ServerMs: number };
type StoreRound = {
  uploadMBps: number;
  downloadMBps: number;
  uploadGrowthMiB: number;
  downloadGrowthMiB: number;
  uploadCpuPerMiB: CpuPerMiB;
  downloadCpuPerMiB: CpuPerMiB;
};
type Round = { copyMBps: number; stores: Record<Store, StoreRound> };

function medianCpu(list: CpuPerMiB[]): CpuPerMiB {
  return {
    clientMs: median(list.map((c) => c.clientMs)),
    gatewayMs: median(list.map((c) => c.gatewayMs)),
    postgresMs: median(list.map((c) => c.postgresMs)),
    s3ServerMs: median(list.map((c) => c.s3ServerMs)),
  };
}

type Results = {
  at: string;
  machine: ReturnType<typeof machine>;
  sizeBytes: number;
  rounds: Round[];
  idleRssMiB: Record<Store, number>;
  copyMBps: number;
  /** Medians of the rounds, and of each round's ratio to that round's copy. */
  stores: Record<Store, StoreRound & { uploadToCopy: number; downloadToCopy: number }>;
  maxGrowthMiB: number;
  budgetMiB: number;
  withinBudget: boolean;
};

const STORE_NAMES: Record<Store, string> = {
  files: "files (JOBGRAPH_OUTPUT_STORE=files)",
  postgres: "PostgreSQL (JOBGRAPH_OUTPUT_STORE=postgres)",
  s3: "S3 (JOBGRAPH_OUTPUT_STORE=s3, s3rver)",
};

/** The outputs section of docs/performance.md. */
function section(results: Results): string {
  const cpu = results.machine;
  return [
    "## Output streaming",
    "",
    `\`npm run bench:outputs\`, ${results.at.slice(0, 10)}: one ${(results.sizeBytes / MiB).toFixed(0)} MiB output uploaded (multipart, streamed from disk) and downloaded ${results.rounds.length} times through each output store, the stores taking turns after a plain file copy of the same file in each round; medians of the rounds. Machine: ${cpu.cpus} × ${cpu.cpuModel}, ${cpu.memoryGiB} GiB, ${cpu.platform}; Node ${cpu.node}; each store's gateway on its own embedded PostgreSQL.`,
    "",
    "| | throughput (MiB/s) | ratio to a plain file copy | gateway RSS growth over idle (MiB) |",
    "|---|---:|---:|---:|",
    `| plain file copy (same disk, stream copy) | ${results.copyMBps.toFixed(0)} | 1.00 | |`,
    ...STORES.flatMap((store) => {
      const s = results.stores[store];
      return [
        `| upload (addJobOutput), ${STORE_NAMES[store]} | ${s.uploadMBps.toFixed(0)} | ${s.uploadToCopy.toFixed(2)} | ${s.uploadGrowthMiB.toFixed(1)} |`,
        `| download (GET /outputs/{id}), ${STORE_NAMES[store]} | ${s.downloadMBps.toFixed(0)} | ${s.downloadToCopy.toFixed(2)} | ${s.downloadGrowthMiB.toFixed(1)} |`,
      ];
    }),
    "",
    `Idle RSS ${STORES.map((store) => `${results.idleRssMiB[store].toFixed(0)} MiB (${store})`).join(", ")}, taken after a warm-up; the largest growth in any round was ${results.maxGrowthMiB.toFixed(1)} MiB, ${results.withinBudget ? "within" : "over"} the ${results.budgetMiB} MiB budget (a negative growth: the gateway's RSS stayed below its idle level, as the collector returned what start-up and the warm-up had left). Content goes to the same machine's disk in every case, so a file copy is the ceiling, not a peer to beat. The S3 store's figures are those of a local S3-compatible server written in Node (s3rver, which keeps objects as files and copies each multipart upload's parts into its object at the end), not of AWS S3 across a network: they show what the gateway's side costs, and that its memory stays flat.`,
    "",
    "Where the CPU goes, in milliseconds per MiB transferred (medians of the rounds): the client (this benchmark), the gateway, PostgreSQL and the S3 server share the machine's cores.",
    "",
    "| | client | gateway | PostgreSQL | S3 server | in all | the most the cores allow (MiB/s) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...STORES.flatMap((store) =>
      (["upload", "download"] as const).map((way) => {
        const c = results.stores[store][`${way}CpuPerMiB`];
        const all = c.clientMs + c.gatewayMs + c.postgresMs + c.s3ServerMs;
        const s3Server = store === "s3" ? c.s3ServerMs.toFixed(1) : "";
        return `| ${way}, ${store} | ${c.clientMs.toFixed(1)} | ${c.gatewayMs.toFixed(1)} | ${c.postgresMs.toFixed(1)} | ${s3Server} | ${all.toFixed(1)} | ${((cpu.cpus * 1000) / all).toFixed(0)} |`;
      }),
    ),
  ].join("\n");
}

await main();
