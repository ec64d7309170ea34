// How unexpected errors reach clients: masked (their details stay in the logs), except a database
// that could not be used (its connection pool full for its whole wait, or PostgreSQL out of reach,
// restarting, or ending the connection), which is no fault of the request: the client is told so,
// with a stable code, and when to try again; and a statement PostgreSQL cancelled for running
// past the statement timeout, which the client is told too, so that it asks for less.
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError, type MaskError } from "graphql-yoga";
import { isDatabaseUnavailable, isPoolExhausted, isStatementTimeout } from "../db/client.js";
import { RESPONSE_TOO_LARGE, SERVICE_UNAVAILABLE, STATEMENT_TIMEOUT } from "./error-codes.js";

/** How long a client is asked to wait before retrying a request the gateway could not serve. */
export const RETRY_AFTER_SECONDS = 5;

function exhausted(error: unknown): boolean {
  return isPoolExhausted(error) || (error instanceof GraphQLError && isPoolExhausted(error.originalError));
}

/**
 * A non-null field that resolved to null is the gateway's fault, not the request's. graphql-js
 * reports it with the thrown error as its cause, which yoga masks; graphql-jit (the compiled
 * documents) makes it a bare GraphQLError, which yoga would pass on as a client error.
 */
export function nullViolation(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && !error.originalError && error.message.startsWith("Cannot return null for non-nullable field");
}

/** Whether writing an answer failed for its length: longer than a string may be. */
export function tooLongToWrite(error: unknown): boolean {
  return error instanceof RangeError && error.message === "Invalid string length";
}

/** The answer in place of one too long to write: what was asked for is more than any answer can hold. */
export function responseTooLarge(): GraphQLError {
  return new GraphQLError("the answer would be longer than the gateway can write (about 512 MiB of JSON): ask for fewer rows, or leave out large fields", {
    extensions: { code: RESPONSE_TOO_LARGE, http: { status: 400 } },
  });
}

export const maskError: MaskError = (error, message, isDev) => {
  if (tooLongToWrite(error)) return responseTooLarge();
  if (nullViolation(error)) {
    const { nodes, source, positions, path } = error;
    return yogaMaskError(new GraphQLError(error.message, { nodes, source, positions, path, originalError: new Error(error.message) }), message, isDev);
  }
  const { nodes, source, positions, path } = error instanceof GraphQLError ? error : ({} as Partial<GraphQLError>);
  if (isStatementTimeout(error)) {
    return new GraphQLError(
      "the database took longer than the gateway's statement timeout to answer this and stopped: ask for less (a narrower filter or search, a smaller page, fewer counts)",
      // Without a path it stopped the request before any field ran (authenticating its token): an
      // answer without data, which takes a 5xx status (see below).
      { nodes, source, positions, path, extensions: { code: STATEMENT_TIMEOUT, ...(path ? {} : { http: { status: 503 } }) } },
    );
  }
  if (!isDatabaseUnavailable(error)) return yogaMaskError(error, message, isDev);
  const why = exhausted(error) ? "the gateway is too busy to answer now" : "the database is out of reach now";
  return new GraphQLError(`${why}; retry in ${RETRY_AFTER_SECONDS} seconds`, {
    nodes,
    source,
    positions,
    path,
    extensions: {
      code: SERVICE_UNAVAILABLE,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      // An error without a path stopped the request before anything ran (authenticating the
      // token, building the context): the answer has no data, which the GraphQL-over-HTTP spec
      // requires a 4xx or 5xx status for. A field's error leaves data to answer with 200.
      ...(path ? {} : { http: { status: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } } }),
    },
  });
};
