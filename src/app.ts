// Builds the gateway from its dependencies: the yoga app, the HTTP server around it, and the
// graphql-ws server on the same path. Both transports share one context factory and one set of
// plugins (WebSocket operations go through yoga's envelope), and so the same logs and metrics.
import path from "node:path";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type ExecutionArgs } from "graphql";
import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import { createYoga, useReadinessCheck, type GraphQLParams, type Plugin } from "graphql-yoga";
import { contextCacheSymbol } from "@pothos/core";
import { WebSocketServer } from "ws";
import { defaultLimits, type Limits, type OutputStoreConfig } from "./config.js";
import { dbPool, type Db } from "./db/client.js";
import { formatLsn, parseLsn, ReadReplicas, type Lsn, type ReplicaSettings } from "./db/replicas.js";
import { statementCaches } from "./db/rows.js";
import { Authenticator, bearerSecret, onTokensChanged, tokensStillValid } from "./domain/auth.js";
import { createContentPool, PostgresContentStore } from "./db/content-store.js";
import { FileContentStore } from "./db/file-store.js";
import { S3ContentStore } from "./db/s3-store.js";
import { DemoWorker } from "./db/demo-worker.js";
import type { OutputStorage } from "./domain/outputs.js";
import { Reclaimer } from "./domain/reclaimer.js";
import { HistoryPruner, type RetentionSettings } from "./domain/retention.js";
import { ScheduleTicker } from "./domain/schedules.js";
import { EventStream } from "./events/event-stream.js";
import type { Principal } from "./domain/principal.js";
import type { ApiSettings, Context } from "./graphql/context.js";
import { CompiledQueries, useCompiledQueries } from "./graphql/compiled-queries.js";
import { useAcceptableAnswers } from "./graphql/incremental.js";
import { documentIdOf, type TrustedDocuments } from "./graphql/trusted-documents.js";
import { DocumentCache, MAX_DOCUMENTS } from "./graphql/documents.js";
import { QueryCosts, useQueryCosts } from "./graphql/query-cost.js";
import { TOO_MANY_OPERATIONS, withCode } from "./graphql/error-codes.js";
import { useVariablesDepth, variablesDepthError } from "./graphql/input-guard.js";
import { Loaders } from "./graphql/loaders.js";
import { maskError } from "./graphql/mask.js";
import { MutationRateLimit } from "./graphql/rate-limit.js";
import { observedSubscribe, OpenStreams, useLeanSubscribe, type StreamObserver } from "./graphql/subscribe.js";
import { playgroundTabs } from "./graphql/playground.js";
import { CSRF_HEADERS, useCsrfPrevention } from "./http/csrf.js";
import { useOutputDownloads } from "./http/downloads.js";
import { projectRoot } from "./db/migrate.js";
import { useDashboard } from "./http/dashboard.js";
import { FastLane } from "./http/fast-lane.js";
import { serveGraphqlWs } from "./http/graphql-ws.js";
import { usePlayground } from "./http/playground.js";
import { useRequestBodies } from "./http/request-bodies.js";
import { schema } from "./graphql/schema.js";
import { silentLogger, type Logger } from "./observability/logger.js";
import { RequestLogging } from "./observability/logging.js";
import { bindLog, describeError, logOf, passFailures, type RequestLog } from "./observability/request-log.js";
import { Metrics } from "./observability/metrics.js";

