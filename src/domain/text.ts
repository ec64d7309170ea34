// Text PostgreSQL cannot take. It stores no NUL character in text or jsonb (the statement fails),
// and a lone UTF-16 surrogate either fails jsonb's parser or is silently turned into U+FFFD on its
// way to a text column. Such text is refused before it reaches a statement, with the path of the
// value that carries it, object keys included.
import { ValidationError, type FieldError } from "./errors.js";

/**
 * The most characters of a note given with a change (a cancellation's reason, a failure's error, a
 * template's or a node's description), as of a job's description: each is stored with the row,
 * and again in its event and its attempt.
 */
export const MAX_NOTE_CHARS = 10_000;
/** The most characters of a progress report's detail (as JSON) or a task's output: stored with every report. */
export const MAX_DETAIL_CHARS = 65_536;

/** Refuses `text` longer than `max` characters (ValidationError, at `path`). */
export function refuseLongerThan(text: string | null | undefined, max: number, path: string[]): void {
  if (text != null && text.length > max) throw new ValidationError(`${path.join(".")} is too long`, [{ path, message: `must be at most ${max} characters` }]);
}

/** A NUL, a high surrogate not followed by a low one, or a low surrogate not after a high one. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL can store and compare `text` as it is. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * The path (below `path`) of the first string or object key in `value` that PostgreSQL cannot
 * take, or null when there is none. Walked without recursion: a JSON value may be nested deep.
 */
export function unstorableTextAt(value: unknown, path: string[] = []): string[] | null {
  const pending: Array<[unknown, string[]]> = [[value, path]];
  while (pending.length) {
    const [current, at] = pending.pop()!;
    if (typeof current === "string") {
      if (!isStorableText(current)) return at;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => pending.push([item, [...at, String(i)]]));
    } else if (current !== null && typeof current === "object" && Object.getPrototypeOf(current) === Object.prototype) {
      for (const [key, item] of Object.entries(current)) {
        if (!isStorableText(key)) return [...at, key];
        pending.push([item, [...at, key]]);
      }
    }
  }
  return null;
}

/**
 * The longest text a search (a job's name or description, a user's name) may be: as long as the
 * longest name. PostgreSQL compares the pattern at each place of each candidate's text, so over
 * long, repetitive descriptions its time grows with the pattern's length (a pattern of 270,000
 * characters took 108 s over 40,000 descriptions of 5 KB, one of 982 characters 9 s).
 */
export const MAX_SEARCH_LENGTH = 1000;

export const UNSTORABLE_TEXT = "contains a NUL character or a lone UTF-16 surrogate, which cannot be stored";

/** The field error for text at `path` that PostgreSQL cannot take. */
export function unstorableTextError(path: string[]): FieldError {
  return { path, message: UNSTORABLE_TEXT };
}

/**
 * Refuses an input (keyed by argument name, as the API names them) with a ValidationError when
 * any of its text cannot be stored. Called after the caller's permission was checked, before
 * anything reads the database with that text.
 */
export function refuseUnstorableText(input: Record<string, unknown>): void {
  const path = unstorableTextAt(input);
  if (path) throw new ValidationError(`the input at ${path.join(".")} ${UNSTORABLE_TEXT}`, [unstorableTextError(path)]);
}
