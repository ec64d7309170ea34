// What subscribers watch, as async iterables of thin events. Each first yields the current state
// (marked `initial`), so nothing between a client's query and its subscription is lost.
import { isDatabaseUnavailable, type Db } from "../db/client.js";
import type { JobStatus } from "../db/generated/prisma/enums.js";
import { allJobIdsMatching, jobIdsMatching } from "../domain/job-filter.js";
import type { JobFilter } from "../domain/jobs.js";
import { decodeCursor, isBefore, replayEvents, type EventStream, type JobListener, type Position, type StreamEvent } from "./event-stream.js";
import { SubscriberQueue } from "./queue.js";

/** The job as it was when a subscription started; null when there is no such job. */
export type JobState = { status: JobStatus; progress: number; progressDetail: unknown; updatedAt: Date } | null;
export type Initial = { initial: true; state: JobState };
export type Update = Initial | StreamEvent;

const isQueued = (e: StreamEvent) => e.toStatus === "QUEUED" || (e.kind === "CREATED" && e.jobId !== null);

const TERMINAL: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** Whether a job in this status (or moved to it by this event) has finished, and so will change no more by itself. */
export const isTerminal = (status: string | null | undefined) => status != null && TERMINAL.has(status);

type WatchOptions = { only?: (e: StreamEvent) => boolean; untilFinished?: boolean };

/**
 * One subscriber of one job: the stream's listener for that job and the subscriber's queue in one
 * object, its behaviour on the prototype, so that an idle subscriber costs this object and its
 * waiting read, and nothing per event of other jobs (see EventStream.watchJob).
 */
class JobWatch extends SubscriberQueue<Update> implements JobListener {
  /** The job's version up to which events are known (the initial state's); null until it was read. */
  private seen: number | null = null;
  /** Events that arrived while the initial state was being read. */
  private early: StreamEvent[] | undefined;
  private registered = false;

  constructor(
    private readonly stream: EventStream,
    private readonly jobId: string,
    private readonly options: WatchOptions,
  ) {
    super(1000);
  }

  async start(db: Db): Promise<void> {
    await this.stream.watchJob(this.jobId, this);
    this.registered = true;
    let job;
    try {
      job = await db.job.findUnique({ where: { id: this.jobId }, select: { version: true, status: true, progress: true, progressDetail: true, updatedAt: true } });
    } catch (error) {
      // The subscription fails; the stream must not keep feeding it.
      this.close();
      throw error;
    }
    this.seen = job?.version ?? 0;
    this.push({ item: { initial: true, state: job && { status: job.status, progress: job.progress, progressDetail: job.progressDetail, updatedAt: job.updatedAt } } });
    if (this.options.untilFinished && isTerminal(job?.status)) this.close();
    const early = this.early;
    this.early = undefined;
    for (const event of early ?? []) this.accept(event);
  }

  receive(event: StreamEvent): void {
    if (this.seen === null) (this.early ??= []).push(event);
    else this.accept(event);
  }

  private accept(event: StreamEvent): void {
    if (event.kind === "HARD_DELETED") return this.close();
    if (event.jobVersion <= this.seen!) return;
    this.seen = event.jobVersion;
    if (!this.options.only || this.options.only(event)) {
      this.push({ item: event, ...(event.kind === "PROGRESS" ? { replaceableKey: "progress" } : {}) });
    }
    if (this.options.untilFinished && isTerminal(event.toStatus)) this.close();
  }

  protected override closed(): void {
    if (this.registered) this.stream.unwatchJob(this.jobId, this);
  }
}

const NO_OPTIONS: WatchOptions = {};

/**
 * Events of one job (or of its tasks), after an initial marker with the job's state; ends when the
 * job is hard-deleted, and, with `untilFinished`, once it has finished (at once if it already has).
 * The initial state is the job at its version when the subscription starts, so only events of
 * later versions follow (the stream may still be delivering older ones when a client subscribes).
 */
