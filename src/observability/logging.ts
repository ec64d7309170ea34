// Request and operation logs for both transports. Over HTTP, one line closes each request (its
// id, method, path without the query string, status, operation, viewer, duration and outcome), and
// a subscription over server-sent events also logs when its stream starts and ends. Over
// WebSocket, a connection logs when it opens and closes, and each operation when it starts and
// when it completes. Every line of a request carries its request id: an unexpected error that yoga
// masks is logged by the plugin below, which finds the request from the operation's context, and
// yoga's own lines at debug level find it through async context.
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage } from "node:http";
import type { DocumentNode, ExecutionResult, GraphQLError } from "graphql";
import { isAsyncIterable, type GraphQLParams, type Plugin } from "graphql-yoga";
import type { LaneRequest } from "../http/fast-lane.js";
import { bearerSecret } from "../domain/auth.js";
import type { Principal } from "../domain/principal.js";
import type { Logger } from "./logger.js";
import { bindLog, describeError, isSecret, logOf, OutageLog, requestIdFrom, RequestLog, viewerFields, wasLogged } from "./request-log.js";

/** The logger yoga reports through (its masked errors above all). */
export type YogaLogger = Record<"debug" | "info" | "warn" | "error", (...args: unknown[]) => void>;

/** Probes and scrapes come every few seconds; their lines are debug, not info. */
const QUIET_PATHS = new Set(["/health", "/ready", "/metrics"]);

/** A GraphQL context of either transport: HTTP requests have `request`. */
type AnyContext = { request?: Request; viewer?: Principal | null };

type Socket = { logger: Logger; openedAt: number; operations: Map<string, RequestLog>; secrets: readonly string[] };

/** graphql-ws' per-socket context, as far as the logs need it. */
type SocketContext = { connectionParams?: Readonly<Record<string, unknown>> };

/** The line that closes an HTTP request. */
function requestCompleted(log: RequestLog, method: string, path: string, status: number, streaming: boolean): void {
  const quiet = QUIET_PATHS.has(path);
  if (!log.logs(quiet ? "debug" : "info")) return;
  const line = { method, path, status, ...log.summary(status), ...(streaming ? { outcome: "streaming" } : {}) };
  if (quiet) log.logger.debug(line, "request completed");
  else log.logger.info(line, "request completed");
}

function text(args: unknown[]): string {
  return args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
}

/** A WebSocket subscription's results note their errors in the operation's log, found by its context. */
const SOCKET_STREAM = {
  onNext: ({ args, result }: { args: { contextValue: unknown }; result: unknown }) => logOf(args.contextValue as object)?.noteResult((result as ExecutionResult).errors),
};

const SOCKET_SUBSCRIPTION = {
  onSubscribeResult: ({ args, result }: { args: { contextValue: unknown }; result: ExecutionResult | AsyncIterable<unknown> }) => {
    if (isAsyncIterable(result)) return SOCKET_STREAM;
    logOf(args.contextValue as object)?.noteResult(result.errors);
    return undefined;
  },
};

/** The secrets a WebSocket's connection_init carried: its Authorization value, and the token in it. */
function socketSecrets(socket: SocketContext): string[] {
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(socket.connectionParams ?? {})) {
    if (key.toLowerCase() !== "authorization" || typeof value !== "string") continue;
    for (const secret of [value, bearerSecret(value)]) if (isSecret(secret)) secrets.push(secret);
  }
  return secrets;
}

export class RequestLogging {
  private readonly sockets = new WeakMap<object, Socket>();
  /**
   * At debug level yoga writes lines of its own about each request, which can only be told apart
   * through async context; below it (the usual levels) nothing needs it, and it is not kept: on
   * Node 20 it taxes every promise the process makes, about 4% of a small query's CPU.
   */
  private readonly current: AsyncLocalStorage<RequestLog> | undefined;
  /** One for the app's requests and operations: see OutageLog. */
  private readonly outages = new OutageLog();

  constructor(
    private readonly logger: Logger,
    /** Who an HTTP request was authenticated as (before its document was even parsed). */
    private readonly viewerOf: (request: Request) => Principal | undefined,
  ) {
    this.current = logger.isLevelEnabled("debug") ? new AsyncLocalStorage<RequestLog>() : undefined;
  }

