// `jobgraph schedules ...`: create a schedule from a YAML or JSON file, list every schedule, and
// pause, resume or delete one by its name.
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import type { JobgraphClient } from "../sdk/index.js";
import { graphql } from "../sdk/gql/index.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT, refused } from "./errors.js";
import { note, print, printJson, table } from "./format.js";
import { jobInput, readYamlOrJson } from "./job-file.js";
import { PAGE_SIZE } from "./lookup.js";

/** How many of a new schedule's next times `schedules create` shows. */
const NEXT_RUNS_SHOWN = 5;

const ScheduleRow = graphql(`
  fragment CliScheduleRow on Schedule {
    id
    name
    cron
    timeZone
    paused
    nextRunAt
    overlap
    catchUp
    lastJob { number status }
  }
`);

const Schedules = graphql(`
  query CliSchedules($first: Int!, $after: String) {
    schedules(first: $first, after: $after) {
      edges { node { ...CliScheduleRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const ScheduleByName = graphql(`
  query CliScheduleByName($name: String!) { schedule(name: $name) { id } }
`);

const CreateSchedule = graphql(`
  mutation CliCreateSchedule($input: CreateScheduleInput!, $count: Int!) {
    createSchedule(input: $input) {
      __typename
      ... on Schedule { ...CliScheduleRow nextRunTimes(count: $count) }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

const PauseSchedule = graphql(`
  mutation CliPauseSchedule($id: ID!) {
    pauseSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }
  }
`);

const ResumeSchedule = graphql(`
  mutation CliResumeSchedule($id: ID!) {
    resumeSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }
  }
`);

const DeleteSchedule = graphql(`
  mutation CliDeleteSchedule($id: ID!) {
    deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }
  }
`);

type Row = ResultOf<typeof ScheduleRow>;
type Options = ConnectionOptions & { json?: boolean };

/**
 * A time as the schedule's cron expression reads it: the wall-clock time in its time zone, with
 * the offset from UTC, which tells apart the two 02:30s of a night that daylight saving turns back.
 */
function inZone(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "longOffset",
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  // longOffset names UTC itself "GMT", and every other offset "GMT+02:00".
  const offset = part("timeZoneName").replace(/^GMT$/, "GMT+00:00").replace(/^GMT/, "");
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")} ${offset}`;
}

/** One line for a schedule's state: paused, or running with its next time. */
function state(schedule: Row): string {
  if (schedule.paused) return `${schedule.name}: paused, makes no jobs until resumed`;
  // nextRunAt is null only while the schedule is paused.
  return `${schedule.name}: running, next run ${inZone(schedule.nextRunAt!, schedule.timeZone)}`;
}

/**
 * The schedule a file describes, as createSchedule takes it: its fields as they are, and its job
 * as `workflows create` reads a job (a template by name, inputs and parameters as maps).
 */
function scheduleInput(parsed: unknown): Record<string, unknown> {
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new CliError("the file must hold a schedule: name, cron and job", EXIT.USAGE);
  const { job, ...schedule } = parsed as Record<string, unknown>;
  if (!job || typeof job !== "object" || Array.isArray(job)) throw new CliError("the schedule's job must be a job (template, inputs, ...)", EXIT.USAGE);
  return { ...schedule, job: jobInput(job as Record<string, unknown>, "job") };
}

async function create(file: string, options: Options): Promise<void> {
  const input = scheduleInput(await readYamlOrJson(file));
  await withClient(options, async (client) => {
    const { createSchedule: result } = await client.request(CreateSchedule, { input: input as never, count: NEXT_RUNS_SHOWN });
    if (result.__typename !== "Schedule") throw refused(result, `the schedule in ${file} was not created`);
    if (options.json) return printJson(result);
    print(`Schedule ${result.name} created${result.paused ? " (paused)" : ""}: ${result.cron} in ${result.timeZone}`);
    print(`Next runs${result.paused ? " once resumed" : ""}:`);
    for (const time of result.nextRunTimes) print(`  ${inZone(time, result.timeZone)}`);
  });
}

async function list(options: Options): Promise<void> {
  await withClient(options, async (client) => {
    const schedules: Row[] = [];
    let after: string | null = null;
    do {
      const page: ResultOf<typeof Schedules> = await client.request(Schedules, { first: PAGE_SIZE, after });
      schedules.push(...page.schedules.edges.map((e) => e.node));
      after = page.schedules.pageInfo.hasNextPage ? (page.schedules.pageInfo.endCursor ?? null) : null;
    } while (after);
    if (options.json) return printJson(schedules);
    if (!schedules.length) return note("No schedules.");
    print(
      table(
        ["name", "cron", "time zone", "state", "next run", "overlap", "last job"],
        schedules.map((s) => [
          s.name,
          s.cron,
          s.timeZone,
          s.paused ? "paused" : "running",
          s.nextRunAt ? inZone(s.nextRunAt, s.timeZone) : "-",
          s.overlap,
          s.lastJob ? `#${s.lastJob.number} ${s.lastJob.status}` : "-",
        ]),
      ),
    );
  });
}

/** The global ID of the schedule of that name. */
async function scheduleId(client: JobgraphClient, name: string): Promise<string> {
  const { schedule } = await client.request(ScheduleByName, { name });
  if (!schedule) throw new CliError(`there is no schedule named ${name}`);
  return schedule.id;
}

async function setPaused(name: string, paused: boolean, options: Options): Promise<void> {
  await withClient(options, async (client) => {
    const id = await scheduleId(client, name);
    const result = paused ? (await client.request(PauseSchedule, { id })).pauseSchedule : (await client.request(ResumeSchedule, { id })).resumeSchedule;
    if (result.__typename !== "Schedule") throw refused(result, `schedule ${name} was not ${paused ? "paused" : "resumed"}`);
    if (options.json) return printJson(result);
    print(state(result));
  });
}

async function remove(name: string, options: Options): Promise<void> {
  await withClient(options, async (client) => {
    const { deleteSchedule: result } = await client.request(DeleteSchedule, { id: await scheduleId(client, name) });
    if (result.__typename !== "DeletedSchedule") throw refused(result, `schedule ${name} was not deleted`);
    if (options.json) return printJson(result);
    print(`Schedule ${result.name} deleted; the jobs it made stay.`);
  });
}

export function registerSchedules(program: Command): void {
  const schedules = program.command("schedules").description("make a job again and again at the times of a cron expression: create, list, pause, resume, delete");
  withConnection(
    schedules
      .command("list", { isDefault: true })
      .description("every schedule: its cron expression and time zone, paused or not, its next run, and the job of its latest tick")
      .option("--json", "print the schedules as JSON"),
  )
    .addHelpText("after", "\nNext runs are shown in the schedule's time zone, with its offset from UTC.\n\nExample:\n  $ jobgraph schedules")
    .action(action(list));
  withConnection(
    schedules
      .command("create")
      .description("create a schedule from a YAML or JSON file, and show its next runs")
      .argument("<file>", "the schedule: name, cron, timeZone, overlap, catchUp, paused, description, and job")
      .option("--json", "print the created schedule as JSON"),
  )
    .addHelpText(
      "after",
      `
The file (YAML or JSON):

  name: nightly-train
  cron: "0 2 * * *"          # 02:00 every day; 6 fields for seconds, or @hourly, @daily, ...
  timeZone: Europe/Berlin    # UTC unless given
  overlap: SKIP              # SKIP, QUEUE or CANCEL_PREVIOUS while the last job runs
  catchUp: LAST              # LAST or SKIP: ticks missed while every gateway was down
  job:
    template: train
    inputs: { dataset: s3://datasets/nightly }
    parameters: { epochs: 20 }

The job takes createJob's input fields (queue, priority, tags, ...) with its template by name
(template, templateVersion) and its inputs and parameters as maps; idempotencyKey, findOrCreate,
runAfter, deadline and dependsOn do not apply.

Example:
  $ jobgraph schedules create nightly-train.yaml`,
    )
    .action(action(create));
  for (const [verb, description] of [
    ["pause", "stop a schedule making jobs (the jobs it made go on); its creator or an admin"],
    ["resume", "let a paused schedule make jobs again, from its next time after now; its creator or an admin"],
  ] as const) {
    withConnection(schedules.command(verb).description(description).argument("<name>", "the schedule's name").option("--json", "print the schedule as JSON"))
      .addHelpText("after", `\nExample:\n  $ jobgraph schedules ${verb} nightly-train`)
      .action(action((name: string, options: Options) => setPaused(name, verb === "pause", options)));
  }
  withConnection(
    schedules
      .command("delete")
      .description("delete a schedule and the record of its ticks (the jobs it made stay); its creator or an admin")
      .argument("<name>", "the schedule's name")
      .option("--json", "print the deleted schedule's ID and name as JSON"),
  )
    .addHelpText("after", "\nExample:\n  $ jobgraph schedules delete nightly-train")
    .action(action(remove));
}
