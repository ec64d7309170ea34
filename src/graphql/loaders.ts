// Batching of the hot reads (src/domain/job-reads.ts): every job of a page asks for its template,
// tasks or outputs in the same tick, and each of those becomes one statement for the whole page.
// Nothing is cached: a subscription keeps its context for hours, and each event must read the rows
// as they are now.
import DataLoader from "dataloader";
import type { Db } from "../db/client.js";
import type { ApiToken, JobAttempt, JobEvent, JobOutput, JobTemplate, Schedule, ScheduleTick, Task, User, WorkerNode } from "../db/generated/prisma/client.js";
import { tokensByIds, usersByIds } from "../domain/auth.js";
import { outputsByKeys, type OutputKey } from "../domain/outputs.js";
import { schedulesByIds, schedulesByNames } from "../domain/schedules.js";
import { templatesByVersions, type TemplateVersion } from "../domain/templates.js";
import { workerNodesByIds } from "../domain/nodes.js";
import {
  attemptsOfJobs,
  countEventsOfJobs,
  countJobsOfParents,
  countTicksOfSchedules,
  countTokensOfUsers,
  lowestUnsucceededSequences,
  countOutputsOfJobs,
  countTasksOfJobs,
  eventsByIds,
  eventsOfJobs,
  jobsById,
  jobsByNumbers,
  jobsAcrossDependencies,
  jobsOfParents,
  type DependencyDirection,
  type JobList,
  latestTemplatesByName,
  outputsByIds,
  outputsOfJobs,
  tasksByIds,
  type JobColumns,
  type JobRow,
  type Joins,
  tasksOfJobs,
  ticksOfSchedules,
  tokensOfUsers,
  templatesById,
  type Page,
} from "../domain/job-reads.js";
import type { TaskFilter, TaskOrder } from "../domain/tasks.js";
import {
  nodesServingQueues,
  queueCounts,
  queueSettings,
  queueThroughput,
  type QueueCounts,
  type QueueSettings,
  type QueueThroughput,
} from "../domain/queues.js";
import { whyNotRunning, type WaitReason } from "../domain/why-not-running.js";
import { workflowsByIds, workflowsByNumbers, workflowSummaries, type WorkflowRow, type WorkflowSummary } from "../domain/workflows.js";
import { queuePositions } from "../domain/queue-positions.js";
import { recentReports, type Report } from "../domain/end-estimates.js";
import { logPages, logStats, type LogLine, type LogOf, type LogPage, type LogStats } from "../domain/logs.js";

const OPTIONS = { cache: false } as const;

// By owner (see #keyedLoader), then by the kind of loader (the key's first item): one read may own several.
const keyNames = new WeakMap<object, Map<unknown, string>>();

// A page after an event names it by its bigint id, which JSON has no notation for.
const bigintsAsText = (_key: string, value: unknown) => (typeof value === "bigint" ? `${value}n` : value);

function byId<T extends { id: string }>(ids: readonly string[], rows: T[]): Array<T | null> {
  return byKey(ids, rows, (row) => row.id, (id) => id);
}

/** Each key's row (null for a key no row has): `rowKey` and `keyText` give the same text for a key and its row. */
function byKey<K, T>(keys: readonly K[], rows: T[], rowKey: (row: T) => string, keyText: (key: K) => string): Array<T | null> {
  const found = new Map(rows.map((row) => [rowKey(row), row]));
  return keys.map((key) => found.get(keyText(key)) ?? null);
}

const outputKeyText = (k: OutputKey) => `${k.jobId}\u0000${k.name}\u0000${k.type}`;
const versionText = (k: TemplateVersion) => `${k.name}\u0000${k.version}`;

/** What a page reads with each row (see Joins), as a loader's key. */
const joinsKey = (joins: Joins | undefined) => joins && [...joins].map(([name, columns]) => [name, columns ? [...columns].sort() : "all"]);

/** What a read of jobs asks for, as a loader's key: its columns, those of what it joins, what it counts. */
function readKey(read: JobColumns): unknown[] {
  const sorted = (columns: ReadonlySet<string> | undefined) => columns && [...columns].sort();
  const firsts =
    read.firsts &&
    Object.entries(read.firsts).map(([name, first]) => first && [name, first.take, first.order, sorted(first.fields) ?? "all", joinsKey(first.joins)]);
  return [sorted(read.columns), ...[read.template, read.creator, read.node, read.parent].map((joined) => joined && (sorted(joined.columns) ?? "all")), read.counts, firsts];
}

/**
 * The row a page read with `row` under `relation` (see joinsSelected; null when the key is null),
 * or, when it was not read with it, what `load` reads.
 */
