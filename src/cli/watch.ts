// `jobgraph jobs watch <job>`: follows a job over the jobProgress subscription until it finishes.
// On a terminal it redraws one line (a bar, the percentage, the state); elsewhere (a pipe, a file,
// CI logs) it prints a plain line whenever what it would show changes. The exit code is the job's
// outcome, so `jobgraph jobs watch 12 && deploy` waits for the job and goes on only if it succeeded.
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import { FINAL_STATUSES } from "./args.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT } from "./errors.js";
import { bar, percent, print } from "./format.js";
import { resolveJobId } from "./lookup.js";
import { JobProgress, JobState } from "./operations.js";

type State = NonNullable<ResultOf<typeof JobState>["job"]>;

/** A progress report's detail as a few words: its `message` if it has one, else compact JSON. */
function describe(detail: unknown): string {
  if (detail == null) return "";
  if (typeof detail === "string") return detail;
  const message = (detail as { message?: unknown }).message;
  return typeof message === "string" ? message : JSON.stringify(detail);
}

/** The last line: the final state, with the error of a failed job. */
function finalLine(state: State): string {
  return state.status === "FAILED" && state.errorReason ? `FAILED: ${state.errorReason}` : state.status;
}

class Display {
  private shown = "";
  constructor(private readonly tty: boolean) {}

  /** Shows the job's state now: redrawn in place on a terminal, a new line elsewhere when it changed. */
  update(status: string, progress: number, detail: string): void {
    if (this.tty) {
      const line = `${bar(progress)} ${percent(progress).padStart(4)}  ${status}${detail ? `  ${detail}` : ""}`;
      // A line wider than the terminal would wrap, and \r would then redraw only its last part.
      const width = process.stdout.columns || 80;
      process.stdout.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      this.shown = line;
      return;
    }
    const line = `${status} ${percent(progress)}${detail ? ` ${detail}` : ""}`;
    if (line !== this.shown) print(line);
    this.shown = line;
  }

  finish(state: State): void {
    if (this.tty && this.shown) process.stdout.write("\n");
    print(finalLine(state));
  }

  /** Leaves the terminal's cursor on a fresh line when the watch is interrupted. */
  interrupt(): void {
    if (this.tty && this.shown) process.stdout.write("\n");
  }
}

async function watch(ref: string, options: ConnectionOptions & { json?: boolean }): Promise<number> {
  return withClient(options, async (client) => {
    // A query first: a wrong token or an unreachable gateway is reported at once, where the
    // WebSocket would keep retrying, and a job that has already finished needs no subscription.
    const id = await resolveJobId(client, ref);
    const { job } = await client.request(JobState, { id });
    if (!job) throw new CliError(`there is no job ${ref}`);
    const outcome = (state: State) => (state.status === "SUCCEEDED" ? EXIT.OK : EXIT.FAILED);
    const display = new Display(!options.json && process.stdout.isTTY === true);

    if (FINAL_STATUSES.has(job.status)) {
      if (options.json) print(JSON.stringify({ initial: true, kind: null, progress: null, detail: null, status: null, at: null, job }));
      else display.finish(job);
      return outcome(job);
    }
    if (!options.json) process.stderr.write(`Watching job #${job.number}${job.name ? ` (${job.name})` : ""}; Ctrl-C stops watching, not the job.\n`);
    const interrupted = () => {
      display.interrupt();
      process.exit(130);
    };
    process.once("SIGINT", interrupted);
    try {
      let state: State = job;
      // The latest report wins on a terminal, which redraws anyway; a script gets every report.
      const updates = client.subscribe(JobProgress, { id, minIntervalMs: options.json ? 0 : 200 });
      for await (const { jobProgress: update } of updates) {
        if (options.json) print(JSON.stringify(update));
        if (!update.job) throw new CliError(`job ${ref} was deleted for good while being watched`);
        state = { ...update.job, status: update.status ?? update.job.status };
        const progress = update.progress ?? update.job.progress;
        if (FINAL_STATUSES.has(state.status)) {
          await updates.return?.();
          if (!options.json) display.finish(state);
          return outcome(state);
        }
        // A transition carries no report; the job's last one still describes where it is.
        if (!options.json) display.update(state.status, progress, describe(update.kind === "PROGRESS" ? update.detail : update.job.progressDetail));
      }
      throw new CliError(`the subscription to job ${ref} ended before the job finished`, EXIT.CONNECTION);
    } finally {
      process.removeListener("SIGINT", interrupted);
    }
  });
}

export function registerWatch(jobs: Command): void {
  withConnection(
    jobs
      .command("watch")
      .description("follow a job's progress live until it finishes; exit code 0 if it succeeded, 1 if not")
      .argument("<job>", "the job's number or global ID")
      .option("--json", "print every update of the jobProgress subscription as a line of JSON"),
  )
    .addHelpText(
      "after",
      `
On a terminal it draws a progress bar and the job's state on one line; otherwise (a pipe, a
file, CI) it prints a line such as "RUNNING 42%" whenever the state or the percentage changes.
The last line is the final state: SUCCEEDED, CANCELLED, or FAILED with the job's error. A job
that has already finished is reported at once.

Exit codes: 0 the job SUCCEEDED; 1 it FAILED or was CANCELLED (or there is no such job);
3 the gateway could not be reached or refused the token.

Examples:
  $ jobgraph jobs watch 12
  $ jobgraph jobs watch 12 && echo "the model is ready"
  $ jobgraph jobs watch 12 --json | jq -c '{status, progress}'`,
    )
    .action(action(watch));
}
