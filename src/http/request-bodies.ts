// Request bodies. GraphQL multipart requests (the GraphQL multipart request spec) are parsed as
// they stream in: the operation runs as soon as `operations` and `map` have arrived, and each file
// reaches its resolver as a stream, so no request ever holds a whole file in memory (yoga's own
// parser collects every file whole before the operation starts). Every other body is limited in
// size, as yoga's maxRequestBodySize would, which must not apply to uploads.
import { Readable, pipeline } from "node:stream";
import { Busboy, type BusboyFileStream } from "@fastify/busboy";
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";

export type FilePart = {
  /** The file name the client gave, if any. */
  filename: string;
  /**
   * The part's media type, lowercased and without parameters (the multipart parser keeps no
   * more); text/plain when the part has no Content-Type, as RFC 7578 says.
   */
  mimeType: string;
  /** The bytes, as they arrive. */
  content: AsyncIterable<Uint8Array>;
};

function badRequest(message: string, status = 400): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: status === 413 ? "REQUEST_ENTITY_TOO_LARGE" : "BAD_REQUEST", http: { status } },
  });
}

/**
 * A file of a multipart request (the value of a `File` variable). Nothing buffers a file, so files
 * are read in the order their parts come, which clients make the order of `map` and the fields
 * run in document order: reading one skips every file earlier in `map` that nobody has read.
 */
export class FileUpload {
  #claimed = false;
  #skipped = false;
  #reading = false;
  #settled = false;
  #stream: BusboyFileStream | undefined;
  readonly #part: Promise<FilePart>;
  #resolve!: (part: FilePart) => void;
  #reject!: (error: Error) => void;

  constructor(
    /** The part's field name in the request's `map`. */
    readonly field: string,
    private readonly request: MultipartRequest,
  ) {
    this.#part = new Promise<FilePart>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Not every file is read: a refused upload leaves its promise unobserved.
    this.#part.catch(() => undefined);
  }

  /** Waits for the file's part and returns it; a file can be read once. */
  open(): Promise<FilePart> {
    if (this.#claimed) return Promise.reject(badRequest(`the file "${this.field}" was read already`));
    this.#claimed = true;
    this.request.skipUnclaimedBefore(this);
    return this.#part;
  }

  get claimed(): boolean {
    return this.#claimed;
  }

  /** `part` is the number of the request's part that carries the file (see MultipartRequest.followed). */
  arrived(stream: BusboyFileStream, filename: string, mimeType: string, part: number): void {
    this.#stream = stream;
    this.#settled = true;
    if (this.#skipped) stream.resume();
    const upload = this;
    this.#resolve({
      filename,
      mimeType,
      content: {
        async *[Symbol.asyncIterator]() {
          upload.#reading = true;
          try {
            // Not destroyed when the reader stops early: the parser would stall on it.
            yield* stream.iterator({ destroyOnReturn: false });
            // The file's bytes are all in, but whether the request is well formed shows only in
            // what follows the part (a stray field, a part too many, a body cut short): the
            // reader learns it before it takes the file as complete and commits anything.
            await upload.request.followed(part);
          } finally {
            // Whatever the reader left is discarded, so that the parts after it still arrive.
            stream.resume();
          }
        },
      },
    });
  }

  /** Discards the file's bytes, now or when they arrive, unless a reader is at them. */
  skip(): void {
    if (this.#reading) return;
    this.#claimed = true;
    this.#skipped = true;
    this.#stream?.resume();
  }

  fail(error: Error): void {
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(error);
    } else if (this.#stream && !this.#stream.readableEnded) {
      this.#stream.destroy(error);
    }
  }

  get waiting(): boolean {
    return !this.#settled;
  }
}

type MultipartLimits = {
  /** The largest `operations` or `map` field, in bytes. */
  maxFieldBytes: number;
  /** The most files one request may carry. */
  maxFiles: number;
};

/** One multipart request being parsed: its files, in the order they appear in `map`. */
class MultipartRequest {
  readonly files = new Map<string, FileUpload>();
  #order: FileUpload[] = [];
  /** How many parts (fields and files) the parser has seen, and the end of the body as one more. */
  #parts = 0;
  #failure: Error | undefined;
  #waiting: Array<{ part: number; resolve: () => void; reject: (error: Error) => void }> = [];

