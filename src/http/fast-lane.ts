// The fast lane: GraphQL requests POSTed as JSON, and queries sent by GET, for documents the
// gateway has validated before, answered straight from Node's request and response. A query or a mutation runs compiled
// (graphql-jit), with the context yoga would give it, what yoga's plugins do around it done here
// (the cost check; for a mutation the rate limit first, and waking the event tail after), and its
// errors masked as yoga masks them; an operation that is not compiled runs through yoga's envelope
// (the same caches, context, plugins and masking as yoga's own handler). Either way the answer is
// what yoga's result processing makes of the result.
//
// Why: behind yoga's handler every request becomes a fetch-API Request and Response (headers
// objects, an AbortController, body streams, a dozen promise layers), and then runs every plugin's
// hooks for parsing and validating a document that was parsed and validated before. For a small
// query that was most of the gateway's CPU per request: the job by id cost about 1 ms, of which
// executing the query and its SQL was a fifth (docs/performance.md). Workers' mutations and
// dashboards' polls are exactly such requests; so are the queries of clients that send them by
// GET (urql's default within the URL's length, Apollo's for documents sent by hash).
//
// A trusted document sent by hash (src/graphql/trusted-documents.ts) is served as its text would be.
// Anything else goes to yoga unchanged: other methods and paths, multipart uploads, bodies without
// a Content-Length or over the limit, GET requests for a mutation, for the playground (Accept
// text/html) or without a CSRF prevention header, Accept headers that ask for streams, batches, documents not
// yet validated here (the first sight of each goes through yoga, which validates it), documents
// with @defer or @stream, documents the caller may not send (trusted documents only: yoga refuses
// them), and requests whose token is refused (yoga answers 401).
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLSchema } from "graphql";
import { processRegularResult, type GraphQLParams } from "graphql-yoga";
import { maskError, responseTooLarge, tooLongToWrite } from "../graphql/mask.js";
import type { Principal } from "../domain/principal.js";
import { variablesRefused, type CompiledQueries } from "../graphql/compiled-queries.js";
import { asksForIncrementalDelivery } from "../graphql/incremental.js";
import { documentIdOf, type TrustedDocuments } from "../graphql/trusted-documents.js";
import type { DocumentCache } from "../graphql/documents.js";
import { MAX_VARIABLES_DEPTH, nestedDeeperThan } from "../graphql/input-guard.js";

/** What yoga gives the lane: its envelope and its listener, for what the lane does not serve. */
export type YogaForLane<TContext> = {
  (req: IncomingMessage, res: ServerResponse): unknown;
  graphqlEndpoint: string;
  getEnveloped(initialContext: TContext): {
    schema: ExecutionArgs["schema"];
    parse(source: string): ExecutionArgs["document"];
    validate(schema: ExecutionArgs["schema"], document: ExecutionArgs["document"]): readonly GraphQLError[];
    contextFactory(): Promise<unknown> | unknown;
    execute(args: ExecutionArgs): Promise<unknown> | unknown;
  };
};

/** One request the lane serves, as the logs and metrics see it. */
export type LaneRequest = {
  headers: IncomingMessage["headers"];
  method: string;
  path: string;
  startedAt: number;
};

/** What the lane reports to the gateway's logs and metrics; `T` is the request's log. */
export type LaneObserver<T> = {
  /** A request the lane serves, authenticated as `viewer`; called before its operation runs. */
  started(request: LaneRequest, params: GraphQLParams, viewer: Principal): T;
  /** The context an operation of this request runs in was made. */
  bound(log: T, initialContext: object): void;
  /** An error that broke the request outside the GraphQL execution (masked in the answer). */
  failed(log: T, error: unknown): void;
  /** The request was answered; `ran` when the lane ran a query itself, with how long its phases took. */
  ended(log: T, request: LaneRequest, answer: { status: number; headers: Record<string, string> } & Outcome): void;
};

/** What an operation came to. */
type Outcome = {
  result: ExecutionResult;
  document?: DocumentNode;
  operationName?: string | null;
  ran?: { contextSeconds: number; executeSeconds: number };
  /** Headers the answer gets besides yoga's. */
  headers?: Record<string, string>;
};

