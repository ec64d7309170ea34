// Load from autocannon, in this process (the servers run in their own): `connections` clients,
// each sending its next request as soon as its previous answer arrived, for `seconds`.
import { createRequire } from "node:module";

// autocannon ships no types; this is the part of its API used here (see its README).
type Histogram = { average: number; p50: number; p99: number; total: number; sent: number };
type Result = {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
};
type Options = {
  url: string;
  connections: number;
  duration: number;
  /** How often autocannon samples, in ms (default 1000); a run ends only at a sample. */
  sampleInt: number;
  method: "POST";
  headers: Record<string, string>;
  requests: Array<{ body: string }>;
  verifyBody: (body: string) => boolean;
};
const autocannon = createRequire(import.meta.url)("autocannon") as (options: Options) => Promise<Result>;

export type Load = {
  /** Answers completed, per second. */
  rps: number;
  /** Latency percentiles, in milliseconds. */
  p50: number;
  p99: number;
  completed: number;
  /** Requests sent, including any still in flight when the time was up (the server still does their work). */
  sent: number;
  /** Connection errors, timeouts, non-2xx answers, and 2xx answers carrying GraphQL errors. */
  failures: number;
};

/** Sends `bodies` (cycling through them) as GraphQL POSTs to `url`. */
export async function load(url: string, headers: Record<string, string>, bodies: string[], seconds: number, connections: number): Promise<Load> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    // autocannon stops only when it samples, once a second by default, so a run shorter than a
    // second (a smoke run's) would last a second; sampling every 50 ms ends it on time.
    sampleInt: 50,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    requests: bodies.map((body) => ({ body })),
    // GraphQL reports errors in a 200 answer; every server here puts them under "errors".
    verifyBody: (body) => body.startsWith('{"data":') && !body.includes('"errors":'),
  });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed: result.requests.total,
    sent: result.requests.sent,
    failures: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}
