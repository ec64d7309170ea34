// Every GraphQL error the gateway answers with carries a stable `extensions.code`, so that clients
// can branch on it rather than on messages. docs/api.md lists each code with its meaning (a test
// checks that every code named in src/ is there). The errors that mutations answer as members of
// their result unions are typed, and need none.
import { GraphQLError } from "graphql";

/** No valid token: missing, unknown, expired or revoked (when a request starts, or while its subscription lasts). */
export const UNAUTHENTICATED = "UNAUTHENTICATED";
/** A WebSocket carrying JOBGRAPH_MAX_SOCKET_OPERATIONS operations already. */
export const TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS";
/** An ID argument (or input field) that is not a global ID. */
export const INVALID_ID = "INVALID_ID";
/** A global ID of another type than the argument takes (a task's ID where a job's is asked for). */
export const WRONG_ID_TYPE = "WRONG_ID_TYPE";
/** A `before` or `after` that is not a cursor this gateway made. */
export const INVALID_CURSOR = "INVALID_CURSOR";
/** A resume cursor older than the event history kept: reload, then subscribe without it. */
export const CURSOR_EXPIRED = "CURSOR_EXPIRED";
/** A negative `first` or `last`. */
export const INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE";
/** A list argument (or a list in an input object) longer than MAX_LIST_LENGTH. */
export const LIST_TOO_LONG = "LIST_TOO_LONG";
/** An argument nested deeper than MAX_VALUE_DEPTH (a JSON value, mostly). */
export const INPUT_TOO_DEEP = "INPUT_TOO_DEEP";
/**
 * A request's mutations given more than a request may carry (JOBGRAPH_MAX_BODY_BYTES), each
 * variable counted at every place it is named.
 */
export const INPUT_TOO_LARGE = "INPUT_TOO_LARGE";
/** A number outside the range its type or column holds (a Long past 64 bits). */
export const NUMBER_OUT_OF_RANGE = "NUMBER_OUT_OF_RANGE";
/** Text with a NUL character or a lone UTF-16 surrogate, which PostgreSQL cannot store or compare. */
export const INVALID_TEXT = "INVALID_TEXT";
/** Arguments that are each valid but do not go together, or variables that do not fit their types. */
export const BAD_USER_INPUT = "BAD_USER_INPUT";
/** The HTTP request is not a GraphQL request the gateway can read. */
export const BAD_REQUEST = "BAD_REQUEST";
/** The HTTP method does not fit (a mutation over GET, a PUT). */
export const METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
/** A request a browser could send from any page without one of the CSRF prevention headers. */
export const CSRF_HEADER_REQUIRED = "CSRF_HEADER_REQUIRED";
/** The hash of a document that no trusted-documents manifest of the gateway holds. */
export const PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND";
/** A document sent in full by a user who may send trusted documents alone (JOBGRAPH_TRUSTED_DOCUMENTS_ONLY). */
export const TRUSTED_DOCUMENTS_ONLY = "TRUSTED_DOCUMENTS_ONLY";
/** A document with @defer or @stream from a client whose Accept header takes no answer in parts. */
export const NOT_ACCEPTABLE = "NOT_ACCEPTABLE";
/** The database's connections stayed busy for the whole wait: no fault of the request; retry. */
export const SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE";
/**
 * The answer, as JSON, would be longer than a string may be (V8's limit, about 512 MiB): the
 * request asked for more rows, or larger ones, than any answer can hold.
 */
export const RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE";
/**
 * A statement of the request ran past the gateway's statement timeout (JOBGRAPH_STATEMENT_TIMEOUT_MS)
 * and PostgreSQL cancelled it: the field asked for more than the database answers in that time.
 */
export const STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT";

/** The longest list any argument or input field takes; far beyond what a real client sends. */
export const MAX_LIST_LENGTH = 1000;
/** The deepest nesting of any argument value (objects and lists, JSON values included). */
export const MAX_VALUE_DEPTH = 64;

export function codedError(code: string, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * The code of an error that came without one: graphql-js refusing variables, yoga refusing a
 * request (a missing CSRF header, a method it does not serve), Pothos refusing an ID, cursor or
 * page size. Everything the gateway raises itself has its code already.
 */
export function codeFor(error: GraphQLError): string {
  const { message } = error;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  if (message.startsWith("Invalid global ID")) return INVALID_ID;
  if (/^ID: .* is not of type: /s.test(message)) return WRONG_ID_TYPE;
  if (/cursor/i.test(message) && !error.locations?.length) return INVALID_CURSOR;
  if (/^Argument "(first|last)" must be a non-negative integer/.test(message)) return INVALID_PAGE_SIZE;
  if (message.startsWith("Syntax Error")) return "GRAPHQL_PARSE_FAILED";
  if (status === 405) return METHOD_NOT_ALLOWED;
  if (message.startsWith('Variable "$') || error.path) return BAD_USER_INPUT;
  if (status === undefined && error.locations?.length) return "GRAPHQL_VALIDATION_FAILED";
  return BAD_REQUEST;
}

/**
 * The error with a code, if it had none: the same error, given its code, unless its extensions
 * cannot take one (then a copy). The same, because yoga logs an error as unexpected whenever its
 * masking (which adds the codes) answers with another object, and an error that only lacked a
 * code is the client's (a variable that does not coerce): a flood of bad requests must not flood
 * the error log.
 */
export function withCode(error: GraphQLError): GraphQLError {
  // yoga codes a method it does not serve BAD_REQUEST, where the code for it is METHOD_NOT_ALLOWED.
  const given = error.extensions?.code;
  if (typeof given === "string" && !(given === "BAD_REQUEST" && codeFor(error) === METHOD_NOT_ALLOWED)) return error;
  const code = codeFor(error);
  if (Object.isExtensible(error.extensions)) {
    (error.extensions as Record<string, unknown>).code = code;
    return error;
  }
  const { nodes, source, positions, path, originalError } = error;
  return new GraphQLError(error.message, { nodes, source, positions, path, originalError, extensions: { ...error.extensions, code } });
}
