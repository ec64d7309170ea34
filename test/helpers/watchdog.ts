// Vitest's timeouts are timers, which never fire while a test worker's event loop is blocked: a
// synchronous loop that never ends (as one did, on a Node.js whose file times behaved otherwise)
// hangs the whole run until CI's own limit, and says nothing of where. A thread of each test
// worker process watches the event loop's heartbeat; when it has stopped for BLOCKED_SECONDS, the
// thread names the test file and kills the process, which Vitest reports as a failure, and the
// run goes on and ends with its summary.
import { Worker } from "node:worker_threads";
import { expect } from "vitest";

const BLOCKED_SECONDS = Number(process.env.TEST_WATCHDOG_SECONDS) || 180;

const watched = Symbol.for("jobgraph.test.watchdog");
type Watchdog = { beat: Int32Array; worker: Worker };
const state = globalThis as { [watched]?: Watchdog };

// Runs as a thread of its own: checks the heartbeat every second, and kills the process when the
// beat is BLOCKED_SECONDS old. Written to stderr with writeSync, which needs no event loop.
const WATCHER = `
const { workerData, parentPort } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const beat = new Int32Array(workerData.buffer);
let file = "(no file yet)";
parentPort.on("message", (name) => { file = name; });
setInterval(() => {
  const seconds = Math.floor(Date.now() / 1000) - Atomics.load(beat, 0);
  if (seconds < workerData.limit) return;
  writeSync(2, "\\n[watchdog] the event loop of the test worker running " + file + " has been blocked for " + seconds + " s (a synchronous loop?); killing it\\n");
  process.kill(process.pid, "SIGKILL");
}, 1000);
`;

function start(): Watchdog {
  const buffer = new SharedArrayBuffer(4);
  const beat = new Int32Array(buffer);
  const now = () => Atomics.store(beat, 0, Math.floor(Date.now() / 1000));
  now();
  setInterval(now, 1000).unref();
  const worker = new Worker(WATCHER, { eval: true, workerData: { buffer, limit: BLOCKED_SECONDS } });
  worker.unref();
  return { beat, worker };
}

const watchdog = (state[watched] ??= start());

// A setup file runs again before each test file (in the same process, as isolate is off).
watchdog.worker.postMessage(expect.getState().testPath ?? "(unknown)");
