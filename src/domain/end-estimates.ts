// When a running job will end, from its own progress reports: a straight line fitted to its recent
// reports (least squares, so that one late or early report moves it little), extended to progress
// 1, with a range from how uncertain the fitted rate is.
import type { Db } from "../db/client.js";
import { Prisma } from "../db/generated/prisma/client.js";
import { sqlRows } from "../db/rows.js";
import type { StartEstimate } from "./start-estimates.js";

const { sql } = Prisma;

/** The reports a fit is made from: the job's latest, within its current attempt. */
export const REPORTS = 20;
/** Fewer reports than this, or reports spanning less time, say too little to go on. */
const MIN_REPORTS = 3;
const MIN_SPAN_SECONDS = 1;
/** The range holds the true end with this probability, if the rate is as uncertain as the fit says. */
const CONFIDENCE = 0.8;
const Z = 1.2816;

export type Report = { progress: number; at: Date };

type Line = { time: number; earliest: number; latest: number; rate: number; span: number };

/**
 * A straight line fitted to the reports by least squares, p = a + b·t, extended to progress 1 from
 * the fitted progress at the last report; the range takes the rate at b ± 1.28 standard errors of
 * b (when the low rate is not above zero, the range ends at ten times what the estimate leaves).
 * Times in ms; null when the reports span under a second or show no progress.
 */
function fitLine(reports: readonly Report[]): Line | null {
  const t0 = reports[reports.length - 1]!.at.getTime();
  const ts = reports.map((r) => (r.at.getTime() - t0) / 1000);
  const ps = reports.map((r) => r.progress);
  const span = -ts[0]!;
  if (span < MIN_SPAN_SECONDS) return null;
  const n = reports.length;
  const tMean = ts.reduce((a, b) => a + b, 0) / n;
  const pMean = ps.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (ts[i]! - tMean) ** 2;
    sxy += (ts[i]! - tMean) * (ps[i]! - pMean);
  }
  const rate = sxy / sxx;
  if (!(rate > 0)) return null;
  const atLast = pMean + rate * (0 - tMean);
  const residuals = ts.map((t, i) => ps[i]! - (pMean + rate * (t - tMean)));
  const variance = n > 2 ? residuals.reduce((a, r) => a + r * r, 0) / (n - 2) : 0;
  const rateError = Math.sqrt(variance / sxx);
  const left = Math.max(0, 1 - Math.min(1, Math.max(atLast, ps[n - 1]!)));
  const mean = left / rate;
  const slow = rate - Z * rateError;
  return {
    time: t0 + mean * 1000,
    earliest: t0 + (left / (rate + Z * rateError)) * 1000,
    latest: t0 + (slow > 0 ? left / slow : mean * 10) * 1000,
    rate,
    span,
  };
}

/**
 * The end of a job whose reports these are (oldest first). A line is fitted to all of them and,
 * with 6 or more, another to the later half: a job speeding up or slowing down is told by its
 * recent rate, which gives the time, and the range spans both lines' ranges, so that a change of
 * pace widens it. Never before now. Null with fewer than 3 reports, reports within 1 s of each
 * other, or no progress made.
 */
export function fitEnd(reports: readonly Report[], now = new Date()): StartEstimate | null {
  if (reports.length < MIN_REPORTS) return null;
  const all = fitLine(reports);
  if (!all) return null;
  const half = Math.floor(reports.length / 2);
  const recent = half >= MIN_REPORTS ? fitLine(reports.slice(reports.length - half)) : null;
  const best = recent ?? all;
  const at = (ms: number) => new Date(Math.max(now.getTime(), ms));
  return {
    time: at(best.time),
    earliest: at(Math.min(all.earliest, recent?.earliest ?? Infinity)),
    latest: at(Math.max(all.latest, recent?.latest ?? -Infinity)),
    confidence: CONFIDENCE,
    basis: `fitted to ${reports.length} progress reports over ${Math.round(all.span)} s: ${(best.rate * 6000).toFixed(1)} % a minute${recent ? ` lately, ${(all.rate * 6000).toFixed(1)} % over them all` : ""}`,
  };
}

/**
 * The latest progress reports (oldest first) of each RUNNING job asked about, within its current
 * attempt (since it started). One statement for all of them; a job not running is absent.
 */
export async function recentReports(db: Db, jobIds: readonly string[]): Promise<Map<string, Report[]>> {
  const rows = await sqlRows<{ job_id: string; progress: number; at: Date }>(db, sql`
    /* recentProgressReports */
    select j.id as job_id, e.progress, e.at
      from jobs j
      cross join lateral (
        select e.progress, e.at, e.id from job_events e
         where e.job_id = j.id and e.kind = 'PROGRESS' and e.at >= j.start_time and e.progress is not null
         order by e.id desc limit ${REPORTS}::int) e
     where j.id = any(${[...jobIds]}::uuid[]) and j.status = 'RUNNING'
     order by j.id, e.id`);
  const reports = new Map<string, Report[]>();
  for (const row of rows) {
    const list = reports.get(row.job_id) ?? [];
    list.push({ progress: row.progress, at: row.at });
    reports.set(row.job_id, list);
  }
  return reports;
}
