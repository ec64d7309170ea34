// The only reader of process.env. Every setting is validated here, so a bad value stops the
// process at start with a message that names the variable, instead of failing later.
import path from "node:path";
import { z } from "zod";
import type { ReplicaSettings } from "./db/replicas.js";
import type { RetentionSettings } from "./domain/retention.js";

/** Limits that protect the gateway from abusive requests. */
export type Limits = {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  /** The largest request body, except the files of an upload. */
  maxBodyBytes: number;
  /** The largest job output accepted, in bytes. */
  maxOutputBytes: number;
  /** The most files one multipart request may carry. */
  maxUploadFiles: number;
  /** Per token and gateway instance; 0 switches the limit off. */
  mutationsPerMinute: number;
  /** What the document cache may hold, in bytes (estimated): documents, their validation results and compiled forms. */
  documentCacheBytes: number;
  /** The most operations one WebSocket carries at once (subscriptions, and queries or mutations under way). */
  maxSocketOperations: number;
};

export const defaultLimits: Limits = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxDirectives: 10,
  maxCost: 20000,
  maxBodyBytes: 1_048_576,
  maxOutputBytes: 5 * 1024 ** 3,
  maxUploadFiles: 10,
  mutationsPerMinute: 6000,
  documentCacheBytes: 64 * 1024 ** 2,
  maxSocketOperations: 200,
};

/** pino's levels, most severe first; "silent" writes nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const port = z.coerce.number().int().min(0).max(65535);
const atLeastOne = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** A span such as 90m, 12h, 30d or 2w; 0 or unset: for ever. */
const retention = z
  .string()
  .trim()
  .regex(/^(0|\d+\s*[mhdw])$/, "must be a duration such as 90m, 12h, 30d or 2w (or 0 for ever)")
  .transform((value) => {
    const match = /^(\d+)\s*([mhdw])$/.exec(value);
    return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] || undefined : undefined;
  })
  .optional();
const flag = (fallback: "true" | "false") =>
  z.enum(["true", "false"], { message: "must be true or false" }).default(fallback);

