// Builds the gateway from its dependencies: the yoga app, the HTTP server around it, and the
// graphql-ws server on the same path. Both transports share one context factory and one set of
// plugins (WebSocket operations go through yoga's envelope).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, useReadinessCheck, type Plugin } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { defaultLimits, type Limits } from "./config.js";
import type { Db } from "./db/client.js";
import { authenticate, bearerSecret } from "./domain/auth.js";
import type { ApiSettings, Context } from "./graphql/context.js";
import { useMutationRateLimit } from "./graphql/rate-limit.js";
import { playgroundTabs } from "./graphql/playground.js";
import { schema } from "./graphql/schema.js";

export type AppDeps = {
  db: Db;
  settings: ApiSettings;
  limits?: Limits;
  /** Production: no field suggestions in errors. */
  production?: boolean;
  /** A token the playground sends by default (the development admin token); never in production. */
  playgroundToken?: string;
};

/** What a request brings to the context factory: an HTTP request, or a WebSocket's init payload. */
type ServerContext = { request?: Request; connectionParams?: Record<string, unknown> };

export type App = {
  yoga: ReturnType<typeof createYoga<ServerContext, Context>>;
  server: Server;
  /** Listens on host:port (port 0 picks a free one); resolves to the address in use. */
  start(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections and waits for open requests to end. */
  stop(): Promise<void>;
};

const READY_TIMEOUT_MS = 2_000;

/** The GraphQL-over-WebSocket close code for a refused connection_init. */
export const WS_FORBIDDEN = 4403;

async function databaseAnswers(db: Db): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, false).unref());
  const ping = db.$queryRaw`select 1`.then(
    () => true,
    () => false,
  );
  return Promise.race([ping, timeout]);
}

function unauthenticated(): GraphQLError {
  // One answer for a missing, unknown, expired or revoked token: nothing to learn by probing.
  return new GraphQLError("a valid API token is required: send Authorization: Bearer <token>", {
    extensions: {
      code: "UNAUTHENTICATED",
      http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="jobgraph"' } },
    },
  });
}

/** The Authorization value of a WebSocket's connection_init payload, whatever the key's case. */
function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  const entry = Object.entries(params ?? {}).find(([key]) => key.toLowerCase() === "authorization");
  return typeof entry?.[1] === "string" ? entry[1] : undefined;
}

/**
 * graphql-armor rejects in the validation phase without an HTTP status, so yoga would answer 200;
 * the GraphQL-over-HTTP spec asks for 400 when a document fails validation.
 */
function useValidationStatus(): Plugin {
  return {
    onValidate: () => ({ result, setResult }) => {
      if (result.length) {
        setResult(
          result.map(
            (error) =>
              new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                path: error.path,
                originalError: error.originalError,
                extensions: { ...error.extensions, http: { status: 400 } },
              }),
          ),
        );
      }
    },
  };
}

export function buildApp({ db, settings, limits = defaultLimits, production = false, playgroundToken }: AppDeps): App {
  const playgroundHeaders = playgroundToken ? JSON.stringify({ Authorization: `Bearer ${playgroundToken}` }) : undefined;

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    maxRequestBodySize: limits.maxBodyBytes,
    context: async ({ request, connectionParams }): Promise<Context> => {
      const authorization = request ? request.headers.get("authorization") : connectionAuthorization(connectionParams);
      const viewer = await authenticate(db, bearerSecret(authorization));
      if (!viewer) throw unauthenticated();
      return { db, settings, limits, viewer };
    },
    graphiql: {
      title: "jobgraph",
      defaultTabs: playgroundTabs.map((tab) => ({ ...tab, headers: playgroundHeaders ?? null })),
      ...(playgroundHeaders ? { headers: playgroundHeaders, defaultHeaders: playgroundHeaders } : {}),
    },
    renderGraphiQL,
    plugins: [
      useReadinessCheck({ check: () => databaseAnswers(db) }),
      // Browsers send GET and multipart requests without a CORS preflight; one of these headers
      // proves the request comes from a client that could have been preflighted.
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "graphql-preflight", "apollo-require-preflight"] }),
      EnvelopArmorPlugin({
        maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
        maxAliases: { n: limits.maxAliases },
        maxTokens: { n: limits.maxTokens },
        maxDirectives: { n: limits.maxDirectives },
        // Cost is computed by the schema itself (builder.ts), which knows page sizes.
        costLimit: { enabled: false },
        // "Did you mean ...?" hints spell out the schema to anyone probing it.
        blockFieldSuggestion: { enabled: production },
      }),
      useValidationStatus(),
      useMutationRateLimit(limits.mutationsPerMinute),
    ],
  });

  const server = createServer(yoga);
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      // A missing or bad token closes the socket with 4403 at connection_init.
      onConnect: async (ctx) =>
        (await authenticate(db, bearerSecret(connectionAuthorization(ctx.connectionParams)))) !== null,
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          connectionParams: ctx.connectionParams,
        });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wsServer,
  );

  return {
    yoga,
    server,
    start(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async stop() {
      for (const client of wsServer.clients) client.close(1001, "server stopping");
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
