// Finds the database a process should use: DATABASE_URL, or else the embedded PostgreSQL. Either
// way it is migrated before anything else touches it.
import type { Config } from "../config.js";
import { startEmbeddedPostgres, type RestartEvent } from "./embedded.js";
import { migrate } from "./migrate.js";

export type OpenDatabase = {
  /** What the gateway's pools connect to: PostgreSQL, or a transaction-mode pooler in front of it. */
  url: string;
  /** PostgreSQL itself, for what needs a session of its own (LISTEN, migrations); url when there is no pooler. */
  directUrl: string;
  /** Whether url is a transaction-mode pooler: no named prepared statements, no session state. */
  pooled: boolean;
  /** "external" for DATABASE_URL, "embedded" for the zero-setup default. */
  kind: "external" | "embedded";
  /** True when the embedded database was created by this start. */
  created: boolean;
  /** Where the embedded PostgreSQL's files were placed outside the data folder, and why; usually none. */
  placement?: string;
  /** Stops the embedded server if this process started it; nothing for an external database. */
  close(): Promise<void>;
};

/** `onRestart`: told when the embedded server exits on its own and is started again. */
export async function openDatabase(config: Config, onRestart?: (event: RestartEvent) => void): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    // Migrations take an advisory lock for their session, which a transaction-mode pooler cannot hold.
    const directUrl = config.directDatabaseUrl ?? config.databaseUrl;
    await migrate(directUrl);
    return { url: config.databaseUrl, directUrl, pooled: config.directDatabaseUrl !== undefined, kind: "external", created: false, close: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, ...(onRestart ? { onRestart } : {}) });
  try {
    await migrate(embedded.url);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    url: embedded.url,
    directUrl: embedded.url,
    pooled: false,
    kind: "embedded",
    created: embedded.created,
    ...(embedded.placement ? { placement: embedded.placement } : {}),
    close: () => embedded.stop(),
  };
}