const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_DIRECT_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL")
    .optional(),
  // Comma-separated; each a streaming replica of DATABASE_URL's PostgreSQL (src/db/replicas.ts).
  DATABASE_REPLICA_URLS: z
    .string()
    .trim()
    .transform((v) => v.split(",").map((url) => url.trim()).filter(Boolean))
    .refine((urls) => urls.every((url) => /^postgres(ql)?:\/\/[^/]/.test(url)), "must be postgres:// or postgresql:// URLs, separated by commas")
    .optional(),
  JOBGRAPH_REPLICA_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  JOBGRAPH_REPLICA_MAX_LAG_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  PORT: port.default(4000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  NODE_ENV: z.string().default("development"),
  JOBGRAPH_DATA_DIR: z.string().trim().min(1).default(".data"),
  JOBGRAPH_EMBEDDED_PG_PORT: port.default(0),
  JOBGRAPH_DEMO_DATA: flag("true"),
  JOBGRAPH_DEMO_WORKER: flag("true"),
  JOBGRAPH_ADMIN_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  JOBGRAPH_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  JOBGRAPH_DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(20),
  JOBGRAPH_DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  JOBGRAPH_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  JOBGRAPH_LEASE_SECONDS: z.coerce.number().int().min(5).max(86_400).default(120),
  JOBGRAPH_RECLAIM_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  JOBGRAPH_SCHEDULE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  JOBGRAPH_SCHEDULE_GRACE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  JOBGRAPH_EVENT_RETENTION: retention,
  JOBGRAPH_JOB_RETENTION: retention,
  JOBGRAPH_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  JOBGRAPH_LOG_MAX_LINES: z.coerce.number().int().min(1).max(100_000_000).default(10_000),
  JOBGRAPH_LOG_MAX_BYTES: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1_048_576),
  JOBGRAPH_MAX_DEPTH: atLeastOne(defaultLimits.maxDepth),
  JOBGRAPH_MAX_ALIASES: atLeastOne(defaultLimits.maxAliases),
  JOBGRAPH_MAX_TOKENS: atLeastOne(defaultLimits.maxTokens),
  JOBGRAPH_MAX_DIRECTIVES: atLeastOne(defaultLimits.maxDirectives),
  JOBGRAPH_MAX_COST: atLeastOne(defaultLimits.maxCost),
  JOBGRAPH_MAX_BODY_BYTES: atLeastOne(defaultLimits.maxBodyBytes),
  JOBGRAPH_MAX_OUTPUT_BYTES: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(defaultLimits.maxOutputBytes),
  JOBGRAPH_MAX_UPLOAD_FILES: atLeastOne(defaultLimits.maxUploadFiles),
  JOBGRAPH_MAX_SOCKET_OPERATIONS: atLeastOne(defaultLimits.maxSocketOperations),
  JOBGRAPH_OUTPUT_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(8),
  JOBGRAPH_OUTPUT_STORE: z.enum(["files", "postgres", "s3"], { message: "must be files, postgres or s3" }).optional(),
  JOBGRAPH_OUTPUT_STORE_DIR: z.string().trim().min(1).optional(),
  // Bucket names as S3 allows them (lower case, digits, dots, hyphens; 3 to 63 characters).
  JOBGRAPH_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens")
    .optional(),
  JOBGRAPH_S3_PREFIX: z
    .string()
    .max(900, "must be at most 900 characters")
    .refine((prefix) => !prefix.startsWith("/"), "must not start with /")
    .optional(),
  JOBGRAPH_S3_ENDPOINT: z.url({ protocol: /^https?$/, message: "must be an http or https URL" }).optional(),
  JOBGRAPH_S3_REGION: z.string().trim().min(1).optional(),
  JOBGRAPH_S3_FORCE_PATH_STYLE: z.enum(["true", "false"], { message: "must be true or false" }).optional(),
  JOBGRAPH_S3_PRESIGN_SECONDS: z.coerce.number().int().min(0).max(7 * 24 * 3600, "must be at most 604800 (7 days, S3's limit)").default(0),
  JOBGRAPH_MUTATIONS_PER_MINUTE: z.coerce.number().int().min(0).default(defaultLimits.mutationsPerMinute),
  JOBGRAPH_DOCUMENT_CACHE_BYTES: z.coerce.number().int().min(1024 ** 2).max(Number.MAX_SAFE_INTEGER).default(defaultLimits.documentCacheBytes),
  JOBGRAPH_AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  JOBGRAPH_LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  JOBGRAPH_METRICS_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  JOBGRAPH_OTEL_ENABLED: flag("false"),
  // The OpenTelemetry names, so that an operator's usual settings work; the exporter reads its
  // other OTEL_EXPORTER_OTLP_* variables (headers, timeouts) itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^/]/.test(v), "must be an http:// or https:// URL")
    .optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("jobgraph"),
  // Comma-separated manifests of trusted documents (src/graphql/trusted-documents.ts).
  JOBGRAPH_TRUSTED_DOCUMENTS: z
    .string()
    .trim()
    .transform((v) => v.split(",").map((file) => file.trim()).filter(Boolean))
    .optional(),
  JOBGRAPH_TRUSTED_DOCUMENTS_ONLY: flag("false"),
});