export async function watchJob(stream: EventStream, db: Db, jobId: string, options: WatchOptions = NO_OPTIONS): Promise<AsyncIterable<Update>> {
  const watch = new JobWatch(stream, jobId, options);
  await watch.start(db);
  return watch;
}

const PROGRESS_OPTIONS: WatchOptions = { only: (e) => e.kind === "PROGRESS" || e.toStatus !== null, untilFinished: true };

/**
 * Progress reports of one job, and its state changes, at most one report per `minIntervalMs`:
 * within an interval only the latest report is delivered (at its end); a state change is never
 * held back or coalesced away, and flushes the report waiting before it. Ends once the job has
 * finished (after that change), or at once after the initial state if it had already.
 */
export async function watchProgress(
  stream: EventStream,
  db: Db,
  jobId: string,
  minIntervalMs: number,
): Promise<AsyncIterable<Update>> {
  const source = await watchJob(stream, db, jobId, PROGRESS_OPTIONS);
  if (minIntervalMs <= 0) return source;
  const out = new SubscriberQueue<Update>(1000);
  let lastSent = 0;
  let pending: StreamEvent | undefined;
  let timer: NodeJS.Timeout | undefined;
  const send = (update: Update) => {
    lastSent = Date.now();
    out.push({ item: update });
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending) send(pending);
    pending = undefined;
  };
  void (async () => {
    for await (const update of source) {
      if ("initial" in update || update.kind !== "PROGRESS") {
        flush();
        send(update);
        continue;
      }
      const wait = lastSent + minIntervalMs - Date.now();
      if (wait <= 0 && !pending) {
        send(update);
        continue;
      }
      pending = update;
      timer ??= setTimeout(flush, Math.max(wait, 0));
    }
    flush();
    out.close();
  })();
  const iterator = out[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => iterator.next(),
      return: async () => {
        clearTimeout(timer);
        await source[Symbol.asyncIterator]().return?.();
        return iterator.return!();
      },
    }),
  };
}

/**
 * Runs `work`, a subscriber's read about events the stream handed it, until it succeeds: again
 * while the database cannot be used (restarting, out of reach), since the stream has moved past
 * those events and the subscriber must neither lose them nor end for a blip. Deliveries wait
 * behind it, in order. Another failure, or the subscriber gone, ends the retries.
 */
export async function surely(work: () => Promise<void>, queue: { readonly ended: boolean }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || queue.ended) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
    }
  }
}

/**
 * The event history of the jobs a filter matches: replayed from `after` (exclusive), then live,
 * with neither gap nor duplicate at the seam. Whether an event's job matches is decided when the
 * event is delivered.
 */
