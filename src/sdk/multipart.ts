// The GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec)
// for one file, framed so that the file's bytes can be streamed between the head and the tail.
import { randomBytes } from "node:crypto";

export type MultipartFrame = {
  /** The request's Content-Type, with its boundary. */
  contentType: string;
  /** The operation, the map and the file part's headers: sent before the content. */
  head: Uint8Array;
  /** Ends the file part and the body: sent after the content. */
  tail: Uint8Array;
};

/** Frames one file, sent as the variable `variables.file` of the operation. */
export function multipartFrame(
  operation: { query: string; variables: Record<string, unknown> },
  part: { filename?: string; mimeType?: string } = {},
): MultipartFrame {
  const boundary = `----jobgraph${randomBytes(12).toString("hex")}`;
  const encoder = new TextEncoder();
  // A quote or a line break in the file name would break the part's header.
  const filename = (part.filename ?? "output.bin").replace(/["\r\n]/g, "_");
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head: encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ ...operation, variables: { ...operation.variables, file: null } })}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ["variables.file"] })}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${filename}"\r\n` +
        `Content-Type: ${part.mimeType ?? "application/octet-stream"}\r\n\r\n`,
    ),
    tail: encoder.encode(`\r\n--${boundary}--\r\n`),
  };
}

/** The whole body, pulled piece by piece as it is sent: the content is never held whole. */
export function multipartBody(frame: MultipartFrame, content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  const pieces = content instanceof Uint8Array ? [content] : content;
  async function* all() {
    yield frame.head;
    for await (const piece of pieces) yield piece;
    yield frame.tail;
  }
  const iterator = all();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}
