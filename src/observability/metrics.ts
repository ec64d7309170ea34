// Prometheus metrics at GET /metrics: GraphQL operations (yoga's Prometheus plugin, with labels
// kept to a bounded set), errors by code, jobs by status and queue, reclaimed leases, open
// subscriptions, database pools, caches, and Node's own process metrics. Each app has its own registry,
// so that several apps in one process (tests) never share a series.
import { createHash, timingSafeEqual } from "node:crypto";
import { createCounter, createHistogram, usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { DocumentNode, ExecutionResult, GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type pg from "pg";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Db } from "../db/client.js";
import type { ReplicaState } from "../db/replicas.js";
import { JobStatus } from "../db/generated/prisma/enums.js";
import { bearerSecret } from "../domain/auth.js";
import type { ReclaimResult } from "../domain/claiming.js";
import type { SchedulePass } from "../domain/schedules.js";
import type { CacheUsage } from "../lru.js";
import type { Logger } from "./logger.js";
import { OperationLabels } from "./operation-labels.js";
import { describeError, errorCode } from "./request-log.js";
import { stalledCondition } from "../domain/stalls.js";
import { Prisma } from "../db/generated/prisma/client.js";

export const METRICS_PATH = "/metrics";

/** Queues reported by the queue gauges: the deepest ones, so that a flood of queue names stays bounded. */
const MAX_QUEUES = 100;

export type MetricsOptions = {
  db: Db;
  /** The pools whose connections are reported, by name. */
  pools: Record<string, pg.Pool | undefined>;
  /** The caches whose use is reported, by name. */
  caches: Record<string, () => CacheUsage>;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
  logger: Logger;
  /** The read replicas, when there are any: each one's state, and where queries were sent. */
  replicas?: { readonly states: ReplicaState[]; readonly reads: Readonly<Record<"replica" | "primary", number>> };
};

type OperationLabelName = "operationName" | "operationType";

type QueueRow = { queue: string; depth: number; oldest_age_seconds: number };
type SteeringRow = { queue: string; held: number; stalled: number; paused: boolean | null; concurrency_limit: number | null };

function sameSecret(given: string | null, expected: string): boolean {
  // Digests have one length whatever was sent, so the comparison tells nothing by its timing.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return given !== null && timingSafeEqual(digest(given), digest(expected));
}

/**
 * Shares one run of `query` among the metrics of one scrape (prom-client collects them all at
 * once), so the queue gauges cost one statement between them.
 */
function sharedPerScrape<T>(query: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => (running ??= query().finally(() => (running = undefined)));
}

export class Metrics {
  readonly registry = new Registry();
  private readonly labels = new OperationLabels();
  private readonly errors: Counter<"code">;
  private readonly reclaimedLeases: Counter<"outcome">;
  private readonly ticks: Counter<"outcome">;
  private readonly subscriptions: Gauge<"transport">;
  private readonly laneRequests: Counter;

  constructor(private readonly options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.errors = new Counter({
      name: "jobgraph_graphql_errors_total",
      help: "GraphQL errors answered, by code (INTERNAL_SERVER_ERROR: unexpected, masked errors).",
      labelNames: ["code"],
      registers,
    });
    this.reclaimedLeases = new Counter({
      name: "jobgraph_leases_reclaimed_total",
      help: "Expired leases this instance reclaimed: the job requeued, or failed after its last attempt.",
      labelNames: ["outcome"],
      registers,
    });
    this.ticks = new Counter({
      name: "jobgraph_schedule_ticks_total",
      help: "Schedule ticks this instance handled: a job created, the tick skipped (overlap or missed), or failed (its job could not be made).",
      labelNames: ["outcome"],
      registers,
    });
    this.subscriptions = new Gauge({
      name: "jobgraph_subscriptions_active",
      help: "Subscriptions streaming now, by transport (websocket, or http for server-sent events).",
      labelNames: ["transport"],
      registers,
    });
    for (const transport of ["websocket", "http"]) this.subscriptions.set({ transport }, 0);
    this.laneRequests = new Counter({
      name: "jobgraph_http_fast_lane_requests_total",
      help: "HTTP requests answered by the fast lane (JSON POSTs, and queries sent by GET, of documents validated before); the others go through yoga's handler.",
      registers,
    });
    this.databaseGauges(registers);
    this.poolGauges(registers);
    this.cacheGauges(registers);
    this.replicaMetrics(registers);
  }

  /** Counts what a pass of the reclaimer did (see Reclaimer's onReclaimed). */
  leasesReclaimed(result: ReclaimResult): void {
    this.reclaimedLeases.inc({ outcome: "requeued" }, result.requeued);
    this.reclaimedLeases.inc({ outcome: "failed" }, result.failed);
  }

  /** Counts what a pass over the due schedules did (see ScheduleTicker's onTicked). */
  scheduleTicks(pass: SchedulePass): void {
    this.ticks.inc({ outcome: "created" }, pass.created);
    this.ticks.inc({ outcome: "skipped" }, pass.skipped);
    this.ticks.inc({ outcome: "failed" }, pass.failed);
  }

  /** Counts errors answered outside yoga's envelope (a WebSocket operation refused before it ran). */
  countErrors(errors: readonly GraphQLError[] | undefined): void {
    for (const error of errors ?? []) this.errors.inc({ code: errorCode(error) });
  }

  /** Labels of an operation metric, from the document yoga's Prometheus plugin saw parsed. */
  private readonly operationLabels = (params: { document?: DocumentNode }, context: unknown) =>
    this.labels.of(params.document, (context as { params?: { operationName?: string | null } } | undefined)?.params?.operationName);

  private operationHistogram<Phase>(name: string, help: string) {
    return createHistogram<Phase, OperationLabelName>({
      registry: this.registry,
      histogram: { name, help, labelNames: ["operationName", "operationType"] },
      fillLabelsFn: this.operationLabels,
    });
  }

  // The operation metrics that yoga's Prometheus plugin observes, and the fast lane for the queries
  // it runs itself (laneRequest).
  private readonly contextPhase = this.operationHistogram<"context">("graphql_envelop_phase_context", "Time spent on building the GraphQL context");
  private readonly executePhase = this.operationHistogram<"execute">("graphql_envelop_phase_execute", 'Time spent on running the GraphQL "execute" function');
  private readonly subscribePhase = this.operationHistogram<"subscribe">("graphql_envelop_phase_subscribe", 'Time spent on running the GraphQL "subscribe" function');
  private readonly requestDuration = this.operationHistogram<"execute" | "subscribe">(
    "graphql_envelop_request_duration",
    "Time spent on running the GraphQL operation from parse to execute",
  );
  private readonly requestCount = createCounter<"execute" | "subscribe", OperationLabelName>({
    registry: this.registry,
    counter: { name: "graphql_envelop_request", help: "Counts the amount of GraphQL requests executed through Envelop", labelNames: ["operationName", "operationType"] },
    fillLabelsFn: this.operationLabels,
  });

  /** HTTP requests by operation, method and status; yoga's plugin observes its own, the fast lane its. */
  private readonly httpDuration = createHistogram<"request", "operationName" | "operationType" | "method" | "statusCode">({
    registry: this.registry,
    histogram: {
      name: "graphql_yoga_http_duration",
      help: "Time spent on HTTP connection",
      labelNames: ["operationName", "operationType", "method", "statusCode"],
    },
    fillLabelsFn: (params, context: { request: Request; response: Response; params?: { operationName?: string | null } }) => ({
      ...this.labels.of(params.document as DocumentNode | undefined, context.params?.operationName),
      method: context.request.method,
      statusCode: context.response.status,
    }),
  });

  /**
   * A request the fast lane (src/http/fast-lane.ts) answered: what yoga's handler would have
   * counted, and, for a query the lane ran itself (`ran`), what yoga's Prometheus plugin would
   * have (it parsed and validated nothing: those phases are not observed).
   */
  laneRequest(answer: {
    document?: unknown;
    operationName?: string | null;
    method: string;
    status: number;
    seconds: number;
    errors?: readonly GraphQLError[] | undefined;
    ran?: { contextSeconds: number; executeSeconds: number };
  }): void {
    this.laneRequests.inc();
    this.countErrors(answer.errors);
    if (!answer.document) return;
    const operation = this.labels.of(answer.document as DocumentNode, answer.operationName);
    this.httpDuration.histogram.observe({ ...operation, method: answer.method, statusCode: answer.status }, answer.seconds);
    if (!answer.ran) return;
    this.contextPhase.histogram.observe(operation, answer.ran.contextSeconds);
    this.executePhase.histogram.observe(operation, answer.ran.executeSeconds);
    this.requestDuration.histogram.observe(operation, answer.ran.contextSeconds + answer.ran.executeSeconds);
    this.requestCount.counter.inc(operation);
  }

  /** A WebSocket subscription's stream began (it ran outside yoga's envelope: src/graphql/subscribe.ts). */
  socketSubscriptionStarted(): void {
    this.subscriptions.inc({ transport: "websocket" });
  }

  /**
   * A WebSocket subscription that ran outside yoga's envelope is over, `seconds` after it began:
   * what yoga's Prometheus plugin observes when a subscription ends, and the open ones.
   */
  socketSubscriptionEnded(document: DocumentNode, operationName: string | null | undefined, seconds: number, streamed: boolean): void {
    if (streamed) this.subscriptions.dec({ transport: "websocket" });
    const operation = this.labels.of(document, operationName);
    this.subscribePhase.histogram.observe(operation, seconds);
    this.requestDuration.histogram.observe(operation, seconds);
    this.requestCount.counter.inc(operation);
  }

  /** The yoga plugins: the endpoint, the operation metrics, and the counting hooks. */
  plugins(): Plugin[] {
    return [this.endpoint(), this.operationMetrics(), this.counting()];
  }

  private endpoint(): Plugin {
    const { token } = this.options;
    return {
      onRequest: ({ url, request, fetchAPI, endResponse }) => {
        if (url.pathname !== METRICS_PATH) return;
        if (request.method !== "GET") {
          endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: "GET" } }));
          return;
        }
        if (token && !sameSecret(bearerSecret(request.headers.get("authorization")), token)) {
          endResponse(
            new fetchAPI.Response("a valid metrics token is required: send Authorization: Bearer <JOBGRAPH_METRICS_TOKEN>\n", {
              status: 401,
              headers: { "content-type": "text/plain; charset=utf-8", "WWW-Authenticate": 'Bearer realm="jobgraph-metrics"' },
            }),
          );
          return;
        }
        return this.registry.metrics().then((text) => {
          endResponse(new fetchAPI.Response(text, { headers: { "content-type": this.registry.contentType } }));
        });
      },
    };
  }

  /**
   * yoga's Prometheus plugin, with every metric that names an operation labelled through
   * OperationLabels (the plugin's own labels would take any name a client sends, and the URL with
   * its query string). Left out: the error counter (labelled by response path, so by list index;
   * jobgraph_graphql_errors_total replaces it), the summary (the histograms say the same and
   * aggregate across instances), and deprecated fields (the schema deprecates none).
   */
  private operationMetrics(): Plugin {
    const registry = this.registry;
    // Parsing and validation come before the operation is known to be valid: no labels.
    const unlabelled = <Phase>(name: string, help: string) =>
      createHistogram<Phase, never>({ registry, histogram: { name, help, labelNames: [] }, fillLabelsFn: () => ({}) });
    return usePrometheus({
      registry,
      endpoint: false,
      metrics: {
        graphql_envelop_phase_parse: unlabelled("graphql_envelop_phase_parse", 'Time spent on running GraphQL "parse" function'),
        graphql_envelop_phase_validate: unlabelled("graphql_envelop_phase_validate", 'Time spent on running GraphQL "validate" function'),
        graphql_envelop_phase_context: this.contextPhase,
        graphql_envelop_phase_execute: this.executePhase,
        graphql_envelop_phase_subscribe: this.subscribePhase,
        graphql_envelop_request_duration: this.requestDuration,
        graphql_envelop_request: this.requestCount,
        graphql_yoga_http_duration: this.httpDuration,
        graphql_envelop_request_time_summary: false,
        graphql_envelop_error_result: false,
        graphql_envelop_deprecated_field: false,
      },
    });
  }

  /** Which documents validated (for the labels), open subscriptions, and errors by code. */
  private counting(): Plugin {
    const countStreamErrors = { onNext: ({ result }: { result: unknown }) => this.countErrors((result as ExecutionResult).errors) };
    const subscribedOver = (transport: "http" | "websocket") => {
      const stream = { ...countStreamErrors, onEnd: () => this.subscriptions.dec({ transport }) };
      return {
        onSubscribeResult: ({ result }: { result: ExecutionResult | AsyncIterable<unknown> }) => {
          if (!isAsyncIterable(result)) {
            if (transport === "websocket") this.countErrors(result.errors);
            return;
          }
          this.subscriptions.inc({ transport });
          return stream;
        },
      };
    };
    const subscribed = { http: subscribedOver("http"), websocket: subscribedOver("websocket") };
    return {
      onValidate:
        ({ params }) =>
        ({ valid }) => {
          if (valid) this.labels.validated(params.documentAST);
        },
      // HTTP results are counted once they are final (onResultProcess, or the fast lane's
      // laneRequest), errors raised before execution included; a WebSocket operation's here.
      onExecute: ({ args }) => {
        if (!("connectionParams" in (args.contextValue as object))) return;
        return {
          onExecuteDone: ({ result }) => {
            if (isAsyncIterable(result)) return countStreamErrors;
            this.countErrors(result.errors);
          },
        };
      },
      // The same hooks for every subscription of a transport: an instance may hold tens of
      // thousands of subscriptions, and none needs anything of its own here.
      onSubscribe: ({ args }) => ((args.contextValue as { request?: Request }).request ? subscribed.http : subscribed.websocket),
      onResultProcess: ({ result }) => {
        if (isAsyncIterable(result)) return;
        for (const single of Array.isArray(result) ? result : [result]) this.countErrors(single.errors);
      },
    };
  }

  /** Gauges read from the database when scraped: one statement each for jobs and for queues. */
  private databaseGauges(registers: Registry[]): void {
    const { db, logger } = this.options;
    const unavailable = (what: string) => (error: unknown) => {
      logger.warn({ err: describeError(error) }, `metrics: ${what} not read`);
      return null;
    };
    new Gauge({
      name: "jobgraph_jobs",
      help: "Jobs not deleted, by status.",
      labelNames: ["status"],
      registers,
      async collect() {
        const rows = await db.$queryRaw<Array<{ status: string; count: number }>>`
          /* metricsJobsByStatus */
          select status::text as status, count(*)::int as count from jobs where deleted_at is null group by status`.catch(
          unavailable("jobs by status"),
        );
        this.reset();
        if (!rows) return;
        for (const status of Object.values(JobStatus)) this.set({ status }, 0);
        for (const row of rows) this.set({ status: row.status }, row.count);
      },
    });
    // Claimable as acquireNextJob sees it; the partial index jobs_claimable_idx holds exactly the
    // QUEUED, undeleted jobs, so this reads no finished job however many there are.
    const queues = sharedPerScrape(() =>
      db.$queryRaw<QueueRow[]>`
        /* metricsQueues */
        select queue, count(*)::int as depth, extract(epoch from now() - min(run_after))::float8 as oldest_age_seconds
          from jobs
         where status = 'QUEUED' and deleted_at is null and run_after <= now()
         group by queue
         order by depth desc, queue
         limit ${MAX_QUEUES}::int`.catch(unavailable("queues")),
    );
    new Gauge({
      name: "jobgraph_queue_depth",
      help: `Claimable jobs (QUEUED, not deleted, runAfter passed) per queue; the ${MAX_QUEUES} deepest queues.`,
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await queues();
        this.reset();
        for (const row of rows ?? []) this.set({ queue: row.queue }, row.depth);
      },
    });
    new Gauge({
      name: "jobgraph_queue_oldest_age_seconds",
      help: "How long the oldest claimable job of each queue has been claimable, in seconds (since its runAfter).",
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await queues();
        this.reset();
        for (const row of rows ?? []) this.set({ queue: row.queue }, row.oldest_age_seconds);
      },
    });
    // Held jobs are few (the nodes' current work), and configured queues fewer: one cheap
    // statement for the three gauges below.
    const steering = sharedPerScrape(() =>
      db.$queryRaw<SteeringRow[]>`
        /* metricsQueueSteering */
        select coalesce(h.queue, q.name) as queue, coalesce(h.held, 0)::int as held, coalesce(h.stalled, 0)::int as stalled,
               q.paused, q.concurrency_limit
          from (select j.queue, count(*)::int as held, count(*) filter (where ${Prisma.raw(stalledCondition("j"))})::int as stalled
                  from jobs j where j.status in ('ACQUIRED', 'RUNNING') group by j.queue) h
          full join queues q on q.name = h.queue
         order by 2 desc, 1
         limit ${MAX_QUEUES}::int`.catch(unavailable("queue settings")),
    );
    new Gauge({
      name: "jobgraph_queue_held",
      help: `Jobs held by nodes (ACQUIRED or RUNNING) per queue: what a concurrency limit counts; the ${MAX_QUEUES} busiest queues and every configured one.`,
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await steering();
        this.reset();
        for (const row of rows ?? []) this.set({ queue: row.queue }, row.held);
      },
    });
    new Gauge({
      name: "jobgraph_jobs_stalled",
      help: "Jobs RUNNING whose holder has reported nothing for longer than their stallAfterSeconds (see Job.stalled), per queue.",
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await steering();
        this.reset();
        for (const row of rows ?? []) this.set({ queue: row.queue }, row.stalled);
      },
    });
    new Gauge({
      name: "jobgraph_queue_paused",
      help: "1 for each queue an admin paused, 0 for each configured queue that is not (queues never configured are not listed).",
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await steering();
        this.reset();
        for (const row of rows ?? []) if (row.paused !== null) this.set({ queue: row.queue }, row.paused ? 1 : 0);
      },
    });
    new Gauge({
      name: "jobgraph_queue_concurrency_limit",
      help: "The concurrency limit of each queue that has one.",
      labelNames: ["queue"],
      registers,
      async collect() {
        const rows = await steering();
        this.reset();
        for (const row of rows ?? []) if (row.concurrency_limit !== null) this.set({ queue: row.queue }, row.concurrency_limit);
      },
    });
  }

  /** What each cache holds, read from it when scraped. */
  private cacheGauges(registers: Registry[]): void {
    const caches = Object.entries(this.options.caches);
    const gauge = (name: string, help: string, read: (usage: CacheUsage) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["cache"],
        registers,
        collect() {
          for (const [cache, usage] of caches) {
            const value = read(usage());
            if (Number.isFinite(value)) this.set({ cache }, value);
          }
        },
      });
    gauge("jobgraph_cache_entries", "Entries each cache holds (documents: parsed documents; costs: query costs; select_lists, prepared_statements: SQL).", (u) => u.entries);
    gauge("jobgraph_cache_bytes", "Bytes each cache holds, as it estimates them; the documents' include their validation results and compiled forms.", (u) => u.bytes);
    gauge("jobgraph_cache_max_bytes", "The most bytes each cache holds (documents: JOBGRAPH_DOCUMENT_CACHE_BYTES).", (u) => u.maxBytes);
  }

  /** Each read replica's state and the queries sent to replicas or the primary, read when scraped. */
  private replicaMetrics(registers: Registry[]): void {
    const replicas = this.options.replicas;
    if (!replicas) return;
    new Gauge({
      name: "jobgraph_replica_serving",
      help: "1 while a read replica serves queries; 0 while it is down, no longer a standby, or further behind than JOBGRAPH_REPLICA_MAX_LAG_SECONDS.",
      labelNames: ["replica"],
      registers,
      collect() {
        for (const state of replicas.states) this.set({ replica: state.name }, state.usable ? 1 : 0);
      },
    });
    new Gauge({
      name: "jobgraph_replica_lag_seconds",
      help: "How far behind the primary each read replica was at its last check: the age of the oldest of the primary's writes it had not replayed.",
      labelNames: ["replica"],
      registers,
      collect() {
        this.reset();
        for (const state of replicas.states) if (state.lagSeconds !== undefined) this.set({ replica: state.name }, state.lagSeconds);
      },
    });
    new Counter({
      name: "jobgraph_replica_reads_total",
      help: "Query operations by where they read: a replica, or the primary (no replica serving, or none had replayed the caller's last write within JOBGRAPH_REPLICA_WAIT_MS).",
      labelNames: ["on"],
      registers,
      collect() {
        this.reset();
        for (const [on, count] of Object.entries(replicas.reads)) this.inc({ on }, count);
      },
    });
  }

  /** Connections of each pool, read from the pool when scraped. */
  private poolGauges(registers: Registry[]): void {
    const pools = Object.entries(this.options.pools).filter((entry): entry is [string, pg.Pool] => entry[1] !== undefined);
    new Gauge({
      name: "jobgraph_db_pool_connections",
      help: "Connections of each PostgreSQL pool (prisma: the API's queries; outputs: output content), total and idle.",
      labelNames: ["pool", "state"],
      registers,
      collect() {
        for (const [pool, { totalCount, idleCount }] of pools) {
          this.set({ pool, state: "total" }, totalCount);
          this.set({ pool, state: "idle" }, idleCount);
        }
      },
    });
    new Gauge({
      name: "jobgraph_db_pool_waiting",
      help: "Requests waiting for a connection of each PostgreSQL pool.",
      labelNames: ["pool"],
      registers,
      collect() {
        for (const [pool, { waitingCount }] of pools) this.set({ pool }, waitingCount);
      },
    });
    new Gauge({
      name: "jobgraph_db_pool_max_connections",
      help: "The most connections each PostgreSQL pool opens.",
      labelNames: ["pool"],
      registers,
      collect() {
        for (const [pool, { options }] of pools) this.set({ pool }, options.max ?? 10);
      },
    });
  }
}
