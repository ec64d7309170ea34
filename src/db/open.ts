// Finds the database a process should use: DATABASE_URL, or else the embedded PostgreSQL. Either
// way it is migrated before anything else touches it.
import type { Config } from "../config.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { migrate } from "./migrate.js";

export type OpenDatabase = {
  url: string;
  /** "external" for DATABASE_URL, "embedded" for the zero-setup default. */
  kind: "external" | "embedded";
  /** True when the embedded database was created by this start. */
  created: boolean;
  /** Where the embedded PostgreSQL's files were placed outside the data folder, and why; usually none. */
  placement?: string;
  /** Stops the embedded server if this process started it; nothing for an external database. */
  close(): Promise<void>;
};

export async function openDatabase(config: Config): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    await migrate(config.databaseUrl);
    return { url: config.databaseUrl, kind: "external", created: false, close: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
  try {
    await migrate(embedded.url);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    url: embedded.url,
    kind: "embedded",
    created: embedded.created,
    ...(embedded.placement ? { placement: embedded.placement } : {}),
    close: () => embedded.stop(),
  };
}
