// What bench/watchers.ts and its subscriber processes (bench/watchers/subscribers.ts) say to each
// other over IPC. Each request gets exactly one answer, of the type named next to it.

/** The time now in milliseconds since the epoch, below the millisecond; comparable across processes. */
export const wallClock = () => performance.timeOrigin + performance.now();

/** One subscription: its number in the whole run's plan, and the job's global ID. */
export type PlannedSubscription = { index: number; jobId: string };

export type ToSubscribers =
  /** Opens sockets and subscribes, `concurrency` sockets at a time; answered by "opened" once every initial message arrived. */
  | { type: "open"; url: string; token: string; query: string; sockets: PlannedSubscription[][]; concurrency: number }
  /** Answered by "count": how many reports arrived since the last "collect". */
  | { type: "count" }
  /** Answered by "receipts": every report that arrived since the last "collect". */
  | { type: "collect" }
  /** Closes every socket; answered by "closed". */
  | { type: "close" };

export type FromSubscribers =
  | { type: "opened" }
  | { type: "failed"; message: string }
  | { type: "count"; receipts: number }
  /**
   * Parallel arrays, one entry per report received: which subscription, which report, when it
   * arrived, and the event's own time (its transaction's start, by PostgreSQL's clock).
   */
  | { type: "receipts"; subscription: Int32Array; seq: Float64Array; at: Float64Array; eventAt: Float64Array; problems: string[] }
  | { type: "closed" };