  /** The parser reached another part (or the end of the body), and took it as well formed. */
  nextPart(): number {
    this.#parts += 1;
    const ready = this.#waiting.filter((w) => w.part < this.#parts);
    this.#waiting = this.#waiting.filter((w) => w.part >= this.#parts);
    for (const waiter of ready) waiter.resolve();
    return this.#parts;
  }

  /** Resolves once the parser is past part number `part` with the request still well formed; rejects if it is not. */
  followed(part: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (part < this.#parts) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiting.push({ part, resolve, reject }));
  }

  add(field: string): FileUpload {
    const upload = new FileUpload(field, this);
    this.files.set(field, upload);
    this.#order.push(upload);
    return upload;
  }

  skipUnclaimedBefore(upload: FileUpload): void {
    for (const earlier of this.#order) {
      if (earlier === upload) return;
      if (!earlier.claimed) earlier.skip();
    }
  }

  /** Fails every file not fully read yet, e.g. when the client goes away mid-upload. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    for (const upload of this.#order) upload.fail(error);
  }

  /** The body ended: files the map promised but the body did not carry will never come. */
  finished(): void {
    for (const upload of this.#order) {
      if (upload.waiting) upload.fail(badRequest(`the request has no file for the field "${upload.field}" named in "map"`));
    }
  }

  /** The response is out: nothing will read the rest. */
  discardRest(): void {
    for (const upload of this.#order) upload.skip();
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): boolean {
  const keys = path.split(".");
  let current: unknown = target;
  for (const [i, key] of keys.entries()) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") return false;
    if (typeof current !== "object" || current === null) return false;
    const holder = current as Record<string, unknown>;
    if (i === keys.length - 1) {
      // The spec puts null where each file goes; anything else is a wrong path.
      if (holder[key] !== null) return false;
      holder[key] = value;
      return true;
    }
    current = holder[key];
  }
  return false;
}

function parseJsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`the multipart field "${name}" is not valid JSON`);
  }
}

/**
 * Parses a GraphQL multipart request as it streams: resolves with the operation (files in place
 * of their variables) as soon as `operations` and `map` are in, and hands each file to its
 * FileUpload when the body reaches it.
 */
function parseMultipart(request: Request, limits: MultipartLimits, requests: WeakMap<Request, MultipartRequest>): Promise<GraphQLParams> {
  const body = request.body;
  if (!body) return Promise.reject(badRequest("the multipart request has no body"));
  const state = new MultipartRequest();
  requests.set(request, state);
  return new Promise<GraphQLParams>((resolve, reject) => {
    let operations: unknown;
    let settled = false;
    let files = 0;
    const refuse = (error: Error) => {
      state.fail(error);
      if (!settled) {
        settled = true;
        reject(error);
      }
    };
    let busboy: ReturnType<typeof Busboy>;
    try {
      busboy = Busboy({
        headers: { "content-type": request.headers.get("content-type") ?? "" },
        limits: { fieldSize: limits.maxFieldBytes, fields: 2, files: limits.maxFiles },
      });
    } catch (error) {
      // A Content-Type without a boundary, or one Busboy cannot read.
      return refuse(badRequest(`the multipart request's Content-Type is not valid: ${(error as Error).message}`));
    }
    busboy.on("field", (name, value, _nameTruncated, valueTruncated) => {
      if (valueTruncated) return refuse(badRequest(`the multipart field "${name}" is larger than ${limits.maxFieldBytes} bytes`, 413));
      try {
        if (files > 0) throw badRequest(`the multipart field "${name}" comes after a file; "operations" and "map" must come first, then the files`);
        if (name === "operations") {
          if (operations !== undefined) throw badRequest('the multipart field "operations" is sent twice');
          operations = parseJsonField(name, value);
        } else if (name === "map") {
          if (operations === undefined) throw badRequest('the multipart field "operations" must come before "map"');
          if (settled) throw badRequest('the multipart field "map" is sent twice');
          const map = parseJsonField(name, value);
          if (typeof map !== "object" || map === null || Array.isArray(map)) throw badRequest('the multipart field "map" must be an object');
          const entries = Object.entries(map);
          if (entries.length > limits.maxFiles) throw badRequest(`a request may carry at most ${limits.maxFiles} files; "map" names ${entries.length}`, 413);
          for (const [field, paths] of entries) {
            if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string")) throw badRequest(`"map" must give a list of paths for the file "${field}"`);
            const upload = state.add(field);
            for (const path of paths as string[]) {
              if (!setPath(operations as Record<string, unknown>, path, upload)) throw badRequest(`"map" names the path "${path}", which is not a null in "operations"`);
            }
          }
          settled = true;
          resolve(operations as GraphQLParams);
        } else {
          throw badRequest(`a multipart request has only the fields "operations" and "map" besides its files, not "${name}"`);
        }
        state.nextPart();
      } catch (error) {
        refuse(error as Error);
      }
    });
    busboy.on("file", (field, stream, filename, _encoding, mimeType) => {
      // A stream nobody reads is destroyed when the request is refused; its error reaches its
      // reader, if any, through the iterator, and must not become an uncaught 'error' event.
      stream.on("error", () => undefined);
      files += 1;
      const upload = state.files.get(field);
      if (!settled) refuse(badRequest('the multipart fields "operations" and "map" must come before the files'));
      else if (!upload) refuse(badRequest(`the request carries a file "${field}" that "map" does not name`));
      else if (!upload.waiting) refuse(badRequest(`the request carries the file "${field}" twice`));
      // After a refusal every part is discarded.
      if (!upload?.waiting) {
        stream.resume();
        return;
      }
      upload.arrived(stream, filename, mimeType, state.nextPart());
    });
    busboy.on("filesLimit", () => refuse(badRequest(`a request may carry at most ${limits.maxFiles} files`, 413)));
    busboy.on("fieldsLimit", () => refuse(badRequest('a multipart request has only the fields "operations" and "map" besides its files')));
    busboy.on("finish", () => {
      if (!settled) refuse(badRequest('the multipart request lacks "operations" or "map"'));
      state.finished();
      state.nextPart();
    });
    pipeline(Readable.from(body as unknown as AsyncIterable<Uint8Array>), busboy, (error) => {
      // The client went away or sent a body that stops short: the upload cannot complete.
      if (error) refuse(error instanceof GraphQLError ? error : badRequest("the request body ended before the upload was complete"));
    });
  });
}

