// `jobgraph jobs ...`: list, show, create and cancel jobs (and watch one, see watch.ts).
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import type { JobFilter, JobStatus, TemplateRef } from "../sdk/gql/graphql.js";
import { assignment, collect, collectStatuses, integer, templateRef, valueOf, type Assignment } from "./args.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, refused } from "./errors.js";
import { age, bytes, percent, plain, print, printJson, note, table } from "./format.js";
import { PAGE_SIZE, resolveJobId } from "./lookup.js";
import { CancelJob, CreateJob, Job, Jobs, TemplateDeclarations } from "./operations.js";
import { registerWatch } from "./watch.js";

type JobRow = ResultOf<typeof Jobs>["jobs"]["edges"][number]["node"];

type ListOptions = ConnectionOptions & {
  status?: JobStatus[];
  queue?: string[];
  template?: TemplateRef;
  tag?: string[];
  search?: string;
  limit: number;
  includeDeleted?: boolean;
  json?: boolean;
};

type CreateOptions = ConnectionOptions & {
  template: TemplateRef;
  input?: Assignment[];
  param?: Assignment[];
  queue?: string;
  priority?: number;
  tag?: string[];
  name?: string;
  description?: string;
  json?: boolean;
};

const collectAssignment = (value: string, previous: Assignment[] | undefined) => [...(previous ?? []), assignment(value)];

function statusOf(job: Pick<JobRow, "status" | "deletedAt">): string {
  return job.deletedAt ? `${job.status} (deleted)` : job.status;
}

function jobsTable(jobs: JobRow[]): string {
  return table(
    ["#", "name", "status", "progress", "queue", "template", "node", "updated"],
    jobs.map((j) => [
      String(j.number),
      j.name ?? "-",
      statusOf(j),
      percent(j.progress),
      j.queue,
      `${j.template.name}@${j.template.version}`,
      j.node?.name ?? "-",
      age(j.updatedAt),
    ]),
  );
}

async function list(options: ListOptions): Promise<void> {
  const filter: JobFilter = {
    ...(options.status?.length ? { status: options.status } : {}),
    ...(options.queue?.length ? { queue: options.queue } : {}),
    ...(options.template ? { template: options.template } : {}),
    ...(options.tag?.length ? { tags: options.tag } : {}),
    ...(options.search ? { search: options.search } : {}),
    ...(options.includeDeleted ? { includeDeleted: true } : {}),
  };
  await withClient(options, async (client) => {
    const jobs: JobRow[] = [];
    let totalCount = 0;
    let after: string | null = null;
    // A limit above the gateway's largest page is fetched page by page.
    do {
      const page: ResultOf<typeof Jobs> = await client.request(Jobs, { filter, first: Math.min(PAGE_SIZE, options.limit - jobs.length), after });
      totalCount = page.jobs.totalCount;
      jobs.push(...page.jobs.edges.map((e) => e.node));
      after = page.jobs.pageInfo.hasNextPage ? (page.jobs.pageInfo.endCursor ?? null) : null;
    } while (after && jobs.length < options.limit);

    if (options.json) return printJson(jobs);
    if (!jobs.length) return note("No jobs match.");
    print(jobsTable(jobs));
    if (totalCount > jobs.length) note(`${jobs.length} of ${totalCount} jobs shown; --limit shows more.`);
  });
}

async function get(ref: string, options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withClient(options, async (client) => {
    const { job } = await client.request(Job, { id: await resolveJobId(client, ref) });
    if (!job) throw new CliError(`there is no job ${ref}`);
    if (options.json) return printJson(job);
    const executor = job.template.executor;
    const rows: Array<[string, string | null | undefined]> = [
      ["id", job.id],
      ["name", job.name],
      ["description", job.description || null],
      ["status", `${statusOf(job)}  ${percent(job.progress)}`],
      ["error", job.errorReason],
      ["template", `${job.template.name}@${job.template.version} (executor ${executor.name}${executor.version ? ` ${executor.version}` : ""})`],
      ["queue", `${job.queue}, priority ${job.priority}`],
      ["tags", job.tags.join(", ") || null],
      ["node", job.node?.name],
      ["creator", job.creator?.name],
      ["attempts", `${job.attemptCount} of ${job.maxAttempts}`],
      ["created", job.createdAt],
      ["started", job.startTime],
      ["ended", job.endTime],
      ["updated", `${job.updatedAt} (${age(job.updatedAt)})`],
      ["progress detail", job.progressDetail == null ? null : JSON.stringify(job.progressDetail)],
      ...job.inputValues.map((v): [string, string] => [`input ${v.name}`, `${plain(v.value)} (${v.type})`]),
      ...job.parameterValues.map((v): [string, string] => [`param ${v.name}`, `${plain(v.value)} (${v.type})`]),
      ...job.outputs.edges.map(({ node: o }): [string, string] => [`output ${o.name}.${o.type}`, `${bytes(o.size)}  ${new URL(o.downloadUrl, options.url).href}`]),
    ];
    const shown = rows.filter((r): r is [string, string] => r[1] != null && r[1] !== "");
    const width = Math.max(...shown.map(([k]) => k.length));
    print(`Job #${job.number}`);
    for (const [key, value] of shown) print(`  ${key.padEnd(width)}  ${value}`);
  });
}