export type Config = {
  /** External PostgreSQL; when absent an embedded one is started under dataDir. */
  databaseUrl: string | undefined;
  /**
   * PostgreSQL itself, when databaseUrl is a transaction-mode pooler (PgBouncer): for LISTEN and
   * migrations, which need a session of their own. Its presence says databaseUrl is pooled.
   */
  directDatabaseUrl: string | undefined;
  /** Streaming replicas that query operations may read from; none unless DATABASE_REPLICA_URLS is set. */
  replicas: ReplicaSettings | undefined;
  port: number;
  host: string;
  /** NODE_ENV=production: no development admin token, nothing prefilled, no field suggestions. */
  production: boolean;
  /** Where the embedded PostgreSQL keeps its files. */
  dataDir: string;
  /** Port of the embedded PostgreSQL; 0 picks a free one at every start. */
  embeddedPgPort: number;
  /** Fill a newly created embedded database with demo data. */
  demoData: boolean;
  /** With demo data on the embedded database: keep the demo jobs moving (src/db/demo-worker.ts). */
  demoWorker: boolean;
  /** A secret that start-up makes a valid admin token. */
  adminToken: string | undefined;
  maxPageSize: number;
  defaultPageSize: number;
  dbPoolSize: number;
  /** How long one statement may run before PostgreSQL cancels it; 0 for no limit (see createDb). */
  statementTimeoutMs: number;
  /** Connections for output content; each upload in progress holds one. */
  outputPoolSize: number;
  /** Where output content is kept (see OutputStoreConfig). */
  outputStore: OutputStoreConfig;
  /** How long a worker node's lease lasts unless renewed. */
  leaseSeconds: number;
  /** How often each instance looks for expired leases. */
  reclaimIntervalMs: number;
  /** How often each instance looks for due schedules; 0: this instance handles none. */
  scheduleIntervalMs: number;
  /** How late a schedule's tick may be handled and still count as on time, not missed. */
  scheduleGraceSeconds: number;
  /** What each job's log keeps: the oldest lines past either limit are dropped. */
  logLimits: { maxLines: number; maxBytes: number };
  /** How long events and finished jobs are kept (src/domain/retention.ts); each unset: for ever. */
  retention: RetentionSettings;
  /** How often each instance deletes what the retention no longer keeps. */
  retentionIntervalMs: number;
  /** How long a valid token's principal is remembered; 0: looked up on every request. */
  authCacheSeconds: number;
  limits: Limits;
  /** The least severe log level written. */
  logLevel: LogLevel;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined;
  /** OpenTelemetry tracing; when disabled, nothing of the OpenTelemetry SDK is loaded. */
  tracing: TracingConfig;
  /** Manifests of documents clients may send by hash; none unless JOBGRAPH_TRUSTED_DOCUMENTS is set. */
  trustedDocuments: string[];
  /** Users who are not admins may send trusted documents alone. */
  trustedDocumentsOnly: boolean;
};

/**
 * Output content goes to files in `folder` (the default with the embedded PostgreSQL, which runs on
 * the same machine), or into PostgreSQL (the default with DATABASE_URL, where instances on other
 * machines must read it too and no shared folder can be assumed).
 */
export type OutputStoreConfig = { kind: "files"; folder: string } | { kind: "postgres" } | ({ kind: "s3" } & S3StoreConfig);

