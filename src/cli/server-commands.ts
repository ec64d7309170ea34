// `jobgraph serve`, `migrate` and `seed`: what `npm start`, `npm run migrate` and `npm run seed`
// run, from any folder. They load the gateway's own entry points (src/server.ts, src/migrate.ts,
// src/seed.ts) in this process, after generating the Prisma client they import, as the npm scripts do.
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { Command } from "commander";
import { action, CliError } from "./errors.js";
import { projectRoot } from "./paths.js";

type Options = { generate: boolean };

async function prepare(options: Options): Promise<void> {
  if (options.generate) {
    const result = spawnSync(process.execPath, [path.join(projectRoot, "scripts", "generate.mjs"), "prisma"], { stdio: "inherit" });
    if (result.status !== 0) throw new CliError("generating the Prisma client failed (see above)");
  }
  // The embedded PostgreSQL's folder is the project's, as with `npm start` (which runs in the
  // project's folder), wherever this is run from; so the development admin token is found there.
  process.env.JOBGRAPH_DATA_DIR ??= path.join(projectRoot, ".data");
}

const environment = `
Settings are environment variables (DATABASE_URL, PORT, JOBGRAPH_DATA_DIR, ...: see README.md).
Without DATABASE_URL, the embedded PostgreSQL in the project's .data/ folder is used.`;

const noGenerate = "skip generating the Prisma client (when `npm run generate` has made it already)";

/** The commands that run the gateway's own code here rather than connect to one. */
export const SERVER_COMMANDS: readonly string[] = ["serve", "migrate", "seed"];

export function registerServerCommands(program: Command): void {
  program
    .command("serve")
    .description("migrate the database and serve the API and its playground (what `npm start` runs)")
    .option("--port <port>", "the HTTP port (sets PORT; default 4000)")
    .option("--host <host>", "the interface to listen on (sets HOST; default 127.0.0.1)")
    .option("--no-generate", noGenerate)
    .addHelpText(
      "after",
      `${environment}
On the first start with the embedded database it fills it with demo data and writes the
development admin token to .data/admin-token, which the client commands use on this machine.
Ctrl-C (SIGINT) or SIGTERM stops it.

Examples:
  $ jobgraph serve
  $ jobgraph serve --port 8080 --host 0.0.0.0
  $ DATABASE_URL=postgresql://user:secret@db:5432/jobgraph jobgraph serve`,
    )
    .action(
      action(async (options: Options & { port?: string; host?: string }) => {
        if (options.port) process.env.PORT = options.port;
        if (options.host) process.env.HOST = options.host;
        await prepare(options);
        // The server runs until it is stopped by a signal, and exits by itself.
        await import("../server.js");
      }),
    );

  program
    .command("migrate")
    .description("apply the database migrations and exit (what `npm run migrate` runs)")
    .option("--no-generate", noGenerate)
    .addHelpText(
      "after",
      `${environment}

Examples:
  $ jobgraph migrate
  $ DATABASE_URL=postgresql://user:secret@db:5432/jobgraph jobgraph migrate

With DATABASE_DIRECT_URL (DATABASE_URL being a transaction-mode pooler), migrations run there.`,
    )
    .action(
      action(async (options: Options) => {
        await prepare(options);
        await import("../migrate.js");
      }),
    );

  program
    .command("seed")
    .description("add the demo data to a database that holds no jobs (what `npm run seed` runs)")
    .option("--no-generate", noGenerate)
    .addHelpText(
      "after",
      `${environment}
It refuses a database that holds jobs already, and reuses users named like the demo's.

Examples:
  $ jobgraph seed
  $ DATABASE_URL=postgresql://user:secret@localhost/scratch jobgraph seed`,
    )
    .action(
      action(async (options: Options) => {
        await prepare(options);
        await import("../seed.js");
      }),
    );
}