export type AppDeps = {
  db: Db;
  settings: ApiSettings;
  limits?: Limits;
  /** Production: no field suggestions in errors. */
  production?: boolean;
  /** A token the playground sends by default (the development admin token), to loopback requests alone; never in production. */
  playgroundToken?: string;
  /** How often to reclaim expired leases once started; 0 (the default): never, as in most tests. */
  reclaimIntervalMs?: number;
  /** How often to handle due schedules once started; 0 (the default): never, as in most tests. */
  scheduleIntervalMs?: number;
  /** How late a tick may be handled and still be on time (see src/domain/schedules.ts); 60 unless given. */
  scheduleGraceSeconds?: number;
  /** How long events and finished jobs are kept (src/domain/retention.ts); for ever unless given. */
  retention?: RetentionSettings;
  /** How often to delete what the retention no longer keeps, once started (60 s unless given). */
  retentionIntervalMs?: number;
  /** How long a valid token's principal is remembered (see Authenticator); 0 (the default): not at all. */
  authCacheSeconds?: number;
  /** How often the tokens of open subscriptions are checked once started (TOKEN_SWEEP_MS unless given). */
  tokenSweepMs?: number;
  /** The database's URL, for output content (PostgreSQL's, or a transaction-mode pooler's). */
  databaseUrl: string;
  /**
   * PostgreSQL itself, for the connection that listens for other instances' events (a LISTEN needs
   * a session of its own, which a transaction-mode pooler does not keep); databaseUrl unless given.
   */
  directDatabaseUrl?: string;
  /** Connections for output content; an upload holds one at a time, for a statement. */
  outputPoolSize?: number;
  /** How long an upload or download waits for a free output connection before it is answered BusyError. */
  outputWaitMs?: number;
  /** Where output content is kept; in PostgreSQL unless told otherwise. */
  outputStore?: OutputStoreConfig;
  /** Where request logs go; none by default, as most tests build an app without wanting its lines. */
  logger?: Logger;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** The plugin that traces operations (startTracing in src/observability/tracing.ts), when tracing is on. */
  tracing?: Plugin;
  /** Keep the demo jobs moving once started (src/db/demo-worker.ts); off by default. */
  demoWorker?: boolean;
  /** Streaming replicas for query operations (src/db/replicas.ts), with the size of each one's pool; none by default. */
  replicas?: ReplicaSettings & { poolSize?: number; statementTimeoutMs?: number };
  /** Documents clients may send by hash, and whether users must (src/graphql/trusted-documents.ts); none by default. */
  trustedDocuments?: TrustedDocuments;
};

/**
 * What a request brings to the context factory: an HTTP request, or a WebSocket's init payload and
 * the operation's parameters (as yoga sets them for HTTP, so plugins find the operation name).
 */
type ServerContext = {
  request?: Request;
  connectionParams?: Record<string, unknown>;
  params?: GraphQLParams;
  /** Who a fast-lane request was authenticated as (src/http/fast-lane.ts). */
  viewer?: Principal;
  /** Set when the fast lane counted the operation's mutations against the rate limit already. */
  mutationsAdmitted?: boolean;
};

export type App = {
  yoga: ReturnType<typeof createYoga<ServerContext, Context>>;
  server: Server;
  /** This instance's job event stream, which its subscriptions listen to. */
  events: EventStream;
  /** Listens on host:port (port 0 picks a free one); resolves to the address in use. */
  start(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections and waits for open requests to end. */
  stop(): Promise<void>;
};

const READY_TIMEOUT_MS = 2_000;
/** How long stop() lets open requests finish. */
const STOP_GRACE_MS = 5_000;

/**
 * How often the tokens of open subscriptions are checked (see OpenStreams): a revocation through
 * the API ends them at once, on every instance that hears it announced; this catches the rest (a
 * token expired, a user disabled or a token deleted in the database, an announcement missed).
 */
const TOKEN_SWEEP_MS = 15_000;

/** What a client is told of an error it should not see the details of (its log has them). */
const UNEXPECTED_ERROR = "Unexpected error.";

/** The GraphQL-over-WebSocket close code for a refused connection_init. */
export const WS_FORBIDDEN = 4403;

/** What a WebSocket message may hold besides what a request body would: its id, type and payload's keys. */
const WS_ENVELOPE_BYTES = 1024;

async function databaseAnswers(db: Db): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, false).unref());
  const ping = db.$queryRaw`select 1`.then(
    () => true,
    () => false,
  );
  return Promise.race([ping, timeout]);
}

function tooManyOperations(max: number): GraphQLError {
  return new GraphQLError(`a socket carries at most ${max} operations at once (JOBGRAPH_MAX_SOCKET_OPERATIONS): complete one first, or open another socket`, {
    extensions: { code: TOO_MANY_OPERATIONS, maxOperations: max },
  });
}

function unauthenticated(): GraphQLError {
  // One answer for a missing, unknown, expired or revoked token: nothing to learn by probing.
  return new GraphQLError("a valid API token is required: send Authorization: Bearer <token>", {
    extensions: {
      code: "UNAUTHENTICATED",
      http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="jobgraph"' } },
    },
  });
}

