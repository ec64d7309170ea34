// The `jobgraph` command line (started by bin/jobgraph.mjs): the program, its commands, and how
// it ends: the exit code its command chose, or one line on stderr and a non-zero code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { EXIT, explain } from "./errors.js";
import { registerJobs } from "./jobs.js";
import { registerLogs } from "./logs.js";
import { registerQueues } from "./queues.js";
import { projectRoot } from "./paths.js";
import { registerSchedules } from "./schedules.js";
import { registerServerCommands, SERVER_COMMANDS } from "./server-commands.js";
import { registerTemplates } from "./templates.js";
import { registerToken } from "./token.js";
import { registerWorker } from "./worker.js";
import { registerWorkflows } from "./workflows.js";

const { version } = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string };

// Output piped into a reader that stops early (`jobgraph jobs list | head`) ends the command
// quietly, as other command-line tools do, rather than with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(EXIT.OK);
});

const program = new Command("jobgraph")
  .description("Run and use a jobgraph gateway: serve it, define templates, create, list, cancel and watch jobs, schedule them, run workers.")
  .version(version)
  // Usage errors are thrown rather than ending the process, so that they get their own exit code.
  .exitOverride()
  .showHelpAfterError("(add --help for usage)")
  .addHelpText(
    "after",
    () => `
The client commands (${clientCommands().join(", ")}) connect to --url
(JOBGRAPH_URL, default http://localhost:4000/graphql) with --token (JOBGRAPH_TOKEN); on localhost
without a token they use the development admin token \`npm start\` keeps in .data/admin-token.

Exit codes: 0 done; 1 refused or failed (or the watched job did not succeed); 2 wrong usage;
3 the gateway could not be reached or refused the token.

Examples:
  $ jobgraph serve
  $ jobgraph templates apply templates.json
  $ jobgraph jobs create --template train --input dataset=s3://data/cats
  $ jobgraph jobs list --status running
  $ jobgraph jobs watch 12
  $ jobgraph jobs why 12
  $ jobgraph jobs logs 12 --follow
  $ jobgraph queues
  $ jobgraph workflows create nightly.yaml
  $ jobgraph workflows watch 3
  $ jobgraph schedules create nightly-train.yaml
  $ jobgraph schedules
  $ jobgraph schedules pause nightly-train
  $ JOBGRAPH_TOKEN=jgn_... jobgraph worker --exec ./run-job.sh

Run \`jobgraph <command> --help\` for a command's options (e.g. \`jobgraph jobs create --help\`).`,
  );

/** Every command but the server's, as registered: a list written out by hand fell behind (nodes). */
function clientCommands(): string[] {
  return program.commands.map((command) => command.name()).filter((name) => !SERVER_COMMANDS.includes(name) && name !== "help");
}

registerServerCommands(program);
registerToken(program);
registerTemplates(program);
registerJobs(program);
registerQueues(program);
registerWorkflows(program);
registerSchedules(program);
registerLogs(program);
registerWorker(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the help, the version or the usage error already.
    process.exitCode = error.code === "commander.helpDisplayed" || error.code === "commander.version" ? EXIT.OK : EXIT.USAGE;
  } else {
    const { lines, exitCode } = explain(error);
    process.stderr.write(`jobgraph: ${lines.join("\n")}\n`);
    process.exitCode = exitCode;
  }
}
