// `jobgraph worker --exec "<command>"`: a worker node that runs a shell command for each job it
// takes (runWorker does the protocol: claiming, leases, cancellation, finishing). The job reaches
// the command through its environment, and the command reports back through what it prints and
// the files it leaves in JOBGRAPH_OUTPUT_DIR; docs/cli.md describes the contract.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { RetryableError, runWorker, type JobContext, type WorkerFilter, type WorkerJob } from "../sdk/index.js";
import { collect, integer } from "./args.js";
import { connect, resolveToken, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT, explain } from "./errors.js";
import { note, print } from "./format.js";
import { Viewer } from "./operations.js";

type WorkerOptions = ConnectionOptions & {
  exec: string;
  concurrency: number;
  queue?: string[];
  template?: string;
  executor?: string;
  tag?: string[];
};

/** How long a command has to end after SIGTERM before it is killed. */
const KILL_AFTER_MS = 5000;
/**
 * The exit code of a command whose failure another attempt may mend: 75, sysexits' EX_TEMPFAIL
 * ("temporary failure; the user is invited to retry"), as mail transfer agents use it.
 */
const RETRYABLE_EXIT_CODE = 75;
/** How much of the command's stderr becomes the error of a failed job. */
const STDERR_TAIL_LINES = 10;
const STDERR_TAIL_CHARS = 2000;

