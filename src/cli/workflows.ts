// `jobgraph workflows create FILE`: submits a graph of jobs written in YAML or JSON;
// `jobgraph workflows watch <workflow>`: a live view of every job of it until it has finished, its
// exit code the workflow's outcome.
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import type { JobgraphClient } from "../sdk/index.js";
import { graphql } from "../sdk/gql/index.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT, refused } from "./errors.js";
import { bar, percent, print, printJson, table } from "./format.js";
import { jobInput, readYamlOrJson } from "./job-file.js";

const CreateWorkflow = graphql(`
  mutation CliCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowPayload { workflow { id number name status } jobs { key reused job { id number status } } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const WorkflowByNumber = graphql(`
  query CliWorkflowByNumber($number: Long!) { workflowByNumber(number: $number) { id } }
`);

const WorkflowView = graphql(`
  fragment CliWorkflowView on Workflow {
    number
    name
    status
    progress
    counts { total waiting queued running succeeded failed cancelled }
    jobs(first: 100) { edges { node { number name status progress errorReason } } }
  }
`);

const WorkflowState = graphql(`
  query CliWorkflowState($id: ID!) { workflow(id: $id) { ...CliWorkflowView } }
`);

const WatchWorkflow = graphql(`
  subscription CliWatchWorkflow($id: ID!) { workflowUpdated(id: $id) { ...CliWorkflowView } }
`);

type View = ResultOf<typeof WorkflowView>;

const FINISHED = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/**
 * The workflow a file describes, as createWorkflow takes it. A job names its template by
 * `template` (and `templateVersion`), and its inputs and parameters as maps; everything else is
 * createJob's input as it is, with `key` and `after`.
 */
export function workflowInput(parsed: unknown): Record<string, unknown> {
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new CliError("the file must hold a workflow: name, and jobs (a list)", EXIT.USAGE);
  const { jobs, ...workflow } = parsed as { jobs?: unknown };
  if (!Array.isArray(jobs)) throw new CliError("the workflow's jobs must be a list", EXIT.USAGE);
  return {
    ...workflow,
    jobs: jobs.map((raw, i) => {
      if (!raw || typeof raw !== "object") throw new CliError(`jobs.${i}: must be a job (key, template, ...)`, EXIT.USAGE);
      const { key, after, ...job } = raw as Record<string, unknown>;
      return { key: key == null ? key : String(key), ...(after == null ? {} : { after }), job: jobInput(job, `jobs.${i}`) };
    }),
  };
}

async function create(file: string, options: ConnectionOptions & { json?: boolean }): Promise<void> {
  const input = workflowInput(await readYamlOrJson(file));
  await withClient(options, async (client) => {
    const { createWorkflow: result } = await client.request(CreateWorkflow, { input: input as never });
    if (result.__typename !== "CreateWorkflowPayload") throw refused(result, `the workflow in ${file} was not created`);
    if (options.json) return printJson(result);
    const { workflow, jobs } = result;
    print(`Workflow #${workflow.number}${workflow.name ? ` (${workflow.name})` : ""} created: ${workflow.id}`);
    print(table(["key", "job", "status"], jobs.map((j) => [j.key, `#${j.job.number}${j.reused ? " (reused)" : ""}`, j.job.status])));
  });
}

/** The global ID of the workflow a reference names: its number (3 or #3) or its global ID. */
async function resolveWorkflowId(client: JobgraphClient, ref: string): Promise<string> {
  const match = /^#?(\d+)$/.exec(ref.trim());
  if (!match) return ref.trim();
  const { workflowByNumber } = await client.request(WorkflowByNumber, { number: Number(match[1]) });
  if (!workflowByNumber) throw new CliError(`there is no workflow #${match[1]}`);
  return workflowByNumber.id;
}

