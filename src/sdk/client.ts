// A small typed client for jobgraph: operations over HTTP, subscriptions over graphql-ws, and
// output uploads as streamed multipart requests. Documents come from GraphQL Code Generator
// (`graphql()` of src/sdk/gql, or any TypedDocumentNode), so results and variables are typed.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { batchable, combine, MAX_BATCH, split, type BatchedOperation, type OperationAnswer } from "./batch.js";
import { multipartBody, multipartFrame } from "./multipart.js";
import { AddJobOutput } from "./operations.js";

export type ClientOptions = {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** An API token: a user's (jgu_...) or a worker node's (jgn_...). */
  token: string;
  /**
   * Mutations requested in the same tick go to the server as one document, in the order they were
   * requested (GraphQL runs a mutation's fields one after the other), in up to 10 at a time: one
   * round trip instead of several. Each request still resolves or rejects with its own answer. A
   * combined document the gateway refuses whole before running it (its limits on cost, aliases
   * and length apply to the sum of its parts) is sent again as its parts, one by one. Mutations
   * that add tasks (createJob, addTasks, createWorkflow) always go alone: the tasks one request
   * may add are counted over all its mutations. Default false.
   */
  coalesceMutations?: boolean;
};

/** The server answered with GraphQL errors (the operation did not run, or failed unexpectedly). */
export class GraphQLRequestError extends Error {
  constructor(
    readonly errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>,
    readonly status: number,
  ) {
    super(errors.map((e) => e.message).join("; ") || `the server answered HTTP ${status}`);
    this.name = "GraphQLRequestError";
  }

  /** The first error's code (UNAUTHENTICATED, RATE_LIMITED, ...), if it has one. */
  get code(): string | undefined {
    const code = this.errors[0]?.extensions?.code;
    return typeof code === "string" ? code : undefined;
  }

  /**
   * Whether the same request may well succeed later: the gateway failed (5xx), its mutations were
   * rate limited, or its database could not be used for the while (SERVICE_UNAVAILABLE: busy,
   * restarting, out of reach).
   */
  get transient(): boolean {
    return this.status >= 500 || this.code === "RATE_LIMITED" || this.code === "SERVICE_UNAVAILABLE";
  }
}

/** The server could not be reached, or answered something that is not GraphQL (worth retrying). */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NetworkError";
  }
}

/** The server refused the action: one of the Error members of a mutation's result union. */
export class RefusedError extends Error {
  constructor(
    /** The error's type, e.g. LeaseLostError or TooLargeError. */
    readonly typename: string,
    message: string,
  ) {
    super(`${typename}: ${message}`);
    this.name = "RefusedError";
  }
}

export type UploadedOutput = { id: string; name: string; type: string; size: number; sha256: string; contentType: string; downloadUrl: string };

export type UploadOptions = {
  /** The holding node's lease token (admins need none). */
  leaseToken?: string;
  replace?: boolean;
  contentType?: string;
  /** The file name sent with the part. */
  filename?: string;
};

export type JobgraphClient = {
  /** Runs a query or mutation; throws GraphQLRequestError or NetworkError. */
  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
  /** A subscription's results, until it ends or the loop breaks; reconnects after network errors. */
  subscribe<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables?: V): AsyncIterableIterator<R>;
  /**
   * Adds an output to a job, streaming `content` (bytes, or any async iterable of byte chunks such
   * as a file's read stream). Resolves to the stored output, or throws with the refusal's message.
   */
  upload(jobId: string, name: string, type: string, content: Uint8Array | AsyncIterable<Uint8Array>, options?: UploadOptions): Promise<UploadedOutput>;
  /**
   * GETs an output's content by its downloadUrl (relative to the gateway's address), with this
   * client's token; resolves to the response once it is 200, else throws saying what it was.
   */
  download(downloadUrl: string, signal?: AbortSignal): Promise<Response>;
  /** Closes the WebSocket, if one was opened. */
  close(): Promise<void>;
};

const cache = new WeakMap<DocumentNode, string>();
function text(document: DocumentNode): string {
  let source = cache.get(document);
  if (!source) {
    source = print(document);
    cache.set(document, source);
  }
  return source;
}

type Answer = { data?: Record<string, unknown> | null; errors?: OperationAnswer["errors"] };

/**
 * Who sends requests, and the position in the database's log of the last write the gateway told
 * it of: sent along with every request, so that a gateway reading from replicas serves this
 * client's reads from one that has its writes, whichever instance of it answers.
 */
type Caller = { token: string; position?: string };

const POSITION_HEADER = "JobGraph-LSN";

/** Whether the position `a` (as PostgreSQL writes one: `16/B374D848`) is after `b`. */
function later(a: string, b: string | undefined): boolean {
  if (!b) return true;
  const [ah = "", al = ""] = a.split("/");
  const [bh = "", bl = ""] = b.split("/");
  const high = Number.parseInt(ah, 16) - Number.parseInt(bh, 16);
  return high > 0 || (high === 0 && Number.parseInt(al, 16) > Number.parseInt(bl, 16));
}

async function post(url: string, caller: Caller, init: { body: BodyInit; headers: Record<string, string> }) {
  const { body, status } = await exchange(url, caller, init);
  if (body.errors?.length || body.data == null) throw new GraphQLRequestError(body.errors ?? [], status);
  return body.data;
}

