// Charts for docs/performance.md, as SVG text: a time series and grouped bars read better as a
// picture than as a table. No dependency: a few lines, rectangles and labels.

const WIDTH = 720;
const HEIGHT = 320;
const MARGIN = { top: 40, right: 24, bottom: 56, left: 64 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLORS = ["#2563eb", "#f59e0b", "#6b7280", "#16a34a", "#dc2626"];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const round = (n: number) => Math.round(n * 10) / 10;

/** A round upper bound for an axis, and its ticks. */
function axis(max: number): { top: number; ticks: number[] } {
  const raw = max > 0 ? max : 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => raw / s <= 5)!;
  const top = Math.ceil(raw / step) * step;
  return { top, ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step) };
}

function frame(title: string, yLabel: string, xLabel: string, ticks: number[], top: number, body: string[]): string {
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const grid = ticks.map(
    (t) =>
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${round(y(t))}" y2="${round(y(t))}" stroke="#e5e7eb"/>` +
      `<text x="${MARGIN.left - 8}" y="${round(y(t)) + 4}" text-anchor="end" font-size="11" fill="#374151">${t.toLocaleString("en-US")}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600" fill="#111827">${escape(title)}</text>`,
    ...grid,
    ...body,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}" stroke="#9ca3af"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="#9ca3af"/>`,
    `<text x="16" y="${MARGIN.top + PLOT_H / 2}" text-anchor="middle" font-size="12" fill="#374151" transform="rotate(-90 16 ${MARGIN.top + PLOT_H / 2})">${escape(yLabel)}</text>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 10}" text-anchor="middle" font-size="12" fill="#374151">${escape(xLabel)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}

/** A line through `points` (x, y), with an optional dashed horizontal guide. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: Array<[number, number]>;
  guide?: { y: number; label: string };
}): string {
  const { points, guide } = options;
  const xMax = Math.max(...points.map(([x]) => x), 1);
  const { top, ticks } = axis(Math.max(...points.map(([, v]) => v), guide?.y ?? 0));
  const x = (v: number) => MARGIN.left + (v / xMax) * PLOT_W;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const xTicks = axis(xMax).ticks.filter((t) => t <= xMax);
  const body = [
    ...xTicks.map(
      (t) => `<text x="${round(x(t))}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle" font-size="11" fill="#374151">${t.toLocaleString("en-US")}</text>`,
    ),
    `<polyline fill="none" stroke="${COLORS[0]}" stroke-width="2" points="${points.map(([px, py]) => `${round(x(px))},${round(y(py))}`).join(" ")}"/>`,
  ];
  if (guide) {
    body.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${round(y(guide.y))}" y2="${round(y(guide.y))}" stroke="${COLORS[4]}" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + PLOT_W - 4}" y="${round(y(guide.y)) - 6}" text-anchor="end" font-size="11" fill="${COLORS[4]}">${escape(guide.label)}</text>`,
    );
  }
  return frame(options.title, options.yLabel, options.xLabel, ticks, top, body);
}

/** Bars for each group (a query), one per series (a server), side by side, with their values. */
export function barChart(options: {
  title: string;
  yLabel: string;
  groups: string[];
  series: Array<{ name: string; values: number[] }>;
  format?: (value: number) => string;
}): string {
  const format = options.format ?? ((value: number) => Math.round(value).toLocaleString("en-US"));
  const { groups, series } = options;
  const { top, ticks } = axis(Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite))));
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const groupW = PLOT_W / groups.length;
  const barW = (groupW * 0.7) / series.length;
  const body: string[] = [];
  groups.forEach((group, g) => {
    const left = MARGIN.left + g * groupW + groupW * 0.15;
    series.forEach((s, i) => {
      const value = s.values[g] ?? 0;
      // A series with nothing measured for a group (NaN) has no bar there.
      if (!Number.isFinite(value)) return;
      const bx = round(left + i * barW);
      body.push(
        `<rect x="${bx}" y="${round(y(value))}" width="${round(barW - 2)}" height="${round(MARGIN.top + PLOT_H - y(value))}" fill="${COLORS[i % COLORS.length]}"/>`,
        `<text x="${round(bx + (barW - 2) / 2)}" y="${round(y(value)) - 4}" text-anchor="middle" font-size="10" fill="#111827">${format(value)}</text>`,
      );
    });
    body.push(`<text x="${round(left + (barW * series.length) / 2)}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle" font-size="12" fill="#111827">${escape(group)}</text>`);
  });
  series.forEach((s, i) => {
    const lx = MARGIN.left + i * 200;
    body.push(
      `<rect x="${lx}" y="${HEIGHT - 30}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${lx + 14}" y="${HEIGHT - 21}" font-size="11" fill="#374151">${escape(s.name)}</text>`,
    );
  });
  return frame(options.title, options.yLabel, "", ticks, top, body);
}
