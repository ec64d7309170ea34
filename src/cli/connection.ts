// Where the client commands connect and with which token: --url and --token, or JOBGRAPH_URL and
// JOBGRAPH_TOKEN, or, for a gateway on this machine, the development admin token `npm start`
// keeps, so that a newcomer's `jobgraph jobs list` works against their `npm start` at once.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { createJobgraphClient, type JobgraphClient } from "../sdk/index.js";
import { CliError, EXIT } from "./errors.js";
import { projectRoot } from "./paths.js";

const DEFAULT_URL = "http://localhost:4000/graphql";

export type ConnectionOptions = { url: string; token?: string };

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The file the embedded default's development admin token is kept in (see src/db/dev-token.ts). */
function developmentTokenFile(): string {
  // The gateway's data folder: JOBGRAPH_DATA_DIR as `jobgraph serve` would use it, else the project's.
  const dataDir = process.env.JOBGRAPH_DATA_DIR ? path.resolve(process.env.JOBGRAPH_DATA_DIR) : path.join(projectRoot, ".data");
  return path.join(dataDir, "admin-token");
}

/** Adds --url and --token, with what they fall back to, to a command that talks to a gateway. */
export function withConnection(command: Command): Command {
  return command
    .addOption(new Option("--url <url>", "the gateway's GraphQL endpoint").env("JOBGRAPH_URL").default(DEFAULT_URL))
    .addOption(
      new Option(
        "--token <secret>",
        "an API token (jgu_... of a user, jgn_... of a worker node); when none is given and the URL is on " +
          "localhost, the development admin token that `npm start` keeps in .data/admin-token",
      ).env("JOBGRAPH_TOKEN"),
    );
}

/** The token to send: the one given, or the development admin token for a local gateway. */
export function resolveToken({ url, token }: ConnectionOptions): string {
  if (token) return token;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new CliError(`--url: "${url}" is not a URL`, EXIT.USAGE);
  }
  const hint = "pass --token or set JOBGRAPH_TOKEN";
  if (!LOCAL_HOSTS.has(host)) throw new CliError(`no token: ${hint}`, EXIT.USAGE);
  const file = developmentTokenFile();
  let secret = "";
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch {
    // Reported below, with what to do about it.
  }
  if (!secret) throw new CliError(`no token: ${hint} (there is no development admin token in ${file}; \`npm start\` writes one)`, EXIT.USAGE);
  return secret;
}

/** A client for the gateway the options name; close it when done. */
export function connect(options: ConnectionOptions): JobgraphClient {
  if (!/^https?:\/\/[^/]/.test(options.url)) throw new CliError(`--url: "${options.url}" is not an http:// or https:// URL`, EXIT.USAGE);
  return createJobgraphClient({ url: options.url, token: resolveToken(options) });
}

/** Runs `work` with a client, closing its WebSocket afterwards so the process can end. */
export async function withClient<T>(options: ConnectionOptions, work: (client: JobgraphClient) => Promise<T>): Promise<T> {
  const client = connect(options);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