/** The header a client reads a write's position from, and sends one back in (see src/db/replicas.ts). */
export const LSN_HEADER = "JobGraph-LSN";
/**
 * The answer's headers a page of another origin may read: the position a mutation wrote at (a
 * client sends it back for read-your-writes) and the request's id.
 */
const EXPOSED_HEADERS = [LSN_HEADER, "X-Request-Id"];
/** The cookie that carries it for browsers. */
const LSN_COOKIE = "jobgraph_lsn";

/** Who a write is remembered for: a user (whichever of its tokens) or a worker node. */
function writer(viewer: Principal): string {
  return viewer.kind === "USER" ? `user:${viewer.userId}` : `node:${viewer.nodeId}`;
}

/** The position a request's reads must see, from its header or cookie: undefined for none, null for one that is not a position. */
function requestedPosition(lsnHeader: string | null | undefined, cookieHeader: string | null | undefined): Lsn | undefined | null {
  let position: Lsn | undefined;
  if (lsnHeader) {
    const parsed = parseLsn(lsnHeader);
    if (parsed === undefined) return null;
    position = parsed;
  }
  const cookie = cookieHeader && new RegExp(`(?:^|;\\s*)${LSN_COOKIE}=([^;]*)`).exec(cookieHeader)?.[1];
  const fromCookie = cookie ? parseLsn(decodeURIComponent(cookie)) : undefined;
  return fromCookie !== undefined && (position === undefined || fromCookie > position) ? fromCookie : position;
}

/** A header of a Node request as one value (the first, when sent more than once). */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The headers that give a client its write's position: the header, and a cookie lasting as long as a replica may lag. */
function positionHeaders(lsn: Lsn, replicas: ReadReplicas): Record<string, string> {
  const text = formatLsn(lsn);
  return { [LSN_HEADER]: text, "Set-Cookie": `${LSN_COOKIE}=${text}; Path=/graphql; Max-Age=${replicas.rememberSeconds}; HttpOnly; SameSite=Lax` };
}

/**
 * A mutation's events are in the table once it has committed; this instance's subscribers are
 * woken at once, and other instances by a NOTIFY sent now, outside any write transaction. With
 * replicas, `wrote` remembers the position its writes reached for its caller, and gives the
 * headers that tell the client, which its answer gets.
 */