/** An S3-compatible bucket for output content (src/db/s3-store.ts). */
export type S3StoreConfig = {
  bucket: string;
  /** Put before each output's id to name its object: "" or, say, "jobgraph/outputs/". */
  prefix: string;
  /** An S3-compatible server's address; AWS's own when unset. */
  endpoint?: string;
  /** The bucket's region; the AWS SDK's usual sources (AWS_REGION, the config file) when unset. */
  region?: string;
  /** Buckets addressed as endpoint/bucket rather than bucket.endpoint, as most S3-compatible servers want. */
  forcePathStyle: boolean;
  /** Downloads are redirected to a URL signed for this long; 0 streams them through the gateway. */
  presignSeconds: number;
  /** Credentials; the AWS SDK's usual sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles, roles) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

export type TracingConfig = {
  enabled: boolean;
  /** The OTLP/HTTP base URL (traces go to <endpoint>/v1/traces); unset: the exporter's default. */
  endpoint: string | undefined;
  serviceName: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and .env files commonly leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`));
  }
  const v = parsed.data;
  if (v.JOBGRAPH_DEFAULT_PAGE_SIZE > v.JOBGRAPH_MAX_PAGE_SIZE) {
    throw new ConfigError(["JOBGRAPH_DEFAULT_PAGE_SIZE must not exceed JOBGRAPH_MAX_PAGE_SIZE"]);
  }
  if (v.DATABASE_DIRECT_URL && !v.DATABASE_URL) {
    throw new ConfigError(["DATABASE_DIRECT_URL is for a DATABASE_URL that points at a connection pooler; set DATABASE_URL too, or leave DATABASE_DIRECT_URL unset"]);
  }
  if (v.DATABASE_REPLICA_URLS?.length && !v.DATABASE_URL) {
    throw new ConfigError(["DATABASE_REPLICA_URLS are replicas of DATABASE_URL's PostgreSQL; set DATABASE_URL too (the embedded PostgreSQL has no replicas)"]);
  }
  const replicaSettings = Object.keys(present).filter((name) => name.startsWith("JOBGRAPH_REPLICA_"));
  if (!v.DATABASE_REPLICA_URLS?.length && replicaSettings.length) {
    throw new ConfigError([`${replicaSettings.join(", ")} ${replicaSettings.length === 1 ? "is" : "are"} for DATABASE_REPLICA_URLS; set that too, or leave them unset`]);
  }
  const outputStore = v.JOBGRAPH_OUTPUT_STORE ?? (v.DATABASE_URL ? "postgres" : "files");
  if (outputStore !== "files" && v.JOBGRAPH_OUTPUT_STORE_DIR) {
    throw new ConfigError(["JOBGRAPH_OUTPUT_STORE_DIR is for JOBGRAPH_OUTPUT_STORE=files; set that too, or leave JOBGRAPH_OUTPUT_STORE_DIR unset"]);
  }
  const s3Settings = Object.keys(present).filter((name) => name.startsWith("JOBGRAPH_S3_"));
  if (outputStore !== "s3" && s3Settings.length) {
    throw new ConfigError([`${s3Settings.join(", ")} ${s3Settings.length === 1 ? "is" : "are"} for JOBGRAPH_OUTPUT_STORE=s3; set that too, or leave them unset`]);
  }
  if (outputStore === "s3" && !v.JOBGRAPH_S3_BUCKET) {
    throw new ConfigError(["JOBGRAPH_OUTPUT_STORE=s3 needs JOBGRAPH_S3_BUCKET, the bucket to keep output content in"]);
  }
  const dataDir = path.resolve(v.JOBGRAPH_DATA_DIR);
  return {
    databaseUrl: v.DATABASE_URL,
    directDatabaseUrl: v.DATABASE_DIRECT_URL,
    replicas: v.DATABASE_REPLICA_URLS?.length
      ? { urls: v.DATABASE_REPLICA_URLS, waitMs: v.JOBGRAPH_REPLICA_WAIT_MS, maxLagSeconds: v.JOBGRAPH_REPLICA_MAX_LAG_SECONDS }
      : undefined,
    port: v.PORT,
    host: v.HOST,
    production: v.NODE_ENV === "production",
    dataDir,
    embeddedPgPort: v.JOBGRAPH_EMBEDDED_PG_PORT,
    demoData: v.JOBGRAPH_DEMO_DATA === "true",
    demoWorker: v.JOBGRAPH_DEMO_WORKER === "true",
    adminToken: v.JOBGRAPH_ADMIN_TOKEN,
    maxPageSize: v.JOBGRAPH_MAX_PAGE_SIZE,
    defaultPageSize: v.JOBGRAPH_DEFAULT_PAGE_SIZE,
    dbPoolSize: v.JOBGRAPH_DB_POOL_SIZE,
    statementTimeoutMs: v.JOBGRAPH_STATEMENT_TIMEOUT_MS,
    outputPoolSize: v.JOBGRAPH_OUTPUT_POOL_SIZE,
    outputStore:
      outputStore === "files"
        ? { kind: "files", folder: path.resolve(v.JOBGRAPH_OUTPUT_STORE_DIR ?? path.join(dataDir, "outputs")) }
        : outputStore === "s3"
          ? {
              kind: "s3",
              bucket: v.JOBGRAPH_S3_BUCKET!,
              prefix: v.JOBGRAPH_S3_PREFIX ?? "",
              ...(v.JOBGRAPH_S3_ENDPOINT ? { endpoint: v.JOBGRAPH_S3_ENDPOINT } : {}),
              // Else the SDK's own sources (AWS_REGION, a profile); an S3-compatible server mostly
              // ignores the region, but the SDK wants one to sign with.
              ...(v.JOBGRAPH_S3_REGION
                ? { region: v.JOBGRAPH_S3_REGION }
                : v.JOBGRAPH_S3_ENDPOINT && !present.AWS_REGION && !present.AWS_DEFAULT_REGION
                  ? { region: "us-east-1" }
                  : {}),
              // S3-compatible servers mostly address buckets by path; AWS by host name.
              forcePathStyle: v.JOBGRAPH_S3_FORCE_PATH_STYLE === undefined ? Boolean(v.JOBGRAPH_S3_ENDPOINT) : v.JOBGRAPH_S3_FORCE_PATH_STYLE === "true",
              presignSeconds: v.JOBGRAPH_S3_PRESIGN_SECONDS,
            }
          : { kind: "postgres" },
    leaseSeconds: v.JOBGRAPH_LEASE_SECONDS,
    reclaimIntervalMs: v.JOBGRAPH_RECLAIM_INTERVAL_MS,
    scheduleIntervalMs: v.JOBGRAPH_SCHEDULE_INTERVAL_MS,
    scheduleGraceSeconds: v.JOBGRAPH_SCHEDULE_GRACE_SECONDS,
    logLimits: { maxLines: v.JOBGRAPH_LOG_MAX_LINES, maxBytes: v.JOBGRAPH_LOG_MAX_BYTES },
    retention: {
      ...(v.JOBGRAPH_EVENT_RETENTION !== undefined ? { eventsMs: v.JOBGRAPH_EVENT_RETENTION } : {}),
      ...(v.JOBGRAPH_JOB_RETENTION !== undefined ? { finishedJobsMs: v.JOBGRAPH_JOB_RETENTION } : {}),
    },
    retentionIntervalMs: v.JOBGRAPH_RETENTION_INTERVAL_MS,
    authCacheSeconds: v.JOBGRAPH_AUTH_CACHE_SECONDS,
    limits: {
      maxDepth: v.JOBGRAPH_MAX_DEPTH,
      maxAliases: v.JOBGRAPH_MAX_ALIASES,
      maxTokens: v.JOBGRAPH_MAX_TOKENS,
      maxDirectives: v.JOBGRAPH_MAX_DIRECTIVES,
      maxCost: v.JOBGRAPH_MAX_COST,
      maxBodyBytes: v.JOBGRAPH_MAX_BODY_BYTES,
      maxOutputBytes: v.JOBGRAPH_MAX_OUTPUT_BYTES,
      maxUploadFiles: v.JOBGRAPH_MAX_UPLOAD_FILES,
      mutationsPerMinute: v.JOBGRAPH_MUTATIONS_PER_MINUTE,
      documentCacheBytes: v.JOBGRAPH_DOCUMENT_CACHE_BYTES,
      maxSocketOperations: v.JOBGRAPH_MAX_SOCKET_OPERATIONS,
    },
    logLevel: v.JOBGRAPH_LOG_LEVEL,
    metricsToken: v.JOBGRAPH_METRICS_TOKEN,
    trustedDocuments: (v.JOBGRAPH_TRUSTED_DOCUMENTS ?? []).map((file) => path.resolve(file)),
    trustedDocumentsOnly: v.JOBGRAPH_TRUSTED_DOCUMENTS_ONLY === "true",
    tracing: {
      enabled: v.JOBGRAPH_OTEL_ENABLED === "true",
      endpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: v.OTEL_SERVICE_NAME,
    },
  };
}
