// How the CLI ends on an error: one line on stderr that says what went wrong, and an exit code a
// script can act on. A stack trace helps nobody who typed a command.
import { GraphQLRequestError, NetworkError, RefusedError } from "../sdk/index.js";

/** Exit codes, as docs/cli.md lists them. */
export const EXIT = {
  OK: 0,
  /** The action was refused or failed, the job did not succeed, or what was asked for does not exist. */
  FAILED: 1,
  /** The command line is wrong: an unknown option, a missing argument, a value that does not parse. */
  USAGE: 2,
  /** The server could not be reached, refused the token, or failed unexpectedly. */
  CONNECTION: 3,
} as const;

/** An error the CLI explains itself; its message is the whole story. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    /** Further lines (e.g. the field errors of a ValidationError), printed under the message. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A union member that is an Error: its typename and message, and field errors if it has them. */
type ErrorMember = { __typename: string; message?: string; fieldErrors?: ReadonlyArray<{ path: readonly string[]; message: string }> };

/** The refusal of a mutation (a result union's Error member) as a CliError. */
export function refused(result: ErrorMember, what?: string): CliError {
  const message = `${result.__typename}: ${result.message ?? "refused"}`;
  return new CliError(what ? `${what}: ${message}` : message, EXIT.FAILED, fieldErrorLines(result.fieldErrors));
}

export function fieldErrorLines(fieldErrors: ErrorMember["fieldErrors"]): string[] {
  return (fieldErrors ?? []).map((e) => `${e.path.join(".")}: ${e.message}`);
}

/** Why fetch failed, from the innermost cause (e.g. "connect ECONNREFUSED 127.0.0.1:4000"). */
function rootCause(error: unknown): string | undefined {
  let cause = error instanceof Error ? error.cause : undefined;
  let message: string | undefined;
  while (cause instanceof Error) {
    message = cause.message || (cause as { code?: string }).code || message;
    cause = cause.cause;
  }
  return message;
}

/** The line to print and the exit code for any error that ends a command. */
export function explain(error: unknown): { lines: string[]; exitCode: number } {
  if (error instanceof CliError) return { lines: [error.message, ...error.details.map((d) => `  ${d}`)], exitCode: error.exitCode };
  if (error instanceof NetworkError) {
    const cause = rootCause(error.cause);
    const message = cause ? error.message.replace(/: fetch failed$/, "") + ` (${cause})` : error.message;
    return { lines: [message], exitCode: EXIT.CONNECTION };
  }
  if (error instanceof GraphQLRequestError) {
    if (error.status === 401) return { lines: [`the server refused the token (HTTP 401): ${error.message}`], exitCode: EXIT.CONNECTION };
    const code = error.code ? ` (${error.code})` : "";
    return { lines: [`${error.message}${code}`], exitCode: error.transient ? EXIT.CONNECTION : EXIT.FAILED };
  }
  if (error instanceof RefusedError) return { lines: [error.message], exitCode: EXIT.FAILED };
  return { lines: [error instanceof Error ? error.message : String(error)], exitCode: EXIT.FAILED };
}

/** A command's work as its action: what the work returns is the exit code (0 when nothing). */
export function action<A extends unknown[]>(work: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = (await work(...args)) ?? EXIT.OK;
  };
}
