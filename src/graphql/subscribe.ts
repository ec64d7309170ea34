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
  locatedError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Context } from "./context.js";

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

/** Each event of the source stream, executed as the subscription's selection with the event as root value. */
class ExecutedStream implements AsyncIterableIterator<ExecutionResult> {
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly observer?: StreamObserver,
    /** performance.now() when the subscription was asked for (with an observer). */
    private readonly startedAt = 0,
  ) {}

  // Not an async function: one waiting in every idle subscription would keep a suspended frame.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(
      (event) => this.executed(event),
      (error: unknown) => {
        // As yoga's executor reports it: an error of the operation, not of a field.
        const operation = getOperationAST(this.args.document, this.args.operationName);
        const located = locatedError(error, operation ? [operation] : undefined);
        if (!this.observer) throw located;
        this.end();
        throw this.observer.failed(this.args, located);
      },
    );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
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
    if (this.ended || !this.observer) return;
    this.ended = true;
    this.observer.ended(this.args, (performance.now() - this.startedAt) / 1000, true);
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
