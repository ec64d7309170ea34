// Output downloads over plain HTTP, beside the GraphQL endpoint (UFDL's "get output" and "get
// output info"):
//
//   GET|HEAD /outputs/{outputId}
//   GET|HEAD /jobs/{jobId}/outputs/{name}/{type}
//   GET|HEAD /jobs/{jobId}/outputs/{name}/{type}/info
//
// Ids are UUIDs or global IDs; a job may also be named by its number. The same bearer tokens as
// the GraphQL API are required. Content is streamed from storage, with the ETag (the SHA-256),
// conditional requests (304/412) and single byte ranges (206/416) of RFC 9110; or, from an S3
// store set to presign, redirected (307) to a URL of the bucket's that expires.
import type { Plugin } from "graphql-yoga";
import type { Db } from "../db/client.js";
import { bearerSecret, type Authenticator } from "../domain/auth.js";
import { BusyError } from "../domain/errors.js";
import { findOutput, findOutputById, type ByteRange, type OutputInfo, type OutputStorage } from "../domain/outputs.js";
import { decodeGlobalId } from "../graphql/global-id.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where an output can be downloaded, relative to the gateway's address. */
export function downloadPath(outputId: string): string {
  return `/outputs/${outputId}`;
}

type Fetch = { Response: typeof Response; ReadableStream: typeof ReadableStream };

function json(fetchAPI: Fetch, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new fetchAPI.Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** A UUID, or the UUID inside a global ID of `typename`; null for anything else. */
function uuidOf(value: string, typename: string): string | null {
  if (UUID.test(value)) return value.toLowerCase();
  try {
    const decoded = decodeGlobalId(value);
    return decoded.typename === typename ? decoded.id : null;
  } catch {
    return null;
  }
}

async function jobIdOf(db: Db, value: string): Promise<string | null> {
  if (/^[1-9][0-9]{0,17}$/.test(value)) {
    return (await db.job.findUnique({ where: { number: BigInt(value) }, select: { id: true } }))?.id ?? null;
  }
  return uuidOf(value, "Job");
}

// An entity tag list as in If-Match / If-None-Match; weak tags compare by their opaque part.
function tagMatches(header: string, etag: string, weak: boolean): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    if (tag.startsWith("W/")) return weak && tag.slice(2) === etag;
    return tag === etag;
  });
}

function httpDate(value: string | null): number | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

/** The one byte range asked for, "none" (serve everything) or "unsatisfiable". */
function requestedRange(header: string | null, size: number): ByteRange | "none" | "unsatisfiable" {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/i);
  // Several ranges, or another unit: RFC 9110 lets a server ignore Range and send it all.
  if (!match) return "none";
  const [, from, to] = match as unknown as [string, string, string];
  if (from === "" && to === "") return "none";
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || (to !== "" && Number(to) < start)) return "unsatisfiable";
  return { start, end };
}