export function joinedOr<T>(row: object, relation: string, load: () => Promise<T | null> | null): Promise<T | null> | T | null {
  const joined = (row as Record<string, unknown>)[relation];
  return joined !== undefined ? (joined as T | null) : load();
}

export class Loaders {
  #db: Db;
  /**
   * Loaders of pages and counts, one per distinct set of arguments; made at the first, as most
   * subscriptions (which keep their context) never load anything.
   */
  #keyed: Map<string, DataLoader<unknown, unknown>> | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Jobs by id, with the columns asked for (all when not given; see src/graphql/selection.ts). */
  job(read: JobColumns = {}): DataLoader<string, JobRow | null> {
    return this.#keyedLoader(["job", ...readKey(read)], async (ids) => byId(ids, await jobsById(this.#db, ids, read)), read);
  }

  /** Jobs by number (its text), with the columns asked for. */
  jobByNumber(read: JobColumns = {}): DataLoader<string, JobRow | null> {
    return this.#keyedLoader(
      ["jobByNumber", ...readKey(read)],
      async (numbers) => byKey(numbers, await jobsByNumbers(this.#db, numbers, read), (row) => String(row.number), (n) => n),
    );
  }

  /** A page of each parent's jobs in a list (a job's children, a template's jobs...), by parent id. */
  jobsOf(list: JobList, page: Page, read: JobColumns): DataLoader<string, JobRow[]> {
    return this.#perJob(["jobsOf", list, page, ...readKey(read)], (ids) => jobsOfParents(this.#db, ids, list, page, read));
  }

  /** How many jobs each parent has in a list, by parent id. */
  jobCount(list: JobList): DataLoader<string, number> {
    return this.#perJob(["jobCount", list], (ids) => countJobsOfParents(this.#db, ids, list));
  }

  /** Templates by id, with the rows `joins` names (see joinsSelected). */
  template(joins?: Joins): DataLoader<string, JobTemplate | null> {
    return this.#keyedLoader(["template", joinsKey(joins)], async (ids) => byId(ids, await templatesById(this.#db, ids, joins)));
  }

  /**
   * The latest version of each template name that is not deleted (what a job named by template
   * name is made from), with the rows `joins` names.
   */
  latestTemplate(joins?: Joins): DataLoader<string, JobTemplate | null> {
    return this.#keyedLoader(["latestTemplate", joinsKey(joins)], async (names) => {
      const found = new Map((await latestTemplatesByName(this.#db, names, joins)).map((t) => [t.name, t]));
      return names.map((name) => found.get(name) ?? null);
    });
  }

  /**
   * A page of each job's tasks, by job id. `job`: the read of each task's `job` that the caller
   * hands down from the job it holds (see Job.tasks), so that tasks given their job are never
   * shared with a page whose `job` selection differs.
   */
  tasks(args: { filter?: TaskFilter; order?: TaskOrder; page: Page; fields?: ReadonlySet<string> | undefined; joins?: Joins | undefined; job?: JobColumns }): DataLoader<string, Task[]> {
    const { fields, joins, job, ...rest } = args;
    return this.#perJob(["tasks", rest, fields && [...fields].sort(), joinsKey(joins), job && readKey(job)], async (ids) => tasksOfJobs(this.#db, ids, args));
  }

  taskCount(filter: TaskFilter = {}): DataLoader<string, number> {
    return this.#perJob(["taskCount", filter], async (ids) => countTasksOfJobs(this.#db, ids, filter));
  }

  /** A page of each job's outputs, by job id; `job` as for tasks(). */
  outputs(page: Page, fields?: ReadonlySet<string>, job?: JobColumns): DataLoader<string, JobOutput[]> {
    return this.#perJob(["outputs", page, fields && [...fields].sort(), job && readKey(job)], async (ids) => outputsOfJobs(this.#db, ids, page, fields));
  }

  get outputCount(): DataLoader<string, number> {
    return this.#perJob(["outputCount"], async (ids) => countOutputsOfJobs(this.#db, ids));
  }

  /** A page of each job's events, by job id; `job` as for tasks(). */
  events(page: Page, fields?: ReadonlySet<string>, joins?: Joins, job?: JobColumns): DataLoader<string, JobEvent[]> {
    return this.#perJob(["events", page, fields && [...fields].sort(), joinsKey(joins), job && readKey(job)], async (ids) => eventsOfJobs(this.#db, ids, page, fields, joins));
  }

  get eventCount(): DataLoader<string, number> {
    return this.#perJob(["eventCount"], async (ids) => countEventsOfJobs(this.#db, ids));
  }

  /** A page of each user's API tokens, by user id. */
  tokens(page: Page): DataLoader<string, ApiToken[]> {
    return this.#perJob(["tokens", page], (ids) => tokensOfUsers(this.#db, ids, page));
  }

  get tokenCount(): DataLoader<string, number> {
    return this.#perJob(["tokenCount"], (ids) => countTokensOfUsers(this.#db, ids));
  }

  /** A page of each schedule's ticks, by schedule id. */
  ticks(page: Page): DataLoader<string, ScheduleTick[]> {
    return this.#perJob(["ticks", page], (ids) => ticksOfSchedules(this.#db, ids, page));
  }

  get tickCount(): DataLoader<string, number> {
    return this.#perJob(["tickCount"], (ids) => countTicksOfSchedules(this.#db, ids));
  }

  /** Each job's attempts, its `last` ones. */
  attempts(last: number): DataLoader<string, JobAttempt[]> {
    return this.#perJob(["attempts", String(last)], async (ids) => attemptsOfJobs(this.#db, ids, last));
  }

  /** The lowest sequence of each job's tasks that have not succeeded (see lowestUnsucceededSequences). */
  get startableSequence(): DataLoader<string, number | null> {
    return this.#perJob(["startableSequence"], async (ids) => lowestUnsucceededSequences(this.#db, ids));
  }

  /** How many claimable jobs come before each waiting job in its queue (absent: not waiting). */
  get queuePosition(): DataLoader<string, number | null> {
    return this.#keyedLoader(["queuePosition"], async (ids) => {
      const found = await queuePositions(this.#db, ids);
      return ids.map((id) => found.get(id) ?? null);
    });
  }

  get whyNotRunning(): DataLoader<string, WaitReason[] | null> {
    return this.#keyedLoader(["whyNotRunning"], async (ids) => {
      const positions = await this.queuePosition.loadMany(ids);
      const found = await whyNotRunning(this.#db, ids, new Map(ids.map((id, i) => [id, positions[i] as number | null])));
      return ids.map((id) => found.get(id) ?? null);
    });
  }

