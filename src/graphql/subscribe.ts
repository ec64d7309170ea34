// Subscriptions through graphql-js' own algorithm (createSourceEventStream, then `execute` for each
// event) instead of yoga's default executor, whose subscribe wraps every stream three times (a
// mapping iterator, another for incremental delivery, which this schema does not offer, and an
// async generator that flattens it) and keeps a per-event execution context besides. A gateway
// holds each idle subscription for hours, and tens of thousands at once: what one keeps here is
// this object and the read it waits on, its behaviour on the prototype.
//
// Over WebSocket, subscriptions skip envelop's subscribe as well (`observedSubscribe`): for each
// stream it would stack three more wrappers, one each for its plugins' result, end and error
// hooks, with the hooks' arrays and closures (about 4 KB a stream, more than the rest of an idle
// subscription). What those hooks do (masking errors, logging them, counting them, timing the
// operation) is done instead by one observer shared by every stream, called per event and once
// at each stream's end.
import { contextCacheSymbol } from "@pothos/core";
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  locatedError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Principal } from "../domain/principal.js";
import type { Context } from "./context.js";
import { UNAUTHENTICATED } from "./error-codes.js";

type PromiseOrValue<T> = T | Promise<T>;

/**
 * What a transport does around each of its subscriptions, one object for all of them. Its methods
 * get the subscription's execution arguments, which hold its document and context.
 */
export type StreamObserver = {
  /** A stream began. */
  started(args: ExecutionArgs): void;
  /** A result about to be sent (the only one of a subscription refused at its start, or an event's); returns what to send. */
  result(args: ExecutionArgs, result: ExecutionResult): ExecutionResult;
  /** The stream's source failed with `error`; returns what to report instead. */
  failed(args: ExecutionArgs, error: unknown): unknown;
  /**
   * The subscription is over (its stream ended, was ended by the client, or failed; or it never
   * streamed), `seconds` after it was asked for; called once.
   */
  ended(args: ExecutionArgs, seconds: number, streamed: boolean): void;
};

/**
 * Pothos keeps per-request state (granted auth scopes and their caches, the model loaders' caches)
 * by the context's cache key. A subscription's context lives as long as it does; each event's
 * execution is a request of its own, so the key is renewed after the subscription started and
 * after every event, and what the previous one kept goes with it.
 */
function renewRequestCaches(context: unknown): void {
  if (context && typeof context === "object" && contextCacheSymbol in context) (context as Record<symbol, object>)[contextCacheSymbol] = {};
}

/**
 * Executions of one event, shared by the subscriptions it reaches: the same selection of the same
 * event for the same variables and the same viewer gives the same result, so a job watched by 50
 * subscribers is executed once per event rather than 50 times. Each subscription that is waiting
 * when the event arrives asks for it in the same turn of the event loop; the entries go at the
 * next (one that asks later, behind a slow connection, executes on its own).
 */
type Shared = { document: DocumentNode; key: string; result: PromiseOrValue<ExecutionResult> };
const executions = new Map<object, Shared[]>();
let clearing = false;

function clearExecutions(): void {
  executions.clear();
  clearing = false;
}

/** Who a context's viewer is, as far as what resolvers may show them depends on it; undefined when there is none. */
function viewerKey(context: unknown): string | undefined {
  const viewer = (context as Partial<Context> | undefined)?.viewer;
  if (!viewer) return undefined;
  return viewer.kind === "USER" ? `U ${viewer.userId} ${viewer.role} ${viewer.tokenId}` : `N ${viewer.nodeId} ${viewer.tokenId}`;
}

function executeEvent(args: ExecutionArgs, event: unknown): PromiseOrValue<ExecutionResult> {
  const viewer = typeof event === "object" && event !== null ? viewerKey(args.contextValue) : undefined;
  if (viewer === undefined) return execute({ ...args, rootValue: event });
  const key = `${args.operationName ?? ""}\n${viewer}\n${JSON.stringify(args.variableValues ?? null)}`;
  let shared = executions.get(event as object);
  const found = shared?.find((s) => s.document === args.document && s.key === key);
  if (found) return found.result;
  const result = execute({ ...args, rootValue: event });
  if (!shared) executions.set(event as object, (shared = []));
  shared.push({ document: args.document, key, result });
  if (!clearing) {
    clearing = true;
    setImmediate(clearExecutions);
  }
  return result;
}

/**
 * The streams open on this instance, by the API token each was opened with. A subscription's token
 * is checked when it starts; a token revoked, expired or deleted since (with its user or node), or
 * a user disabled or given another role, ends its streams (see sweep), which would otherwise go on
 * delivering to whoever held the token.
 */
export class OpenStreams {
  readonly #byToken = new Map<string, Set<ExecutedStream>>();

  add(tokenId: string, stream: ExecutedStream): void {
    let streams = this.#byToken.get(tokenId);
    if (!streams) this.#byToken.set(tokenId, (streams = new Set()));
    streams.add(stream);
  }

  delete(tokenId: string, stream: ExecutedStream): void {
    const streams = this.#byToken.get(tokenId);
    if (!streams?.delete(stream)) return;
    if (!streams.size) this.#byToken.delete(tokenId);
  }

