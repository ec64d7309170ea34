// OpenTelemetry traces of GraphQL operations, exported over OTLP/HTTP. Loaded only when
// JOBGRAPH_OTEL_ENABLED=true (server.ts imports this module then), so that a gateway without
// tracing loads nothing of the SDK.
//
// Each operation is one trace: a server span named after it ("query RecentJobs", as the
// semantic conventions for GraphQL name it), with a child span for each phase: parse, validate,
// context, execute (or subscribe; a subscription's span lasts as long as its stream). This is a
// plugin of its own rather than @envelop/opentelemetry: that plugin spans only execution, records
// the printed document, and depends on the 1.x SDK, a second SDK beside this one.
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { getOperationAST, type ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { TracingConfig } from "../config.js";
import { errorCode, logOf } from "./request-log.js";

/** An operation's server span, the context its phases start in, and the phase running now. */
type Operation = { span: Span; context: Context; phase?: Span };

/** Attribute names of the (still incubating) GraphQL semantic conventions. */
const OPERATION_NAME = "graphql.operation.name";
const OPERATION_TYPE = "graphql.operation.type";
/** The error codes of an operation that answered errors; never their messages, which may quote input. */
const ERROR_CODES = "graphql.error.codes";
/** The request id its log lines carry. */
const REQUEST_ID = "jobgraph.request_id";

/** A yoga plugin that traces every operation with `tracer`. */
export function useTracing(tracer: Tracer): Plugin {
  const operations = new WeakMap<object, Operation>();

  const startPhase = (graphqlContext: object, name: string): Span | undefined => {
    const operation = operations.get(graphqlContext);
    if (!operation) return undefined;
    operation.phase = tracer.startSpan(name, {}, operation.context);
    return operation.phase;
  };
  const endPhase = (graphqlContext: object, failed = false) => {
    const operation = operations.get(graphqlContext);
    if (!operation?.phase) return;
    if (failed) operation.phase.setStatus({ code: SpanStatusCode.ERROR });
    operation.phase.end();
    operation.phase = undefined;
  };
  const noteErrors = (graphqlContext: object, result: ExecutionResult) => {
    const operation = operations.get(graphqlContext);
    if (!operation || !result.errors?.length) return;
    operation.span.setStatus({ code: SpanStatusCode.ERROR });
    operation.span.setAttribute(ERROR_CODES, [...new Set(result.errors.map(errorCode))]);
  };
  const endOperation = (graphqlContext: object, failed = false) => {
    const operation = operations.get(graphqlContext);
    if (!operation) return;
    endPhase(graphqlContext, failed);
    if (failed) operation.span.setStatus({ code: SpanStatusCode.ERROR });
    operation.span.end();
    operations.delete(graphqlContext);
  };

  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => endOperation(context, true));
    },
    onEnveloped({ context }) {
      if (!context) return;
      const requestId = logOf(context)?.requestId;
      const span = tracer.startSpan("GraphQL operation", {
        kind: SpanKind.SERVER,
        attributes: requestId ? { [REQUEST_ID]: requestId } : {},
      });
      operations.set(context, { span, context: trace.setSpan(otelContext.active(), span) });
    },
    onParse({ context }) {
      startPhase(context, "graphql.parse");
      return ({ result }) => {
        if (!result || result instanceof Error) return endOperation(context, true);
        endPhase(context);
        const operation = operations.get(context);
        const ast = getOperationAST(result, (context as { params?: { operationName?: string } }).params?.operationName);
        if (!operation || !ast) return;
        const name = ast.name?.value;
        operation.span.updateName(name ? `${ast.operation} ${name}` : ast.operation);
        operation.span.setAttribute(OPERATION_TYPE, ast.operation);
        if (name) operation.span.setAttribute(OPERATION_NAME, name);
      };
    },
    onValidate({ context }) {
      startPhase(context, "graphql.validate");
      return ({ valid }) => (valid ? endPhase(context) : endOperation(context, true));
    },
    onContextBuilding({ context }) {
      startPhase(context, "graphql.context");
      return () => endPhase(context);
    },
    onExecute({ args }) {
      const graphqlContext = args.contextValue as object;
      startPhase(graphqlContext, "graphql.execute");
      return {
        onExecuteDone: ({ result }) => {
          if (isAsyncIterable(result)) {
            return {
              onNext: ({ result: next }) => noteErrors(graphqlContext, next as ExecutionResult),
              onEnd: () => endOperation(graphqlContext),
            };
          }
          noteErrors(graphqlContext, result);
          endOperation(graphqlContext);
          return undefined;
        },
      };
    },
    onSubscribe({ args }) {
      const graphqlContext = args.contextValue as object;
      startPhase(graphqlContext, "graphql.subscribe");
      return {
        onSubscribeResult: ({ result }) => {
          endPhase(graphqlContext);
          if (!isAsyncIterable(result)) {
            noteErrors(graphqlContext, result);
            endOperation(graphqlContext);
            return undefined;
          }
          return {
            onNext: ({ result: next }) => noteErrors(graphqlContext, next as ExecutionResult),
            onEnd: () => endOperation(graphqlContext),
          };
        },
        onSubscribeError: () => endOperation(graphqlContext, true),
      };
    },
  };
}

export type Tracing = {
  /** The yoga plugin that makes the spans (AppDeps.tracing). */
  plugin: Plugin;
  /** Exports the spans still buffered and stops; call when the server stops. */
  shutdown(): Promise<void>;
};

/**
 * Starts the SDK: spans are batched and sent to `<endpoint>/v1/traces` (OTLP over HTTP), or where
 * the exporter's own OTEL_EXPORTER_OTLP_* variables say when no endpoint is configured.
 */
export function startTracing({ endpoint, serviceName }: TracingConfig): Tracing {
  const exporter = new OTLPTraceExporter(endpoint ? { url: `${endpoint.replace(/\/+$/, "")}/v1/traces` } : {});
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Registered globally, with its AsyncLocalStorage context manager, for any library that traces
  // through the OpenTelemetry API.
  provider.register();
  return { plugin: useTracing(provider.getTracer("jobgraph")), shutdown: () => provider.shutdown() };
}