  /** Each running job's latest progress reports of its current attempt (absent: none or not running). */
  get progressReports(): DataLoader<string, Report[]> {
    return this.#keyedLoader(["progressReports"], async (ids) => {
      const found = await recentReports(this.#db, ids);
      return ids.map((id) => found.get(id) ?? []);
    });
  }

  /** Each job's dependencies (the jobs it waits for) or dependents, the first `limit` of each, with the columns asked for. */
  jobsAcross(direction: DependencyDirection, read: JobColumns, limit: number): DataLoader<string, JobRow[]> {
    return this.#keyedLoader([direction, String(limit), ...readKey(read)], async (ids) => {
      const found = await jobsAcrossDependencies(this.#db, ids, direction, read, limit);
      return ids.map((id) => found.get(id)!);
    }, read);
  }

  /** Each workflow's jobs counted by status, and their progress. */
  get workflowSummary(): DataLoader<string, WorkflowSummary> {
    return this.#keyedLoader(["workflowSummary"], async (ids) => {
      const found = await workflowSummaries(this.#db, ids);
      return ids.map((id) => found.get(id)!);
    });
  }

  /** Each job's log counters. */
  get logStats(): DataLoader<string, LogStats> {
    return this.#keyedLoader(["logStats"], async (ids) => {
      const found = await logStats(this.#db, ids);
      return ids.map((id) => found.get(id)!);
    });
  }

  /** A page of each log asked for, a job's or a task's (see logPages). */
  logPage(page: LogPage): DataLoader<LogOf, LogLine[]> {
    return this.#keyedLoader(["logPage", page.after?.toString(), page.before?.toString(), page.take, page.backward], (logs) => logPages(this.#db, logs, page));
  }

  /** Outputs by id: those the output inputs of a page of jobs name, in one statement. */
  get output(): DataLoader<string, JobOutput | null> {
    return this.#keyedLoader(["output"], async (ids) => byId(ids, await outputsByIds(this.#db, ids)));
  }

  /** Tasks by id (the tasks that events name, or that stopped, made or map others), with the rows `joins` names. */
  task(joins?: Joins): DataLoader<string, Task | null> {
    return this.#keyedLoader(["task", joinsKey(joins)], async (ids) => byId(ids, await tasksByIds(this.#db, ids, joins)));
  }

  /** Workflows by id, with their summaries when `summary` (see workflowSummarySelected) and the rows `joins` names. */
  workflow(summary = false, joins?: Joins): DataLoader<string, WorkflowRow | null> {
    return this.#keyedLoader(["workflow", summary, joinsKey(joins)], async (ids) => byId(ids, await workflowsByIds(this.#db, ids, summary, joins)));
  }

  /** Users by id. */
  get user(): DataLoader<string, User | null> {
    return this.#keyedLoader(["user"], async (ids) => byId(ids, await usersByIds(this.#db, ids)));
  }

  /** Worker nodes by id. */
  get workerNode(): DataLoader<string, WorkerNode | null> {
    return this.#keyedLoader(["workerNode"], async (ids) => byId(ids, await workerNodesByIds(this.#db, ids)));
  }

  /** Templates by name and version, with the rows `joins` names. */
  templateVersion(joins?: Joins): DataLoader<TemplateVersion, JobTemplate | null> {
    return this.#keyedLoader(["templateVersion", joinsKey(joins)], async (keys) =>
      byKey(keys, await templatesByVersions(this.#db, keys, joins), (row) => versionText(row), versionText),
    );
  }

  /** Outputs by job, name and type. */
  get outputByKey(): DataLoader<OutputKey, JobOutput | null> {
    return this.#keyedLoader(["outputByKey"], async (keys) => byKey(keys, await outputsByKeys(this.#db, keys), (row) => outputKeyText(row), outputKeyText));
  }

  /** Events by id (the text of their bigint id), with the rows `joins` names. */
  event(joins?: Joins): DataLoader<string, JobEvent | null> {
    return this.#keyedLoader(["event", joinsKey(joins)], async (ids) => byKey(ids, await eventsByIds(this.#db, ids, joins), (row) => String(row.id), (id) => id));
  }

  /** Workflows by number (its text), with what workflow() reads with them. */
  workflowByNumber(summary = false, joins?: Joins): DataLoader<string, WorkflowRow | null> {
    return this.#keyedLoader(["workflowByNumber", summary, joinsKey(joins)], async (numbers) =>
      byKey(numbers, await workflowsByNumbers(this.#db, numbers, summary, joins), (row) => String(row.number), (n) => n),
    );
  }

  /** API tokens by id, with the rows `joins` names. */
  token(joins?: Joins): DataLoader<string, ApiToken | null> {
    return this.#keyedLoader(["token", joinsKey(joins)], async (ids) => byId(ids, await tokensByIds(this.#db, ids, joins)));
  }

  /** Schedules by id, with the rows `joins` names. */
  schedule(joins?: Joins): DataLoader<string, Schedule | null> {
    return this.#keyedLoader(["schedule", joinsKey(joins)], async (ids) => byId(ids, await schedulesByIds(this.#db, ids, joins)));
  }

  /** Schedules by name, with the rows `joins` names. */
  scheduleByName(joins?: Joins): DataLoader<string, Schedule | null> {
    return this.#keyedLoader(["scheduleByName", joinsKey(joins)], async (names) =>
      byKey(names, await schedulesByNames(this.#db, names, joins), (row) => row.name, (name) => name),
    );
  }

  /** Queues' settings, counts and serving nodes by name: one statement each for every queue of a request. */
  get queueSettings(): DataLoader<string, QueueSettings> {
    return this.#keyedLoader(["queueSettings"], (names) => queueSettings(this.#db, names));
  }

  get queueCounts(): DataLoader<string, QueueCounts> {
    return this.#keyedLoader(["queueCounts"], (names) => queueCounts(this.#db, names));
  }

  get queueThroughput(): DataLoader<string, QueueThroughput> {
    return this.#keyedLoader(["queueThroughput"], (names) => queueThroughput(this.#db, names));
  }

  get queueNodes(): DataLoader<string, string[]> {
    return this.#keyedLoader(["queueNodes"], (names) => nodesServingQueues(this.#db, names));
  }

  #perJob<T>(key: unknown[], load: (ids: readonly string[]) => Promise<Map<string, T>>): DataLoader<string, T> {
    return this.#keyedLoader(key, async (ids) => {
      const found = await load(ids);
      return ids.map((id) => found.get(id)!);
    });
  }

  /**
   * The loader for `key`, made on first use. `owner`, an object made once per field of a document
   * (see src/graphql/selection.ts), remembers the key's text: a page of jobs asks for it per job.
   */
  #keyedLoader<T, K = string>(key: unknown[], load: (keys: readonly K[]) => Promise<T[]>, owner?: object): DataLoader<K, T> {
    let names = owner && keyNames.get(owner);
    let name = names?.get(key[0]);
    if (name === undefined) {
      name = JSON.stringify(key, bigintsAsText);
      if (owner) {
        if (!names) keyNames.set(owner, (names = new Map()));
        names.set(key[0], name);
      }
    }
    const keyed = (this.#keyed ??= new Map());
    let loader = keyed.get(name) as DataLoader<K, T> | undefined;
    if (!loader) {
      loader = new DataLoader<K, T>(load, OPTIONS);
      keyed.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}
