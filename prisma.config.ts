// Configuration of the Prisma CLI (generate and migrate deploy).
//
// Prisma's native schema engine cannot be downloaded on machines without Prisma's binary host, so
// migrations run on its WebAssembly engine through the pg driver adapter (`engine: "js"`).
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// prisma/orm#27403: the pg adapter refuses catalog columns of type `name` (oid 19), which the schema
// engine reads while migrating. They are plain text to every caller here, so they are relabelled as
// text (oid 25) before the adapter sees them. This client is used by the CLI only, never at runtime.
const NAME_OID = 19;
const TEXT_OID = 25;

function relabelNameColumns(result: pg.QueryResult | undefined) {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  }
  return result;
}

class CatalogTolerantClient extends pg.Client {
  // pg's query() has many overloads: pg.Pool calls it with a callback, other callers get a promise.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (error: Error | null, result: pg.QueryResult) =>
        last(error, relabelNameColumns(result));
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    return (returned instanceof Promise ? returned.then(relabelNameColumns) : returned) as never;
  }
}

// The pg adapter runs a migration script by splitting it at every `;`, even one in a comment, a
// string or a function body, so a trigger function could not be migrated. PostgreSQL runs a script
// of several statements sent as one simple query itself, in one implicit transaction.
type ScriptRunner = { client: pg.Pool; onError(error: unknown): never; executeScript(script: string): Promise<void> };

class WholeScriptPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const runner = adapter as unknown as ScriptRunner;
    runner.executeScript = async (script) => {
      try {
        await runner.client.query(script);
      } catch (error) {
        runner.onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    // Without DATABASE_URL, pg falls back to its PG* variables; commands that need no database
    // (migrate diff between two schema files) never connect.
    // allowExitOnIdle: the CLI exits as soon as its work is done instead of holding idle connections.
    return new WholeScriptPg({
      connectionString: process.env.DATABASE_URL,
      Client: CatalogTolerantClient,
      allowExitOnIdle: true,
    });
  },
});