async function create(options: CreateOptions): Promise<number | void> {
  const ref = options.template;
  return withClient(options, async (client) => {
    // The template's declarations say how to read each value (see valueOf).
    const { jobTemplate: template } = await client.request(TemplateDeclarations, { name: ref.name, version: ref.version ?? null });
    if (!template) throw new CliError(`there is no template ${ref.name}${ref.version ? ` version ${ref.version}` : ""}`);
    const typesOf = (declarations: typeof template.inputs, name: string) => declarations.find((d) => d.name === name)?.types;
    const { createJob: result } = await client.request(CreateJob, {
      input: {
        templateName: template.name,
        templateVersion: template.version,
        inputs: (options.input ?? []).map((a) => valueOf(a, typesOf(template.inputs, a.name))),
        parameters: (options.param ?? []).map((a) => valueOf(a, typesOf(template.parameters, a.name))),
        ...(options.queue ? { queue: options.queue } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.tag?.length ? { tags: options.tag } : {}),
        ...(options.name ? { name: options.name } : {}),
        ...(options.description ? { description: options.description } : {}),
      },
    });
    if (result.__typename !== "CreateJobPayload") throw refused(result, "the job was not created");
    if (options.json) return printJson(result);
    print(`Created job #${result.job.number} (${result.job.id}) from ${template.name}@${template.version}, ${result.job.status} in queue ${result.job.queue}`);
  });
}

async function cancel(ref: string, options: ConnectionOptions & { reason?: string; json?: boolean }): Promise<void> {
  await withClient(options, async (client) => {
    const id = await resolveJobId(client, ref);
    const { cancelJob: result } = await client.request(CancelJob, { id, reason: options.reason ?? null });
    if (result.__typename !== "JobPayload") throw refused(result, `job ${ref} was not cancelled`);
    if (options.json) return printJson(result.job);
    print(`Cancelled job #${result.job.number}${result.job.name ? ` (${result.job.name})` : ""}`);
  });
}

export function registerJobs(program: Command): void {
  const jobs = program
    .command("jobs")
    .description("list, show, create, cancel and watch jobs")
    .addHelpText(
      "after",
      `
A <job> is a job's number as \`jobs list\` shows it (12 or #12) or its global ID.`,
    );

  withConnection(
    jobs
      .command("list")
      .description("list jobs, newest first, as a table")
      .option("--status <status>", "only jobs in these statuses (repeatable or comma-separated: QUEUED, ACQUIRED, RUNNING, SUCCEEDED, FAILED, CANCELLED)", collectStatuses)
      .option("--queue <queue>", "only jobs in this queue (repeatable: any of them)", collect)
      .option("--template <name[@version]>", "only jobs of this template (any version unless @version)", templateRef)
      .option("--tag <tag>", "only jobs carrying this tag (repeatable: all of them)", collect)
      .option("--search <text>", "only jobs whose name or description contains the text (ignoring case)")
      .option("--limit <n>", "show at most n jobs", integer(1), 20)
      .option("--include-deleted", "include soft-deleted jobs")
      .option("--json", "print the jobs as a JSON array"),
  )
    .addHelpText(
      "after",
      `
Examples:
  $ jobgraph jobs list
  $ jobgraph jobs list --status running,queued --queue gpu
  $ jobgraph jobs list --template train@2 --tag nightly --limit 100
  $ jobgraph jobs list --search resnet --json | jq '.[].id'`,
    )
    .action(action(list));

  withConnection(
    jobs
      .command("get")
      .description("show a job: its state, template, values and outputs")
      .argument("<job>", "the job's number or global ID")
      .option("--json", "print the job as JSON"),
  )
    .addHelpText(
      "after",
      `
Examples:
  $ jobgraph jobs get 12
  $ jobgraph jobs get 12 --json | jq .status`,
    )
    .action(action(get));

  withConnection(
    jobs
      .command("create")
      .description("create a job from a template")
      .requiredOption("--template <name[@version]>", "the template (its latest version unless @version)", templateRef)
      .option(
        "--input <name=value>",
        "an input value (repeatable); read as JSON when it parses as a value the template accepts, else as text; name:type=value names its type",
        collectAssignment,
      )
      .option("--param <name=value>", "a parameter value (repeatable), read as --input values are; the template's defaults fill the rest", collectAssignment)
      .option("--queue <queue>", "the queue (default: default)")
      .option("--priority <n>", "higher runs first (default: 0)", integer(-2_147_483_648, 2_147_483_647))
      .option("--tag <tag>", "a label for finding the job (repeatable)", collect)
      .option("--name <name>", "a short name for the job")
      .option("--description <text>", "what the job is for")
      .option("--json", "print the whole result (outcome and job) as JSON"),
  )
    .addHelpText(
      "after",
      `
On a validation failure it prints every problem with the path of the value concerned
(e.g. "inputs.0.value: must be a string") and exits with 1.

Examples:
  $ jobgraph jobs create --template train --input dataset=s3://data/cats --param epochs=20
  $ jobgraph jobs create --template train@2 --input 'config={"lr": 0.01}' --queue gpu --priority 5 --tag nightly
  $ jobgraph jobs create --template report --input id:string=007 --name "weekly report"`,
    )
    .action(action(create));

  withConnection(
    jobs
      .command("cancel")
      .description("cancel a queued or running job (and its children still queued or running)")
      .argument("<job>", "the job's number or global ID")
      .option("--reason <text>", "why, for the job's history")
      .option("--json", "print the cancelled job as JSON"),
  )
    .addHelpText(
      "after",
      `
Examples:
  $ jobgraph jobs cancel 12
  $ jobgraph jobs cancel 12 --reason "wrong dataset"`,
    )
    .action(action(cancel));

  registerWatch(jobs);
}
