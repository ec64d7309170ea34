// `jobgraph jobs logs`: a job's log lines (or one task's), and with --follow its new ones as its
// worker appends them, until the job has finished.
import type { Command } from "commander";
import { graphql } from "../sdk/gql/index.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError } from "./errors.js";
import { print } from "./format.js";
import { PAGE_SIZE, resolveJobId } from "./lookup.js";

const LogPage = graphql(`
  query CliJobLog($id: ID!, $after: String, $first: Int!) {
    job(id: $id) {
      number
      status
      tasks(first: 100) { edges { node { id name } } }
      log(first: $first, after: $after) {
        edges { cursor node { seq stream at line task { name } } }
        pageInfo { hasNextPage endCursor }
      }
      logStats { droppedLines }
    }
  }
`);

const TailLog = graphql(`
  subscription CliTailLog($job: ID!, $after: String, $task: ID) {
    jobLog(job: $job, after: $after, task: $task) { cursor seq stream at line task { name } }
  }
`);

type Options = ConnectionOptions & { follow?: boolean; task?: string; after?: string; json?: boolean; timestamps?: boolean };
type Line = { cursor: string; seq: number; stream: string; at: string; line: string; task?: { name: string } | null };

function show(line: Line, options: Options): void {
  if (options.json) return print(JSON.stringify(line));
  const prefix = `${options.timestamps ? `${line.at} ` : ""}${line.stream === "STDERR" ? "! " : ""}${line.task && !options.task ? `[${line.task.name}] ` : ""}`;
  print(`${prefix}${line.line}`);
}

async function logs(ref: string, options: Options): Promise<void> {
  await withClient(options, async (client) => {
    const id = await resolveJobId(client, ref);
    let after: string | null = options.after ?? null;
    let taskId: string | null = null;
    let dropped = 0;
    // Read what is there, page by page; then, with --follow, tail from the last line read.
    for (;;) {
      const { job } = await client.request(LogPage, { id, after, first: PAGE_SIZE });
      if (!job) throw new CliError(`there is no job ${ref}`);
      if (options.task && taskId === null) {
        taskId = job.tasks.edges.find((e) => e.node.name === options.task)?.node.id ?? null;
        if (!taskId) throw new CliError(`job #${job.number} has no task ${options.task}`);
      }
      dropped = Number(job.logStats.droppedLines);
      for (const edge of job.log.edges) {
        if (!options.task || edge.node.task?.name === options.task) show({ ...edge.node, cursor: edge.cursor }, options);
      }
      after = job.log.pageInfo.endCursor ?? after;
      if (!job.log.pageInfo.hasNextPage) break;
    }
    if (dropped > 0 && !options.json) process.stderr.write(`(the job's ${dropped} oldest lines were dropped by its log limits)\n`);
    if (!options.follow) return;
    for await (const { jobLog } of client.subscribe(TailLog, { job: id, after, task: taskId })) show(jobLog, options);
  });
}

export function registerLogs(program: Command): void {
  const jobs = program.commands.find((c) => c.name() === "jobs");
  if (!jobs) throw new Error("register the jobs command first");
  withConnection(
    jobs
      .command("logs")
      .description("print a job's log (the lines its worker sent); with --follow, go on printing new lines until the job ends")
      .argument("<job>", "the job's number or global ID")
      .option("-f, --follow", "keep printing new lines as the worker sends them, until the job has finished (Ctrl-C stops)")
      .option("--task <name>", "only this task's lines")
      .option("--after <cursor>", "start behind this line (a cursor --json printed)")
      .option("--timestamps", "start each line with the time the worker wrote it")
      .option("--json", "print each line as a JSON object (cursor, seq, stream, at, line, task)"),
  )
    .addHelpText(
      "after",
      `
Lines of standard error start with "! ", and a task's lines with its name in brackets.

Examples:
  $ jobgraph jobs logs 12
  $ jobgraph jobs logs 12 --follow
  $ jobgraph jobs logs 12 --task render --timestamps`,
    )
    .action(action(logs));
}
