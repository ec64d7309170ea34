// runWorker: a worker node's whole protocol, so that a worker is its handler. It claims jobs
// (acquireNextJob, woken by jobAvailable or a poll), starts them, keeps their leases alive,
// finishes them with the handler's outcome (a RetryableError as a retryable failure), tells the
// handler through an AbortSignal when a job is cancelled, its lease is lost or its time limit
// passes, releases what it holds when stopped, and keeps going through network errors.
import type { ResultOf } from "@graphql-typed-document-node/core";
import {
  createJobgraphClient,
  GraphQLRequestError,
  NetworkError,
  RefusedError,
  type UploadedOutput,
  type UploadOptions,
} from "./client.js";
import type { WorkerTaskFieldsFragment } from "./gql/graphql.js";
import { LogBuffer, type LogStreamName } from "./log-buffer.js";
import {
  AcquireNextJob,
  AppendJobLog,
  FinishJob,
  FinishTask,
  JobAvailable,
  JobStatusWatch,
  JobTasks,
  ReleaseJob,
  RenewJobLease,
  ReportJobProgress,
  ReportTaskProgress,
  StartJob,
  StartTask,
} from "./operations.js";

type Acquired = Extract<ResultOf<typeof AcquireNextJob>["acquireNextJob"], { __typename: "AcquireJobPayload" }>;

/** A job as a handler receives it. */
export type WorkerJob = NonNullable<Acquired["job"]>;

/** A task of the job as a handler sees it. */
export type WorkerTask = WorkerTaskFieldsFragment;

/** Why a job's signal fired. */
export type AbortReason = "cancelled" | "lease-lost" | "timed-out" | "shutdown";

const ABORT_MESSAGES: Record<AbortReason, string> = {
  cancelled: "the job was cancelled",
  "lease-lost": "the worker no longer holds the job (its lease expired or was taken back)",
  "timed-out": "the attempt ran past the job's time limit, or the job's deadline passed: the gateway ended it",
  shutdown: "the worker is stopping",
};

/** The reason of a job's AbortSignal. */
export class JobAbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(ABORT_MESSAGES[reason]);
    this.name = "JobAbortedError";
  }
}

/** The most characters of a failure's error the gateway takes (finishJob's `error`). */
const MAX_ERROR_CHARS = 10_000;

