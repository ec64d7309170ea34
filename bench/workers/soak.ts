// How the soak's end compares with its start. Throughput alone swings by a third on a shared
// machine: in a slow spell every process on it does the same work in more CPU time, the
// gateways included, whose work per job does not depend on the jobs table at all. So besides the
// raw ratio, each window's throughput is also taken at the machine's speed at the start: scaled by
// how much CPU a fixed amount of work cost in that window (the gateways' CPU per job through
// GraphQL, the load generator's through the floor's statements) against the start. What is left
// is what the database's growth, dead rows and history cost the jobs.
import { median } from "../lib.js";
import type { Kind } from "./section.js";

export type SoakWindow = {
  jobsPerSecond: number;
  gatewayMsPerJob: number | null;
  clientMsPerJob?: number | null;
};

export type EndsCompared = {
  /** How many windows at each end were compared (the first window, the warm-up, is left out). */
  comparedWindows: number;
  startJobsPerSecond: number;
  endJobsPerSecond: number;
  ratio: number;
  /** The same ratio at the start's machine speed; null when the reference was not measured. */
  adjustedRatio: number | null;
  /** What the machine's speed was read from. */
  reference: "gateways" | "load generator" | null;
};

/**
 * The windows each end is judged by: up to 10 (5 minutes at the default 30 s) or a quarter of the
 * soak, leaving out the first window, the warm-up (JIT, caches).
 */
export function endWindows<W>(windows: W[]): { start: W[]; end: W[] } {
  const afterWarmUp = windows.slice(1);
  const k = Math.min(10, Math.max(1, Math.floor(afterWarmUp.length / 4)));
  return { start: afterWarmUp.slice(0, k), end: afterWarmUp.slice(-k) };
}

/** Throughput at the end against the start, raw and at the start's machine speed. */
export function compareEnds(windows: SoakWindow[], via: Kind): EndsCompared {
  const { start, end } = endWindows(windows);
  const rate = (some: SoakWindow[]) => median(some.map((w) => w.jobsPerSecond));
  const referenceOf = (w: SoakWindow) => (via === "graphql" ? w.gatewayMsPerJob : w.clientMsPerJob) ?? null;
  // A window in which no job finished has no cost per job; its throughput is 0 at any speed.
  const measured = start.some((w) => referenceOf(w) !== null) && [...start, ...end].every((w) => w.jobsPerSecond === 0 || referenceOf(w) !== null);
  let adjustedRatio: number | null = null;
  if (measured) {
    const startReference = median(start.flatMap((w) => referenceOf(w) ?? []));
    const adjusted = (some: SoakWindow[]) => median(some.map((w) => (w.jobsPerSecond === 0 ? 0 : (w.jobsPerSecond * referenceOf(w)!) / startReference)));
    adjustedRatio = adjusted(end) / adjusted(start);
  }
  return {
    comparedWindows: start.length,
    startJobsPerSecond: rate(start),
    endJobsPerSecond: rate(end),
    ratio: rate(end) / rate(start),
    adjustedRatio,
    reference: measured ? (via === "graphql" ? "gateways" : "load generator") : null,
  };
}
