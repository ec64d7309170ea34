// CSRF prevention: yoga's plugin, with a refusal that says how to get through. Its own message,
// "Required CSRF header(s) not present", names no header, and a client that sends queries as GET
// by default (urql does) is left guessing.
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";
import { CSRF_HEADER_REQUIRED } from "../graphql/error-codes.js";

/** The headers, any one of which proves a request came from a client that could have been preflighted. */
export const CSRF_HEADERS: readonly string[] = ["x-graphql-yoga-csrf", "graphql-preflight", "apollo-require-preflight"];

/**
 * Refuses GET, form and multipart requests (which browsers send from any page without a CORS
 * preflight) unless they carry one of `headers`; a JSON POST needs none.
 */
export function useCsrfPrevention(headers: readonly string[]): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: [...headers] });
  const message =
    `Required CSRF header(s) not present: a GET request, or a form or multipart POST, must carry one of the headers ` +
    `${headers.join(", ")} (any value); a JSON POST needs none`;
  return {
    onRequestParse(payload) {
      try {
        return prevention.onRequestParse?.(payload);
      } catch (error) {
        if (!(error instanceof GraphQLError) || !error.message.startsWith("Required CSRF header")) throw error;
        throw createGraphQLError(message, { extensions: { code: CSRF_HEADER_REQUIRED, http: error.extensions.http } });
      }
    },
  };
}
