// How unexpected errors reach clients: masked (their details stay in the logs), except a database
// connection pool that stayed full for its whole wait, which is no fault of the request: the
// client is told so, with a stable code, and when to try again.
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError, type MaskError } from "graphql-yoga";
import { isPoolExhausted } from "../db/client.js";
import { SERVICE_UNAVAILABLE } from "./error-codes.js";

/** How long a client is asked to wait before retrying a request the gateway was too busy for. */
export const RETRY_AFTER_SECONDS = 5;

function exhausted(error: unknown): boolean {
  return isPoolExhausted(error) || (error instanceof GraphQLError && isPoolExhausted(error.originalError));
}

export const maskError: MaskError = (error, message, isDev) => {
  if (!exhausted(error)) return yogaMaskError(error, message, isDev);
  const { nodes, source, positions, path } = error instanceof GraphQLError ? error : ({} as Partial<GraphQLError>);
  return new GraphQLError(`the gateway is too busy to answer now; retry in ${RETRY_AFTER_SECONDS} seconds`, {
    nodes,
    source,
    positions,
    path,
    extensions: { code: SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS },
  });
};
