// OpenTelemetry traces: each operation is a server span named after it, with a child span per
// phase, recorded here by an in-memory exporter; and startTracing, as the server runs it, sends
// them over OTLP/HTTP to a collector (a local HTTP server standing in for one).
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTracing, useTracing } from "../../src/observability/tracing.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

function post(api: TestApi, query: string) {
  return api.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query }),
  });
}

const PHASES = ["graphql.parse", "graphql.validate", "graphql.context", "graphql.execute"];

describe("tracing", () => {
  let database: TestDatabase;
  let api: TestApi;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    database = await createTestDatabase();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    api = await createTestApi(database, { tracing: useTracing(provider.getTracer("jobgraph-test")) });
  });

  beforeEach(() => exporter.reset());

  /** The finished spans of one trace: its root, and its children by name. */
  function trace(rootName: string): { root: ReadableSpan; children: ReadableSpan[] } {
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === rootName);
    if (!root) throw new Error(`no span named ${rootName} among ${spans.map((s) => s.name).join(", ")}`);
    const children = spans.filter((span) => span.parentSpanContext?.spanId === root.spanContext().spanId);
    for (const child of children) expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
    return { root, children };
  }

  it("makes a server span named after each operation, with a child span for each phase", async () => {
    const response = await post(api, "query TracedJobs { jobs(first: 2) { totalCount } }");
    expect(response.status).toBe(200);
    const { root, children } = trace("query TracedJobs");
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toEqual({
      "graphql.operation.name": "TracedJobs",
      "graphql.operation.type": "query",
      "jobgraph.request_id": response.headers.get("x-request-id"),
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    // Exported as they end: one after another, in the order they run.
    expect(children.map((span) => span.name)).toEqual(PHASES);
    // Nothing of the document is recorded: it may hold literal secrets.
    expect(JSON.stringify(exporter.getFinishedSpans().map((span) => span.attributes))).not.toContain("totalCount");
  });

  it("names an anonymous operation by its type, and marks failures with their codes", async () => {
    await post(api, "{ viewer { name } }");
    expect(trace("query").root.attributes["graphql.operation.type"]).toBe("query");

    await post(api, "query TooBig { jobs(first: 1000) { totalCount } }");
    const tooBig = trace("query TooBig").root;
    expect(tooBig.status.code).toBe(SpanStatusCode.ERROR);
    expect(tooBig.attributes["graphql.error.codes"]).toEqual(["PAGE_SIZE_EXCEEDED"]);

    expect((await post(api, "query Invalid { nope }")).status).toBe(400);
    const invalid = trace("query Invalid");
    expect(invalid.root.status.code).toBe(SpanStatusCode.ERROR);
    expect(invalid.children.map((span) => [span.name, span.status.code])).toEqual([
      ["graphql.parse", SpanStatusCode.UNSET],
      ["graphql.validate", SpanStatusCode.ERROR],
    ]);
  });

  it("traces WebSocket operations, a subscription for as long as its stream", async () => {
    const address = await api.app.start(0, "127.0.0.1");
    try {
      const client = createClient({
        url: `ws://127.0.0.1:${address.port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${api.admin.secret}` },
        retryAttempts: 0,
      });
      for await (const result of client.iterate({ query: "query OverSocket { viewer { name } }" })) expect(result).toHaveProperty("data");
      expect(trace("query OverSocket").children.map((span) => span.name)).toEqual(["graphql.context", "graphql.parse", "graphql.validate", "graphql.execute"]);

      const subscription = client.iterate({ query: "subscription Watching { jobAvailable { claimable } }" });
      await subscription.next();
      expect(exporter.getFinishedSpans().map((span) => span.name)).not.toContain("subscription Watching");
      await subscription.return?.();
      await expect.poll(() => exporter.getFinishedSpans().map((span) => span.name)).toContain("subscription Watching");
      expect(trace("subscription Watching").children.map((span) => span.name)).toContain("graphql.subscribe");
      await client.dispose();
    } finally {
      await api.app.stop();
    }
  });

  describe("startTracing", () => {
    const received: Array<{ path: string | undefined; contentType: string | undefined; body: string }> = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk));
      request.on("end", () => {
        received.push({ path: request.url, contentType: request.headers["content-type"], body });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });

    beforeAll(() => new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve)));
    afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

    it("exports the spans over OTLP/HTTP to the configured endpoint, as the configured service", async () => {
      const { port } = collector.address() as AddressInfo;
      const tracing = startTracing({ enabled: true, endpoint: `http://127.0.0.1:${port}/`, serviceName: "jobgraph-under-test" });
      const traced = await createTestApi(database, { tracing: tracing.plugin });
      expect((await post(traced, "query Exported { viewer { name } }")).status).toBe(200);
      // Spans are batched; shutting down sends what is buffered.
      await tracing.shutdown();

      expect(received.map(({ path, contentType }) => [path, contentType])).toEqual([["/v1/traces", "application/json"]]);
      type Attribute = { key: string; value: { stringValue?: string } };
      const payload = JSON.parse(received[0]!.body) as {
        resourceSpans: Array<{ resource: { attributes: Attribute[] }; scopeSpans: Array<{ spans: Array<{ name: string; parentSpanId?: string }> }> }>;
      };
      const [resourceSpans] = payload.resourceSpans;
      expect(resourceSpans!.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "jobgraph-under-test" } });
      const names = resourceSpans!.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name));
      expect(names.sort()).toEqual(["query Exported", ...PHASES].sort());
    });
  });
});