export type FastLaneOptions<TContext, T> = {
  maxBodyBytes: number;
  /** The headers CSRF prevention asks of a GET request (one of them, any value): without one, yoga refuses it. */
  csrfHeaders: readonly string[];
  /** The answer's headers yoga's CORS lets a page of another origin read. */
  exposedHeaders: readonly string[];
  schema: GraphQLSchema;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /**
   * The initial context of an operation, as yoga's handler would give it to the context factory;
   * `admitted` when the lane counted its mutations against the rate limit already.
   */
  initialContext(params: GraphQLParams, viewer: Principal, admitted: boolean): TContext;
  /**
   * The GraphQL context of an operation the lane runs itself: what yoga's context factory makes.
   * A query's comes with the request's headers (it may read from a replica, see src/db/replicas.ts).
   */
  context(viewer: Principal, query?: IncomingMessage["headers"]): unknown;
  /** The documents yoga parsed and validated: the lane serves those that passed validation. */
  documents: Pick<DocumentCache, "validDocument">;
  /** The compiled form of an operation (shared with the plugin that runs compiled operations under yoga). */
  compiled: CompiledQueries;
  /** Trusted documents, when the gateway has them: documents sent by hash, and who may send others. */
  trusted?: TrustedDocuments | undefined;
  /** What yoga's plugins do before an operation executes that its resolvers rely on (its cost check). */
  beforeQuery(document: DocumentNode, params: GraphQLParams, context: unknown): void;
  /** The mutation rate limit: null when the document's mutations may run, else the error to answer with. */
  admitMutation(document: DocumentNode, params: GraphQLParams, viewer: Principal): Promise<GraphQLError | null>;
  /**
   * A mutation ran (whether or not it changed anything): yoga's plugins wake the event tail then.
   * Resolves to headers for the answer, if any.
   */
  mutated(viewer: Principal): Promise<Record<string, string> | undefined>;
  observer: LaneObserver<T>;
  /** An error that escaped everything else (a bug): logged, and answered 500. */
  onError(error: unknown): void;
};

/** The media types yoga answers a single result with, in the order its result processor tries them. */
const REGULAR_MEDIA_TYPES = ["application/graphql-response+json", "application/json"] as const;
type RegularMediaType = (typeof REGULAR_MEDIA_TYPES)[number];

/**
 * The media type yoga would answer a single result with for this Accept header, or null when it
 * would pick a stream (or nothing): exactly its result processor's choice (its accept.js). Only
 * utf-8 counts; of the client's types, the first that one of yoga's matches wins, and a wildcard
 * gets application/json.
 */
export function regularMediaType(accept: string | undefined): RegularMediaType | null {
  const asked = (accept || "*/*").replace(/\s/g, "").toLowerCase().split(",").reverse();
  let chosen: RegularMediaType | null = null;
  for (const entry of asked) {
    const [type, ...params] = entry.split(";");
    const charset = params.find((p) => p.includes("charset=")) ?? "charset=utf-8";
    if (charset !== "charset=utf-8" || !type) continue;
    const [pre, suf] = type.split("/");
    for (const candidate of REGULAR_MEDIA_TYPES) {
      const [cpre, csuf] = candidate.split("/");
      if ((pre === "*" || pre === cpre) && (suf === "*" || suf === csuf)) chosen = candidate;
    }
  }
  return chosen;
}