  /** The yoga plugin that logs HTTP requests and the GraphQL side of both transports. */
  plugin(): Plugin {
    return {
      instrumentation: {
        request: ({ request }, wrapped) => {
          const log = new RequestLog(this.logger, requestIdFrom(request.headers.get("x-request-id")), {}, performance.now(), this.outages);
          const authorization = request.headers.get("authorization");
          log.addSecret(authorization);
          log.addSecret(bearerSecret(authorization));
          bindLog(request, log);
          return this.current ? this.current.run(log, wrapped) : wrapped();
        },
      },
      onParams: ({ request, params }) => {
        logOf(request)?.addSecretsOf(params.variables);
      },
      onValidate: ({ context, params }) => {
        const ctx = context as AnyContext & { params?: { operationName?: string | null } };
        logOf(ctx)?.noteOperation(params.documentAST, ctx.params?.operationName);
      },
      onExecute: ({ args }) => {
        const context = args.contextValue as AnyContext;
        const log = logOf(context);
        if (!log) return;
        log.viewer = context.viewer ?? null;
        // Before yoga masks unexpected errors (its plugin comes after this one), so that each is
        // logged with its request.
        return {
          onExecuteDone: ({ result }) => {
            if (!isAsyncIterable(result)) log.noteResult(result.errors);
          },
        };
      },
      onSubscribe: ({ args }) => {
        const context = args.contextValue as AnyContext;
        const log = logOf(context);
        if (!log) return;
        log.viewer = context.viewer ?? null;
        // A WebSocket operation logs its start and end through graphql-ws' hooks (see below); its
        // hooks here are shared by every such operation, which may be tens of thousands at once.
        if (context.request === undefined) return SOCKET_SUBSCRIPTION;
        return {
          onSubscribeResult: ({ result }) => {
            if (!isAsyncIterable(result)) {
              log.noteResult(result.errors);
              return;
            }
            log.logger.info({ ...log.operationFields(), viewer: log.viewer && viewerFields(log.viewer) }, "subscription started");
            return {
              onNext: ({ result: next }) => log.noteResult((next as ExecutionResult).errors),
              onEnd: () => log.logger.info(log.summary(), "subscription ended"),
            };
          },
        };
      },
      onResultProcess: ({ request, result }) => {
        const log = logOf(request);
        if (!log || isAsyncIterable(result)) return;
        for (const single of Array.isArray(result) ? result : [result]) log.noteErrors(single.errors);
      },
      onResponse: ({ request, response }) => {
        const log = logOf(request);
        if (!log) return;
        response.headers.set("x-request-id", log.requestId);
        log.viewer ??= this.viewerOf(request) ?? null;
        // The path only: a GET request's query string holds the document and its variables.
        const path = new URL(request.url).pathname;
        const streaming = /^(text\/event-stream|multipart\/mixed)/.test(response.headers.get("content-type") ?? "");
        requestCompleted(log, request.method, path, response.status, streaming);
      },
    };
  }

  /** The log of a request the fast lane serves (src/http/fast-lane.ts), as the plugin above would begin it. */
  laneRequestStarted(request: LaneRequest, params: GraphQLParams, viewer: Principal): RequestLog {
    const header = request.headers["x-request-id"];
    const log = new RequestLog(this.logger, requestIdFrom(typeof header === "string" ? header : undefined), {}, request.startedAt, this.outages);
    const authorization = request.headers.authorization;
    log.addSecret(authorization);
    log.addSecret(bearerSecret(authorization));
    log.addSecretsOf(params.variables);
    log.viewer = viewer;
    return log;
  }

  /** The context a fast-lane request's operation runs in belongs to `log`. */
  laneContext(log: RequestLog, context: object): void {
    bindLog(context, log);
  }

  /**
   * A fast-lane request was answered with `result`; its response carries the request id. A query
   * the lane ran itself was not validated here, so its operation is noted now.
   */
  laneRequestEnded(
    log: RequestLog,
    request: LaneRequest,
    status: number,
    headers: Record<string, string>,
    { result, document, operationName }: { result: ExecutionResult; document?: DocumentNode | undefined; operationName?: string | null | undefined },
  ): void {
    headers["x-request-id"] = log.requestId;
    if (document && !log.operationName) log.noteOperation(document, operationName);
    log.noteErrors(result.errors);
    requestCompleted(log, request.method, request.path, status, false);
  }

