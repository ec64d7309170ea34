// `jobgraph token create`: a token for a user (createApiToken) or a new worker node with its token
// (registerWorkerNode). The secret alone goes to stdout, so `SECRET=$(jobgraph token create ...)`
// captures it; what it is goes to stderr.
import type { Command } from "commander";
import { GraphQLRequestError, type JobgraphClient } from "../sdk/index.js";
import { collect, expiry, integer } from "./args.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT, refused } from "./errors.js";
import { note, print, printJson } from "./format.js";
import { CreateApiToken, RegisterWorkerNode, UserByName } from "./operations.js";

type CreateOptions = ConnectionOptions & {
  user?: string;
  node?: string;
  name?: string;
  expires?: string;
  executor?: string[];
  cpu?: number;
  memory?: number;
  description?: string;
  json?: boolean;
};

/** Whether a string is a global ID of a user: base64 of "User:<uuid>" (see src/graphql/global-id.ts). */
function isUserId(value: string): boolean {
  return /^User:[0-9a-f-]{36}$/i.test(Buffer.from(value, "base64").toString("utf8"));
}

/** The global ID of the user a --user names: an ID as it is, or else a name, looked up (an admin's read). */
async function userId(client: JobgraphClient, user: string): Promise<string> {
  if (isUserId(user)) return user;
  const { users } = await client.request(UserByName, { name: user }).catch((error: unknown) => {
    if (error instanceof GraphQLRequestError && error.code === "FORBIDDEN") {
      throw new CliError(`only an admin may look users up by name, and create their tokens`);
    }
    throw error;
  });
  const found = users?.edges[0]?.node;
  if (!found) throw new CliError(`there is no user named "${user}" (names match exactly, case included)`);
  return found.id;
}

async function create(options: CreateOptions): Promise<void> {
  if (!options.user === !options.node) throw new CliError("say whom the token is for: --user <name or id>, or --node <name> for a new worker node", EXIT.USAGE);
  if (options.node && options.expires) throw new CliError("--expires is for user tokens: a worker node's token does not expire (revoke it instead)", EXIT.USAGE);
  if (options.user && (options.executor || options.cpu !== undefined || options.memory !== undefined || options.description)) {
    throw new CliError("--executor, --cpu, --memory and --description describe a worker node: use them with --node", EXIT.USAGE);
  }
  await withClient(options, async (client) => {
    if (options.user) {
      const { createApiToken: result } = await client.request(CreateApiToken, {
        input: { user: await userId(client, options.user), name: options.name ?? "created with jobgraph token create", expiresAt: options.expires ?? null },
      });
      if (result.__typename !== "CreateApiTokenPayload") throw refused(result, "no token was created");
      if (options.json) return printJson(result);
      const { token } = result;
      print(result.secret);
      note(`Token "${token.name}" (${token.prefix}...) for user ${token.user?.name}, ${token.expiresAt ? `expires ${token.expiresAt}` : "does not expire"}.`);
      note("The secret is shown only now: store it safely.");
      return;
    }
    const { registerWorkerNode: result } = await client.request(RegisterWorkerNode, {
      input: {
        name: options.node!,
        ...(options.executor ? { executors: options.executor } : {}),
        ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
        ...(options.memory !== undefined ? { memory: options.memory } : {}),
        ...(options.description ? { description: options.description } : {}),
      },
    });
    if (result.__typename !== "RegisterWorkerNodePayload") throw refused(result, "the worker node was not registered");
    if (options.json) return printJson(result);
    print(result.secret);
    note(`Worker node "${result.node.name}" registered (${result.node.id}), executors: ${result.node.executors.join(", ") || "any"}; its token is ${result.token.prefix}...`);
    note('The secret is shown only now: store it safely, and start the node with `JOBGRAPH_TOKEN=<secret> jobgraph worker --exec "..."`.');
  });
}

export function registerToken(program: Command): void {
  const token = program.command("token").description("create API tokens for users and worker nodes (admins)");
  withConnection(
    token
      .command("create")
      .description("create a user's token, or register a worker node and create its token; prints the secret, shown only once")
      .option("--user <name or id>", "the user the token acts as: a user's name or global ID")
      .option("--name <name>", 'with --user: what the token is for (default: "created with jobgraph token create")')
      .option("--expires <when>", "with --user: when the token stops working, an ISO date (2027-01-31) or a duration from now (12h, 30d, 2w); never by default", expiry)
      .option("--node <name>", "register a new worker node of this (unique) name, and create its token")
      .option("--executor <name>", "with --node: an executor the node runs (repeatable); any when none is given", collect)
      .option("--cpu <n>", "with --node: the vCPUs the node offers", integer(1))
      .option("--memory <mb>", "with --node: the memory the node offers, in MB", integer(1))
      .option("--description <text>", "with --node: what the node is")
      .option("--json", "print the whole answer (token, user or node, secret) as JSON"),
  )
    .addHelpText(
      "after",
      `
Only the secret is printed on stdout; what the token is goes to stderr. Admins only.

Examples:
  $ jobgraph token create --user alice --name "alice's laptop" --expires 90d
  $ JOBGRAPH_TOKEN=$(jobgraph token create --node gpu-01 --executor pytorch --cpu 32) jobgraph worker --exec ./train.sh
  $ jobgraph token create --node build-02 --json | jq -r .secret`,
    )
    .action(action(create));
}
