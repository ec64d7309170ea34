// Labels a job or task requires of the node that claims it (key -> value): a node claims only work
// whose required labels its own labels contain, key for key and value for value.
import type { FieldError } from "./errors.js";

/** The most labels one job or task may require. */
export const MAX_LABELS = 50;

const PRINTABLE = /^[^\p{Cc}]+$/u;

/** Every problem with required labels at once: an object of at most MAX_LABELS short strings. */
export function checkRequiredLabels(labels: unknown, path: string[]): FieldError[] {
  if (labels == null) return [];
  if (typeof labels !== "object" || Array.isArray(labels)) return [{ path, message: 'must be an object of strings, such as {"gpu": "a100"}' }];
  const entries = Object.entries(labels);
  const errors: FieldError[] = [];
  if (entries.length > MAX_LABELS) errors.push({ path, message: `at most ${MAX_LABELS} labels` });
  for (const [key, value] of entries.slice(0, MAX_LABELS + 1)) {
    if (key.length > 100 || !PRINTABLE.test(key)) errors.push({ path: [...path, key.slice(0, 100)], message: "the key must be 1 to 100 printable characters" });
    else if (typeof value !== "string" || value.length > 200 || /\p{Cc}/u.test(value)) {
      errors.push({ path: [...path, key], message: "must be a string of up to 200 printable characters" });
    }
  }
  return errors;
}