/**
 * Refuses a GET whose `variables` or `extensions` is not a JSON object: yoga would parse them
 * itself and fail with an error it does not expect (answered 500).
 */
function checkQueryParameters(request: Request): void {
  const parameters = new URL(request.url).searchParams;
  for (const name of ["variables", "extensions"]) {
    const text = parameters.get(name);
    if (text === null || text === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest(`the query parameter "${name}" is not valid JSON`);
    }
    if (value !== null && (typeof value !== "object" || Array.isArray(value))) throw badRequest(`the query parameter "${name}" must be a JSON object`);
  }
}

/** Reads `request`'s body through a counter that fails it once it passes `limit` bytes. */
function limited(request: Request, limit: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  if (!request.body) return request;
  let read = 0;
  // The same TransformStream implementation as the body's (native or whatwg-node's ponyfill).
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(badRequest("Request body too large", 413));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: "half" } as RequestInit);
}

/**
 * Streams multipart requests (their `operations` and `map` fields limited to maxBodyBytes) and
 * limits every other body to maxBodyBytes. yoga's maxRequestBodySize must be off: it would count
 * the files too.
 */
export function useRequestBodies(options: { maxBodyBytes: number; maxFiles: number }): Plugin {
  const requests = new WeakMap<Request, MultipartRequest>();
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method === "GET") return checkQueryParameters(request);
      const contentType = request.headers.get("content-type")?.split(",")[0]?.trim().toLowerCase() ?? "";
      if (request.method === "POST" && contentType.startsWith("multipart/form-data")) {
        setRequestParser(() => parseMultipart(request, { maxFieldBytes: options.maxBodyBytes, maxFiles: options.maxFiles }, requests));
        return;
      }
      const length = request.headers.get("content-length");
      if (length !== null && (!/^\d+$/.test(length) || Number(length) > options.maxBodyBytes)) {
        throw /^\d+$/.test(length) ? badRequest("Request body too large", 413) : badRequest("Content-Length is not valid");
      }
      if (requestParser && request.body) {
        setRequestParser((req) => requestParser(limited(req, options.maxBodyBytes, fetchAPI as never)));
      }
    },
    onResponse({ request }) {
      requests.get(request)?.discardRest();
    },
  };
}
