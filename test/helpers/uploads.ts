// GraphQL multipart requests for the tests, framed by the SDK's multipart.ts so that a file's
// content can be streamed from any source, of any size.
import { randomBytes } from "node:crypto";
import { multipartBody, multipartFrame } from "../../src/sdk/multipart.js";

export const AddJobOutput = `mutation AddJobOutput($jobId: ID!, $name: String!, $type: String!, $file: File!, $leaseToken: String, $replace: Boolean, $contentType: String) {
  addJobOutput(jobId: $jobId, name: $name, type: $type, file: $file, leaseToken: $leaseToken, replace: $replace, contentType: $contentType) {
    __typename
    ... on AddJobOutputPayload { output { id name type size sha256 contentType downloadUrl } job { version } }
    ... on Error { message }
    ... on ValidationError { fieldErrors { path message } }
    ... on TooLargeError { maxBytes }
    ... on BusyError { retryAfterSeconds }
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

export { multipartFrame };

/**
 * A multipart request carrying one file at `variables.file`. `content` may be bytes or any
 * (async) iterable of byte chunks; it is pulled only as the request is sent.
 */
export function multipartUpload(
  operation: { query: string; variables: Record<string, unknown> },
  content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  part: { filename?: string; mimeType?: string } = {},
): MultipartBody {
  const frame = multipartFrame(operation, part);
  return { contentType: frame.contentType, body: multipartBody(frame, content) };
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
