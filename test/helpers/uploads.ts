// GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec), built
// by hand so that a file's content can be streamed from any source, of any size.
import { randomBytes } from "node:crypto";

export const AddJobOutput = `mutation AddJobOutput($jobId: ID!, $name: String!, $type: String!, $file: File!, $leaseToken: String, $replace: Boolean, $contentType: String) {
  addJobOutput(jobId: $jobId, name: $name, type: $type, file: $file, leaseToken: $leaseToken, replace: $replace, contentType: $contentType) {
    __typename
    ... on AddJobOutputPayload { output { id name type size sha256 contentType downloadUrl } job { version } }
    ... on Error { message }
    ... on ValidationError { fieldErrors { path message } }
    ... on TooLargeError { maxBytes }
  }
}`;

export type Upload = {
  jobId: string;
  name: string;
  type: string;
  leaseToken?: string | null;
  replace?: boolean;
  contentType?: string | null;
};

export type MultipartBody = { contentType: string; body: ReadableStream<Uint8Array> };

/**
 * The bytes around one file at `variables.file`: `head` (the operation, the map and the file
 * part's headers) goes before the content, `tail` after it.
 */
export function multipartFrame(
  operation: { query: string; variables: Record<string, unknown> },
  part: { filename?: string; mimeType?: string } = {},
): { contentType: string; head: Uint8Array; tail: Uint8Array } {
  const boundary = `----jobgraph${randomBytes(8).toString("hex")}`;
  const encoder = new TextEncoder();
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head: encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ ...operation, variables: { ...operation.variables, file: null } })}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ["variables.file"] })}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${part.filename ?? "output.bin"}"\r\n` +
        `Content-Type: ${part.mimeType ?? "application/octet-stream"}\r\n\r\n`,
    ),
    tail: encoder.encode(`\r\n--${boundary}--\r\n`),
  };
}

/**
 * A multipart request carrying one file at `variables.file`. `content` may be bytes or any
 * (async) iterable of byte chunks; it is pulled only as the request is sent.
 */
export function multipartUpload(
  operation: { query: string; variables: Record<string, unknown> },
  content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  part: { filename?: string; mimeType?: string } = {},
): MultipartBody {
  const { contentType, head, tail } = multipartFrame(operation, part);
  const pieces = content instanceof Uint8Array ? [content] : content;
  async function* all() {
    yield head;
    for await (const piece of pieces) yield piece;
    yield tail;
  }
  const iterator = all();
  return {
    contentType,
    body: new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    }),
  };
}

/** The variables of an addJobOutput call. */
export function uploadVariables(upload: Upload): Record<string, unknown> {
  return {
    jobId: upload.jobId,
    name: upload.name,
    type: upload.type,
    leaseToken: upload.leaseToken ?? null,
    replace: upload.replace ?? false,
    contentType: upload.contentType ?? null,
  };
}

/** `size` bytes of random content, in pieces of at most `piece` bytes, made as they are pulled. */
export async function* randomContent(size: number, piece = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < size; sent += piece) yield randomBytes(Math.min(piece, size - sent));
}
