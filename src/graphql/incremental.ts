// Incremental delivery (@defer, @stream; yoga's defer-stream plugin): a document that uses it is
// answered in parts, as multipart/mixed or as server-sent events, never compiled and never by the
// fast lane, which answer all at once. A client whose Accept header takes neither gets a clear
// error before anything runs, rather than yoga's bare 406; so does any request whose Accept header
// takes no media type its answer may come as.
import { BREAK, visit, type DocumentNode, type ExecutionResult } from "graphql";
import { processRegularResult, type Plugin } from "graphql-yoga";
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

/** The media types an answer all at once comes as; yoga sends one as a stream too. */
const WHOLE = [["application", "graphql-response+json"], ["application", "json"], ...STREAMS];

/** Whether an Accept header takes one of `types`; no header takes anything. */
function accepts(accept: string | null | undefined, types: readonly string[][]): boolean {
  if (!accept) return true;
  return accept.split(",").some((entry) => {
    const [pre, suf] = entry.split(";")[0]!.trim().toLowerCase().split("/");
    return types.some(([p, s]) => (pre === "*" || pre === p) && (suf === "*" || suf === s));
  });
}

/** Whether an Accept header takes one of the media types an answer in parts comes as; no header takes anything. */
export function acceptsParts(accept: string | null | undefined): boolean {
  return accepts(accept, STREAMS);
}

const REFUSALS = {
  parts: "The document uses @defer or @stream, whose answer comes in parts: send Accept: multipart/mixed or text/event-stream.",
  subscription: "A subscription's answer is a stream: send Accept: text/event-stream or multipart/mixed (or subscribe over graphql-ws).",
  whole: "The answer comes as JSON: send Accept: application/graphql-response+json or application/json (or multipart/mixed, text/event-stream).",
};

/** The refusal of a request whose Accept header takes none of the media types its answer may come as. */
function notAcceptable(why: keyof typeof REFUSALS): ExecutionResult {
  return { errors: [codedError(NOT_ACCEPTABLE, REFUSALS[why], { http: { status: 406 } })] };
}

/**
 * Refuses, before it runs, an HTTP request whose Accept header takes none of the media types its
 * answer may come as: an answer in parts (a subscription, @defer or @stream) as multipart/mixed or
 * server-sent events, any other also as JSON. yoga would run it (a mutation too) and then answer a
 * bare 406 without a body; the refusal is written as JSON whatever the Accept header says.
 */
export function useAcceptableAnswers(): Plugin {
  const refusal = (contextValue: unknown, document: DocumentNode, subscription: boolean): ExecutionResult | undefined => {
    const request = (contextValue as { request?: Request }).request;
    if (!request) return undefined;
    const why = subscription ? "subscription" : asksForIncrementalDelivery(document) ? "parts" : "whole";
    return accepts(request.headers.get("accept"), why === "whole" ? WHOLE : STREAMS) ? undefined : notAcceptable(why);
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args.contextValue, args.document, false);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args.contextValue, args.document, true);
      if (refused) setResultAndStopExecution(refused);
    },
    // Runs after yoga's own choice of a result processor: none was found for the Accept header.
    onResultProcess({ result, resultProcessor, setResultProcessor }) {
      if (resultProcessor) return;
      const answer = isAsyncIterable(result) ? notAcceptable("subscription") : (result as ExecutionResult);
      setResultProcessor((_result, fetchAPI) => processRegularResult(answer, fetchAPI, "application/json"), "application/json");
    },
  };
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