/** POSTs a request; the server's GraphQL answer, whatever it holds. */
async function exchange(url: string, caller: Caller, init: { body: BodyInit; headers: Record<string, string> }): Promise<{ body: Answer; status: number }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${caller.token}`,
        accept: "application/graphql-response+json, application/json",
        ...(caller.position ? { [POSITION_HEADER]: caller.position } : {}),
        ...init.headers,
      },
      body: init.body,
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    throw new NetworkError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  const position = response.headers.get(POSITION_HEADER);
  if (position && later(position, caller.position)) caller.position = position;
  let body: Answer;
  try {
    body = (await response.json()) as Answer;
  } catch (error) {
    throw new NetworkError(`${url} answered HTTP ${response.status} without a GraphQL response`, { cause: error });
  }
  return { body, status: response.status };
}

type Waiting = BatchedOperation & { resolve(data: unknown): void; reject(error: unknown): void };

/** One after the other, each alone, in the order requested, as a combined document would have run them. */
async function sendEach(url: string, caller: Caller, waiting: Waiting[]): Promise<void> {
  for (const w of waiting) {
    await post(url, caller, { headers: { "content-type": "application/json" }, body: JSON.stringify({ query: text(w.document), variables: w.variables }) }).then(w.resolve, w.reject);
  }
}

/** Sends the mutations waiting as one document (or the one alone), and answers each. */
async function sendBatch(url: string, caller: Caller, waiting: Waiting[]): Promise<void> {
  const combined = waiting.length > 1 ? combine(waiting) : null;
  if (!combined) return sendEach(url, caller, waiting);
  let answer: { body: Answer; status: number };
  try {
    answer = await exchange(url, caller, { headers: { "content-type": "application/json" }, body: JSON.stringify(combined) });
  } catch (error) {
    for (const w of waiting) w.reject(error);
    return;
  }
  // An answer without data is a request refused before anything ran: the combined document may be
  // what the gateway's limits refused (its cost, its aliases, its length are its parts' summed), so
  // each goes again alone. Refusals of the caller (its token, its rate) would only come again.
  const refusedWhole = !("data" in answer.body) && answer.status !== 401 && answer.status !== 403 && answer.status !== 429;
  if (refusedWhole) return sendEach(url, caller, waiting);
  const answers = split(waiting, { data: answer.body.data ?? null, errors: answer.body.errors ?? [] });
  waiting.forEach((w, i) => {
    const { data, errors } = answers[i]!;
    if (errors.length || data == null) w.reject(new GraphQLRequestError(errors, answer.status));
    else w.resolve(data);
  });
}

export function createJobgraphClient({ url, token, coalesceMutations = false }: ClientOptions): JobgraphClient {
  let ws: Client | undefined;
  const socket = () =>
    (ws ??= createClient({
      url: url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      lazy: true,
      // A gateway that restarts or a load balancer that drops the socket is not the end; a token
      // the gateway refuses (4401, 4403) is, and retrying it would hide the problem.
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (event) => !(event instanceof Object && "code" in event && (event.code === 4401 || event.code === 4403)),
      retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 15_000))),
    }));

  const caller: Caller = { token };
  let waiting: Waiting[] = [];
  const flush = async () => {
    const batch = waiting;
    waiting = [];
    // More than one document's worth go in order, each once the one before has been answered.
    for (let i = 0; i < batch.length; i += MAX_BATCH) await sendBatch(url, caller, batch.slice(i, i + MAX_BATCH));
  };

  return {
    async request(document, variables) {
      if (coalesceMutations && batchable(document)) {
        return new Promise((resolve, reject) => {
          // The requests made before the event loop turns (every promise continuation that runs
          // now) go together.
          if (!waiting.length) setImmediate(() => void flush());
          waiting.push({ document, variables: variables ?? {}, resolve: resolve as (data: unknown) => void, reject });
        });
      }
      return (await post(url, caller, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: text(document), variables: variables ?? {} }),
      })) as never;
    },
    subscribe(document, variables) {
      const iterator = socket().iterate({ query: text(document), variables: variables ?? {} });
      return {
        async next() {
          const next = await iterator.next();
          if (next.done) return { done: true, value: undefined };
          if (next.value.errors?.length) throw new GraphQLRequestError(next.value.errors as never, 200);
          return { done: false, value: next.value.data as never };
        },
        async return() {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
    async upload(jobId, name, type, content, options = {}) {
      const frame = multipartFrame(
        {
          query: AddJobOutput,
          variables: {
            jobId,
            name,
            type,
            leaseToken: options.leaseToken ?? null,
            replace: options.replace ?? false,
            contentType: options.contentType ?? null,
          },
        },
        { filename: options.filename ?? `${name}.${type}`, ...(options.contentType ? { mimeType: options.contentType } : {}) },
      );
      const data = (await post(url, caller, {
        // Browsers' CSRF protection asks multipart requests for this header.
        headers: { "content-type": frame.contentType, "graphql-preflight": "1" },
        body: multipartBody(frame, content),
      })) as { addJobOutput: { __typename: string; message?: string; output?: UploadedOutput } };
      const result = data.addJobOutput;
      if (!result.output) throw new RefusedError(result.__typename, result.message ?? "the output was refused");
      return result.output;
    },
    async download(downloadUrl, signal) {
      const address = new URL(downloadUrl, url).href;
      let response: Response;
      try {
        response = await fetch(address, { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });
      } catch (error) {
        throw new NetworkError(`cannot reach ${address}: ${(error as Error).message}`, { cause: error });
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new NetworkError(`${address} answered HTTP ${response.status}`);
      }
      return response;
    },
    async close() {
      await ws?.dispose();
    },
  };
}