/** JOBGRAPH_INPUT_<NAME>: upper case, anything but letters and digits as _. */
function variableName(prefix: "INPUT" | "PARAM", name: string): string {
  return `JOBGRAPH_${prefix}_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Strings, numbers and booleans as they are; anything else (objects, lists, null) as JSON. */
function variableValue(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

/**
 * The command's environment: the worker's own, without its token, plus the job. An input that
 * names an output gets its file (downloaded into `inputFiles`), absolute download URL, size and
 * sha256 besides (`gateway` is the address the URL is relative to).
 */
function jobEnvironment(
  job: WorkerJob,
  outputDir: string,
  gateway: string,
  inputFiles: ReadonlyMap<string, string>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    // The node's token stays with the worker; values of a job the worker itself runs in are not this job's.
    if (key === "JOBGRAPH_TOKEN" || key.startsWith("JOBGRAPH_INPUT_") || key.startsWith("JOBGRAPH_PARAM_")) continue;
    env[key] = value;
  }
  Object.assign(env, {
    JOBGRAPH_JOB_ID: job.id,
    JOBGRAPH_JOB_NUMBER: String(job.number),
    JOBGRAPH_JOB_NAME: job.name ?? "",
    JOBGRAPH_QUEUE: job.queue,
    JOBGRAPH_TEMPLATE: job.template.name,
    JOBGRAPH_TEMPLATE_VERSION: String(job.template.version),
    JOBGRAPH_ATTEMPT: String(job.attemptCount),
    JOBGRAPH_MAX_ATTEMPTS: String(job.maxAttempts),
    JOBGRAPH_TIME_LIMIT_AT: job.timeLimitAt ?? "",
    JOBGRAPH_DEADLINE: job.deadline ?? "",
    JOBGRAPH_INPUTS_JSON: JSON.stringify(Object.fromEntries(job.inputValues.map((v) => [v.name, v.value]))),
    JOBGRAPH_PARAMS_JSON: JSON.stringify(Object.fromEntries(job.parameterValues.map((v) => [v.name, v.value]))),
    JOBGRAPH_OUTPUT_DIR: outputDir,
  });
  for (const v of job.inputValues) {
    const name = variableName("INPUT", v.name);
    env[name] = variableValue(v.value);
    if (v.output) {
      env[`${name}_FILE`] = inputFiles.get(v.name);
      env[`${name}_URL`] = new URL(v.output.downloadUrl, gateway).href;
      env[`${name}_SIZE`] = String(v.output.size);
      env[`${name}_SHA256`] = v.output.sha256;
    }
  }
  for (const v of job.parameterValues) env[variableName("PARAM", v.name)] = variableValue(v.value);
  return env;
}

/**
 * A progress line of the command's stdout: `progress 0.5`, `progress: 50%`, `progress=0.25 step 2`;
 * text after the number becomes the report's detail. Anything else is not a progress line.
 */
function progressLine(line: string): { fraction: number; detail?: { message: string } } | undefined {
  const match = /^\s*progress\s*[:=]?\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*(.*?)\s*$/i.exec(line);
  if (!match) return undefined;
  const fraction = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  if (!(fraction >= 0 && fraction <= 1)) return undefined;
  return { fraction, ...(match[3] ? { detail: { message: match[3] } } : {}) };
}

/** A file `name.type` of the output folder is the output (name, type); one without a dot is of type bin. */
function outputOf(file: string): { name: string; type: string } {
  const dot = file.lastIndexOf(".");
  return dot > 0 && dot < file.length - 1 ? { name: file.slice(0, dot), type: file.slice(dot + 1) } : { name: file, type: "bin" };
}

/** Media types for the usual file types, so that downloads open as what they are. */
const MEDIA_TYPES: Record<string, string> = {
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  html: "text/html; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  svg: "image/svg+xml",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
};

/**
 * Progress reports, one request at a time: a command that prints progress faster than the gateway
 * answers has its reports merged (the latest wins) rather than queued up.
 */
function progressReporter(context: JobContext, onError: (error: unknown) => void) {
  let pending: { fraction: number; detail?: unknown } | undefined;
  let sending: Promise<void> | undefined;
  const pump = async () => {
    while (pending) {
      const next = pending;
      pending = undefined;
      try {
        await context.progress(next.fraction, next.detail);
      } catch (error) {
        // A lost or cancelled job is also told through the signal, which stops the command.
        onError(error);
      }
    }
    sending = undefined;
  };
  return {
    report(fraction: number, detail?: unknown) {
      pending = { fraction, detail };
      sending ??= pump();
    },
    /** Resolves once every report so far has been sent. */
    flush: () => sending ?? Promise.resolve(),
  };
}

/** Signals the command's whole process group: `sh -c` may have started processes of its own. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

const running = new Set<ChildProcess>();

/** Runs the command for one job; resolves when it succeeded and its outputs are uploaded, throws why not. */
async function runCommand(command: string, job: WorkerJob, context: JobContext, gateway: string): Promise<void> {
  const tag = `[#${job.number}]`;
  const workDir = await mkdtemp(path.join(os.tmpdir(), `jobgraph-job-${job.number}-`));
  const outputDir = path.join(workDir, "outputs");
  try {
    await mkdir(outputDir);
    const inputFiles = await downloadInputs(job, context, path.join(workDir, "inputs"), tag);
    const child = spawn("sh", ["-c", command], {
      env: jobEnvironment(job, outputDir, gateway, inputFiles),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that stopping it reaches everything it started.
      detached: true,
    });
    running.add(child);
    const closed = new Promise((resolve) => child.once("close", resolve));
    const progress = progressReporter(context, (error) => note(`${tag} progress not reported: ${explain(error).lines[0]}`));
    const stderrTail: string[] = [];
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      const reported = progressLine(line);
      if (reported) progress.report(reported.fraction, reported.detail);
      else print(`${tag} ${line}`);
      context.log(line, "STDOUT");
    });
    readline.createInterface({ input: child.stderr! }).on("line", (line) => {
      note(`${tag} ${line}`);
      context.log(line, "STDERR");
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    });

    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      signalGroup(child, "SIGTERM");
      killer = setTimeout(() => signalGroup(child, "SIGKILL"), KILL_AFTER_MS);
    };
    context.signal.addEventListener("abort", stop, { once: true });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      clearTimeout(killer);
      context.signal.removeEventListener("abort", stop);
      running.delete(child);
    });
    // Its last lines may still be in the pipes; but a process it left in the background may hold
    // them open for ever, so that is waited for only briefly.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    await progress.flush();

    if (context.signal.aborted) throw context.signal.reason;
    if (exit.code !== 0) {
      const how = exit.signal ? `the command was killed by ${exit.signal}` : `the command exited with code ${exit.code}`;
      const stderr = stderrTail.join("\n").trim().slice(-STDERR_TAIL_CHARS);
      const message = stderr ? `${how}: ${stderr}` : how;
      throw exit.code === RETRYABLE_EXIT_CODE ? new RetryableError(message) : new Error(message);
    }
    await uploadOutputs(outputDir, context, tag);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Downloads the outputs the job's inputs name into `inputDir`, as <input>.<output type>, checking
 * each against its sha256; returns each file by input name. A failed or corrupt download fails
 * the attempt as retryable: the next may fare better.
 */
