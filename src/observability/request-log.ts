// What is known about one request (or one WebSocket operation) while it runs, for its log lines:
// its id, who asks, which operation, how it ends. Its secrets are known too, so that they can be cut
// out of anything logged about it, such as an unexpected error's message.
import { randomUUID } from "node:crypto";
import { getOperationAST, GraphQLError, type DocumentNode } from "graphql";
import { isDatabaseUnavailable, isStatementTimeout } from "../db/client.js";
import type { Principal } from "../domain/principal.js";
import { codeFor, SERVICE_UNAVAILABLE, STATEMENT_TIMEOUT } from "../graphql/error-codes.js";
import { nullViolation } from "../graphql/mask.js";
import type { Logger } from "./logger.js";

/** An incoming x-request-id is echoed and logged only if it looks like an id, not like a payload. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Variables (at any depth) whose values are secrets: `leaseToken`, `token`, `secret`, `password`... */
const SECRET_NAME = /token|secret|password/i;

/**
 * Whether yoga masks the error: anything but a GraphQLError raised on purpose (one whose chain of
 * original errors holds only GraphQLErrors) is a bug or an outage, answered "Unexpected error.".
 */
function isUnexpected(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  while (cause instanceof GraphQLError) cause = cause.originalError;
  return cause != null;
}

/** The error code of a GraphQL error, as a log value or metric label: one of a bounded set of names. */
export function errorCode(error: GraphQLError): string {
  // The code the client is answered with (src/graphql/mask.ts, error-codes.ts), which the error
  // may not carry yet: logs and metrics see errors before they are masked.
  if (isDatabaseUnavailable(error)) return SERVICE_UNAVAILABLE;
  if (isStatementTimeout(error)) return STATEMENT_TIMEOUT;
  if (isUnexpected(error) || nullViolation(error as unknown)) return "INTERNAL_SERVER_ERROR";
  const code = error.extensions?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
  return codeFor(error);
}

type ViewerFields = { kind: Principal["kind"]; id: string; name: string };

/** Who the viewer is, for a log line: never their token. */
export function viewerFields(viewer: Principal): ViewerFields {
  return { kind: viewer.kind, id: viewer.kind === "USER" ? viewer.userId : viewer.nodeId, name: viewer.name };
}

// The log of each HTTP request (on its fetch-API Request) and of each operation (on its GraphQL
// context), for the hooks that log about them. Found on the object rather than through async
// context (AsyncLocalStorage), which on Node 20 taxes every promise the process makes (about 4% of
// a small query's CPU); and rather than in a WeakMap, whose entries V8 marks in the atomic pause
// of every full collection: a subscription keeps its context for hours, and with tens of thousands
// of them that pause grew to most of a second.
const LOG = Symbol("jobgraph.log");

type Logged = { [LOG]?: RequestLog };

/** `key` (a Request, or an operation's initial GraphQL context) belongs to `log`. */
export function bindLog(key: object, log: RequestLog): void {
  (key as Logged)[LOG] = log;
}

/** The log of the request or operation a GraphQL context (or a Request) belongs to. */
export function logOf(key: object): RequestLog | undefined {
  const request = (key as { request?: Request }).request;
  return (request && (request as Logged)[LOG]) || (key as Logged)[LOG];
}

/** Errors logged with their request already, which yoga's logger then leaves alone. */
const logged = new WeakSet<object>();

export function wasLogged(error: unknown): boolean {
  return typeof error === "object" && error !== null && (logged.has(error) || logged.has((error as GraphQLError).originalError ?? error));
}

/** Whether a value is worth cutting out of messages as a secret. */
export function isSecret(value: string | null | undefined): value is string {
  // Very short values would cut ordinary words out of messages; no real secret is that short.
  return !!value && value.length >= 8;
}

