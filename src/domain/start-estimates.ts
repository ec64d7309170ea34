// When a waiting job will start, from where it stands in its queue and how fast the queue drains.
import type { QueueSettings, QueueThroughput } from "./queues.js";

export type StartEstimate = { time: Date; earliest: Date; latest: Date; confidence: number; basis: string };

/** The share of starts the range holds: mean ± 1.2816 standard deviations of a normal covers 80 %. */
const CONFIDENCE = 0.8;
const Z = 1.2816;
/** Fewer completions than this in a window say too little about its rate. */
const MIN_COMPLETIONS = 3;
/** A rate is not taken from less time than this, however many jobs ended in it. */
const MIN_SPAN_SECONDS = 1;

/**
 * The start of a waiting job `jobsAhead` places from the front of its queue. Its queue hands out a
 * job each time one of its jobs ends (at the rate of the last 5 minutes, or of the last 60 when 5
 * held too few: the jobs that ended in the window over the time since the first of them ended, so
 * that a queue younger than the window is not taken for a slow one), so the job starts when
 * jobsAhead + 1 have ended: a sum of that many
 * waits between ends, modelled as independent (Poisson), whose mean is (jobsAhead + 1) / rate and
 * whose spread is the square root of jobsAhead + 1 over the rate. Never before its runAfter. Null
 * when the queue is paused or drained nothing lately: nothing says when it will move.
 */
export function estimateStart(
  input: { jobsAhead: number; runAfter: Date; settings: QueueSettings; throughput: QueueThroughput },
  now = new Date(),
): StartEstimate | null {
  if (input.settings.paused) return null;
  const window = input.throughput.recent.find((w) => w.succeeded + w.failed >= MIN_COMPLETIONS);
  if (!window) return null;
  const done = window.succeeded + window.failed;
  const seconds = Math.min(window.minutes * 60, Math.max(MIN_SPAN_SECONDS, (now.getTime() - window.firstEnd!.getTime()) / 1000));
  const rate = done / seconds;
  const starts = input.jobsAhead + 1;
  const mean = starts / rate;
  const spread = (Z * Math.sqrt(starts)) / rate;
  const from = Math.max(now.getTime(), input.runAfter.getTime());
  const at = (seconds: number) => new Date(Math.max(from, now.getTime() + seconds * 1000));
  return {
    time: at(mean),
    earliest: at(mean - spread),
    latest: at(mean + spread),
    confidence: CONFIDENCE,
    basis: `${input.jobsAhead} ahead in queue "${input.settings.name}", which finished ${done} jobs in the last ${window.minutes} minutes`,
  };
}
