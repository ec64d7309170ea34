// Incremental delivery (@defer, @stream; yoga's defer-stream plugin): a document that uses it is
// answered in parts, as multipart/mixed or as server-sent events, never compiled and never by the
// fast lane, which answer all at once. A client whose Accept header takes neither gets a clear
// error before anything runs, rather than yoga's bare 406.
import { BREAK, visit, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { codedError, NOT_ACCEPTABLE } from "./error-codes.js";

const incremental = new WeakMap<DocumentNode, boolean>();

/** Whether a document uses @defer or @stream anywhere (remembered per document). */
export function asksForIncrementalDelivery(document: DocumentNode): boolean {
  let found = incremental.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Directive(node) {
        if (node.name.value !== "defer" && node.name.value !== "stream") return undefined;
        found = true;
        return BREAK;
      },
    });
    incremental.set(document, found);
  }
  return found;
}

const STREAMS = [
  ["multipart", "mixed"],
  ["text", "event-stream"],
];

/** Whether an Accept header takes one of the media types an answer in parts comes as; no header takes anything. */
export function acceptsParts(accept: string | null | undefined): boolean {
  if (!accept) return true;
  return accept.split(",").some((entry) => {
    const [pre, suf] = entry.split(";")[0]!.trim().toLowerCase().split("/");
    return STREAMS.some(([p, s]) => (pre === "*" || pre === p) && (suf === "*" || suf === s));
  });
}

/** Refuses, before it runs, a document with @defer or @stream sent over HTTP by a client that takes no answer in parts. */
export function useIncrementalAccept(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !asksForIncrementalDelivery(args.document) || acceptsParts(request.headers.get("accept"))) return;
      setResultAndStopExecution({
        errors: [
          codedError(NOT_ACCEPTABLE, "The document uses @defer or @stream, whose answer comes in parts: send Accept: multipart/mixed or text/event-stream.", {
            http: { status: 406 },
          }),
        ],
      });
    },
  };
}