async function downloadInputs(job: WorkerJob, context: JobContext, inputDir: string, tag: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const v of job.inputValues) {
    if (!v.output) continue;
    if (!files.size) await mkdir(inputDir);
    const type = String((v.value as { type?: unknown } | null)?.type ?? "bin").replace(/[^A-Za-z0-9_.-]/g, "_");
    const file = path.join(inputDir, `${v.name}.${type}`);
    const hash = createHash("sha256");
    try {
      const response = await context.download(v.output.downloadUrl);
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body! as import("node:stream/web").ReadableStream), hashing, createWriteStream(file));
    } catch (error) {
      throw new RetryableError(`downloading input ${v.name}: ${explain(error).lines[0]}`);
    }
    if (hash.digest("hex") !== v.output.sha256) throw new RetryableError(`downloading input ${v.name}: its content does not match its sha256`);
    note(`${tag} input ${v.name} downloaded (${v.output.size} bytes)`);
    files.set(v.name, file);
  }
  return files;
}

async function uploadOutputs(outputDir: string, context: JobContext, tag: string): Promise<void> {
  for (const file of (await readdir(outputDir)).sort()) {
    const full = path.join(outputDir, file);
    if (!(await stat(full)).isFile()) {
      note(`${tag} ${file} in JOBGRAPH_OUTPUT_DIR is not a file: not uploaded`);
      continue;
    }
    const { name, type } = outputOf(file);
    try {
      const contentType = MEDIA_TYPES[type.toLowerCase()];
      const output = await context.uploadOutput(name, type, createReadStream(full), { replace: true, filename: file, ...(contentType ? { contentType } : {}) });
      print(`${tag} output ${output.name}.${output.type} uploaded (${output.size} bytes)`);
    } catch (error) {
      throw new Error(`uploading output ${file}: ${explain(error).lines[0]}`);
    }
  }
}