function useAfterMutations(events: EventStream, wrote: (viewer: Principal) => Promise<Record<string, string> | undefined>): Plugin<Context & { request?: Request }> {
  const answerHeaders = new WeakMap<Request, Record<string, string>>();
  return {
    onExecute({ args }) {
      const mutation = (args.document as DocumentNode).definitions.some(
        (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation",
      );
      if (!mutation) return undefined;
      return {
        onExecuteDone: async () => {
          events.written();
          const { viewer, request } = args.contextValue;
          const headers = viewer ? await wrote(viewer) : undefined;
          if (headers && request) answerHeaders.set(request, headers);
        },
      };
    },
    onResponse({ request, response }) {
      for (const [name, value] of Object.entries(answerHeaders.get(request) ?? {})) response.headers.append(name, value);
    },
  };
}

/** The same error with other extensions. */
function withExtensions(error: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  const { nodes, source, positions, path, originalError } = error;
  return new GraphQLError(error.message, { nodes, source, positions, path, originalError, extensions });
}

/** HTTP statuses mean nothing on a WebSocket; they are left out of errors sent there. */
function withoutHttp(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return withExtensions(error, extensions);
}

/**
 * A query's or mutation's result as a socket sends it: without the `extensions.http` of its
 * errors, which set an HTTP answer's status and have nothing to set on a socket.
 */
function forSocket(result: unknown): unknown {
  if (result instanceof Promise) return result.then(forSocket);
  const errors = (result as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return result;
  return { ...(result as object), errors: errors.map((error: unknown) => (error instanceof GraphQLError ? withoutHttp(error) : error)) };
}

/** The Authorization value of a WebSocket's connection_init payload, whatever the key's case. */
function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  const entry = Object.entries(params ?? {}).find(([key]) => key.toLowerCase() === "authorization");
  return typeof entry?.[1] === "string" ? entry[1] : undefined;
}

/**
 * graphql-armor rejects in the validation phase by throwing, without an HTTP status, so yoga would
 * answer 200; the GraphQL-over-HTTP spec asks for 400 when a document fails validation. Thrown
 * rejections become validation results, and every validation error gets status 400.
 */
function useValidationStatus(): Plugin {
  return {
    onValidate: ({ validateFn, setValidationFn }) => {
      setValidationFn((...args) => {
        try {
          return validateFn(...args);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      });
      return ({ result, setResult }) => {
        if (!result.length) return;
        setResult(result.map((error) => withExtensions(error, { ...error.extensions, http: { status: 400 } })));
      };
    },
  };
}

/**
 * Authenticates an HTTP request before its document is even parsed, so that a caller without a
 * valid token learns nothing of the schema (not even from validation errors). The context factory
 * then picks the principal up.
 */
function useAuthentication(authenticator: Authenticator, viewers: WeakMap<Request, Principal>, logging: RequestLogging): Plugin {
  return {
    async onRequestParse({ request }) {
      let viewer: Principal | null;
      try {
        viewer = await authenticator.authenticate(bearerSecret(request.headers.get("authorization")));
      } catch (error) {
        // The database out of reach: yoga masks the error; its log line carries the request's id.
        logging.requestFailed(request, error);
        throw error;
      }
      if (!viewer) throw unauthenticated();
      viewers.set(request, viewer);
    },
  };
}

export function buildApp({
  db,
  settings,
  limits = defaultLimits,
  production = false,
  playgroundToken,
  reclaimIntervalMs = 0,
  scheduleIntervalMs = 0,
  scheduleGraceSeconds = 60,
  retention = {},
  retentionIntervalMs = 60_000,
  authCacheSeconds = 0,
  tokenSweepMs = TOKEN_SWEEP_MS,
  databaseUrl,
  directDatabaseUrl = databaseUrl,
  outputPoolSize = 8,
  outputWaitMs,
  outputStore = { kind: "postgres" },
  logger = silentLogger(),
  metricsToken,
  tracing,
  demoWorker = false,
  replicas: replicaSettings,
  trustedDocuments,
}: AppDeps): App {
  const events = new EventStream({ db, listenUrl: directDatabaseUrl });
  const streams = new OpenStreams();
  const sweepFailed = passFailures(logger, "a check of the tokens of open subscriptions");
  // One sweep at a time; a revocation heard during one is swept for after it.
  let sweeping: Promise<void> | undefined;
  let sweepAgain = false;
  const sweepStreams = (): void => {
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    sweeping = streams
      .sweep((tokenIds) => tokensStillValid(db, tokenIds))
      .then(
        (ended) => {
          if (ended) logger.info({ ended }, "ended the subscriptions of tokens no longer valid");
        },
        sweepFailed,
      )
      .finally(() => {
        sweeping = undefined;
        if (sweepAgain) {
          sweepAgain = false;
          sweepStreams();
        }
      });
  };
  let stopSweeps: (() => void) | undefined;
  const replicas = replicaSettings
    ? new ReadReplicas(db, replicaSettings, {
        ...(replicaSettings.poolSize ? { poolSize: replicaSettings.poolSize } : {}),
        ...(replicaSettings.statementTimeoutMs ? { statementTimeoutMs: replicaSettings.statementTimeoutMs } : {}),
        onChange: (state) =>
          state.usable ? logger.info({ replica: state.name }, "a read replica serves reads again") : logger.warn({ replica: state.name, reason: state.reason }, "a read replica serves no reads"),
      })
    : undefined;
  /**
   * After a mutation of `viewer`: with replicas, the position its writes reached, remembered for
   * the caller, as the headers that give it to the client.
   */
  const wrote = async (viewer: Principal): Promise<Record<string, string> | undefined> => {
    if (!replicas) return undefined;
    try {
      return positionHeaders(await replicas.wrote(writer(viewer)), replicas);
    } catch (error) {
      logger.warn({ err: describeError(error) }, "the primary's position after a mutation could not be read; the caller's next reads may miss its write");
      return undefined;
    }
  };
  /**
   * Where a query of `viewer` reads: with replicas, one that has replayed what the caller wrote (as
   * this instance remembers it, or as the request's header or cookie says), else the primary.
   */
  const readDb = (viewer: Principal, lsnHeader: string | null | undefined, cookieHeader: string | null | undefined): Promise<Db> | Db => {
    if (!replicas) return db;
    const asked = requestedPosition(lsnHeader, cookieHeader);
    // A header that is no position: the primary, which has every write.
    if (asked === null) return replicas.primaryRead();
    const remembered = replicas.lastWrite(writer(viewer));
    return replicas.forRead(remembered !== undefined && (asked === undefined || remembered > asked) ? remembered : asked);
  };
  const authenticator = new Authenticator(db, authCacheSeconds, () => events.listening);
  const contentPool = createContentPool(databaseUrl, outputPoolSize, outputWaitMs);
  const outputs: OutputStorage = {
    pool: contentPool,
    store:
      outputStore.kind === "files"
        ? new FileContentStore(outputStore.folder, contentPool)
        : outputStore.kind === "s3"
          ? new S3ContentStore(outputStore, contentPool, limits.maxOutputBytes)
          : new PostgresContentStore(contentPool),
    maxOutputBytes: limits.maxOutputBytes,
  };
  const viewers = new WeakMap<Request, Principal>();
  const logging = new RequestLogging(logger, (request) => viewers.get(request));
  const documents = new DocumentCache({ maxEntries: MAX_DOCUMENTS, maxBytes: limits.documentCacheBytes });
  const compiled = new CompiledQueries((document, bytes) => documents.charge(document, bytes));
  const costs = new QueryCosts(schema);
  const rateLimit = new MutationRateLimit(limits.mutationsPerMinute);
  const metrics = new Metrics({
    db,
    pools: { prisma: dbPool(db), outputs: contentPool, ...replicas?.pools },
    caches: {
      documents: () => documents.usage,
      costs: () => costs.usage,
      select_lists: () => statementCaches().selectLists,
      prepared_statements: () => statementCaches().preparedStatements,
    },
    token: metricsToken,
    logger,
    ...(replicas ? { replicas } : {}),
  });

  // Pothos' per-request caches go by the context's cache key, which a subscription renews for
  // each event (src/graphql/subscribe.ts). The key is a property of the literal, not a spread of
  // Pothos' initContextCache(): once optimised, that spread gave every context a hidden class of
  // its own (about 450 bytes, kept as long as a subscription's context).
  const contextFor = (viewer: Principal, reads: Db = db): Context => {
    const context: Context & { [contextCacheSymbol]: object } = {
      db: reads,
      settings,
      limits,
      viewer,
      events,
      outputs,
      loaders: new Loaders(reads),
      tasksAdded: 0,
      mutationInput: 0,
      streams,
      [contextCacheSymbol]: {},
    };
    return context;
  };
  /** The operation a request's parameters name, when it is a query (as the document cache has it parsed). */
  const isQuery = (params: GraphQLParams | undefined): boolean => {
    const document = params?.query ? documents.validDocument(params.query) : undefined;
    return document !== undefined && getOperationAST(document, params?.operationName ?? undefined)?.operation === "query";
  };
  // JSON POSTs, and GETs of queries, of known documents skip yoga's fetch-API layer (src/http/fast-lane.ts). Traces
  // follow yoga's handler, so the lane stands aside while tracing is on.
  const lane = tracing
    ? undefined
    : new FastLane<ServerContext, RequestLog>({
        maxBodyBytes: limits.maxBodyBytes,
        csrfHeaders: CSRF_HEADERS,
        exposedHeaders: EXPOSED_HEADERS,
        schema,
        authenticate: (authorization) => authenticator.authenticate(bearerSecret(authorization)),
        initialContext: (params, viewer, admitted) => (admitted ? { params, viewer, mutationsAdmitted: true } : { params, viewer }),
        context: (viewer, query) => {
          if (!query || !replicas) return contextFor(viewer);
          const reads = readDb(viewer, headerValue(query[LSN_HEADER.toLowerCase()]), headerValue(query.cookie));
          return reads instanceof Promise ? reads.then((chosen) => contextFor(viewer, chosen)) : contextFor(viewer, reads);
        },
        documents,
        compiled,
        trusted: trustedDocuments,
        beforeQuery: (document, params, context) => costs.check(document, params.operationName, params.variables, context as Context),
        admitMutation: (document, params, viewer) => rateLimit.admit(document, params.operationName, viewer.tokenId),
        mutated: (viewer) => {
          events.written();
          return wrote(viewer);
        },
        observer: {
          started: (request, params, viewer) => logging.laneRequestStarted(request, params, viewer),
          bound: (log, context) => logging.laneContext(log, context),
          failed: (log, error) => log.logUnexpected(error),
          ended: (log, request, { status, headers, result, document, operationName, ran }) => {
            logging.laneRequestEnded(log, request, status, headers, { result, document, operationName });
            const seconds = (performance.now() - request.startedAt) / 1000;
            metrics.laneRequest({ document, operationName, method: request.method, status, seconds, errors: result.errors, ...(ran ? { ran } : {}) });
          },
        },
        onError: (error) => logger.error({ err: describeError(error) }, "unexpected error"),
      });

  /**
   * The context a WebSocket subscription runs in, outside the envelope: what its resolvers read
   * and its log, made afresh in one shape (a copy of the envelope's, its properties added one by
   * one, would give every subscription a hidden class of its own).
   */
  const subscriptionContext = (built: Context): Context => {
    const context = contextFor(built.viewer!);
    const log = logOf(built);
    if (log) bindLog(context, log);
    return context;
  };

  const yogaLogger = logging.yogaLogger();
  const maskedErrors = new WeakSet<object>();
  /** As yoga masks an error (its option below), for the WebSocket subscriptions that run outside it. */
  const masked = (error: unknown): unknown => {
    if (typeof error === "object" && error !== null && maskedErrors.has(error)) return error;
    const answer = withCode(maskError(error, UNEXPECTED_ERROR, false) as GraphQLError);
    if (answer !== error) yogaLogger.error(error);
    maskedErrors.add(answer);
    return answer;
  };
  /**
   * Around every WebSocket subscription (tracing off): what the plugins' subscription hooks would
   * do, in their order (the log and the error counts see an error before it is masked), from one
   * object for all of them.
   */
  const socketStreams: StreamObserver = {
    started: () => metrics.socketSubscriptionStarted(),
    result: (args, result) => {
      if (!result.errors?.length) return result;
      logOf(args.contextValue as object)?.noteResult(result.errors);
      metrics.countErrors(result.errors);
      // A socket has no HTTP status for `extensions.http` to set: it is not the client's to see.
      return { ...result, errors: result.errors.map((error) => withoutHttp(masked(error) as GraphQLError)) };
    },
    failed: (_args, error) => {
      const answer = masked(error);
      return answer instanceof GraphQLError ? withoutHttp(answer) : answer;
    },
    ended: (args, seconds, streamed) => metrics.socketSubscriptionEnded(args.document, args.operationName, seconds, streamed),
  };

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // Any origin, with credentials, as yoga's default; and the headers a page of another origin
    // may read: the position a mutation wrote at (for read-your-writes) and the request's id.
    cors: { exposedHeaders: EXPOSED_HEADERS },
    landingPage: false,
    // Replaced by the document cache, bounded in bytes (its plugin, last below).
    parserAndValidationCache: false,
    // Off: it would count uploaded files too; useRequestBodies limits every other body instead.
    maxRequestBodySize: false,
    // Error details never reach clients, whatever NODE_ENV says; the logs have them. Every error
    // yoga answers with passes here, and leaves with a code (src/graphql/error-codes.ts).
    maskedErrors: { isDev: false, errorMessage: UNEXPECTED_ERROR, maskError: (error, message) => withCode(maskError(error, message, false) as GraphQLError) },
    logging: yogaLogger,
    context: async ({ request, connectionParams, viewer: laneViewer, params }): Promise<Context> => {
      // HTTP requests were authenticated before parsing; WebSocket operations are authenticated
      // here, each time, so that a token revoked while a socket is open stops working at once.
      const viewer =
        laneViewer ??
        (request ? viewers.get(request) : await authenticator.authenticate(bearerSecret(connectionAuthorization(connectionParams))));
      if (!viewer) throw unauthenticated();
      if (replicas && isQuery(params)) return contextFor(viewer, await readDb(viewer, request?.headers.get(LSN_HEADER), request?.headers.get("cookie")));
      return contextFor(viewer);
    },
    // Served by usePlayground below: a small page, cached and compressed assets.
    graphiql: false,
    plugins: [
      // First, so that every line of a request, from any plugin after it, carries its request id.
      logging.plugin(),
      ...(tracing ? [tracing] : []),
      useReadinessCheck({ check: () => databaseAnswers(db) }),
      usePlayground({
        title: "jobgraph",
        endpoint: "/graphql",
        tabs: playgroundTabs,
        // The playground sends subscriptions as server-sent events over GET, which CSRF prevention
        // refuses without one of its headers; a page of another origin cannot set it.
        additionalHeaders: { "x-graphql-yoga-csrf": "graphiql" },
        ...(playgroundToken ? { token: playgroundToken } : {}),
      }),
      // The dashboard at /, as web/ was last built.
      useDashboard({ dir: path.join(projectRoot, "dist", "web"), token: playgroundToken }),
      ...metrics.plugins(),
      useOutputDownloads(db, outputs, authenticator),
      // Browsers send GET and multipart requests without a CORS preflight; one of these headers
      // proves the request comes from a client that could have been preflighted.
      useCsrfPrevention(CSRF_HEADERS),
      useAuthentication(authenticator, viewers, logging),
      ...(trustedDocuments ? [trustedDocuments.plugin((request) => viewers.get(request))] : []),
      useRequestBodies({ maxBodyBytes: limits.maxBodyBytes, maxFiles: limits.maxUploadFiles }),
      useVariablesDepth(),
      EnvelopArmorPlugin({
        maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
        maxAliases: { n: limits.maxAliases },
        maxTokens: { n: limits.maxTokens },
        maxDirectives: { n: limits.maxDirectives },
        // Cost is computed by the schema itself (builder.ts), which knows page sizes.
        costLimit: { enabled: false },
        // "Did you mean ...?" hints spell out the schema to anyone probing it.
        blockFieldSuggestion: { enabled: production },
      }),
      useValidationStatus(),
      rateLimit.plugin(),
      useAfterMutations(events, wrote),
      useQueryCosts(costs),
      useCompiledQueries(compiled),
      useLeanSubscribe(),
      // @defer and @stream: a job's detail shows at once, its tasks and events follow as they are read.
      useDeferStream(),
      useAcceptableAnswers(),
      documents.plugin(),
    ],
  });

  const server = createServer(lane ? lane.listener(yoga) : yoga);
  // A message carries what a request body would, with the protocol's envelope around it; a larger
  // one closes its socket (1009), as a larger body is refused (413). The ws default is 100 MiB.
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: limits.maxBodyBytes + WS_ENVELOPE_BYTES });
  serveGraphqlWs<Record<string, unknown>>(
    {
      execute: (args) => forSocket((args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args)) as never,
      // While tracing, a subscription goes through yoga's envelope, whose hooks trace it for as long
      // as its stream lasts; otherwise around it, with socketStreams doing what the hooks would
      // (an idle subscription then keeps none of the envelope's per-stream wrappers).
      subscribe: (args) => {
        if (tracing) return (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never;
        costs.check(args.document, args.operationName, args.variableValues, args.contextValue as Context);
        return observedSubscribe(args, socketStreams);
      },
      // A missing or bad token closes the socket with 4403 at connection_init.
      onConnect: async (ctx) => {
        const viewer = await authenticator.authenticate(bearerSecret(connectionAuthorization(ctx.connectionParams)));
        logging.socketOpened(ctx, ctx.extra.request, viewer);
        return viewer !== null;
      },
      onClose: (ctx, code) => logging.socketClosed(ctx, code),
      onComplete: (ctx, id) => logging.operationCompleted(ctx, id),
      onSubscribe: async (ctx, id, payload) => {
        // A trusted document may come by hash (its text then empty), as over HTTP.
        const hash = trustedDocuments ? documentIdOf(payload) : null;
        const trustedText = hash === null ? undefined : trustedDocuments!.textOf(hash);
        const query = trustedText ?? payload.query;
        const initialContext: ServerContext = {
          connectionParams: ctx.connectionParams,
          params: { query, operationName: payload.operationName ?? undefined },
        };
        logging.operationReceived(ctx, id, payload.variables, initialContext);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(initialContext);
        const refuse = (errors: readonly GraphQLError[]) => {
          logging.operationRefused(ctx, id, errors);
          metrics.countErrors(errors);
          return errors.map((error) => withoutHttp(withCode(error)));
        };
        // A refused operation (bad document, revoked token) answers that operation with its
        // errors; it must not take down the socket and every other operation on it.
        try {
          // graphql-ws counts this one already. Each idle subscription holds memory and a share
          // of every event's matching: ten thousand on one socket slowed the whole gateway.
          if (Object.keys(ctx.subscriptions).length > limits.maxSocketOperations) return refuse([tooManyOperations(limits.maxSocketOperations)]);
          const tooDeep = variablesDepthError(payload.variables);
          if (tooDeep) return refuse([tooDeep]);
          const contextValue = await contextFactory();
          if (hash !== null && trustedText === undefined) return refuse([trustedDocuments!.notFound()]);
          if (hash === null && trustedDocuments && !trustedDocuments.allows(query, contextValue.viewer)) return refuse([trustedDocuments.refused()]);
          const document = parse(query);
          const errors = validate(schema, document);
          if (errors.length) return refuse(errors);
          logging.operationStarted(ctx, id, contextValue.viewer);
          // A subscription that runs outside yoga's envelope (see subscribe below) needs neither
          // of its functions, and runs in a context of its own, so that the one the envelope built
          // goes: yoga's Prometheus plugin keeps an entry for it in a WeakMap as long as it lives,
          // and V8 marks every such entry in the atomic pause of each full collection (most of a
          // second with 50,000 subscriptions).
          const lean = !tracing && getOperationAST(document, payload.operationName ?? undefined)?.operation === "subscription";
          return {
            schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: lean ? subscriptionContext(contextValue) : contextValue,
            rootValue: lean ? undefined : { execute, subscribe },
          };
        } catch (error) {
          if (error instanceof GraphQLError) return refuse([error]);
          logging.operationFailed(ctx, id, error);
          throw error;
        }
      },
    },
    wsServer,
  );

  const reclaimer = new Reclaimer(
    db,
    reclaimIntervalMs,
    (result) => {
      metrics.leasesReclaimed(result);
      events.written();
    },
    outputs,
  );
  const ticker = new ScheduleTicker(
    db,
    scheduleIntervalMs,
    scheduleGraceSeconds * 1000,
    (pass) => {
      metrics.scheduleTicks(pass);
      events.written();
    },
    passFailures(logger, "a pass over the due schedules"),
  );
  const pruner = new HistoryPruner(
    db,
    retention,
    retentionIntervalMs,
    (pruned) => {
      logger.info(pruned, "deleted what the retention no longer keeps");
      // Jobs deleted leave HARD_DELETED events, which the streams of other instances are woken for.
      if (pruned.jobs > 0) events.written();
    },
    passFailures(logger, "a pass of the retention"),
  );
  const demo = demoWorker
    ? new DemoWorker({ db, databaseUrl: directDatabaseUrl, settings, logger, onWritten: () => events.written() })
    : undefined;

  return {
    yoga,
    server,
    events,
    async start(port, host = "127.0.0.1") {
      await replicas?.start();
      reclaimer.start();
      ticker.start();
      pruner.start();
      demo?.start();
      const sweeps = setInterval(sweepStreams, tokenSweepMs);
      sweeps.unref();
      const unlisten = onTokensChanged(sweepStreams);
      stopSweeps = () => {
        clearInterval(sweeps);
        unlisten();
      };
      // Remembered principals are only trusted while revocations from other instances are heard.
      if (authCacheSeconds > 0) await events.listenForAnnouncements();
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async stop() {
      stopSweeps?.();
      await sweeping;
      await demo?.stop();
      await reclaimer.stop();
      await ticker.stop();
      await pruner.stop();
      await events.stop();
      for (const client of wsServer.clients) client.close(1001, "server stopping");
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still open after the grace period (server-sent event streams never end on
        // their own) are cut, so that stopping always finishes.
        setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref();
      });
      await contentPool.end();
      outputs.store.close?.();
      await replicas?.stop();
    },
  };
}