/** A Content-Type yoga reads as a JSON POST: application/json, any parameters but a charset other than utf-8. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.toLowerCase().split(";").map((p) => p.trim());
  if (type !== "application/json") return false;
  return params.every((p) => !p.startsWith("charset=") || p === "charset=utf-8" || p === 'charset="utf-8"');
}

/** JSON text as a value, or undefined when it is not JSON. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body of a single GraphQL request, exactly as yoga accepts one; anything else is left to yoga. */
function paramsOfBody(body: Buffer): GraphQLParams | null {
  const value = parsed(body.toString("utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { query, variables, operationName, extensions, documentId, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length) return null;
  return paramsOf(query, variables, operationName, extensions, documentId);
}

/**
 * The search parameters of a GET request, as yoga reads them (its handleURLSearchParams: an empty
 * parameter counts as absent, variables and extensions are JSON); null for what yoga refuses (JSON
 * that does not parse) and for a documentId, which yoga does not read from a URL.
 */
function paramsOfSearch(search: string): GraphQLParams | null {
  const found = new URLSearchParams(search);
  if (found.has("documentId")) return null;
  const json = (name: string) => {
    const text = found.get(name);
    return text ? (parsed(text) ?? null) : undefined;
  };
  const variables = json("variables");
  const extensions = json("extensions");
  if (variables === null || extensions === null) return null;
  return paramsOf(found.get("query") || undefined, variables, found.get("operationName") || undefined, extensions, undefined);
}

/** A request's parameters, as yoga takes them; null for anything the lane leaves to yoga. */
function paramsOf(query: unknown, variables: unknown, operationName: unknown, extensions: unknown, documentId: unknown): GraphQLParams | null {
  if (extensions != null && (typeof extensions !== "object" || Array.isArray(extensions))) return null;
  if (documentId != null && typeof documentId !== "string") return null;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return null;
  // Variables nested too deep are yoga's to refuse (useVariablesDepth), before anything walks them.
  if (nestedDeeperThan(variables, MAX_VARIABLES_DEPTH)) return null;
  if (operationName != null && typeof operationName !== "string") return null;
  const common = { variables: (variables ?? undefined) as Record<string, unknown> | undefined, operationName: (operationName ?? undefined) as string | undefined };
  // A trusted document's hash instead of its text (see #serve). Extensions beside a text may be
  // meant for yoga's plugins: yoga's to serve.
  const byHash = extensions != null || documentId != null;
  if (query === undefined) return byHash ? ({ ...common, extensions: extensions as Record<string, unknown>, documentId } as GraphQLParams) : null;
  if (typeof query !== "string" || byHash) return null;
  return { query, ...common };
}

/** processRegularResult's answer, taken as it is instead of as a fetch Response. */
class Answer {
  constructor(
    readonly body: string | null,
    readonly init: { status?: number; headers?: Record<string, string> },
  ) {}
}
const CAPTURE = { Response: Answer } as unknown as Parameters<typeof processRegularResult>[1];

/** CORS headers as yoga gives them (any origin, with credentials, and the headers it exposes), for a request with an Origin. */
function corsHeaders(headers: IncomingMessage["headers"], exposed: string): Record<string, string> {
  const origin = headers.origin;
  if (origin === undefined) return {};
  return { "Access-Control-Allow-Origin": origin, Vary: "Origin", "Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": exposed };
}

const UNEXPECTED = "Unexpected error.";

export class FastLane<TContext, T> {
  readonly #options: FastLaneOptions<TContext, T>;
  readonly #operationTypes = new WeakMap<DocumentNode, Map<string | undefined, string | undefined>>();
  readonly #exposed: string;

  constructor(options: FastLaneOptions<TContext, T>) {
    this.#options = options;
    this.#exposed = options.exposedHeaders.join(", ");
  }

  /** The HTTP server's request listener: the lane in front of `yoga`. */
  listener(yoga: YogaForLane<TContext>): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => this.#route(yoga, req, res);
  }

  #route(yoga: YogaForLane<TContext>, req: IncomingMessage, res: ServerResponse): void {
    const { maxBodyBytes } = this.#options;
    const length = req.headers["content-length"];
    const mediaType = regularMediaType(req.headers.accept);
    if (req.method === "GET") {
      this.#routeGet(yoga, req, res, mediaType);
      return;
    }
    if (
      req.method !== "POST" ||
      req.url !== yoga.graphqlEndpoint ||
      !isJson(req.headers["content-type"]) ||
      length === undefined ||
      !/^\d{1,10}$/.test(length) ||
      Number(length) > maxBodyBytes ||
      mediaType === null
    ) {
      void yoga(req, res);
      return;
    }
    const request: LaneRequest = { headers: req.headers, method: "POST", path: yoga.graphqlEndpoint, startedAt: performance.now() };
    const chunks: Buffer[] = [];
    // A client that goes away mid-body leaves nothing to answer.
    req.once("error", () => undefined);
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.#answer(res, this.#serve(yoga, req, res, request, mediaType, paramsOfBody(body), () => this.#handOver(yoga, req, res, body)));
    });
  }

  /**
   * A GET request: a query whose parameters are in the URL. The playground's page (Accept
   * text/html), a request without a CSRF prevention header (yoga refuses it) and a mutation (yoga
   * answers 405) are yoga's, as is a GET of any other path.
   */
  #routeGet(yoga: YogaForLane<TContext>, req: IncomingMessage, res: ServerResponse, mediaType: RegularMediaType | null): void {
    const url = req.url ?? "";
    const mark = url.indexOf("?");
    if (
      mark < 0 ||
      url.slice(0, mark) !== yoga.graphqlEndpoint ||
      mediaType === null ||
      req.headers.accept?.includes("text/html") ||
      !this.#options.csrfHeaders.some((name) => req.headers[name] !== undefined)
    ) {
      void yoga(req, res);
      return;
    }
    const request: LaneRequest = { headers: req.headers, method: "GET", path: yoga.graphqlEndpoint, startedAt: performance.now() };
    this.#answer(res, this.#serve(yoga, req, res, request, mediaType, paramsOfSearch(url.slice(mark + 1)), () => void yoga(req, res)));
  }

  /** Answers 500 for an error that escaped everything else (a bug). */
  #answer(res: ServerResponse, served: Promise<void>): void {
    served.catch((error: unknown) => {
      this.#options.onError(error);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
      res.end('{"errors":[{"message":"Unexpected error."}]}');
    });
  }

  /** The type of the operation a request names in a document, remembered per document. */
  #operationType(document: DocumentNode, operationName: string | null | undefined): string | undefined {
    let byName = this.#operationTypes.get(document);
    if (!byName) this.#operationTypes.set(document, (byName = new Map()));
    const name = operationName ?? undefined;
    if (!byName.has(name)) byName.set(name, getOperationAST(document, name)?.operation);
    return byName.get(name);
  }

  /**
   * Hands a request whose body was read to yoga, which reads the body from `req.body`. As a stream:
   * yoga's Node adapter lists the keys of a body it is given as a Buffer or a string, one per byte,
   * which for a body of 900 KB cost a third of a second and tens of megabytes of garbage.
   */
  #handOver(yoga: YogaForLane<TContext>, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    (req as IncomingMessage & { body?: Readable }).body = Readable.from([body]);
    void yoga(req, res);
  }

  /**
   * Serves a request whose parameters were read (`params`, null when they are not the lane's to
   * serve); `handOver` passes it to yoga as it came.
   */
  async #serve(
    yoga: YogaForLane<TContext>,
    req: IncomingMessage,
    res: ServerResponse,
    request: LaneRequest,
    mediaType: RegularMediaType,
    received: GraphQLParams | null,
    handOver: () => void,
  ): Promise<void> {
    const { authenticate, observer, trusted } = this.#options;
    let params = received;
    // A trusted document sent by hash runs as its text would; a hash no manifest holds is yoga's to refuse.
    const id = params && params.query === undefined ? documentIdOf(params as GraphQLParams & { documentId?: unknown }) : null;
    if (params && params.query === undefined) {
      const text = id !== null ? trusted?.textOf(id) : undefined;
      params = text === undefined ? null : { query: text, variables: params.variables, operationName: params.operationName, extensions: params.extensions };
    }
    const document = params && this.#options.documents.validDocument(params.query!);
    // Subscriptions and documents with @defer or @stream stream (or are refused, when the client
    // takes no stream): yoga's to answer. So is a GET of anything but a query (405 for a mutation).
    const type = document ? this.#operationType(document, params!.operationName) : undefined;
    if (!params || !document || type === "subscription" || (request.method === "GET" && type !== "query") || asksForIncrementalDelivery(document)) {
      return handOver();
    }
    let viewer: Principal | null;
    try {
      viewer = await authenticate(req.headers.authorization);
    } catch {
      // The database is out of reach: yoga answers as it does for every other request then.
      return handOver();
    }
    if (!viewer) return handOver();
    // A document sent in full that the caller may not send (trusted documents only): yoga refuses it.
    if (id === null && trusted && !trusted.allows(params.query!, viewer)) return handOver();
    const log = observer.started(request, params, viewer);
    const outcome = (await this.#runCompiled(yoga, req, log, document, params, viewer)) ?? (await this.#run(yoga, log, params, viewer, false));
    let { result } = outcome;
    let answer: Answer;
    try {
      answer = processRegularResult(result, CAPTURE, mediaType) as unknown as Answer;
    } catch (error) {
      if (!tooLongToWrite(error)) throw error;
      result = { errors: [responseTooLarge()] };
      answer = processRegularResult(result, CAPTURE, mediaType) as unknown as Answer;
    }
    const headers: Record<string, string> = { ...answer.init.headers, ...corsHeaders(req.headers, this.#exposed), ...outcome.headers };
    const status = answer.init.status ?? 200;
    observer.ended(log, request, { status, headers, ...outcome, result });
    const text = answer.body ?? "";
    headers["Content-Length"] = String(Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
  }

  /**
   * Runs a query or a mutation compiled, as yoga would run it (the compiled-queries plugin): with
   * the context yoga's factory makes, a mutation counted by the rate limit first and the event tail
   * woken after it, and unexpected errors masked and logged as yoga's masking does. Undefined for
   * what is not compiled, and for variables that do not coerce, which yoga's envelope answers as a
   * request error.
   */
  async #runCompiled(yoga: YogaForLane<TContext>, req: IncomingMessage, log: T, document: DocumentNode, params: GraphQLParams, viewer: Principal): Promise<Outcome | undefined> {
    const { schema, compiled, context, beforeQuery, admitMutation, mutated, observer } = this.#options;
    const operation = compiled.for(schema, document, params.operationName);
    if (!operation) return undefined;
    const finish = (result: ExecutionResult, ran: Outcome["ran"]): Outcome => {
      const errors = result.errors?.map((error) => {
        const masked = maskError(error, UNEXPECTED, false) as GraphQLError;
        if (masked !== error) observer.failed(log, error);
        return masked;
      });
      return { result: errors ? { ...result, errors } : result, document, operationName: params.operationName ?? null, ...(ran ? { ran } : {}) };
    };
    const run = async (query: boolean): Promise<Outcome | undefined> => {
      const started = performance.now();
      const contextValue = await context(viewer, query ? req.headers : undefined);
      const built = performance.now();
      beforeQuery(document, params, contextValue);
      const pending = operation.query(undefined, contextValue, params.variables ?? {});
      if (variablesRefused(pending)) return undefined;
      const result = await pending;
      return finish(result, { contextSeconds: (built - started) / 1000, executeSeconds: (performance.now() - built) / 1000 });
    };
    if (this.#operationType(document, params.operationName) !== "mutation") return run(true);
    const refusal = await admitMutation(document, params, viewer);
    if (refusal) return finish({ errors: [refusal] }, undefined);
    let outcome: Outcome | undefined;
    try {
      outcome = await run(false);
    } catch (error) {
      await mutated(viewer).catch(() => undefined);
      throw error;
    }
    // Variables that do not coerce ran nothing; yoga's envelope answers them, without counting the mutations again.
    if (!outcome) return this.#run(yoga, log, params, viewer, true);
    const headers = await mutated(viewer);
    return headers ? { ...outcome, headers } : outcome;
  }

  async #run(yoga: YogaForLane<TContext>, log: T, params: GraphQLParams, viewer: Principal, admitted: boolean): Promise<Outcome> {
    const { initialContext, observer } = this.#options;
    const initial = initialContext(params, viewer, admitted);
    observer.bound(log, initial as object);
    const enveloped = yoga.getEnveloped(initial);
    try {
      const document = enveloped.parse(params.query!);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length) return { result: { errors }, document, operationName: params.operationName ?? null };
      const contextValue = await enveloped.contextFactory();
      const result = (await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables ?? null,
        operationName: params.operationName ?? null,
      })) as ExecutionResult;
      return { result, document, operationName: params.operationName ?? null };
    } catch (error) {
      observer.failed(log, error);
      return { result: { errors: [maskError(error, UNEXPECTED, false) as GraphQLError] } };
    }
  }
}
