// Subscriptions read with real clients (graphql-ws, and server-sent events over HTTP), each into a
// Feed whose messages are read with deadlines, so a failure shows what did arrive instead of
// hanging until the test times out.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { Kind, print, type DocumentNode, type FormattedExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { WebSocket } from "ws";
import type { TestApi } from "./api.js";

export const WAIT_MS = 5_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** graphql-ws reports errors as close events, Errors or GraphQL error lists. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return JSON.stringify(error);
  const close = error as { code?: number; reason?: string };
  return close.code !== undefined ? `closed ${close.code} ${close.reason ?? ""}` : String(error);
}

/** The messages of one subscription, read in order with deadlines. */
export class Feed<T> {
  readonly messages: T[] = [];
  /** Date.now() when each message arrived. */
  readonly arrivals: number[] = [];
  private read = 0;
  private ended: string | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly name: string,
    readonly stop: () => void,
  ) {}

  push(result: Pick<FormattedExecutionResult<T, unknown>, "data" | "errors">): void {
    if (result.errors?.length || !result.data) this.ended ??= `errors: ${JSON.stringify(result.errors)}`;
    else {
      this.messages.push(result.data);
      this.arrivals.push(Date.now());
    }
    this.wake?.();
  }

  end(reason: string): void {
    this.ended ??= reason;
    this.wake?.();
  }

  private failure(problem: string): Error {
    const shown = this.messages.slice(-20);
    const which = this.messages.length > shown.length ? " (the last 20)" : "";
    return new Error(`${this.name}: ${problem}; ${this.messages.length} message(s) arrived${which}: ${JSON.stringify(shown)}`);
  }

  /** Waits until `done()` holds, re-checking after every message. */
  async until(done: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (this.ended !== undefined) throw this.failure(`ended (${this.ended}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.failure(`${what} not within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async next(ms = WAIT_MS): Promise<T> {
    await this.until(() => this.read < this.messages.length, `message ${this.read + 1}`, ms);
    return this.messages[this.read++]!;
  }

  /** Reads the next `count` messages. */
  async take(count: number, ms = WAIT_MS): Promise<T[]> {
    const from = this.read;
    await this.until(() => this.messages.length - from >= count, `${count} messages from message ${from + 1}`, ms);
    this.read = from + count;
    return this.messages.slice(from, this.read);
  }

  /** Reads up to and including the first message that matches; returns what it read. */
  async through(match: (message: T) => boolean, what: string, ms = WAIT_MS): Promise<T[]> {
    const from = this.read;
    const index = () => this.messages.findIndex((m, i) => i >= from && match(m));
    await this.until(() => index() >= 0, what, ms);
    this.read = index() + 1;
    return this.messages.slice(from, this.read);
  }

  /** Fails if a message beyond those read arrives within `ms`. */
  async quiet(ms = 300): Promise<void> {
    await sleep(ms);
    if (this.read < this.messages.length) throw this.failure(`unexpected: ${JSON.stringify(this.messages.slice(this.read))}`);
  }
}

export function operationName(document: DocumentNode): string {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? (operation.name?.value ?? "anonymous") : "anonymous";
}

/** Narrows a mutation's result union, failing with what it answered instead. */
export function expectPayload<T extends { __typename: string }, N extends T["__typename"]>(result: T, typename: N): Extract<T, { __typename: N }> {
  if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
  return result as Extract<T, { __typename: N }>;
}

/** Clients of one gateway instance; stop() ends every connection and feed they opened. */
export class Subscribers {
  private readonly cleanups: Array<() => unknown> = [];

  constructor(
    /** The instance's ws:// URL of /graphql. */
    private readonly url: string,
    /** The same instance, for HTTP requests (server-sent events) and its admin's token. */
    private readonly api: TestApi,
  ) {}

  async stop(): Promise<void> {
    await Promise.all(this.cleanups.splice(0).map((cleanup) => cleanup()));
  }

  connect(secret = this.api.admin.secret): Client {
    const client = createClient({ url: this.url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${secret}` }, retryAttempts: 0 });
    this.cleanups.push(() => client.dispose());
    return client;
  }

  subscribe<TResult, TVariables extends Record<string, unknown>>(
    client: Client,
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Feed<TResult> {
    let unsubscribe = () => {};
    const feed = new Feed<TResult>(operationName(document), () => unsubscribe());
    unsubscribe = client.subscribe<TResult>(
      { query: print(document), variables },
      {
        next: (result) => feed.push(result),
        error: (error) => feed.end(`error: ${describeError(error)}`),
        complete: () => feed.end("completed"),
      },
    );
    return feed;
  }

  /** Starts a subscription over server-sent events through instance A's HTTP handler. */
  postForEvents<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, token?: string) {
    return this.api.fetch(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: print(document), variables }),
      },
      token === undefined ? {} : { token },
    );
  }

  /** Feeds the `data:` lines of a text/event-stream response; stopping cancels the body. */
  readEvents<TResult>(response: Response, name: string): Feed<TResult> {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const feed = new Feed<TResult>(name, () => void reader.cancel().catch(() => undefined));
    this.cleanups.push(() => feed.stop());
    void (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return feed.end("stream closed");
          buffer += value;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split("\n")
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).trimStart())
              .join("\n");
            // Keep-alive comments and the closing `complete` event carry no data.
            if (data) feed.push(JSON.parse(data) as FormattedExecutionResult<TResult>);
          }
        }
      } catch (error) {
        feed.end(`reading failed: ${describeError(error)}`);
      }
    })();
    return feed;
  }


  /** A subscription over server-sent events, read into a Feed. */
  async sse<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, token?: string): Promise<Feed<TResult>> {
    const response = await this.postForEvents(document, variables, token);
    if (response.status !== 200) throw new Error(`SSE ${operationName(document)} answered ${response.status}: ${await response.text()}`);
    return this.readEvents<TResult>(response, `SSE ${operationName(document)}`);
  }
}