/** Every job of the workflow as lines: a bar, the percentage and the state of each. */
function render(view: View): string[] {
  const head = `Workflow #${view.number}${view.name ? ` (${view.name})` : ""}: ${view.status} ${percent(view.progress)}, ${view.counts.succeeded} of ${view.counts.total} succeeded`;
  const rows = view.jobs.edges.map(({ node: j }) => `  #${j.number} ${(j.name ?? "").padEnd(16)} ${bar(j.progress, 20)} ${percent(j.progress).padStart(4)}  ${j.status}${j.status === "FAILED" && j.errorReason ? `: ${j.errorReason}` : ""}`);
  return [head, ...rows];
}

async function watch(ref: string, options: ConnectionOptions & { json?: boolean }): Promise<number> {
  return withClient(options, async (client) => {
    const id = await resolveWorkflowId(client, ref);
    const { workflow } = await client.request(WorkflowState, { id });
    if (!workflow) throw new CliError(`there is no workflow ${ref}`);
    const tty = !options.json && process.stdout.isTTY === true;
    let drawn = 0;
    let shown = "";
    const show = (view: View) => {
      if (options.json) return print(JSON.stringify(view));
      const lines = render(view);
      if (tty) {
        // Redrawn in place: up over what was drawn, then each line cleared and written again.
        process.stdout.write(`${drawn ? `\x1b[${drawn}F` : ""}${lines.map((l) => `\x1b[2K${l.slice(0, (process.stdout.columns || 80) - 1)}`).join("\n")}\n`);
        drawn = lines.length;
        return;
      }
      const text = lines.join("\n");
      if (text !== shown) print(text);
      shown = text;
    };
    const outcome = (view: View) => (view.status === "SUCCEEDED" ? EXIT.OK : EXIT.FAILED);
    const view = workflow as View;
    show(view);
    if (FINISHED.has(view.status)) return outcome(view);
    if (!options.json) process.stderr.write(`Watching workflow #${view.number}; Ctrl-C stops watching, not the workflow.\n`);
    const interrupted = () => process.exit(130);
    process.once("SIGINT", interrupted);
    try {
      const updates = client.subscribe(WatchWorkflow, { id });
      for await (const { workflowUpdated } of updates) {
        if (!workflowUpdated) throw new CliError(`workflow ${ref} is gone`);
        const next = workflowUpdated as View;
        show(next);
        if (FINISHED.has(next.status)) {
          await updates.return?.();
          return outcome(next);
        }
      }
      throw new CliError(`the subscription to workflow ${ref} ended before the workflow finished`, EXIT.CONNECTION);
    } finally {
      process.removeListener("SIGINT", interrupted);
    }
  });
}

export function registerWorkflows(program: Command): void {
  const workflows = program.command("workflows").description("submit a graph of jobs that wait for each other, and watch it");
  withConnection(
    workflows
      .command("create")
      .description("create a workflow from a YAML or JSON file, every job of it or none")
      .argument("<file>", "the workflow: name, and jobs (each with key, template, inputs, after)")
      .option("--json", "print the created workflow and its jobs as JSON"),
  )
    .addHelpText(
      "after",
      `
The file (YAML or JSON):

  name: nightly model
  jobs:
    - key: prepare
      template: train
      inputs: { dataset: s3://raw }
    - key: train
      template: train
      after: [prepare]
      inputs: { dataset: s3://prepared }

A job takes createJob's input fields (queue, priority, tags, findOrCreate, dependsOn, ...), with
its template by name (template, templateVersion) and its inputs and parameters as maps.

Example:
  $ jobgraph workflows create nightly.yaml`,
    )
    .action(action(create));
  withConnection(
    workflows
      .command("watch")
      .description("a live view of every job of a workflow until it finishes; exit code 0 if it succeeded, 1 if not")
      .argument("<workflow>", "the workflow's number or global ID")
      .option("--json", "print the workflow, with its jobs, as a line of JSON at every update"),
  )
    .addHelpText("after", "\nExample:\n  $ jobgraph workflows watch 3")
    .action(action(watch));
}