function contentDisposition(output: OutputInfo): string {
  const filename = output.name.endsWith(`.${output.type}`) ? output.name : `${output.name}.${output.type}`;
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  // RFC 8187 allows fewer characters than encodeURIComponent leaves alone.
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function outputInfo(output: OutputInfo) {
  return {
    id: output.id,
    jobId: output.jobId,
    name: output.name,
    type: output.type,
    size: Number(output.size),
    sha256: output.sha256,
    contentType: output.contentType,
    createdAt: output.createdAt.toISOString(),
    downloadUrl: downloadPath(output.id),
  };
}

async function serve(request: Request, output: OutputInfo, storage: OutputStorage, fetchAPI: Fetch, immutable: boolean): Promise<Response> {
  const size = Number(output.size);
  const etag = `"${output.sha256}"`;
  // Seconds, as HTTP dates carry no more.
  const modified = Math.floor(output.createdAt.getTime() / 1000) * 1000;
  const headers: Record<string, string> = {
    etag,
    "last-modified": new Date(modified).toUTCString(),
    // Content under /outputs/{id} never changes (a replacement is a new output); by name it may.
    "cache-control": immutable ? "private, max-age=31536000, immutable" : "private, no-cache",
    "accept-ranges": "bytes",
    "content-type": output.contentType,
    "content-disposition": contentDisposition(output),
    "repr-digest": `sha-256=:${Buffer.from(output.sha256, "hex").toString("base64")}:`,
    // Uploaded content is never run as a page of the gateway's origin.
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
  };
  const h = request.headers;
  const ifMatch = h.get("if-match");
  const unmodifiedSince = httpDate(h.get("if-unmodified-since"));
  if (ifMatch !== null ? !tagMatches(ifMatch, etag, false) : unmodifiedSince !== null && modified > unmodifiedSince) {
    return new fetchAPI.Response(null, { status: 412, headers: { etag } });
  }
  const ifNoneMatch = h.get("if-none-match");
  const modifiedSince = httpDate(h.get("if-modified-since"));
  if (ifNoneMatch !== null ? tagMatches(ifNoneMatch, etag, true) : modifiedSince !== null && modified <= modifiedSince) {
    const { "content-type": _t, "content-disposition": _d, "repr-digest": _r, ...notModified } = headers;
    return new fetchAPI.Response(null, { status: 304, headers: notModified });
  }

  // A store that lets clients download from it directly sends GETs there, with the headers the
  // gateway would have sent; a client's Range goes along with the redirect. The conditions above
  // are still answered here, from the output's row, and HEAD needs no content.
  if (request.method === "GET" && storage.store.presign) {
    let location: string | undefined;
    try {
      location = await storage.store.presign(output.id, { contentType: output.contentType, contentDisposition: headers["content-disposition"]! });
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      return json(fetchAPI, 503, { error: error.message }, { "retry-after": String(error.retryAfterSeconds) });
    }
    // The URL expires: neither the redirect nor the content it leads to is cached under the gateway's address.
    if (location) return new fetchAPI.Response(null, { status: 307, headers: { location, "cache-control": "private, no-store", etag } });
  }

  let range: ByteRange | null = null;
  const rangeHeader = h.get("range");
  const ifRange = h.get("if-range");
  // If-Range: the range only if the content is still the one the client has part of.
  const rangeStillValid = ifRange === null || (ifRange.trim().startsWith('"') ? ifRange.trim() === etag : httpDate(ifRange) === modified);
  if (request.method === "GET" && rangeHeader !== null && rangeStillValid) {
    const asked = requestedRange(rangeHeader, size);
    if (asked === "unsatisfiable") {
      return new fetchAPI.Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
    }
    if (asked !== "none") range = asked;
  }
  const span = range ?? { start: 0, end: size - 1 };
  const length = span.end - span.start + 1;
  headers["content-length"] = String(length);
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  if (request.method === "HEAD" || length === 0) return new fetchAPI.Response(null, { status, headers });

  const chunks = storage.store.read(output.id, span)[Symbol.asyncIterator]();
  // The first piece is read before the status is sent, so that a gateway with no connection free
  // for output content answers 503 and the client retries, rather than a cut-off 200.
  let first: IteratorResult<Uint8Array> | undefined;
  try {
    first = await chunks.next();
  } catch (error) {
    if (!(error instanceof BusyError)) throw error;
    return json(fetchAPI, 503, { error: error.message }, { "retry-after": String(error.retryAfterSeconds) });
  }
  // Pulled one chunk at a time as the client takes them, so a download holds about one chunk.
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = first ?? (await chunks.next());
      first = undefined;
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  return new fetchAPI.Response(body, { status, headers });
}

/** Serves output content and info under /outputs and /jobs/{jobId}/outputs. */
export function useOutputDownloads(db: Db, storage: OutputStorage, authenticator: Authenticator): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const byId = url.pathname.match(/^\/outputs\/([^/]+)$/);
      const byName = url.pathname.match(/^\/jobs\/([^/]+)\/outputs\/([^/]+)\/([^/]+)(\/info)?$/);
      if (!byId && !byName) return;
      const info = Boolean(byName?.[4]);
      const allowed = ["GET", "HEAD"];
      if (!allowed.includes(request.method)) {
        return endResponse(json(fetchAPI, 405, { error: `use ${allowed.join(" or ")}` }, { allow: allowed.join(", ") }));
      }
      const viewer = await authenticator.authenticate(bearerSecret(request.headers.get("authorization")));
      if (!viewer) {
        return endResponse(
          json(fetchAPI, 401, { error: "a valid API token is required: send Authorization: Bearer <token>" }, { "www-authenticate": 'Bearer realm="jobgraph"' }),
        );
      }
      let output: OutputInfo | null = null;
      if (byId) {
        const id = uuidOf(decodeSegment(byId[1]!) ?? "", "JobOutput");
        output = id ? await findOutputById(db, id) : null;
      } else if (byName) {
        const [jobRef, name, type] = [byName[1]!, byName[2]!, byName[3]!].map(decodeSegment);
        const jobId = jobRef ? await jobIdOf(db, jobRef) : null;
        output = jobId && name && type ? await findOutput(db, { jobId, name, type }) : null;
      }
      if (!output) return endResponse(json(fetchAPI, 404, { error: "no such output" }));
      if (info) {
        const response = json(fetchAPI, 200, outputInfo(output), { "cache-control": "private, no-cache" });
        return endResponse(request.method === "HEAD" ? new fetchAPI.Response(null, { status: 200, headers: response.headers }) : response);
      }
      endResponse(await serve(request, output, storage, fetchAPI, Boolean(byId)));
    },
  };
}
