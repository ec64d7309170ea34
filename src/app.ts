// Builds the gateway from its dependencies: the yoga app and the HTTP server around it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createYoga, useReadinessCheck } from "graphql-yoga";
import type { Db } from "./db/client.js";
import type { ApiSettings, Context } from "./graphql/context.js";
import { playgroundTabs } from "./graphql/playground.js";
import { schema } from "./graphql/schema.js";

export type AppDeps = {
  db: Db;
  settings: ApiSettings;
};

export type App = {
  yoga: ReturnType<typeof createYoga<Record<string, unknown>, Context>>;
  server: Server;
  /** Listens on host:port (port 0 picks a free one); resolves to the address in use. */
  start(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections and waits for open requests to end. */
  stop(): Promise<void>;
};

const READY_TIMEOUT_MS = 2_000;

async function databaseAnswers(db: Db): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, false).unref());
  const ping = db.$queryRaw`select 1`.then(
    () => true,
    () => false,
  );
  return Promise.race([ping, timeout]);
}

export function buildApp({ db, settings }: AppDeps): App {
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    context: (): Context => ({ db, settings }),
    graphiql: { title: "jobgraph", defaultTabs: playgroundTabs },
    renderGraphiQL,
    plugins: [useReadinessCheck({ check: () => databaseAnswers(db) })],
  });

  const server = createServer(yoga);

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
    stop() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
