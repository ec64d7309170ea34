// Entry point: configuration -> database -> app -> listen. Stops in order on SIGTERM/SIGINT.
import path from "node:path";
import { buildApp } from "./app.js";
import { checkBucket } from "./db/s3-store.js";
import { loadConfig } from "./config.js";
import { createDb } from "./db/client.js";
import { openDatabase } from "./db/open.js";
import { seedDemoData } from "./db/seed.js";
import { developmentToken } from "./db/dev-token.js";
import { adminCanSignIn, ensureAdminToken } from "./domain/auth.js";
import { fail } from "./fail.js";
import { schema } from "./graphql/schema.js";
import { ManifestError, manifestsToTrust, TrustedDocuments } from "./graphql/trusted-documents.js";
import { checkListen, listenProblem } from "./http/listen-check.js";
import { createLogger } from "./observability/logger.js";

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  // Before the database: a port in use would otherwise be found only after creating and seeding one.
  await checkListen(config.port, config.host);
  if (config.outputStore.kind === "s3") await checkBucket(config.outputStore);
  // Before the database: a manifest that cannot be used stops the gateway with its reason. The
  // dashboard's own (dist/web, when it is built) is always trusted: it sends its documents by hash.
  const manifests = manifestsToTrust(config.trustedDocuments);
  const trustedDocuments =
    manifests.length || config.trustedDocumentsOnly
      ? await TrustedDocuments.load(manifests, schema, config.trustedDocumentsOnly).catch((error: unknown) => {
          if (error instanceof ManifestError) fail(`JOBGRAPH_TRUSTED_DOCUMENTS: ${error.message}`);
          throw error;
        })
      : undefined;
  // Said when the operator asked for trusted documents (the dashboard's own need no mention).
  if (config.trustedDocuments.length || config.trustedDocumentsOnly) {
    logger.info({ documents: trustedDocuments!.size, only: trustedDocuments!.only }, "trusted documents loaded");
  }
  const database = await openDatabase(config, (event) => {
    if (event.kind === "exited") logger.error(`the embedded PostgreSQL exited (${event.reason}); starting it again`);
    else if (event.kind === "failed") logger.warn(`the embedded PostgreSQL did not start again (attempt ${event.attempt}): ${event.reason}; trying again`);
    else logger.info(`the embedded PostgreSQL is running again (attempt ${event.attempt})`);
  });
  if (database.placement) logger.info(database.placement);
  const db = createDb({ url: database.url, poolSize: config.dbPoolSize, pooled: database.pooled, statementTimeoutMs: config.statementTimeoutMs });
  if (database.created && config.demoData) {
    // A newcomer's first `npm start` should show something in the playground at once.
    const summary = await seedDemoData(db, { outputStore: config.outputStore });
    logger.info(summary, `new embedded database filled with demo data (${summary.jobs} jobs, ${summary.templates} templates)`);
  }
  let playgroundToken: string | undefined;
  if (config.adminToken) {
    await ensureAdminToken(db, config.adminToken, "JOBGRAPH_ADMIN_TOKEN");
  } else if (database.kind === "embedded" && !config.production) {
    // The zero-setup default: an admin token that the playground sends, so that a newcomer can run
    // every operation at once. Production mode (NODE_ENV=production) never does this.
    const token = await developmentToken(config.dataDir);
    await ensureAdminToken(db, token.secret, "development admin token");
    playgroundToken = token.secret;
    if (token.created) {
      // Shown to the person who just ran `npm start`, once, on the console: a plain line rather
      // than a log record, so that it never travels to a log aggregator with the structured lines.
      console.log(`jobgraph: development admin token (shown once; the playground sends it): ${token.secret}`);
    }
  }
  if (!(await adminCanSignIn(db))) {
    // Your own database starts empty: without this, the first start answers every request 401 and says nothing of why.
    logger.warn("no admin has a token: set JOBGRAPH_ADMIN_TOKEN to a secret of 24 characters or more, and restart (README: Getting the first token)");
  }
  // Loaded only when on: a gateway without tracing loads nothing of the OpenTelemetry SDK.
  const tracing = config.tracing.enabled ? (await import("./observability/tracing.js")).startTracing(config.tracing) : undefined;
  const app = buildApp({
    db,
    settings: { maxPageSize: config.maxPageSize, defaultPageSize: config.defaultPageSize, leaseSeconds: config.leaseSeconds, logLimits: config.logLimits },
    reclaimIntervalMs: config.reclaimIntervalMs,
    scheduleIntervalMs: config.scheduleIntervalMs,
    scheduleGraceSeconds: config.scheduleGraceSeconds,
    retention: config.retention,
    retentionIntervalMs: config.retentionIntervalMs,
    authCacheSeconds: config.authCacheSeconds,
    databaseUrl: database.url,
    directDatabaseUrl: database.directUrl,
    outputPoolSize: config.outputPoolSize,
    outputStore: config.outputStore,
    limits: config.limits,
    production: config.production,
    playgroundToken,
    logger,
    metricsToken: config.metricsToken,
    tracing: tracing?.plugin,
    // The demo's worker nodes live in the gateway, on the database the demo data is for.
    demoWorker: config.demoWorker && config.demoData && database.kind === "embedded",
    ...(config.replicas ? { replicas: { ...config.replicas, poolSize: config.dbPoolSize, statementTimeoutMs: config.statementTimeoutMs } } : {}),
    ...(trustedDocuments ? { trustedDocuments } : {}),
  });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, `${signal} again, exiting at once`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `${signal} received, stopping`);
    await app.stop();
    await db.$disconnect();
    await database.close();
    await tracing?.shutdown();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", (s) => void stop(s).catch(fail));
  process.on("SIGTERM", (s) => void stop(s).catch(fail));

  let address;
  try {
    address = await app.start(config.port, config.host);
  } catch (error) {
    await database.close();
    throw listenProblem(error, config.port, config.host) ?? error;
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shown = host === "0.0.0.0" || host === "[::]" || host === "127.0.0.1" ? "localhost" : host;
  const dashboard = `http://${shown}:${address.port}/`;
  const url = `${dashboard}graphql`;
  const where = database.kind === "embedded" ? `embedded PostgreSQL in ${config.dataDir}` : "DATABASE_URL";
  logger.info(
    { url, dashboard, database: where, metrics: `${dashboard}metrics`, tracing: config.tracing.enabled },
    `serving the API and its playground at ${url}, the dashboard at ${dashboard} (database: ${where})`,
  );
}

const USAGE = `Usage: npm start (node dist/src/server.js)

Serves the jobgraph GraphQL API, its playground and its dashboard. It takes no arguments: its
settings are environment variables (PORT, HOST, DATABASE_URL, JOBGRAPH_...), listed in the README
under Configuration. Without DATABASE_URL it runs an embedded PostgreSQL in JOBGRAPH_DATA_DIR (.data).
The command-line client is another program: npx jobgraph --help.`;

// A newcomer's "--help" would otherwise have started a gateway (and a database in .data) and served.
// Run by `jobgraph serve`, the arguments are the client's, which has read them.
const args = /^server\.[jt]s$/.test(path.basename(process.argv[1] ?? "")) ? process.argv.slice(2) : [];
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
} else if (args.length) {
  console.error(`jobgraph: the server takes no arguments (given: ${args.join(" ")}); its settings are environment variables\n\n${USAGE}`);
  process.exit(2);
} else {
  main().catch(fail);
}