/** A handler's error as finishJob takes it: a message past the gateway's length is cut, saying so. */
function errorText(message: string): string {
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 20)} … (message cut)` : message;
}

/**
 * Thrown by a handler for a failure another attempt may mend (a service that was busy, a network
 * that went away): the job goes back to the queue after its backoff while its retry policy allows,
 * instead of failing. Any error with `retryable: true` counts the same.
 */
export class RetryableError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RetryableError";
  }
}

const isRetryable = (error: unknown) => typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;

/** Why a refused holder's call means the job is no longer the worker's. */
const abortReasonOf = (r: { __typename: string; from?: string }): AbortReason =>
  r.__typename === "TimeLimitExceededError" ? "timed-out" : r.__typename === "InvalidTransitionError" && r.from === "CANCELLED" ? "cancelled" : "lease-lost";

export type JobContext = {
  /** Fires when the job is cancelled, its lease is lost, or the worker stops; stop work then. */
  signal: AbortSignal;
  /** Reports progress (0 to 1) with any JSON detail; watchers see it. Also renews the lease. */
  progress(fraction: number, detail?: unknown): Promise<void>;
  /**
   * Adds a line (or lines: the text is split at line breaks) to the job's log, or to a task's with
   * `taskId`. Returns at once: lines are sent in batches every half second, and the rest before the
   * job is finished or released. Dropped, once told to onError, if the job stops being the worker's.
   */
  log(text: string, stream?: LogStreamName, taskId?: string): void;
  /** Sends the log lines waiting, and resolves once they have been sent. */
  flushLog(): Promise<void>;
  /**
   * GETs an output's content by its downloadUrl (an input's `output.downloadUrl`, say) with the
   * worker's token; resolves to the response once it is 200, else throws saying what it was.
   */
  download(downloadUrl: string): Promise<Response>;
  /** Uploads an output of the job, streaming `content`. */
  uploadOutput(name: string, type: string, content: Uint8Array | AsyncIterable<Uint8Array>, options?: Omit<UploadOptions, "leaseToken">): Promise<UploadedOutput>;
  /**
   * The job's tasks now, every one, in order of arrival. Until the handler reports on a task, the
   * first call answers with the tasks startJob read (no request of its own); later ones read them.
   */
  tasks(): Promise<WorkerTask[]>;
  /**
   * Starts a task (once every task of a lower sequence has succeeded), reports its progress, and
   * finishes it; each answers the task as it is now, and throws a RefusedError saying why when
   * refused. A failed task is queued again while it has attempts left (its status says so). Calls
   * made together (tasks run at once, `progress()` beside them) go in one request, run in the order
   * made; each still answers or throws on its own.
   */
  startTask(taskId: string): Promise<WorkerTask>;
  taskProgress(taskId: string, fraction: number): Promise<WorkerTask>;
  finishTask(taskId: string, outcome: { success: boolean; output?: string }): Promise<WorkerTask>;
};

/** The first page of the job's tasks, as startJob read them. */
type StartedTasks = NonNullable<Extract<ResultOf<typeof StartJob>["startJob"], { __typename: "LeasePayload" }>["job"]["tasks"]>;

type TaskAnswer = { __typename: string; task?: WorkerTask; message?: string };

/** The task of a task mutation's answer, or the refusal thrown. */
function taskOf(answer: TaskAnswer): WorkerTask {
  if (answer.__typename === "TaskPayload" && answer.task) return answer.task;
  throw new RefusedError(answer.__typename, answer.message ?? "");
}

export type WorkerFilter = { queues?: string[]; templateName?: string; executor?: string; tags?: string[] };

export type WorkerOptions = {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** The worker node's token (jgn_...). */
  token: string;
  /** Which jobs to take; any job when omitted. */
  filter?: WorkerFilter;
  /** How many jobs to run at once (default 1). */
  concurrency?: number;
  /**
   * Does the job. Its return value is ignored; returning finishes the job as SUCCEEDED, throwing
   * finishes it as FAILED with the error's message.
   */
  handler: (job: WorkerJob, context: JobContext) => unknown;
  /** How long an idle worker waits before looking for work again when none is announced (default 5000). */
  pollIntervalMs?: number;
  /** Told about every problem the worker works around (network errors, refused calls); default: nothing. */
  onError?: (error: unknown, job?: WorkerJob) => void;
  /**
   * How long stop() waits for aborted handlers to return (default 10000). Jobs whose handlers are
   * still running then are released anyway.
   */
  shutdownGraceMs?: number;
};

export type Worker = {
  /** Stops taking jobs, aborts the running handlers (reason "shutdown"), releases their jobs. */
  stop(): Promise<void>;
  /** Resolves once the worker has stopped. */
  readonly done: Promise<void>;
  /** Jobs being worked on now. */
  readonly running: number;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Retried: the server could not be reached or was briefly unable to answer. */
function transient(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof GraphQLRequestError && error.transient);
}

type Held = { job: WorkerJob; leaseToken: string; expiresAt: number; controller: AbortController };

export function runWorker(options: WorkerOptions): Worker {
  const client = createJobgraphClient({ url: options.url, token: options.token });
  // A handler's task calls made together (its tasks running at once, a progress report beside
  // them) go in one request. Only those: the slots' own calls (startJob reads a page of tasks,
  // costly enough that three together pass the gateway's cost limit) go alone.
  const handlerClient = createJobgraphClient({ url: options.url, token: options.token, coalesceMutations: true });
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const report = (error: unknown, job?: WorkerJob) => options.onError?.(error, job);
  const stopping = new AbortController();
  const held = new Set<Held>();
  let wake = new AbortController();

  // One subscription wakes every idle slot when claimable work appears; the poll covers its gaps.
  const watchAvailable = (async () => {
    while (!stopping.signal.aborted) {
      const updates = client.subscribe(JobAvailable, { queues: options.filter?.queues ?? null });
      const stop = () => void updates.return?.();
      stopping.signal.addEventListener("abort", stop, { once: true });
      try {
        for await (const _ of updates) {
          wake.abort();
          wake = new AbortController();
        }
      } catch (error) {
        report(error);
        await sleep(pollIntervalMs, stopping.signal);
      } finally {
        stopping.signal.removeEventListener("abort", stop);
      }
    }
  })();

  async function acquire(): Promise<{ job: WorkerJob; leaseToken: string; expiresAt: number } | null> {
    const { acquireNextJob: result } = await client.request(AcquireNextJob, { filter: options.filter ?? null });
    if (result.__typename !== "AcquireJobPayload") throw new RefusedError(result.__typename, "message" in result ? result.message : "");
    if (!result.job || !result.lease) return null;
    return { job: result.job, leaseToken: result.lease.token, expiresAt: Date.parse(result.lease.expiresAt) };
  }

  /** Keeps the lease alive and watches for cancellation until the handler ends. */
  function keepAlive(h: Held): () => void {
    let timer: NodeJS.Timeout | undefined;
    const abort = (reason: AbortReason) => {
      if (!h.controller.signal.aborted) h.controller.abort(new JobAbortedError(reason));
    };
    const renew = async () => {
      try {
        const { renewJobLease: r } = await client.request(RenewJobLease, { id: h.job.id, leaseToken: h.leaseToken });
        if (r.__typename === "LeasePayload" && r.lease) h.expiresAt = Date.parse(r.lease.expiresAt);
        else abort(abortReasonOf(r));
      } catch (error) {
        report(error, h.job);
        if (Date.now() >= h.expiresAt) abort("lease-lost");
      }
      schedule();
    };
    const schedule = () => {
      if (h.controller.signal.aborted) return;
      // A third of the time left, so that two renewals can fail before the lease runs out.
      timer = setTimeout(() => void renew(), Math.max(500, (h.expiresAt - Date.now()) / 3));
    };
    schedule();
    // The handler hears of its time limit or deadline as it passes, not at the next renewal.
    const limits = [h.job.timeLimitAt, h.job.deadline].filter((at): at is string => Boolean(at)).map(Date.parse);
    const limitTimer = limits.length ? setTimeout(() => abort("timed-out"), Math.max(0, Math.min(...limits) - Date.now())) : undefined;
    const updates = client.subscribe(JobStatusWatch, { id: h.job.id });
    void (async () => {
      try {
        for await (const { jobUpdated } of updates) {
          if (!jobUpdated || jobUpdated.status === "CANCELLED") abort("cancelled");
          else if (jobUpdated.status !== "ACQUIRED" && jobUpdated.status !== "RUNNING") abort("lease-lost");
        }
      } catch (error) {
        // The renewals still notice a cancelled job.
        report(error, h.job);
      }
    })();
    return () => {
      clearTimeout(timer);
      clearTimeout(limitTimer);
      void updates.return?.();
    };
  }

  async function work(h: Held): Promise<void> {
    const { job, controller } = h;
    const stopWatching = keepAlive(h);
    const logs = new LogBuffer(async (taskId, lines) => {
      const { appendJobLog: r } = await client.request(AppendJobLog, { input: { job: job.id, leaseToken: h.leaseToken, task: taskId, lines } });
      if (r.__typename === "AppendJobLogPayload") return "sent";
      if (r.__typename === "ValidationError" || r.__typename === "NotFoundError") {
        report(new RefusedError(r.__typename, "message" in r ? r.message : ""), job);
        return "sent";
      }
      return "gone";
    }, (error) => report(error, job));
    const context: JobContext = {
      signal: controller.signal,
      log: (text, stream, taskId) => logs.add(text, stream, taskId ?? null),
      flushLog: () => logs.flush(),
      async progress(fraction, detail) {
        const { reportJobProgress: r } = await handlerClient.request(ReportJobProgress, { id: job.id, leaseToken: h.leaseToken, progress: fraction, detail: detail ?? null });
        if (r.__typename === "LeasePayload" && r.lease) h.expiresAt = Date.parse(r.lease.expiresAt);
        else throw new RefusedError(r.__typename, "message" in r ? r.message : "");
      },
      download: (downloadUrl) => client.download(downloadUrl, controller.signal),
      uploadOutput: (name, type, content, upload) => client.upload(job.id, name, type, content, { ...upload, leaseToken: h.leaseToken }),
      async tasks() {
        const all: WorkerTask[] = [];
        // Read with startJob: answered from there while the worker has changed no task since.
        const first = startedTasks;
        startedTasks = null;
        let after: string | null = null;
        if (first) {
          all.push(...first.edges.map((edge) => edge.node));
          if (!first.pageInfo.hasNextPage) return all;
          after = first.pageInfo.endCursor ?? null;
        }
        for (;;) {
          const answer: ResultOf<typeof JobTasks> = await client.request(JobTasks, { id: job.id, after });
          const page = answer.job?.tasks ?? null;
          if (!page) return all;
          all.push(...page.edges.map((edge) => edge.node));
          if (!page.pageInfo.hasNextPage) return all;
          after = page.pageInfo.endCursor ?? null;
        }
      },
      startTask: async (taskId) => {
        startedTasks = null;
        return taskOf((await handlerClient.request(StartTask, { id: taskId, leaseToken: h.leaseToken })).startTask as TaskAnswer);
      },
      taskProgress: async (taskId, fraction) => {
        startedTasks = null;
        return taskOf((await handlerClient.request(ReportTaskProgress, { id: taskId, leaseToken: h.leaseToken, progress: fraction })).reportTaskProgress as TaskAnswer);
      },
      finishTask: async (taskId, outcome) => {
        startedTasks = null;
        return taskOf(
          (await handlerClient.request(FinishTask, { id: taskId, leaseToken: h.leaseToken, success: outcome.success, output: outcome.output ?? null }))
            .finishTask as TaskAnswer,
        );
      },
    };
    let startedTasks: StartedTasks | null = null;
    let failure: string | null = null;
    let retryable = false;
    try {
      const { startJob: started } = await client.request(StartJob, { id: job.id, leaseToken: h.leaseToken });
      if (started.__typename !== "LeasePayload") throw new RefusedError(started.__typename, "message" in started ? started.message : "");
      if (started.lease) h.expiresAt = Date.parse(started.lease.expiresAt);
      startedTasks = started.job.tasks;
      // Stopped, cancelled or lost while it was being started: a handler handed a signal that
      // has already fired would never hear its "abort" event, and would run on unaware.
      if (!controller.signal.aborted) await options.handler(job, context);
    } catch (error) {
      failure = errorText(error instanceof Error ? error.message || error.name : String(error));
      retryable = isRetryable(error);
    } finally {
      // The last lines go before the job is finished or released, while the lease still holds.
      await logs.close();
      stopWatching();
    }
    const reason = controller.signal.aborted ? (controller.signal.reason as JobAbortedError).reason : null;
    if (reason === "cancelled" || reason === "lease-lost" || reason === "timed-out") return;
    if (reason === "shutdown") {
      await client.request(ReleaseJob, { id: job.id, leaseToken: h.leaseToken }).catch((error: unknown) => report(error, job));
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const { finishJob: finished } = await client.request(FinishJob, { id: job.id, leaseToken: h.leaseToken, error: failure, retryable: failure !== null && retryable });
        // The try before this one went through and only its answer was lost: the job is as it
        // was to be left, which is no refusal to report (nor, for a success, a failure to send).
        if (finished.__typename === "InvalidTransitionError" && attempt > 0 && finished.from === (failure === null ? "SUCCEEDED" : "FAILED")) return;
        if (finished.__typename === "InvalidTransitionError" && failure === null) {
          // A success the job's state refuses (its tasks are unfinished) is delivered as the
          // failure it is, at once, rather than left to the lease's running out and more attempts.
          failure = `the handler returned, but ${finished.message}`;
          continue;
        }
        if (finished.__typename !== "JobPayload") report(new RefusedError(finished.__typename, "message" in finished ? finished.message : ""), job);
        return;
      } catch (error) {
        report(error, job);
        // Until the lease runs out the result is worth delivering; after that the job is not ours.
        if (!transient(error) || Date.now() >= h.expiresAt) return;
        await sleep(Math.min(500 * 2 ** attempt, 5000));
      }
    }
  }

  async function slot(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let next: Awaited<ReturnType<typeof acquire>>;
      try {
        next = await acquire();
        failures = 0;
      } catch (error) {
        report(error);
        failures++;
        await sleep(Math.min(500 * 2 ** failures, 30_000), stopping.signal);
        continue;
      }
      if (!next) {
        await sleep(pollIntervalMs, AbortSignal.any([stopping.signal, wake.signal]));
        continue;
      }
      const h: Held = { ...next, controller: new AbortController() };
      held.add(h);
      // A worker told to stop while it claimed gives the job back at once.
      if (stopping.signal.aborted) h.controller.abort(new JobAbortedError("shutdown"));
      try {
        await work(h);
      } finally {
        held.delete(h);
      }
    }
  }

  const done = (async () => {
    await Promise.all(Array.from({ length: concurrency }, () => slot()));
    await watchAvailable;
    await client.close();
  })();

  return {
    async stop() {
      stopping.abort();
      for (const h of held) {
        if (!h.controller.signal.aborted) h.controller.abort(new JobAbortedError("shutdown"));
      }
      const graceOver = new AbortController();
      const finished = await Promise.race([done.then(() => true), sleep(options.shutdownGraceMs ?? 10_000, graceOver.signal).then(() => false)]);
      // The grace timer must not keep the process alive once the handlers are done.
      graceOver.abort();
      if (finished) return;
      // Handlers that ignore their signal keep running, but their jobs go back to the queue now.
      await Promise.all([...held].map((h) => client.request(ReleaseJob, { id: h.job.id, leaseToken: h.leaseToken }).catch((error: unknown) => report(error, h.job))));
      await client.close();
    },
    done,
    get running() {
      return held.size;
    },
  };
}
