// Subscriptions through graphql-js' own algorithm (createSourceEventStream, then `execute` for each
// event) instead of yoga's default executor, whose subscribe wraps every stream three times (a
// mapping iterator, another for incremental delivery, which this schema does not offer, and an
// async generator that flattens it) and keeps a per-event execution context besides. A gateway
// holds each idle subscription for hours, and tens of thousands at once: what one keeps here is
// this object and the read it waits on, its behaviour on the prototype.
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  locatedError,
  type ExecutionArgs,
  type ExecutionResult,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

/** Each event of the source stream, executed as the subscription's selection with the event as root value. */
class ExecutedStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {}

  // Not an async function: one waiting in every idle subscription would keep a suspended frame.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(
      (event) => this.executed(event),
      (error: unknown) => {
        // As yoga's executor reports it: an error of the operation, not of a field.
        const operation = getOperationAST(this.args.document, this.args.operationName);
        throw locatedError(error, operation ? [operation] : undefined);
      },
    );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    return typeof this.source.return === "function" ? this.executed(await this.source.return()) : { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    if (typeof this.source.throw === "function") return this.executed(await this.source.throw(error));
    await this.closeSource();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async executed(event: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> {
    if (event.done) return event;
    try {
      return { value: await execute({ ...this.args, rootValue: event.value }), done: false };
    } catch (error) {
      await this.closeSource();
      throw error;
    }
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

/** Runs every subscription (over WebSocket or server-sent events) through `subscribe` above. */
export function useLeanSubscribe(): Plugin {
  return {
    onSubscribe: ({ setSubscribeFn }) => {
      setSubscribeFn(subscribe as never);
    },
  };
}