export async function watchEvents(
  stream: EventStream,
  db: Db,
  filter: JobFilter,
  resumeAfter: Position | null,
): Promise<AsyncIterable<StreamEvent>> {
  const live: StreamEvent[][] = [];
  let replaying = true;
  const queue = new SubscriberQueue<StreamEvent>(5000, () => unsubscribe());
  // A client may resume on an instance whose stream has not yet read up to its cursor: what the
  // client already has must not come again.
  const isNew = (e: StreamEvent) => !resumeAfter || isBefore(resumeAfter, decodeCursor(e.cursor)!);
  const deliver = async (all: StreamEvent[]) => {
    const events = all.filter(isNew);
    const jobIds = [...new Set(events.map((e) => e.jobId).filter((id): id is string => id !== null))];
    // Deleted jobs' events are promised too, soft-deleted or gone for good, whatever the filter says.
    const matching = await jobIdsMatching(db, { ...filter, includeDeleted: true }, jobIds, { deletedForGood: true });
    for (const event of events) if (event.jobId && matching.has(event.jobId)) queue.push({ item: event });
  };
  // Deliveries run one after another, in stream order.
  let chain = Promise.resolve();
  const { position, unsubscribe } = await stream.subscribe((events) => {
    if (replaying) live.push(events);
    else chain = chain.then(() => surely(() => deliver(events), queue)).catch(() => queue.close());
  });
  if (resumeAfter) {
    let cursor = resumeAfter;
    const end = position;
    const beyond = (e: StreamEvent) => isBefore(end, decodeCursor(e.cursor)!);
    // A failure while catching up fails the subscription (refused with HistoryExpiredError when
    // events after the cursor were pruned), and the stream must not keep feeding it.
    try {
      for (;;) {
        const batch = (await replayEvents(db, cursor)).filter((e) => !beyond(e));
        if (!batch.length) break;
        await deliver(batch);
        cursor = decodeCursor(batch.at(-1)!.cursor)!;
      }
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }
  replaying = false;
  // The batches that came while catching up go as the live ones do: a read retried through a
  // blip, and any other failure ends the subscription rather than the process.
  for (const events of live.splice(0)) chain = chain.then(() => surely(() => deliver(events), queue)).catch(() => queue.close());
  return queue;
}

/** Jobs that become claimable (created, or back to QUEUED) in the given queues (any when empty). */
export async function watchAvailable(stream: EventStream, db: Db, queues: string[] | null | undefined): Promise<AsyncIterable<Update>> {
  const queue = new SubscriberQueue<Update>(1000, () => unsubscribe());
  queue.push({ item: { initial: true, state: null } });
  let chain = Promise.resolve();
  const { unsubscribe } = await stream.subscribe((events) => {
    const candidates = events.filter(isQueued);
    if (!candidates.length) return;
    chain = chain
      .then(() => surely(async () => {
        const claimable = await db.job.findMany({
          where: {
            id: { in: candidates.map((e) => e.jobId!) },
            status: "QUEUED",
            deletedAt: null,
            runAfter: { lte: new Date() },
            ...(queues?.length ? { queue: { in: queues } } : {}),
          },
          select: { id: true },
        });
        const ids = new Set(claimable.map((j) => j.id));
        for (const event of candidates) if (ids.has(event.jobId!)) queue.push({ item: event, replaceableKey: "available" });
      }, queue))
      .catch(() => queue.close());
  });
  return queue;
}

export type MembershipChange =
  | { change: "INITIAL"; count: number }
  | { change: "ADDED" | "UPDATED" | "REMOVED"; jobId: string; event: StreamEvent };

/**
 * How the set of jobs a filter matches changes: a job that starts to match is ADDED, one that
 * still matches after a change is UPDATED, one that no longer matches (or is gone) is REMOVED.
 * Starts with the number of jobs matching now.
 */
export async function watchMembership(stream: EventStream, db: Db, filter: JobFilter): Promise<AsyncIterable<MembershipChange>> {
  const queue = new SubscriberQueue<MembershipChange>(5000, () => unsubscribe());
  let chain = Promise.resolve();
  // Registered before the members are read, so no change between the two is missed; changes that
  // arrive meanwhile wait in the chain until the members are known.
  let ready!: () => void;
  chain = new Promise<void>((resolve) => (ready = resolve));
  const { unsubscribe } = await stream.subscribe((events) => {
    chain = chain
      .then(() => surely(async () => {
        const jobIds = [...new Set(events.map((e) => e.jobId).filter((id): id is string => Boolean(id)))];
        if (!jobIds.length) return;
        const now = await jobIdsMatching(db, filter, jobIds);
        const last = new Map(events.map((e) => [e.jobId, e]));
        for (const jobId of jobIds) {
          const was = members.has(jobId);
          const is = now.has(jobId);
          if (!was && !is) continue;
          const change = !was ? "ADDED" : is ? "UPDATED" : "REMOVED";
          if (is) members.add(jobId);
          else members.delete(jobId);
          queue.push({ item: { change, jobId, event: last.get(jobId)! } });
        }
      }, queue))
      .catch(() => queue.close());
  });
  const members = await allJobIdsMatching(db, filter);
  queue.push({ item: { change: "INITIAL", count: members.size } });
  ready();
  return queue;
}