  /**
   * Yoga's own logger. The unexpected errors it reports as it masks them were logged already, with
   * their request, by the plugin above (or by requestFailed); anything else is logged here.
   */
  yogaLogger(): YogaLogger {
    const target = () => this.current?.getStore()?.logger ?? this.logger;
    return {
      debug: (...args) => target().debug(text(args)),
      info: (...args) => target().info(text(args)),
      warn: (...args) => target().warn(text(args)),
      error: (...args) => {
        const error = args.find((arg) => arg instanceof Error);
        if (error === undefined) return target().error(text(args));
        if (!wasLogged(error)) target().error({ err: describeError(error) }, "unexpected error");
      },
    };
  }

  /** An unexpected error broke an HTTP request before its operation ran: logged with the request. */
  requestFailed(request: Request, error: unknown): void {
    logOf(request)?.logUnexpected(error);
  }

  /** A WebSocket's connection_init was answered: accepted for `viewer`, or refused (null). */
  socketOpened(socket: SocketContext, upgrade: IncomingMessage, viewer: Principal | null): void {
    const header = upgrade.headers["x-request-id"];
    const logger = this.logger.child({ connectionId: requestIdFrom(typeof header === "string" ? header : undefined) });
    this.sockets.set(socket, { logger, openedAt: performance.now(), operations: new Map(), secrets: socketSecrets(socket) });
    if (viewer) logger.info({ viewer: viewerFields(viewer) }, "websocket connected");
    else logger.info({ outcome: "refused" }, "websocket refused");
  }

  socketClosed(socket: SocketContext, code: number | undefined): void {
    const entry = this.sockets.get(socket);
    if (!entry) return;
    const durationMs = Math.round(performance.now() - entry.openedAt);
    entry.logger.info({ code, durationMs }, "websocket closed");
  }

  /**
   * A WebSocket operation arrives: it gets a request id of its own, bound to the context its
   * operation will run in (`context`, the initial context handed to yoga's envelope).
   */
  operationReceived(socket: SocketContext, id: string, variables: unknown, context: object): void {
    const entry = this.sockets.get(socket);
    const log = new RequestLog(entry?.logger ?? this.logger, undefined, { operationId: id }, performance.now(), this.outages);
    log.shareSecrets(entry?.secrets ?? socketSecrets(socket));
    log.addSecretsOf(variables);
    entry?.operations.set(id, log);
    bindLog(context, log);
  }

  /** The operation passed its checks and runs now. */
  operationStarted(socket: SocketContext, id: string, viewer: Principal | null): void {
    const log = this.sockets.get(socket)?.operations.get(id);
    if (!log) return;
    log.viewer = viewer;
    // Not even the operation's logger is made unless the line is written: a subscription keeps it.
    if (log.logs("info")) log.logger.info({ ...log.operationFields(), viewer: viewer && viewerFields(viewer) }, "operation started");
  }

  /** The operation was refused before it ran (a bad document, a revoked token): it ends here. */
  operationRefused(socket: SocketContext, id: string, errors: readonly GraphQLError[]): void {
    const log = this.sockets.get(socket)?.operations.get(id);
    if (!log) return;
    log.noteErrors(errors);
    this.operationCompleted(socket, id);
  }

  /** Something unexpected broke the operation before it ran; graphql-ws closes the socket next. */
  operationFailed(socket: SocketContext, id: string, error: unknown): void {
    const log = this.sockets.get(socket)?.operations.get(id);
    if (!log) return;
    log.logUnexpected(error);
    log.noteCode("INTERNAL_SERVER_ERROR");
    this.operationCompleted(socket, id);
  }

  operationCompleted(socket: SocketContext, id: string): void {
    const operations = this.sockets.get(socket)?.operations;
    const log = operations?.get(id);
    if (!log) return;
    operations!.delete(id);
    if (log.logs("info")) log.logger.info(log.summary(), "operation completed");
  }

}