export class RequestLog {
  #logger: Logger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  viewer: Principal | null = null;
  operationName: string | undefined;
  operationType: string | undefined;
  // Made when first needed: a WebSocket subscription keeps its log for as long as it runs.
  private codes: Set<string> | undefined;
  private secrets: Set<string> | undefined;

  #requestId: string | undefined;
  /** Secrets shared with other requests (those of the WebSocket an operation came on). */
  #sharedSecrets: readonly string[] = [];

  constructor(
    parent: Logger,
    /** Undefined: one is made when first asked for (a WebSocket operation may never log a line). */
    requestId: string | undefined,
    bindings: Record<string, unknown> = {},
    readonly startedAt = performance.now(),
    /** The app's: when the database cannot be used, it says so now and then rather than each request. */
    private readonly outages?: OutageLog,
  ) {
    this.#parent = parent;
    this.#requestId = requestId;
    this.#bindings = bindings;
  }

  get requestId(): string {
    return (this.#requestId ??= requestIdFrom(undefined));
  }

  /** Remembers secrets this request shares with others, without a copy of its own. */
  shareSecrets(secrets: readonly string[]): void {
    this.#sharedSecrets = secrets;
  }

  /** The request's logger, which puts its id on every line; made when first needed, as most requests log one line or none. */
  get logger(): Logger {
    return (this.#logger ??= this.#parent.child({ requestId: this.requestId, ...this.#bindings }));
  }

  /** Whether a line at `level` would be written (asked of the parent: the child has the same level). */
  logs(level: "debug" | "info"): boolean {
    return this.#parent.isLevelEnabled(level);
  }

  /** Remembers a secret this request carries (a bearer token, a lease token variable). */
  addSecret(value: string | null | undefined): void {
    if (isSecret(value)) (this.secrets ??= new Set()).add(value);
  }

  /**
   * Remembers every string under a secret-looking name in an operation's variables. Walked
   * without recursion: variables can be nested thousands of levels deep before anything checks them.
   */
  addSecretsOf(value: unknown, secretName = false): void {
    const pending: Array<[unknown, boolean]> = [[value, secretName]];
    while (pending.length) {
      const [current, secret] = pending.pop()!;
      if (typeof current === "string") {
        if (secret) this.addSecret(current);
      } else if (Array.isArray(current)) {
        for (const item of current) pending.push([item, secret]);
      } else if (current && typeof current === "object") {
        for (const [key, item] of Object.entries(current)) pending.push([item, secret || SECRET_NAME.test(key)]);
      }
    }
  }

  /** The operation a document and an operation name select (as execution would pick it). */
  noteOperation(document: DocumentNode, operationName: string | null | undefined): void {
    const operation = getOperationAST(document, operationName ?? undefined);
    if (!operation) return;
    this.operationType = operation.operation;
    this.operationName = operation.name?.value ?? "anonymous";
  }

  noteErrors(errors: readonly GraphQLError[] | undefined): void {
    for (const error of errors ?? []) this.noteCode(errorCode(error));
  }

  noteCode(code: string): void {
    (this.codes ??= new Set()).add(code);
  }

  /** Which operation, if known. */
  operationFields(): Record<string, unknown> {
    return this.operationName ? { operationName: this.operationName, operationType: this.operationType } : {};
  }

  /**
   * What a closing line says: which operation, who, how long, and how it went: "ok", or "errors"
   * with their codes (an HTTP status of 400 or more counts as an error too).
   */
  summary(status?: number): Record<string, unknown> {
    const failed = (this.codes?.size ?? 0) > 0 || (status !== undefined && status >= 400);
    return {
      ...this.operationFields(),
      viewer: this.viewer ? viewerFields(this.viewer) : null,
      durationMs: Math.round((performance.now() - this.startedAt) * 10) / 10,
      outcome: failed ? "errors" : "ok",
      ...(this.codes?.size ? { errors: [...this.codes] } : {}),
    };
  }

  /** Text with this request's secrets cut out. */
  scrub(text: string): string {
    let scrubbed = text;
    for (const secret of this.#sharedSecrets) scrubbed = scrubbed.split(secret).join("[redacted]");
    for (const secret of this.secrets ?? []) scrubbed = scrubbed.split(secret).join("[redacted]");
    return scrubbed;
  }

  /**
   * An unexpected error, with its stack, at level error; its text never carries this request's
   * secrets. The database out of reach or too busy is no bug, and fails every request alike until
   * it is back: that is logged at warn, by the app's OutageLog. Nor is a statement cancelled at the
   * statement timeout: the request asked for too much, which the operator sees at warn, with the
   * operation, to find the document that did.
   */
  logUnexpected(error: unknown, message = "unexpected error"): void {
    if (typeof error === "object" && error !== null) logged.add(error);
    if (this.outages && isDatabaseUnavailable(error)) {
      const failed = this.outages.failed();
      if (failed !== undefined) {
        const { type, message: cause, code } = describeError(error, (text) => this.scrub(text));
        this.logger.warn({ err: { type, message: cause, code }, failedRequests: failed, ...this.operationFields() }, "the database could not be used: requests are answered SERVICE_UNAVAILABLE");
      }
      return;
    }
    if (isStatementTimeout(error)) {
      const { type, message: cause, code } = describeError(error, (text) => this.scrub(text));
      this.logger.warn({ err: { type, message: cause, code }, ...this.operationFields() }, "a statement ran past the statement timeout: answered STATEMENT_TIMEOUT");
      return;
    }
    this.logger.error({ err: describeError(error, (text) => this.scrub(text)), ...this.operationFields() }, message);
  }

  /** Notes the errors of a result, and logs the unexpected ones (which yoga masks for the client). */
  noteResult(errors: readonly GraphQLError[] | undefined): void {
    this.noteErrors(errors);
    for (const error of errors ?? []) if (isUnexpected(error) && !wasLogged(error)) this.logUnexpected(error);
  }
}

/**
 * While the database cannot be used, every request fails alike, hundreds a second on a busy
 * gateway: one line every `intervalMs` says so, with how many requests failed so since the last,
 * instead of an error with its stack for each.
 */
export class OutageLog {
  #loggedAt = -Infinity;
  #failed = 0;

  constructor(private readonly intervalMs = 5000) {}

  /** Counts a failed request; how many failed since the last line when one is due now, else undefined. */
  failed(now = performance.now()): number | undefined {
    this.#failed++;
    if (now - this.#loggedAt < this.intervalMs) return undefined;
    const failed = this.#failed;
    this.#loggedAt = now;
    this.#failed = 0;
    return failed;
  }
}

/**
 * What logs the failures of a background pass (`what`, as "a pass over the due schedules"): at
 * warn, with its stack; but while the database cannot be used, which fails every pass alike, once
 * per `intervalMs`, without the stack, with how many failed so (the schedule ticker runs every
 * second: an outage of half a minute logged 32 stack traces).
 */
export function passFailures(logger: Pick<Logger, "warn">, what: string, intervalMs = 60_000): (error: unknown) => void {
  const outages = new OutageLog(intervalMs);
  return (error) => {
    if (!isDatabaseUnavailable(error)) {
      logger.warn({ err: describeError(error) }, `${what} failed; the next one tries again`);
      return;
    }
    const failed = outages.failed();
    if (failed === undefined) return;
    const { type, message, code } = describeError(error);
    logger.warn({ err: { type, message, code }, failedPasses: failed }, `${what} failed: the database could not be used; the next one tries again`);
  };
}

/** An error as a log value: its type, message, stack, code and cause, each passed through `scrub`. */
export function describeError(error: unknown, scrub: (text: string) => string = (text) => text): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: scrub(error.message),
    ...(error.stack ? { stack: scrub(error.stack) } : {}),
    ...(typeof code === "string" ? { code } : {}),
    ...(error.cause !== undefined ? { cause: describeError(error.cause, scrub) } : {}),
  };
}