  /** How many streams are open. */
  get size(): number {
    let size = 0;
    for (const streams of this.#byToken.values()) size += streams.size;
    return size;
  }

  /**
   * Ends the streams whose token `valid` (given the tokens streams are open with) no longer finds
   * valid, or finds of a user whose role is not the one the stream was opened with: each sends an
   * UNAUTHENTICATED error, then completes. Returns how many it ended.
   */
  async sweep(valid: (tokenIds: string[]) => Promise<ReadonlyMap<string, string | null>>): Promise<number> {
    if (!this.#byToken.size) return 0;
    // Only the tokens asked about: a stream opened while the check ran, with a token the check did
    // not see, is no stream of a token found invalid.
    const asked = [...this.#byToken.keys()];
    const found = await valid(asked);
    let ended = 0;
    for (const tokenId of asked) {
      for (const stream of [...(this.#byToken.get(tokenId) ?? [])]) {
        const viewer = stream.viewer!;
        const role = found.get(tokenId);
        if (role === undefined || (viewer.kind === "USER" && viewer.role !== role)) {
          stream.endWith(TOKEN_GONE);
          ended++;
        }
      }
    }
    return ended;
  }
}

/** What a stream ended by a sweep sends last. */
const TOKEN_GONE: ExecutionResult = {
  errors: [
    new GraphQLError("the token this subscription was opened with is no longer valid (revoked, expired or deleted): subscribe again with a valid token", {
      extensions: { code: UNAUTHENTICATED },
    }),
  ],
};

/** Each event of the source stream, executed as the subscription's selection with the event as root value. */
class ExecutedStream implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;
  /** Who opened the stream, when it is one of `streams`. */
  readonly viewer: Principal | undefined;
  private readonly streams: OpenStreams | undefined;
  /** Resolves the next() under way (a tracked stream's), for endWith. */
  private wake: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  /** What next() answers from now on, once endWith ended the stream: its last result, then done. */
  private ending: ExecutionResult | "done" | undefined;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly observer?: StreamObserver,
    /** performance.now() when the subscription was asked for (with an observer). */
    private readonly startedAt = 0,
  ) {
    const context = args.contextValue as Partial<Context> | undefined;
    if (context?.streams && context.viewer) {
      this.viewer = context.viewer;
      this.streams = context.streams;
      this.streams.add(this.viewer.tokenId, this);
    }
  }

  // Not an async function: one waiting in every idle subscription would keep a suspended frame.
  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.ending !== undefined) return Promise.resolve(this.afterEnd());
    const next = this.source.next().then(
      (event) => this.executed(event),
      (error: unknown) => {
        // As yoga's executor reports it: an error of the operation, not of a field.
        const operation = getOperationAST(this.args.document, this.args.operationName);
        const located = locatedError(error, operation ? [operation] : undefined);
        if (!this.observer) {
          this.end();
          throw located;
        }
        this.end();
        throw this.observer.failed(this.args, located);
      },
    );
    if (!this.streams) return next;
    return new Promise((resolve, reject) => {
      this.wake = resolve;
      next.then(
        (result) => {
          if (this.wake !== resolve) return;
          this.wake = undefined;
          resolve(result);
        },
        (error: unknown) => {
          if (this.wake !== resolve) return;
          this.wake = undefined;
          reject(error);
        },
      );
    });
  }

  /** Ends the stream: `last` is its last result (answering the next() under way, if one is), then it is done. */
  endWith(last: ExecutionResult): void {
    if (this.ending !== undefined || this.ended) return;
    const result = this.observer ? this.observer.result(this.args, last) : last;
    this.end();
    void this.closeSource();
    const wake = this.wake;
    this.wake = undefined;
    if (wake) {
      this.ending = "done";
      wake({ value: result, done: false });
    } else {
      this.ending = result;
    }
  }

  private afterEnd(): IteratorResult<ExecutionResult> {
    const last = this.ending!;
    this.ending = "done";
    return last === "done" ? { value: undefined, done: true } : { value: last, done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    if (this.ending !== undefined) return { value: undefined, done: true };
    return typeof this.source.return === "function" ? this.executed(await this.source.return()) : { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    if (typeof this.source.throw === "function") return this.executed(await this.source.throw(error));
    await this.closeSource();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async executed(event: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> {
    if (event.done) {
      this.end();
      return event;
    }
    try {
      const result = await executeEvent(this.args, event.value);
      if (!this.observer) return { value: result, done: false };
      renewRequestCaches(this.args.contextValue);
      return { value: this.observer.result(this.args, result), done: false };
    } catch (error) {
      this.end();
      await this.closeSource();
      throw this.observer ? this.observer.failed(this.args, error) : error;
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.streams) this.streams.delete(this.viewer!.tokenId, this);
    this.observer?.ended(this.args, (performance.now() - this.startedAt) / 1000, true);
  }

  private async closeSource(): Promise<void> {
    try {
      await this.source.return?.();
    } catch {
      // The first error is the one reported.
    }
  }
}

export async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const resultOrStream = await createSourceEventStream(args);
  if (!isAsyncIterable(resultOrStream)) return resultOrStream;
  return new ExecutedStream(resultOrStream[Symbol.asyncIterator](), args);
}

/** `subscribe`, with `observer` told of the stream's start, each result, a failure and the end. */
export async function observedSubscribe(args: ExecutionArgs, observer: StreamObserver): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const startedAt = performance.now();
  let resultOrStream;
  try {
    resultOrStream = await createSourceEventStream(args);
  } catch (error) {
    observer.ended(args, (performance.now() - startedAt) / 1000, false);
    throw observer.failed(args, error);
  }
  if (!isAsyncIterable(resultOrStream)) {
    const result = observer.result(args, resultOrStream);
    observer.ended(args, (performance.now() - startedAt) / 1000, false);
    return result;
  }
  renewRequestCaches(args.contextValue);
  observer.started(args);
  return new ExecutedStream(resultOrStream[Symbol.asyncIterator](), args, observer, startedAt);
}

/** Runs every subscription (over WebSocket or server-sent events) through `subscribe` above. */
export function useLeanSubscribe(): Plugin {
  return {
    onSubscribe: ({ setSubscribeFn }) => {
      setSubscribeFn(subscribe as never);
    },
  };
}
