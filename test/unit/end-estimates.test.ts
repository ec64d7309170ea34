// The fit behind Job.estimatedEndTime, on reports whose answer is known.
import { describe, expect, it } from "vitest";
import { fitEnd, type Report } from "../../src/domain/end-estimates.js";

const start = Date.UTC(2026, 11, 5, 12, 0, 0);
/** Reports at these seconds after `start` with these progresses. */
const reports = (points: Array<[number, number]>): Report[] => points.map(([s, progress]) => ({ progress, at: new Date(start + s * 1000) }));
const seconds = (date: Date) => (date.getTime() - start) / 1000;

describe("fitEnd", () => {
  it("extends a steady rate to progress 1, with no spread when every report is on the line", () => {
    // 1 % a second: at 40 s the job is at 40 %, so it ends at 100 s.
    const e = fitEnd(reports([[10, 0.1], [20, 0.2], [30, 0.3], [40, 0.4]]), new Date(start + 40_000))!;
    expect(seconds(e.time)).toBeCloseTo(100, 6);
    expect(seconds(e.earliest)).toBeCloseTo(100, 6);
    expect(seconds(e.latest)).toBeCloseTo(100, 6);
    expect(e.confidence).toBe(0.8);
    expect(e.basis).toBe("fitted to 4 progress reports over 30 s: 60.0 % a minute");
  });

  it("fits through noisy reports by least squares, not through the last two, and widens the range with the noise", () => {
    // True rate 1 % a second; the last report is late by 5 points, which the last two alone would
    // read as 1.5 % a second.
    const noisy = reports([[10, 0.1], [20, 0.21], [30, 0.29], [40, 0.35]]);
    const e = fitEnd(noisy, new Date(start + 40_000))!;
    // Least squares: rate 0.0083/s, fitted progress at 40 s 0.362: (1 - 0.362) / 0.0083 = 76.9 s more.
    expect(seconds(e.time)).toBeCloseTo(40 + (1 - 0.362) / 0.0083, 0);
    expect(seconds(e.earliest)).toBeLessThan(seconds(e.time));
    expect(seconds(e.latest)).toBeGreaterThan(seconds(e.time));
  });

  it("takes the recent rate of a job that sped up, and spans both rates in its range", () => {
    // 1 % a second for 30 s, then 2 % a second: at 60 s the job is at 90 %, 5 s from the end.
    const e = fitEnd(reports([[0, 0], [10, 0.1], [20, 0.2], [30, 0.3], [40, 0.5], [50, 0.7], [60, 0.9]]), new Date(start + 60_000))!;
    expect(seconds(e.time)).toBeCloseTo(65, 6);
    expect(seconds(e.earliest)).toBeLessThanOrEqual(65);
    // A line through all seven reports is slower: the range reaches its later end.
    expect(seconds(e.latest)).toBeGreaterThan(66);
    expect(e.basis).toBe("fitted to 7 progress reports over 60 s: 120.0 % a minute lately, 90.0 % over them all");
  });

  it("never says a time before now", () => {
    const e = fitEnd(reports([[0, 0.5], [1, 0.9], [2, 0.99]]), new Date(start + 60_000))!;
    expect(e.time.getTime()).toBe(start + 60_000);
  });

  it("is null with fewer than 3 reports, reports within a second, or no progress", () => {
    expect(fitEnd(reports([[0, 0.1], [10, 0.2]]))).toBeNull();
    expect(fitEnd(reports([[0, 0.1], [0.3, 0.2], [0.6, 0.3]]))).toBeNull();
    expect(fitEnd(reports([[0, 0.4], [10, 0.4], [20, 0.4]]))).toBeNull();
    expect(fitEnd(reports([[0, 0.5], [10, 0.4], [20, 0.3]]))).toBeNull();
  });
});
