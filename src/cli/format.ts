// What the CLI prints for people: aligned tables, ages, percentages, progress bars; and JSON for
// scripts.

/** Columns separated by two spaces, each as wide as its widest cell; the header in capitals. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n");
}

/** How long ago: "12s ago", "5m ago", "3h ago", "4d ago"; a date when it is older than a month. */
export function age(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)}d ago`;
  return iso.slice(0, 10);
}

/** A fraction from 0 to 1 as a whole percentage, rounded down so that 100% means done. */
export function percent(fraction: number): string {
  return `${Math.floor(Math.min(Math.max(fraction, 0), 1) * 100)}%`;
}

/** A bar of `width` cells filled to the fraction. */
export function bar(fraction: number, width = 30): string {
  const filled = Math.floor(Math.min(Math.max(fraction, 0), 1) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** A byte count for people: 512 B, 1.5 KiB, 3.2 MiB. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A value as a person types it: strings bare, everything else as JSON. */
export function plain(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Messages around the result (hints, warnings), kept off stdout so that scripts read only the result. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
