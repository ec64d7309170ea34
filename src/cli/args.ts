// Parsing what people type on the command line: repeatable options, numbers, job statuses,
// template references, `name=value` assignments, and times.
import { InvalidArgumentError } from "commander";
import { valueFits } from "../domain/values.js";
import type { JobStatus } from "../sdk/gql/graphql.js";

/** For a repeatable option: each use adds its value. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number of at least ${min}` : `expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

const JOB_STATUSES = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const satisfies readonly JobStatus[];
export const FINAL_STATUSES: ReadonlySet<string> = new Set<JobStatus>(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** For --status: repeatable, comma lists, any case, checked against the lifecycle's statuses. */
export function collectStatuses(value: string, previous: JobStatus[] | undefined): JobStatus[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean)
      .map((given) => {
        const status = JOB_STATUSES.find((s) => s === given.toUpperCase());
        if (!status) throw new InvalidArgumentError(`"${given}" is not a status (${JOB_STATUSES.join(", ")})`);
        return status;
      }),
  ];
}

/** `name` or `name@version`. */
export function templateRef(value: string): { name: string; version?: number } {
  const at = value.lastIndexOf("@");
  if (at <= 0) return { name: value };
  const version = value.slice(at + 1);
  if (!/^[1-9]\d*$/.test(version)) throw new InvalidArgumentError(`"${value}": the version after @ must be a whole number`);
  return { name: value.slice(0, at), version: Number(version) };
}

/** `--input name=value` or `--input name:type=value`, as typed. */
export type Assignment = { name: string; type?: string; text: string };

export function assignment(value: string): Assignment {
  const match = /^([^=:]+)(?::([a-z]+))?=(.*)$/s.exec(value);
  if (!match) throw new InvalidArgumentError(`"${value}": expected name=value (or name:type=value)`);
  return { name: match[1]!.trim(), ...(match[2] ? { type: match[2] } : {}), text: match[3]! };
}

/**
 * The value to send for an assignment: its text read as JSON when it parses and the declaration
 * (when known) accepts what it parses to, else the text itself. So `epochs=10` sends the number
 * 10, but a value declared only as a string, such as `id=007`, keeps its text.
 */
export function valueOf(a: Assignment, declaredTypes: readonly string[] | undefined): { name: string; type?: string; value: unknown } {
  const types = a.type ? [a.type] : declaredTypes;
  let parsed: { value: unknown } | undefined;
  try {
    parsed = { value: JSON.parse(a.text) };
  } catch {
    // Not JSON: the text it is.
  }
  const value = parsed && (!types || types.some((t) => valueFits(t, parsed.value))) ? parsed.value : a.text;
  return { name: a.name, ...(a.type ? { type: a.type } : {}), value };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--expires`: an ISO date and time, or a duration from now such as 90m, 12h, 30d or 2w. */
export function expiry(value: string): string {
  const duration = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (duration) return new Date(Date.now() + Number(duration[1]) * UNITS[duration[2]!]!).toISOString();
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(time)) {
    throw new InvalidArgumentError(`"${value}" is neither an ISO date (2027-01-31, 2027-01-31T12:00Z) nor a duration (90m, 12h, 30d, 2w)`);
  }
  return new Date(time).toISOString();
}
