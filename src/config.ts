// The only reader of process.env. Every setting is validated here, so a bad value stops the
// process at start with a message that names the variable, instead of failing later.
import path from "node:path";
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL")
    .optional(),
  PORT: port.default(4000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  JOBGRAPH_DATA_DIR: z.string().trim().min(1).default(".data"),
  JOBGRAPH_EMBEDDED_PG_PORT: port.default(0),
  JOBGRAPH_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  JOBGRAPH_DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(20),
  JOBGRAPH_DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  JOBGRAPH_DEMO_DATA: z.enum(["true", "false"], { message: "must be true or false" }).default("true"),
});

export type Config = {
  /** External PostgreSQL; when absent an embedded one is started under dataDir. */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  /** Where the embedded PostgreSQL keeps its files. */
  dataDir: string;
  /** Port of the embedded PostgreSQL; 0 picks a free one at every start. */
  embeddedPgPort: number;
  maxPageSize: number;
  defaultPageSize: number;
  dbPoolSize: number;
  /** Fill a newly created embedded database with demo data. */
  demoData: boolean;
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
  return {
    databaseUrl: v.DATABASE_URL,
    port: v.PORT,
    host: v.HOST,
    dataDir: path.resolve(v.JOBGRAPH_DATA_DIR),
    embeddedPgPort: v.JOBGRAPH_EMBEDDED_PG_PORT,
    maxPageSize: v.JOBGRAPH_MAX_PAGE_SIZE,
    defaultPageSize: v.JOBGRAPH_DEFAULT_PAGE_SIZE,
    dbPoolSize: v.JOBGRAPH_DB_POOL_SIZE,
    demoData: v.JOBGRAPH_DEMO_DATA === "true",
  };
}
