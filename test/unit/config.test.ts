import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultLimits, loadConfig } from "../../src/config.js";

describe("configuration", () => {
  it("has defaults that serve the playground on localhost:4000 with an embedded database", () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: undefined,
      directDatabaseUrl: undefined,
      replicas: undefined,
      port: 4000,
      host: "127.0.0.1",
      dataDir: path.resolve(".data"),
      embeddedPgPort: 0,
      maxPageSize: 100,
      defaultPageSize: 20,
      dbPoolSize: 10,
      statementTimeoutMs: 30_000,
      outputPoolSize: 8,
      outputStore: { kind: "files", folder: path.resolve(".data/outputs") },
      demoData: true,
      demoWorker: true,
      production: false,
      adminToken: undefined,
      leaseSeconds: 120,
      reclaimIntervalMs: 5000,
      scheduleIntervalMs: 1000,
      scheduleGraceSeconds: 60,
      logLimits: { maxLines: 10_000, maxBytes: 1_048_576 },
      retention: {},
      retentionIntervalMs: 60_000,
      authCacheSeconds: 10,
      limits: defaultLimits,
      logLevel: "info",
      metricsToken: undefined,
      tracing: { enabled: false, endpoint: undefined, serviceName: "jobgraph" },
      trustedDocuments: [],
      trustedDocumentsOnly: false,
    });
  });

  it("reads trusted documents' manifests, separated by commas, and whether users may send only those", () => {
    const config = loadConfig({ JOBGRAPH_TRUSTED_DOCUMENTS: "web/persisted-documents.json, /srv/app.json", JOBGRAPH_TRUSTED_DOCUMENTS_ONLY: "true" });
    expect(config.trustedDocuments).toEqual([path.resolve("web/persisted-documents.json"), "/srv/app.json"]);
    expect(config.trustedDocumentsOnly).toBe(true);
    expect(() => loadConfig({ JOBGRAPH_TRUSTED_DOCUMENTS_ONLY: "yes" })).toThrow(/JOBGRAPH_TRUSTED_DOCUMENTS_ONLY must be true or false/);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://u:p@db:5432/jobs",
      DATABASE_DIRECT_URL: "postgresql://u:p@db-direct:5432/jobs",
      DATABASE_REPLICA_URLS: "postgresql://u:p@replica-1:5432/jobs, postgresql://u:p@replica-2:5432/jobs",
      JOBGRAPH_REPLICA_WAIT_MS: "100",
      JOBGRAPH_REPLICA_MAX_LAG_SECONDS: "30",
      PORT: "8080",
      HOST: "0.0.0.0",
      JOBGRAPH_DATA_DIR: "/var/lib/jobgraph",
      JOBGRAPH_EMBEDDED_PG_PORT: "5444",
      JOBGRAPH_MAX_PAGE_SIZE: "500",
      JOBGRAPH_DEFAULT_PAGE_SIZE: "50",
      JOBGRAPH_DB_POOL_SIZE: "20",
      JOBGRAPH_STATEMENT_TIMEOUT_MS: "0",
      JOBGRAPH_DEMO_DATA: "false",
      JOBGRAPH_DEMO_WORKER: "false",
      NODE_ENV: "production",
      JOBGRAPH_ADMIN_TOKEN: "a-secret-of-twenty-four-chars",
      JOBGRAPH_MAX_DEPTH: "8",
      JOBGRAPH_MAX_ALIASES: "5",
      JOBGRAPH_MAX_TOKENS: "500",
      JOBGRAPH_MAX_DIRECTIVES: "3",
      JOBGRAPH_MAX_COST: "1000",
      JOBGRAPH_MAX_BODY_BYTES: "65536",
      JOBGRAPH_MAX_OUTPUT_BYTES: "1073741824",
      JOBGRAPH_MAX_UPLOAD_FILES: "2",
      JOBGRAPH_MAX_SOCKET_OPERATIONS: "20",
      JOBGRAPH_OUTPUT_POOL_SIZE: "3",
      JOBGRAPH_OUTPUT_STORE: "files",
      JOBGRAPH_OUTPUT_STORE_DIR: "/srv/jobgraph-outputs",
      JOBGRAPH_MUTATIONS_PER_MINUTE: "0",
      JOBGRAPH_DOCUMENT_CACHE_BYTES: "16777216",
      JOBGRAPH_LEASE_SECONDS: "30",
      JOBGRAPH_RECLAIM_INTERVAL_MS: "1000",
      JOBGRAPH_SCHEDULE_INTERVAL_MS: "0",
      JOBGRAPH_SCHEDULE_GRACE_SECONDS: "300",
      JOBGRAPH_LOG_MAX_LINES: "500",
      JOBGRAPH_LOG_MAX_BYTES: "65536",
      JOBGRAPH_EVENT_RETENTION: "30d",
      JOBGRAPH_JOB_RETENTION: "2w",
      JOBGRAPH_RETENTION_INTERVAL_MS: "5000",
      JOBGRAPH_AUTH_CACHE_SECONDS: "0",
      JOBGRAPH_LOG_LEVEL: "debug",
      JOBGRAPH_METRICS_TOKEN: "a-scraper-secret-of-24-chars",
      JOBGRAPH_OTEL_ENABLED: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_SERVICE_NAME: "jobgraph-eu",
      JOBGRAPH_TRUSTED_DOCUMENTS: "/srv/web/persisted-documents.json",
      JOBGRAPH_TRUSTED_DOCUMENTS_ONLY: "true",
    });
    expect(config).toEqual({
      databaseUrl: "postgresql://u:p@db:5432/jobs",
      directDatabaseUrl: "postgresql://u:p@db-direct:5432/jobs",
      replicas: { urls: ["postgresql://u:p@replica-1:5432/jobs", "postgresql://u:p@replica-2:5432/jobs"], waitMs: 100, maxLagSeconds: 30 },
      port: 8080,
      host: "0.0.0.0",
      dataDir: "/var/lib/jobgraph",
      embeddedPgPort: 5444,
      maxPageSize: 500,
      defaultPageSize: 50,
      dbPoolSize: 20,
      statementTimeoutMs: 0,
      outputPoolSize: 3,
      outputStore: { kind: "files", folder: "/srv/jobgraph-outputs" },
      demoData: false,
      demoWorker: false,
      production: true,
      adminToken: "a-secret-of-twenty-four-chars",
      leaseSeconds: 30,
      reclaimIntervalMs: 1000,
      scheduleIntervalMs: 0,
      scheduleGraceSeconds: 300,
      logLimits: { maxLines: 500, maxBytes: 65_536 },
      retention: { eventsMs: 30 * 86_400_000, finishedJobsMs: 2 * 604_800_000 },
      retentionIntervalMs: 5000,
      authCacheSeconds: 0,
      limits: {
        maxDepth: 8,
        maxAliases: 5,
        maxTokens: 500,
        maxDirectives: 3,
        maxCost: 1000,
        maxBodyBytes: 65536,
        maxOutputBytes: 1073741824,
        maxUploadFiles: 2,
        mutationsPerMinute: 0,
        documentCacheBytes: 16777216,
        maxSocketOperations: 20,
      },
      logLevel: "debug",
      metricsToken: "a-scraper-secret-of-24-chars",
      tracing: { enabled: true, endpoint: "http://collector:4318", serviceName: "jobgraph-eu" },
      trustedDocuments: ["/srv/web/persisted-documents.json"],
      trustedDocumentsOnly: true,
    });
  });

  it("keeps output content in files beside the embedded database, and in PostgreSQL behind DATABASE_URL, unless told", () => {
    const external = "postgresql://u:p@db:5432/jobs";
    expect(loadConfig({ JOBGRAPH_DATA_DIR: "/data" }).outputStore).toEqual({ kind: "files", folder: "/data/outputs" });
    expect(loadConfig({ JOBGRAPH_OUTPUT_STORE_DIR: "/elsewhere" }).outputStore).toEqual({ kind: "files", folder: "/elsewhere" });
    expect(loadConfig({ JOBGRAPH_OUTPUT_STORE: "postgres" }).outputStore).toEqual({ kind: "postgres" });
    expect(loadConfig({ DATABASE_URL: external }).outputStore).toEqual({ kind: "postgres" });
    expect(loadConfig({ DATABASE_URL: external, JOBGRAPH_OUTPUT_STORE: "files", JOBGRAPH_DATA_DIR: "/data" }).outputStore).toEqual({ kind: "files", folder: "/data/outputs" });
  });

  it("keeps output content in an S3 bucket when told, with its credentials and region from the AWS SDK's usual sources unless given", () => {
    expect(loadConfig({ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "outputs" }).outputStore).toEqual({
      kind: "s3",
      bucket: "outputs",
      prefix: "",
      forcePathStyle: false,
      presignSeconds: 0,
    });
    // An S3-compatible server: addressed by path, and a region to sign with unless one is set.
    expect(
      loadConfig({
        JOBGRAPH_OUTPUT_STORE: "s3",
        JOBGRAPH_S3_BUCKET: "jobgraph.outputs",
        JOBGRAPH_S3_PREFIX: "prod/outputs/",
        JOBGRAPH_S3_ENDPOINT: "http://minio:9000",
        JOBGRAPH_S3_PRESIGN_SECONDS: "600",
      }).outputStore,
    ).toEqual({ kind: "s3", bucket: "jobgraph.outputs", prefix: "prod/outputs/", endpoint: "http://minio:9000", region: "us-east-1", forcePathStyle: true, presignSeconds: 600 });
    expect(
      loadConfig({ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_ENDPOINT: "https://s3.example.net", AWS_REGION: "eu-west-3", JOBGRAPH_S3_FORCE_PATH_STYLE: "false" })
        .outputStore,
    ).toEqual({ kind: "s3", bucket: "b-1", prefix: "", endpoint: "https://s3.example.net", forcePathStyle: false, presignSeconds: 0 });
    expect(loadConfig({ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_REGION: "eu-west-3" }).outputStore).toMatchObject({ region: "eu-west-3" });
  });

  it("reads retentions in minutes, hours, days or weeks, 0 meaning for ever", () => {
    expect(loadConfig({ JOBGRAPH_EVENT_RETENTION: "90m", JOBGRAPH_JOB_RETENTION: "12 h" }).retention).toEqual({ eventsMs: 5_400_000, finishedJobsMs: 43_200_000 });
    expect(loadConfig({ JOBGRAPH_EVENT_RETENTION: "0", JOBGRAPH_JOB_RETENTION: "" }).retention).toEqual({});
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).port).toBe(4000);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ DATABASE_URL: "postgresql://pooler/jobs", DATABASE_DIRECT_URL: "db:5432" }, "DATABASE_DIRECT_URL must be a postgres:// or postgresql:// URL"],
    [{ DATABASE_DIRECT_URL: "postgresql://db/jobs" }, "DATABASE_DIRECT_URL is for a DATABASE_URL that points at a connection pooler"],
    [{ DATABASE_URL: "postgresql://db/jobs", DATABASE_REPLICA_URLS: "postgresql://r1/jobs,replica-2:5432" }, "DATABASE_REPLICA_URLS must be postgres:// or postgresql:// URLs, separated by commas"],
    [{ DATABASE_REPLICA_URLS: "postgresql://r1/jobs" }, "DATABASE_REPLICA_URLS are replicas of DATABASE_URL's PostgreSQL; set DATABASE_URL too"],
    [{ DATABASE_URL: "postgresql://db/jobs", JOBGRAPH_REPLICA_WAIT_MS: "100" }, "JOBGRAPH_REPLICA_WAIT_MS is for DATABASE_REPLICA_URLS"],
    [{ DATABASE_URL: "postgresql://db/jobs", DATABASE_REPLICA_URLS: "postgresql://r1/jobs", JOBGRAPH_REPLICA_MAX_LAG_SECONDS: "0" }, "JOBGRAPH_REPLICA_MAX_LAG_SECONDS"],
    [{ JOBGRAPH_MAX_PAGE_SIZE: "0" }, "JOBGRAPH_MAX_PAGE_SIZE"],
    [{ JOBGRAPH_STATEMENT_TIMEOUT_MS: "-1" }, "JOBGRAPH_STATEMENT_TIMEOUT_MS"],
    [{ JOBGRAPH_STATEMENT_TIMEOUT_MS: "30s" }, "JOBGRAPH_STATEMENT_TIMEOUT_MS"],
    [{ JOBGRAPH_EVENT_RETENTION: "30 days" }, "JOBGRAPH_EVENT_RETENTION must be a duration such as 90m, 12h, 30d or 2w (or 0 for ever)"],
    [{ JOBGRAPH_JOB_RETENTION: "-1d" }, "JOBGRAPH_JOB_RETENTION must be a duration"],
    [{ JOBGRAPH_RETENTION_INTERVAL_MS: "10" }, "JOBGRAPH_RETENTION_INTERVAL_MS"],
    [{ JOBGRAPH_DEMO_DATA: "yes" }, "JOBGRAPH_DEMO_DATA must be true or false"],
    [{ JOBGRAPH_DEMO_WORKER: "off" }, "JOBGRAPH_DEMO_WORKER must be true or false"],
    [{ JOBGRAPH_ADMIN_TOKEN: "short" }, "JOBGRAPH_ADMIN_TOKEN must be at least 24 characters"],
    [{ JOBGRAPH_MAX_DEPTH: "0" }, "JOBGRAPH_MAX_DEPTH"],
    [{ JOBGRAPH_DOCUMENT_CACHE_BYTES: "65536" }, "JOBGRAPH_DOCUMENT_CACHE_BYTES"],
    [{ JOBGRAPH_DEFAULT_PAGE_SIZE: "200" }, "JOBGRAPH_DEFAULT_PAGE_SIZE must not exceed JOBGRAPH_MAX_PAGE_SIZE"],
    [{ JOBGRAPH_LOG_LEVEL: "verbose" }, "JOBGRAPH_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent"],
    [{ JOBGRAPH_METRICS_TOKEN: "short" }, "JOBGRAPH_METRICS_TOKEN must be at least 24 characters"],
    [{ JOBGRAPH_OTEL_ENABLED: "1" }, "JOBGRAPH_OTEL_ENABLED must be true or false"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL"],
    [{ JOBGRAPH_OUTPUT_STORE: "s4" }, "JOBGRAPH_OUTPUT_STORE must be files, postgres or s3"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3" }, "JOBGRAPH_OUTPUT_STORE=s3 needs JOBGRAPH_S3_BUCKET"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "My_Bucket" }, "JOBGRAPH_S3_BUCKET must be a bucket name"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_PREFIX: "/outputs/" }, "JOBGRAPH_S3_PREFIX must not start with /"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_ENDPOINT: "minio:9000" }, "JOBGRAPH_S3_ENDPOINT must be an http or https URL"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_PRESIGN_SECONDS: "1000000" }, "JOBGRAPH_S3_PRESIGN_SECONDS must be at most 604800"],
    [{ JOBGRAPH_OUTPUT_STORE: "s3", JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_OUTPUT_STORE_DIR: "/srv/outputs" }, "JOBGRAPH_OUTPUT_STORE_DIR is for JOBGRAPH_OUTPUT_STORE=files"],
    [{ JOBGRAPH_S3_BUCKET: "b-1", JOBGRAPH_S3_PREFIX: "x/" }, "JOBGRAPH_S3_BUCKET, JOBGRAPH_S3_PREFIX are for JOBGRAPH_OUTPUT_STORE=s3"],
    [{ DATABASE_URL: "postgresql://db/jobs", JOBGRAPH_OUTPUT_STORE_DIR: "/srv/outputs" }, "JOBGRAPH_OUTPUT_STORE_DIR is for JOBGRAPH_OUTPUT_STORE=files"],
  ])("refuses %j, naming the variable", (env, expected) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(expected);
  });

  it("names every bad variable at once", () => {
    try {
      loadConfig({ PORT: "x", JOBGRAPH_DB_POOL_SIZE: "-1" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(" ")[0])).toEqual(["PORT", "JOBGRAPH_DB_POOL_SIZE"]);
    }
  });

  it("documents every variable it reads in the README's Configuration table", () => {
    const source = readFileSync(new URL("../../src/config.ts", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    const variables = [...new Set(source.match(/\b(?:JOBGRAPH|OTEL)_[A-Z0-9_]+(?=:)/g))];
    expect(variables.length).toBeGreaterThan(20);
    for (const variable of variables) expect(table, variable).toContain(`| \`${variable}\` |`);
  });
});