async function work(options: WorkerOptions): Promise<never> {
  // Checked before taking work: a user's token would have every claim refused, again and again.
  const client = connect(options);
  let viewer;
  try {
    ({ viewer } = await client.request(Viewer));
  } finally {
    await client.close();
  }
  if (viewer.kind !== "NODE") {
    throw new CliError(`the worker needs a worker node's token (jgn_...), and this one is user ${viewer.name}'s: create one with \`jobgraph token create --node <name>\``, EXIT.USAGE);
  }

  const filter: WorkerFilter = {
    ...(options.queue?.length ? { queues: options.queue } : {}),
    ...(options.template ? { templateName: options.template } : {}),
    ...(options.executor ? { executor: options.executor } : {}),
    ...(options.tag?.length ? { tags: options.tag } : {}),
  };
  const worker = runWorker({
    url: options.url,
    token: resolveToken(options),
    filter,
    concurrency: options.concurrency,
    // Each job's command runs until it ends or is stopped; KILL_AFTER_MS bounds the stopping.
    shutdownGraceMs: KILL_AFTER_MS + 5000,
    handler: async (job, context) => {
      const tag = `[#${job.number}]`;
      print(`${tag} started: ${job.template.name}@${job.template.version}${job.name ? ` "${job.name}"` : ""} (${job.id})`);
      try {
        await runCommand(options.exec, job, context, options.url);
        print(`${tag} SUCCEEDED`);
      } catch (error) {
        const failed = error instanceof RetryableError ? "FAILED (retryable)" : "FAILED";
        note(context.signal.aborted ? `${tag} stopped: ${explain(context.signal.reason).lines[0]}` : `${tag} ${failed}: ${explain(error).lines[0]}`);
        throw error;
      }
    },
    onError: (error, job) => note(`${job ? `[#${job.number}] ` : ""}worker: ${explain(error).lines[0]}`),
  });
  note(
    `Worker node ${viewer.name} taking jobs from ${options.url}` +
      `${filter.queues ? ` (queues ${filter.queues.join(", ")})` : ""}, ${options.concurrency} at a time; Ctrl-C stops it and gives its jobs back.`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      note(`worker: ${signal} again: killing the commands and quitting at once`);
      for (const child of running) signalGroup(child, "SIGKILL");
      process.exit(EXIT.FAILED);
    }
    stopping = true;
    note(`worker: ${signal}: stopping the commands and giving their jobs back`);
    void worker.stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await worker.done;
  note("worker: stopped");
  // Everything is done and given back; exiting now spares the wait for runWorker's stop() grace
  // timer, which it leaves running even when the handlers returned in time.
  process.exit(EXIT.OK);
}

export function registerWorker(program: Command): void {
  withConnection(
    program
      .command("worker")
      .description("be a worker node: take jobs and run a shell command for each, with the job in its environment")
      .requiredOption("--exec <command>", "the command to run for each job, by `sh -c`")
      .option("--concurrency <n>", "how many jobs to run at once", integer(1), 1)
      .option("--queue <queue>", "take jobs only from this queue (repeatable); any queue by default", collect)
      .option("--template <name>", "take only jobs of this template")
      .option("--executor <name>", "take only jobs whose template runs on this executor")
      .option("--tag <tag>", "take only jobs carrying this tag (repeatable: all of them)", collect),
  )
    .addHelpText(
      "after",
      `
It needs a worker node's token (jgn_...; \`jobgraph token create --node <name>\` makes one).

For each job, the command gets in its environment:
  JOBGRAPH_JOB_ID, JOBGRAPH_JOB_NUMBER, JOBGRAPH_JOB_NAME, JOBGRAPH_QUEUE,
  JOBGRAPH_TEMPLATE, JOBGRAPH_TEMPLATE_VERSION
  JOBGRAPH_ATTEMPT, JOBGRAPH_MAX_ATTEMPTS        this attempt's number (since the job's last reset)
                      and how many its retry policy allows
  JOBGRAPH_TIME_LIMIT_AT, JOBGRAPH_DEADLINE      when this attempt runs out of time, and the job's
                      deadline (ISO 8601), or empty when there is none
  JOBGRAPH_INPUT_<NAME>, JOBGRAPH_PARAM_<NAME>  each value (name in upper case, other characters
                      than letters and digits as _): strings, numbers and booleans as they are,
                      anything else as JSON
  JOBGRAPH_INPUT_<NAME>_FILE, _URL, _SIZE, _SHA256
                      for an input that names an output (of an earlier job, or bound to a
                      dependency's): the file it was downloaded to (checked against its sha256),
                      its address, size in bytes and sha256
  JOBGRAPH_INPUTS_JSON, JOBGRAPH_PARAMS_JSON    all of them as one JSON object
  JOBGRAPH_OUTPUT_DIR an empty folder: each file left in it is uploaded as an output when the
                      command succeeds (model.onnx: output "model" of type "onnx"; a file
                      without a dot has type "bin")
The node's token is not passed on.

A line the command prints like "progress 0.5", "progress: 50%" or "progress 30% loading data" is
reported as the job's progress (the text after the number as its detail); its other lines are
shown with the job's number. Every line of its stdout and stderr goes to the job's log (see
\`jobgraph jobs logs\`), in batches. Exit code 0 finishes the job as SUCCEEDED; ${RETRYABLE_EXIT_CODE} (EX_TEMPFAIL) as a
retryable failure: the job goes back to the queue after its backoff while its retry policy allows,
else it fails; any other code, as FAILED. A failure's error is the last lines of its stderr. When
the job is cancelled, its time limit or deadline passes, or the worker loses it or stops, the
command gets SIGTERM, and SIGKILL ${KILL_AFTER_MS / 1000} s later.

Ctrl-C (SIGINT) or SIGTERM stops the worker: the commands are stopped and their jobs go back to
the queue. A second Ctrl-C quits at once.

Examples:
  $ JOBGRAPH_TOKEN=jgn_... jobgraph worker --exec ./train.sh --queue gpu --concurrency 2
  $ jobgraph worker --exec 'python train.py --data "$JOBGRAPH_INPUT_DATASET" --out "$JOBGRAPH_OUTPUT_DIR"'
  $ jobgraph worker --template report --exec 'echo "progress 50%"; make-report > "$JOBGRAPH_OUTPUT_DIR/report.pdf"'`,
    )
    .action(action(work));
}
