// The reads behind the API's busiest pages (jobs by id, pages of jobs, and each job's template,
// tasks and outputs) as plain SQL, batched: a page of 50 jobs with their tasks and outputs is four
// statements however many jobs it holds. Prisma serves every other read; these return the same rows
// in the same order Prisma would (test/domain/job-reads.test.ts compares the two).
import type { ApiToken, Job, JobAttempt, JobEvent, JobOutput, JobTemplate, ScheduleTick, Task, User, WorkerNode } from "../db/generated/prisma/client.js";
import type { Db } from "../db/client.js";
import { columnsOf, fromJsonRows, nestUnder, queryRows, scalarFieldsOf, typedFieldsOf, type ModelName, type Nested } from "../db/rows.js";
import { countJobs, jobConditions, SqlParams, toTheMinute, whereClause } from "./job-filter.js";
import { defaultJobOrder, type JobFilter, type JobOrder, type JobOrderField } from "./jobs.js";
import { defaultTaskOrder, type TaskFilter, type TaskOrder, type TaskOrderField } from "./tasks.js";

/**
 * Which rows of a list: at most `take` of them, starting after the row `after` (left out), in the
 * list's order or, when `backward`, counting back from its end. Rows come back in the list's order
 * either way. `at`: the sort values the row `after` had when the cursor was made (see pageStart).
 */
export type Page = { take: number; after?: string | bigint | null; at?: CursorValues | null; backward?: boolean };

/**
 * A key of a list's order. `derive`: a key that is not a field but a SQL function of one (jobs'
 * updated_minute of updated_at), which a cursor's values give through that field.
 */
export type SortKey = {
  column: string;
  field: string;
  ascending: boolean;
  nullable: boolean;
  nullsLast?: boolean;
  derive?: { field: CursorField; sql: (value: string) => string };
};

/**
 * The fields a list may be sorted by (the id aside), with their PostgreSQL types: what a cursor
 * carries of its row, as JSON (times as ISO text, int8s as decimal text).
 */
export const CURSOR_FIELD_TYPES = {
  createdAt: "timestamptz",
  updatedAt: "timestamptz",
  endTime: "timestamptz",
  priority: "int",
  sequence: "int",
  qsequence: "int",
  version: "int",
  number: "bigint",
  name: "text",
  type: "text",
} as const;

export type CursorField = keyof typeof CURSOR_FIELD_TYPES;

/** A cursor's sort values, by field (see CURSOR_FIELD_TYPES). */
export type CursorValues = Readonly<Partial<Record<CursorField, string | number | null>>>;

/**
 * What a cursor may carry of a row of each model: every field any of its lists sorts by (a list's
 * cursors carry those of its own order, see cursorFieldsOf). Events and schedules' ticks are
 * sorted by their id alone.
 */
export const CURSOR_FIELDS: Readonly<Partial<Record<ModelName, readonly CursorField[]>>> = {
  Job: ["createdAt", "updatedAt", "priority", "number", "endTime"],
  Task: ["qsequence", "sequence", "name", "createdAt"],
  JobOutput: ["name", "type"],
  ApiToken: ["createdAt"],
  User: ["name"],
  WorkerNode: ["name"],
  JobTemplate: ["name", "version"],
  Schedule: ["name"],
};

/** A sort key on a column (by its Prisma field name) that holds no nulls. */
export function sortKey(field: string, ascending: boolean): SortKey {
  return { column: field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), field, ascending, nullable: false };
}

/**
 * The condition "row r comes after the cursor" in an order by `keys` (the last key unique), the
 * cursor's value of each key being `c(key)`.
 */
function comesAfter(r: string, c: (key: SortKey) => string, keys: SortKey[]): string {
  // The common case as a row comparison, which an index on the same keys can answer.
  if (keys.every((k) => !k.nullable && k.ascending === keys[0]!.ascending)) {
    return `(${keys.map((k) => `${r}."${k.column}"`).join(", ")}) ${keys[0]!.ascending ? ">" : "<"} (${keys.map(c).join(", ")})`;
  }
  const [key, ...rest] = keys;
  if (!key) return "false";
  const op = key.ascending ? ">" : "<";
  const a = `${r}."${key.column}"`;
  const b = c(key);
  const tail = rest.length ? comesAfter(r, c, rest) : "false";
  if (!key.nullable) return `(${a} ${op} ${b} or (${a} = ${b} and ${tail}))`;
  const nullsAfter = key.nullsLast ? "true" : "false";
  return `(case when ${a} is null and ${b} is null then ${tail}
                when ${a} is null then ${nullsAfter}
                when ${b} is null then not ${nullsAfter}
                else ${a} ${op} ${b} or (${a} = ${b} and ${tail}) end)`;
}

/**
 * Where a page after a cursor starts, on the rows `r` of `table` sorted by `keys`: the condition
 * and what the statement joins for it. A cursor carries the sort values its row had when its page
 * was read (Page.at), and the page starts from those: the walk goes on where it was whether that
 * row has been deleted since (retention deletes jobs, events and ticks for good) or has moved in
 * the order (a job's priority changed, or its updatedAt at each report). A cursor without them (a
 * list sorted by the id alone, or one made before cursors carried them) starts from its row as
 * it is now; a row that is gone then starts nothing.
 */
function pageStart(r: string, table: string, keys: SortKey[], page: Page, p: SqlParams, idType = "uuid"): { join: string; where: string } {
  const at = page.at ?? {};
  const carried = (k: SortKey) => k.field === "id" || (k.derive ? k.derive.field in at : k.field in CURSOR_FIELD_TYPES && k.field in at);
  if (keys.every(carried)) {
    const values = new Map<SortKey, string>();
    for (const k of keys) {
      if (k.field === "id") values.set(k, `${p.add(page.after)}::${idType}`);
      else if (k.derive) values.set(k, k.derive.sql(`${p.add(at[k.derive.field])}::${CURSOR_FIELD_TYPES[k.derive.field]}`));
      else values.set(k, `${p.add(at[k.field as CursorField])}::${CURSOR_FIELD_TYPES[k.field as CursorField]}`);
    }
    return { join: "", where: comesAfter(r, (k) => values.get(k)!, keys) };
  }
  return { join: ` join ${table} c on c.id = ${p.add(page.after)}::${idType}`, where: comesAfter(r, (k) => `c."${k.column}"`, keys) };
}

/** The fields whose values a cursor of a list sorted by `keys` carries (see Page.at). */
function cursorFieldsOf(keys: ReadonlyArray<Pick<SortKey, "field" | "derive">>): readonly CursorField[] {
  return [...new Set(keys.flatMap((k) => (k.derive ? [k.derive.field] : k.field in CURSOR_FIELD_TYPES ? [k.field as CursorField] : [])))];
}

/** ORDER BY `keys` on `alias`, by column or by field name (in a subquery's rows); `asBigints`: fields that hold an int8's text. */
function orderBy(alias: string, keys: SortKey[], byField = false, asBigints?: ReadonlySet<string>): string {
  return keys
    .map((k) => {
      const name = byField ? `"${k.field}"${asBigints?.has(k.field) ? "::bigint" : ""}` : `"${k.column}"`;
      const nulls = k.nullable ? (k.nullsLast ? " nulls last" : " nulls first") : "";
      return `${alias}.${name} ${k.ascending ? "asc" : "desc"}${nulls}`;
    })
    .join(", ");
}

/** Keys as the list defines them, turned round (nulls too) for a backward walk. */
function walk(keys: SortKey[], page: Page): SortKey[] {
  return page.backward ? keys.map((k) => ({ ...k, ascending: !k.ascending, nullsLast: !k.nullsLast })) : keys;
}

function inListOrder<T>(rows: T[], page: Page): T[] {
  return page.backward ? rows.reverse() : rows;
}

const JOB_ORDER: Record<JobOrderField, ReadonlyArray<Omit<SortKey, "ascending">>> = {
  CREATED_AT: [{ column: "created_at", field: "createdAt", nullable: false }],
  // updated_at to the minute first: its index gives the page's minutes in order, and only their
  // jobs are sorted (updated_at has no ordered index of its own, see the migration updated_at_order).
  UPDATED_AT: [
    { column: "updated_minute", field: "updatedMinute", nullable: false, derive: { field: "updatedAt", sql: toTheMinute } },
    { column: "updated_at", field: "updatedAt", nullable: false },
  ],
  PRIORITY: [{ column: "priority", field: "priority", nullable: false }],
  NUMBER: [{ column: "number", field: "number", nullable: false }],
  // Unfinished jobs have no end time and go last whichever way the list runs.
  END_TIME: [{ column: "end_time", field: "endTime", nullable: true, nullsLast: true }],
};

/**
 * The condition "`column` is one of `ids`", and its parameter. One id, the most common batch (a
 * job by id, a mutation's payload, the job of each task of a job's page: loaders do not cache, so
 * they pass an id as often as it is asked for), gets a plain equality: PostgreSQL plans a prepared
 * statement with an array parameter again at every run (its generic plan guesses the array's
 * length), which cost it four times the statement's own work (docs/performance.md).
 */
export function idIn(column: string, ids: readonly string[]): [string, unknown[]] {
  const distinct = [...new Set(ids)];
  return distinct.length === 1 ? [`${column} = $1::uuid`, distinct] : [`${column} = any($1::uuid[])`, [distinct]];
}

/**
 * How many rows a list holds, from a page read with its count: any row of the page carries it. An
 * empty first page (no cursor, room for rows) shows the list is empty; an empty page after a cursor
 * or of no rows shows nothing, and leaves the count to a statement of its own.
 */
function totalOf(rows: ReadonlyArray<{ pageTotal?: number }>, page: Page, counted: boolean): number | undefined {
  if (!counted || rows.length) return rows[0]?.pageTotal;
  return page.after == null && page.take > 0 ? 0 : undefined;
}

/**
 * `limit n`, written into the statement's text. With the limit a parameter, the generic plan of a
 * prepared page has to guess how many rows it keeps, costs more than the custom plans and is never
 * chosen, so PostgreSQL planned the page again at every run (0.7 ms of a dashboard page's 8). Page
 * sizes are few (they are bounded), so are the texts.
 */
function limitOf(take: number): string {
  if (!Number.isSafeInteger(take) || take < 0) throw new RangeError(`a page of ${take} rows`);
  return `limit ${take}`;
}

/**
 * What a read of jobs returns: the job's `columns` (Prisma's field names; all of them when not
 * given) and, when `template` is given, each job's template under `template`, read in the same
 * statement, with its own `columns`.
 */
export type JobColumns = {
  columns?: ReadonlySet<string> | undefined;
  template?: { columns?: ReadonlySet<string> | undefined } | undefined;
  /** The job's creator, joined (null when it has none). */
  creator?: { columns?: ReadonlySet<string> | undefined } | undefined;
  /** The node that holds or held the job, joined (null when none). */
  node?: { columns?: ReadonlySet<string> | undefined } | undefined;
  /** The job it was created under, joined (null when none): its own columns only, none of its relations. */
  parent?: { columns?: ReadonlySet<string> | undefined } | undefined;
  /** Lists of the job counted in the same statement (children: those not deleted). */
  counts?: readonly JobCount[] | undefined;
  /** First pages of the job's own lists (tasks, outputs, events), read in the same statement (see FirstPage). */
  firsts?: JobFirsts | undefined;
};

/** First pages of a job's own lists, read with the job (see FirstPage): each under its field of JOB_FIRSTS. */
export type JobFirsts = { tasks?: FirstPage<TaskOrder> | undefined; outputs?: FirstPage | undefined; events?: FirstPage | undefined };

/**
 * The first page of a list of each row read (a job's tasks, a user's tokens), read in the row's
 * own statement: a job's detail with its first tasks is one statement, where a page of its own
 * would cost a second round trip. `take` rows from the start of the list, in `order` (the list's
 * own when not given), with `fields` (all when not given) and the rows `joins` names, as the
 * list's own read gives them. The rows come under the row's field for it (`firstTasks`) with this
 * read, so that a resolver can tell the page it asked for from another's.
 */
export type FirstPage<O = unknown> = {
  take: number;
  order?: O | undefined;
  fields?: ReadonlySet<string> | undefined;
  joins?: Joins | undefined;
  /** For a list of jobs, what is read of each (in place of fields and joins). */
  jobs?: JobColumns | undefined;
};

/** A first page a row was read with (see FirstPage): the read, and its rows. */
export type FirstRows<T, O = unknown> = { read: FirstPage<O>; rows: T[] };

export type JobCount = "tasks" | "outputs" | "events" | "children";

/** Each count's subquery on the job `j`, and the field of the row that holds it. */
const COUNTS: Record<JobCount, { field: keyof JobCounts; sql: string }> = {
  tasks: { field: "taskCount", sql: "select count(*) from tasks x where x.job_id = j.id" },
  outputs: { field: "outputCount", sql: "select count(*) from job_outputs x where x.job_id = j.id" },
  events: { field: "eventCount", sql: "select count(*) from job_events x where x.job_id = j.id" },
  children: { field: "childCount", sql: "select count(*) from jobs x where x.parent_id = j.id and x.deleted_at is null" },
};

type JobCounts = { taskCount?: number; outputCount?: number; eventCount?: number; childCount?: number };

/** A job row, with its template, creator, node, parent and counts when the read asked for them. */
export type JobRow = Job & {
  template?: JobTemplate;
  creator?: User | null;
  node?: WorkerNode | null;
  parent?: Job | null;
  firstTasks?: FirstRows<Task, TaskOrder>;
  firstOutputs?: FirstRows<JobOutput>;
  firstEvents?: FirstRows<JobEvent>;
} & JobCounts;

/** The rows a read of jobs can join, and their models. */
const JOINED = [
  ["template", "JobTemplate"],
  ["creator", "User"],
  ["node", "WorkerNode"],
  ["parent", "Job"],
] as const;

/** Whether `row` holds every column of `model` that `columns` names (all of them when undefined). */
function holdsColumns(row: object, model: ModelName, columns: ReadonlySet<string> | undefined): boolean {
  for (const column of columns ?? scalarFieldsOf(model)) if (!(column in row)) return false;
  return true;
}

/**
 * Whether a job row already read holds all that `read` asks for: its columns, the rows it joins
 * (with theirs) and its counts. A job read with a page (a job's tasks, whose `job` is that job)
 * then serves as it is, with no statement of its own.
 */
export function jobRowCovers(row: JobRow, read: JobColumns): boolean {
  if (!holdsColumns(row, "Job", read.columns)) return false;
  for (const [relation, model] of JOINED) {
    const wanted = read[relation];
    if (!wanted) continue;
    const joined = row[relation];
    if (joined === undefined || (joined !== null && !holdsColumns(joined, model, wanted.columns))) return false;
  }
  return (read.counts ?? []).every((count) => row[COUNTS[count].field] !== undefined);
}

type JobSelect = { list: string; join: string; from: string; byId: string; byIds: string };

// By read: a read is made once per field of a document (src/graphql/selection.ts), so these
// statements' texts are made once too, not for every job asked for.
const jobSelects = new WeakMap<JobColumns, JobSelect>();
const jsonJobSelects = new WeakMap<JobColumns, JobSelect>();
const NO_COLUMNS: JobColumns = {};

/**
 * The select list and joins of a read of jobs `j`, and the statements reading them by id;
 * `forJson` for a first page read in its parent's statement (see columnsOf).
 */
function jobSelect(read: JobColumns, forJson = false): JobSelect {
  const selects = forJson ? jsonJobSelects : jobSelects;
  let select = selects.get(read);
  if (!select) {
    // The job's keys of what is joined, so that a row tells a join that found nothing from one not made.
    const keys = [read.template && "templateId", read.creator && "creatorId", read.node && "nodeId", read.parent && "parentId"].filter((k): k is string => Boolean(k));
    let list = columnsOf("Job", "j", read.columns && keys.length ? new Set([...read.columns, ...keys]) : read.columns, "", forJson);
    let join = "";
    if (read.template) {
      list += `, ${columnsOf("JobTemplate", "t", read.template.columns, "template.", forJson)}`;
      join += " join job_templates t on t.id = j.template_id";
    }
    // A page's creators and nodes come with it: a lookup by primary key per row costs PostgreSQL
    // less than another round trip and statement costs both sides.
    if (read.creator) {
      list += `, ${columnsOf("User", "cu", read.creator.columns, "creator.", forJson)}`;
      join += " left join users cu on cu.id = j.creator_id";
    }
    if (read.node) {
      list += `, ${columnsOf("WorkerNode", "wn", read.node.columns, "node.", forJson)}`;
      join += " left join worker_nodes wn on wn.id = j.node_id";
    }
    if (read.parent) {
      list += `, ${columnsOf("Job", "pj", read.parent.columns, "parent.", forJson)}`;
      join += " left join jobs pj on pj.id = j.parent_id";
    }
    // A dashboard's "how many tasks" for each job of a page: an index lookup per row here, where a
    // statement of its own would cost a round trip after the page.
    for (const count of read.counts ?? []) list += `, (${COUNTS[count].sql})::int as "${COUNTS[count].field}"`;
    list += firstPagesOfJob(read.firsts, "j.id");
    // One id as an equality, as idIn() says why.
    const from = `select ${list} from jobs j${join}`;
    select = { list, join, from, byId: `${from} where j.id = $1::uuid`, byIds: `${from} where j.id = any($1::uuid[])` };
    selects.set(read, select);
  }
  return select;
}

const nestedOfReads = new WeakMap<JobColumns, Nested[]>();

/** The rows a read of jobs joins, to nest. */
function jobJoins(read: JobColumns): Nested[] {
  let joins = nestedOfReads.get(read);
  if (!joins) {
    joins = [
      ...(read.template ? [{ key: "template" }] : []),
      ...(read.creator ? [{ key: "creator", foreignKey: "creatorId" }] : []),
      ...(read.node ? [{ key: "node", foreignKey: "nodeId" }] : []),
      ...(read.parent ? [{ key: "parent", foreignKey: "parentId" }] : []),
    ];
    nestedOfReads.set(read, joins);
  }
  return joins;
}

function jobRows(rows: JobRow[], read: JobColumns): JobRow[] {
  return withFirstPages(nestUnder<JobRow>(rows, jobJoins(read)), read.firsts);
}

const firstPagesSql = new WeakMap<JobFirsts, Map<string, string>>();

/**
 * The first pages `firsts` of the job whose id the SQL `parent` gives, as items of a select list
 * (each after a comma): for jobSelect, and for a statement that answers with a job it changed.
 */
export function firstPagesOfJob(firsts: JobFirsts | undefined, parent: string): string {
  if (!firsts) return "";
  let byParent = firstPagesSql.get(firsts);
  if (!byParent) firstPagesSql.set(firsts, (byParent = new Map()));
  let list = byParent.get(parent);
  if (list === undefined) {
    list = "";
    for (const [name, first] of jobFirsts(firsts)) list += `, ${firstPageOf(perJob(JOB_FIRSTS[name].list(first), "f", true).list, JOB_FIRSTS[name].model, parent)} as "${JOB_FIRSTS[name].field}"`;
    byParent.set(parent, list);
  }
  return list;
}

/** Rows read with firstPagesOfJob: each first page turned into the rows of the list's own read, with the read it answers (see FirstRows). */
export function withFirstPages<T>(rows: T[], firsts: JobFirsts | undefined): T[] {
  for (const [name, first] of jobFirsts(firsts)) {
    const { field, model } = JOB_FIRSTS[name];
    const relations = joinedRelations(model, first.joins);
    for (const row of rows as unknown as Array<Record<string, unknown>>) row[field] = { read: first, rows: fromJsonPage(row[field] as Record<string, unknown>[], model, relations) };
  }
  return rows;
}

/**
 * Jobs by id, soft-deleted or not, in no particular order; ids that name no job are left out. Every
 * read here takes the columns its caller needs; rows carry only those.
 */
export async function jobsById(db: Db, ids: readonly string[], read: JobColumns = NO_COLUMNS): Promise<JobRow[]> {
  const select = jobSelect(read);
  const distinct = [...new Set(ids)];
  const rows = await (distinct.length === 1
    ? queryRows<JobRow>(db, select.byId, distinct, true)
    : queryRows<JobRow>(db, select.byIds, [distinct], true));
  return jobRows(rows, read);
}

/** Which end of a job's dependency edges leads on: to the jobs it waits for, or to those waiting for it. */
export type DependencyDirection = "dependencies" | "dependents";

const EDGE_ENDS = {
  dependencies: { from: "job_id", to: "depends_on_id" },
  dependents: { from: "depends_on_id", to: "job_id" },
} as const;

/**
 * The jobs each job's dependency edges lead to in `direction`, by job id, in the order of their
 * numbers (soft-deleted ones included), the first `limit` of each, with what `read` asks for: one
 * statement for the edges and the jobs at their ends, for every job of a page at once (a lateral
 * walk of each job's edges in that order).
 */
export async function jobsAcrossDependencies(db: Db, jobIds: readonly string[], direction: DependencyDirection, read: JobColumns, limit: number): Promise<Map<string, JobRow[]>> {
  const { list, join } = jobSelect(read);
  const { from, to } = EDGE_ENDS[direction];
  const text = `select p.of as "edgeOf", ${list} from (select unnest($1::uuid[]) as of) p
    cross join lateral (select d.${to} as id from job_dependencies d join jobs x on x.id = d.${to} where d.${from} = p.of order by x.number limit $2::int) e
    join jobs j on j.id = e.id${join} order by j.number`;
  const parameters = [[...new Set(jobIds)], limit];
  const rows = await queryRows<JobRow & { edgeOf?: string }>(db, text, parameters, true);
  const found = new Map<string, JobRow[]>(jobIds.map((id) => [id, []]));
  for (const row of jobRows(rows, read) as Array<JobRow & { edgeOf?: string }>) {
    const of = row.edgeOf!;
    delete row.edgeOf;
    found.get(of)!.push(row);
  }
  return found;
}

const JOB_ORDER_CURSORS = Object.fromEntries(Object.entries(JOB_ORDER).map(([field, keys]) => [field, cursorFieldsOf(keys)])) as Record<JobOrderField, readonly CursorField[]>;

/** What the cursors of a page of jobs in `order` carry. */
export const jobCursorFields = (order: JobOrder = defaultJobOrder) => JOB_ORDER_CURSORS[order.field];

// By read and order: the read's columns with the order's fields added, which the page's cursors carry.
const orderReads = new WeakMap<JobColumns, Map<JobOrderField, JobColumns>>();

function orderRead(read: JobColumns, field: JobOrderField): JobColumns {
  if (!read.columns) return read;
  let byOrder = orderReads.get(read);
  if (!byOrder) orderReads.set(read, (byOrder = new Map()));
  let widened = byOrder.get(field);
  if (!widened) {
    widened = { ...read, columns: new Set([...read.columns, ...JOB_ORDER[field].map((k) => k.derive?.field ?? k.field)]) };
    byOrder.set(field, widened);
  }
  return widened;
}

/** `cursors`: whether the page's cursors are asked for, whose rows then carry their order's sort values. */
type JobPageArgs = { filter?: JobFilter; order?: JobOrder; page: Page; read?: JobColumns; cursors?: boolean };

/** A page of the jobs a filter matches, in the order asked for (newest first by default). */
export async function pageOfJobs(db: Db, args: JobPageArgs): Promise<JobRow[]> {
  return (await readPageOfJobs(db, args, false)).rows;
}

/**
 * A page of the jobs a filter matches and how many it matches in all, in one statement (the
 * count runs once, beside the page); an empty page after a cursor is counted on its own.
 */
export async function countedPageOfJobs(db: Db, args: JobPageArgs): Promise<{ rows: JobRow[]; total: number }> {
  const { rows, total } = await readPageOfJobs(db, args, true);
  return { rows, total: total ?? (await countJobs(db, args.filter)) };
}

async function readPageOfJobs(db: Db, args: JobPageArgs, counted: boolean): Promise<{ rows: JobRow[]; total: number | undefined }> {
  const { page } = args;
  const order = args.order ?? defaultJobOrder;
  const ascending = order.direction === "ASC";
  const keys = walk(
    [
      ...JOB_ORDER[order.field].map((key) => ({ ...key, ascending })),
      { column: "id", field: "id", nullable: false, ascending },
    ],
    page,
  );
  const p = new SqlParams();
  const filter = args.filter ?? {};
  const where = jobConditions(filter, p, "j");
  const read = args.cursors ? orderRead(args.read ?? NO_COLUMNS, order.field) : (args.read ?? NO_COLUMNS);
  const { list, join } = jobSelect(read);
  // An uncorrelated subquery: PostgreSQL runs it once for the statement, not per row.
  const total = counted ? `, (select count(*) from jobs jc ${whereClause(jobConditions(filter, p, "jc"))})::int as "pageTotal"` : "";
  let from = `jobs j${join}`;
  if (page.after) {
    const start = pageStart("j", "jobs", keys, page, p);
    from += start.join;
    where.push(start.where);
  }
  const rows = await queryRows<JobRow & { pageTotal?: number }>(
    db,
    `select ${list}${total} from ${from}
      ${whereClause(where)}
      order by ${orderBy("j", keys)} ${limitOf(page.take)}`,
    p.values,
  );
  return { rows: inListOrder(jobRows(rows, read), page), total: totalOf(rows, page, counted) };
}

/**
 * The lists of jobs that other rows lead to: a job's children (soft-deleted ones too when asked),
 * a template version's jobs, the jobs a node holds now, a workflow's jobs.
 */
export type JobList = { of: "parent"; includeDeleted?: boolean } | { of: "template" } | { of: "node" } | { of: "workflow" };

type JobListSpec = { column: string; field: keyof Job & string; keys: SortKey[]; conditions: (list: JobList, alias: string) => string[] };

const notDeleted = (_list: JobList, j: string) => [`${j}.deleted_at is null`];
const oldestFirst = [sortKey("createdAt", true), sortKey("id", true)];

// Each list's order and conditions, as its GraphQL field describes them.
const JOB_LISTS: Record<JobList["of"], JobListSpec> = {
  parent: {
    column: "parent_id",
    field: "parentId",
    keys: oldestFirst,
    conditions: (list, j) => (list.of === "parent" && list.includeDeleted ? [] : [`${j}.deleted_at is null`]),
  },
  template: { column: "template_id", field: "templateId", keys: [sortKey("createdAt", false), sortKey("id", false)], conditions: notDeleted },
  node: {
    column: "node_id",
    field: "nodeId",
    keys: oldestFirst,
    conditions: (_list, j) => [`${j}.status in ('ACQUIRED', 'RUNNING')`, `${j}.deleted_at is null`],
  },
  // Numbers are unique: they break every tie.
  workflow: { column: "workflow_id", field: "workflowId", keys: [sortKey("number", true)], conditions: notDeleted },
};

const JOB_LIST_CURSORS = Object.fromEntries(Object.entries(JOB_LISTS).map(([of, spec]) => [of, cursorFieldsOf(spec.keys)])) as Record<JobList["of"], readonly CursorField[]>;

/** What the cursors of a page of a parent's jobs in `list` carry. */
export const jobListCursorFields = (list: JobList) => JOB_LIST_CURSORS[list.of];

// By read and list: the read's columns with the list's parent and sort keys added, which the
// statement orders and groups by.
const listReads = new WeakMap<JobColumns, Map<JobList["of"], JobColumns>>();

function listRead(read: JobColumns, spec: JobListSpec, of: JobList["of"]): JobColumns {
  if (!read.columns) return read;
  let byList = listReads.get(read);
  if (!byList) listReads.set(read, (byList = new Map()));
  let widened = byList.get(of);
  if (!widened) {
    widened = { ...read, columns: new Set([...read.columns, spec.field, ...spec.keys.map((k) => k.field)]) };
    byList.set(of, widened);
  }
  return widened;
}

/** A page of each parent's jobs in `list`, by parent id, with what `read` asks for. */
export async function jobsOfParents(db: Db, parentIds: readonly string[], list: JobList, page: Page, read: JobColumns = NO_COLUMNS): Promise<Map<string, JobRow[]>> {
  const spec = JOB_LISTS[list.of];
  const wide = listRead(read, spec, list.of);
  const { list: select, join } = jobSelect(wide);
  const pages = await pagesPerParent<JobRow>(db, parentIds, {
    table: "jobs",
    alias: "j",
    parentColumn: spec.column,
    parentField: spec.field,
    select,
    join,
    keys: spec.keys,
    conditions: (_p, j) => spec.conditions(list, j),
    page,
  });
  for (const [id, rows] of pages) pages.set(id, jobRows(rows, wide));
  return pages;
}

/** How many jobs each parent has in `list`, by parent id. */
export async function countJobsOfParents(db: Db, parentIds: readonly string[], list: JobList): Promise<Map<string, number>> {
  const spec = JOB_LISTS[list.of];
  const [parents, values] = idIn(`j.${spec.column}`, parentIds);
  const where = [parents, ...spec.conditions(list, "j")];
  const rows = await queryRows<{ jobId: string; count: number }>(
    db,
    `select j.${spec.column} as "jobId", count(*)::int as count from jobs j where ${where.join(" and ")} group by j.${spec.column}`,
    values,
    true,
  );
  return countsById(parentIds, rows);
}

/**
 * A list of the rows of a table other than jobs (users, templates, worker nodes, schedules): its
 * order, whose last key is unique, and the conditions that choose its rows (on the row `alias`).
 */
export type RowList = { model: ModelName; table: string; keys: SortKey[]; conditions?: (p: SqlParams, alias: string) => string[] };

/**
 * The lists a user, a template, a worker node or a schedule leads to, by the row's model: the
 * field of a row read with their count (see pageOfRows), and the count's subquery on the row `r`,
 * the same count as their loaders' (countTokensOfUsers, countJobsOfParents, countTicksOfSchedules).
 */
const jobListCount = (of: "template" | "node") =>
  `select count(*) from jobs x where ${[`x.${JOB_LISTS[of].column} = r.id`, ...JOB_LISTS[of].conditions({ of }, "x")].join(" and ")}`;
const ROW_COUNTS = {
  User: { tokens: { field: "tokenCount", sql: "select count(*) from api_tokens x where x.user_id = r.id" } },
  JobTemplate: { jobs: { field: "jobCount", sql: jobListCount("template") } },
  WorkerNode: { jobs: { field: "jobCount", sql: jobListCount("node") } },
  Schedule: { ticks: { field: "tickCount", sql: "select count(*) from schedule_ticks x where x.schedule_id = r.id" } },
} as const satisfies Partial<Record<ModelName, Record<string, { field: string; sql: string }>>>;

/** The lists of a row of `M` that a page of such rows can count in its own statement. */
export type RowCount<M extends keyof typeof ROW_COUNTS> = keyof (typeof ROW_COUNTS)[M] & string;

/**
 * The lists of a user or a schedule whose first page a page of such rows can read in its own
 * statement (see FirstPage), by the row's model: the row's field for it, the model of the list's
 * rows, and the list on the row `r`.
 */
const ROW_FIRSTS = {
  User: { tokens: { field: "firstTokens", ...rowsOfParent("ApiToken", (first) => tokensOfUser({ take: first.take }, "f", true)) } },
  Schedule: { ticks: { field: "firstTicks", ...rowsOfParent("ScheduleTick", (first) => ticksOfSchedule({ take: first.take }, "f", true)) } },
  JobTemplate: { jobs: { field: "firstJobs", ...jobsOfParent({ of: "template" }) } },
  WorkerNode: { currentJobs: { field: "firstJobs", ...jobsOfParent({ of: "node" }) } },
} as const satisfies Partial<Record<ModelName, Record<string, FirstList>>>;

/** A list whose first page its parent's statement reads (see firstPageOf), and how its rows are read back. */
type FirstList = { field: string; list: (first: FirstPage) => { spec: PerParent; model: ModelName }; rows: (json: Record<string, unknown>[], first: FirstPage) => object[] };

/** A list of rows of `model` with no rows joined (tokens, ticks), as FirstList. */
function rowsOfParent(model: ModelName, list: (first: FirstPage) => PerParent): Omit<FirstList, "field"> {
  return { list: (first) => ({ spec: list(first), model }), rows: (json) => fromJsonPage(json, model, []) };
}

/**
 * A parent's list of jobs (a template's, a node's), as FirstList: each job with what the page's
 * read says (see FirstPage.jobs), its joined rows and first pages included.
 */
function jobsOfParent(list: JobList): Omit<FirstList, "field"> {
  const spec = JOB_LISTS[list.of];
  const wide = (first: FirstPage) => listRead(first.jobs ?? NO_COLUMNS, spec, list.of);
  return {
    list: (first) => {
      const { list: select, join } = jobSelect(wide(first), true);
      return {
        spec: { table: "jobs", alias: "j", parentColumn: spec.column, parentField: spec.field, select, join, keys: spec.keys, conditions: (_p, j) => spec.conditions(list, j), page: { take: first.take } },
        model: "Job",
      };
    },
    rows: (json, first) => {
      const read = wide(first);
      fromJsonRows(json, [["", "Job"], ...JOINED.filter(([relation]) => read[relation]).map(([relation, model]) => [`${relation}.`, model] as const)]);
      return jobRows(json as unknown as JobRow[], read);
    },
  };
}

/** The lists of a row of `M` whose first page a page of such rows can read in its own statement, with the read of each. */
export type RowFirsts<M extends keyof typeof ROW_FIRSTS> = ReadonlyMap<keyof (typeof ROW_FIRSTS)[M] & string, FirstPage>;

/**
 * A page of a list, every column of its rows, and when `counted`, how many rows the list holds in
 * all, counted in the same statement (undefined when an empty page cannot tell: see totalOf).
 * Each row carries the counts of the lists `counts` names (see ROW_COUNTS): a users page with each
 * one's number of tokens is one statement, where a statement of its own would cost a round trip.
 * The same goes for the rows of TO_ONE that `joins` names (a template's creator), nested under
 * their relation as pagesPerJob nests them. And each carries the first page of the lists `firsts`
 * names (see ROW_FIRSTS), under the list's field there.
 */
export async function pageOfRows<T>(
  db: Db,
  list: RowList,
  page: Page,
  counted: boolean,
  counts: readonly string[] = [],
  joins?: Joins,
  firsts?: ReadonlyMap<string, FirstPage>,
): Promise<{ rows: T[]; total: number | undefined }> {
  const keys = walk(list.keys, page);
  const p = new SqlParams();
  const where = list.conditions?.(p, "r") ?? [];
  let total = counted ? `, (select count(*) from ${list.table} rc ${whereClause(list.conditions?.(p, "rc") ?? [])})::int as "pageTotal"` : "";
  const countsOfModel = (ROW_COUNTS as Partial<Record<ModelName, Record<string, { field: string; sql: string }>>>)[list.model] ?? {};
  for (const name of counts) total += `, (${countsOfModel[name]!.sql})::int as "${countsOfModel[name]!.field}"`;
  const firstsOfModel = (ROW_FIRSTS as Partial<Record<ModelName, Record<string, FirstList>>>)[list.model] ?? {};
  const firstLists = [...(firsts ?? [])].map(([name, read]) => ({ read, ...firstsOfModel[name]! }));
  for (const first of firstLists) {
    const { spec, model } = first.list(first.read);
    total += `, ${firstPageOf(spec, model, "r.id")} as "${first.field}"`;
  }
  const joined = joinedSql(list.model, joins);
  total += joined.list;
  let from = `${list.table} r${joined.from}`;
  if (page.after) {
    const start = pageStart("r", list.table, keys, page, p);
    from += start.join;
    where.push(start.where);
  }
  const rows = await queryRows<T & { pageTotal?: number }>(
    db,
    `select ${columnsOf(list.model, "r")}${total} from ${from} ${whereClause(where)} order by ${orderBy("r", keys)} ${limitOf(page.take)}`,
    p.values,
  );
  const nested = joined.nest<T & { pageTotal?: number }>(rows);
  for (const { read, field, rows: fromJson } of firstLists) {
    for (const row of nested as Array<Record<string, unknown>>) row[field] = { read, rows: fromJson(row[field] as Record<string, unknown>[], read) };
  }
  return { rows: inListOrder(nested, page), total: totalOf(rows, page, counted) };
}

/** How many rows a list holds. */
export async function countRows(db: Db, list: RowList): Promise<number> {
  const p = new SqlParams();
  const rows = await queryRows<{ count: number }>(db, `select count(*)::int as count from ${list.table} r ${whereClause(list.conditions?.(p, "r") ?? [])}`, p.values);
  return rows[0]!.count;
}

/** The latest version of each template name that is not deleted, in no particular order, with the rows `joins` names (see rowsById). */
export async function latestTemplatesByName(db: Db, names: readonly string[], joins?: Joins): Promise<JobTemplate[]> {
  const joined = joinedSql("JobTemplate", joins);
  return joined.nest<JobTemplate>(
    await queryRows<object>(
      db,
      `select distinct on (r.name) ${columnsOf("JobTemplate", "r")}${joined.list} from job_templates r${joined.from}
        where r.name = any($1::text[]) and r.deleted_at is null order by r.name, r.version desc`,
      [names],
      true,
    ),
  );
}

/**
 * Rows of a table by id, in no particular order, as Prisma returns them: the rows a page's
 * relations lead to (creators, nodes, workflows, tasks), which Prisma's client would spend most of
 * a small read's CPU on. `more`: further items of the select list (each after a comma) on the row
 * `r`; `joins`: the rows of TO_ONE to read with each, nested under their relation as pageOfRows does.
 */
export async function rowsById<T>(db: Db, model: ModelName, table: string, ids: readonly string[], more = "", joins?: Joins): Promise<T[]> {
  const [where, values] = idIn("r.id", ids);
  const joined = joinedSql(model, joins);
  return joined.nest<T>(await queryRows<object>(db, `select ${columnsOf(model, "r")}${more}${joined.list} from ${table} r${joined.from} where ${where}`, values, true));
}

/** A unique key of a table: its columns, each with the PostgreSQL type its text is cast to. */
export type UniqueKey = ReadonlyArray<readonly [column: string, type: string]>;

/**
 * The condition "the `key` columns of `alias` hold one of `values`" (each a tuple of texts, one
 * per column), and its parameters. One tuple, the usual batch of a lookup by key, as equalities,
 * as idIn() says why; several as arrays, one per column.
 */
function keyIn(alias: string, key: UniqueKey, values: ReadonlyArray<readonly string[]>): [string, unknown[]] {
  const distinct = [...new Map(values.map((v) => [v.join("\u0000"), v])).values()];
  if (distinct.length === 1) return [key.map(([column, type], i) => `${alias}.${column} = $${i + 1}::${type}`).join(" and "), [...distinct[0]!]];
  const arrays = key.map((_, i) => distinct.map((v) => v[i]));
  if (key.length === 1) return [`${alias}.${key[0]![0]} = any($1::${key[0]![1]}[])`, arrays];
  const columns = key.map(([column]) => `${alias}.${column}`).join(", ");
  return [`(${columns}) in (select * from unnest(${key.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")}))`, arrays];
}

/**
 * Rows of a table by a unique key (an id of another type than uuid, a number, a name...), in no
 * particular order, as Prisma returns them: the lookups by key of the API's queries, in one
 * statement for all those of a request. `more` as for rowsById.
 */
export async function rowsByKey<T>(db: Db, model: ModelName, table: string, key: UniqueKey, values: ReadonlyArray<readonly string[]>, more = "", joins?: Joins): Promise<T[]> {
  const [where, parameters] = keyIn("r", key, values);
  const joined = joinedSql(model, joins);
  return joined.nest<T>(await queryRows<object>(db, `select ${columnsOf(model, "r")}${more}${joined.list} from ${table} r${joined.from} where ${where}`, parameters, true));
}

/** Events by id (the text of their bigint), in no particular order, with the rows `joins` names (see rowsById). */
export function eventsByIds(db: Db, ids: readonly string[], joins?: Joins): Promise<JobEvent[]> {
  return rowsByKey<JobEvent>(db, "JobEvent", "job_events", [["id", "bigint"]], ids.map((id) => [id]), "", joins);
}

// By read: the read of jobsByNumbers, whose rows carry their number whatever the read asked for.
const readsWithNumber = new WeakMap<JobColumns, JobColumns>();

/**
 * Jobs by number (its text), soft-deleted or not, in no particular order, with the columns asked
 * for (see jobsById) and their number, which tells which row answers which number.
 */
export async function jobsByNumbers(db: Db, numbers: readonly string[], asked: JobColumns = NO_COLUMNS): Promise<JobRow[]> {
  let read = readsWithNumber.get(asked);
  if (!read) readsWithNumber.set(asked, (read = asked.columns ? { ...asked, columns: new Set([...asked.columns, "number"]) } : asked));
  const select = jobSelect(read);
  const [where, values] = keyIn("j", [["number", "bigint"]], numbers.map((n) => [n]));
  return jobRows(await queryRows<JobRow>(db, `${select.from} where ${where}`, values, true), read);
}

/** Tasks by id, in no particular order, with the rows `joins` names (see rowsById). */
export function tasksByIds(db: Db, ids: readonly string[], joins?: Joins): Promise<Task[]> {
  return rowsById<Task>(db, "Task", "tasks", ids, "", joins);
}

/** Templates by id, in no particular order, with the rows `joins` names (see rowsById). */
export function templatesById(db: Db, ids: readonly string[], joins?: Joins): Promise<JobTemplate[]> {
  return rowsById<JobTemplate>(db, "JobTemplate", "job_templates", ids, "", joins);
}

const TASK_ORDER: Record<TaskOrderField, Omit<SortKey, "ascending">> = {
  QSEQUENCE: { column: "qsequence", field: "qsequence", nullable: false },
  SEQUENCE: { column: "sequence", field: "sequence", nullable: false },
  NAME: { column: "name", field: "name", nullable: false },
  CREATED_AT: { column: "created_at", field: "createdAt", nullable: false },
};

function taskConditions(filter: TaskFilter, p: SqlParams, t: string): string[] {
  const where: string[] = [];
  if (filter.name != null) where.push(`${t}.name = ${p.add(filter.name)}::text`);
  if (filter.status?.length) where.push(p.in(`${t}.status`, filter.status, `"TaskStatus"`));
  if (filter.sequence != null) where.push(`${t}.sequence = ${p.add(filter.sequence)}::int`);
  if (filter.mapTaskId != null) where.push(`${t}.map_task_id = ${p.add(filter.mapTaskId)}::uuid`);
  if (filter.mapChildren != null) where.push(`${t}.map_task_id is ${filter.mapChildren ? "not " : ""}null`);
  return where;
}

type PerParent = {
  /** The table read, under `alias` in `select` and `join`. */
  table: string;
  alias: string;
  /** The type of the table's id, which cursors name. */
  idType?: "uuid" | "bigint";
  /** The column that names the parent, and the field it is read as (in `select`). */
  parentColumn: string;
  parentField: string;
  /** The select list (with the parent field and every key's field in it) and what it joins. */
  select: string;
  join?: string;
  keys: SortKey[];
  conditions: (p: SqlParams, alias: string) => string[];
  page: Page;
};

/**
 * One page of rows per parent, for each of `parentIds`, in one statement: a lateral subquery per
 * parent walks its own index, so a job with a million tasks costs no more than one with twenty.
 * One parent (a job's detail) is read without the lateral: PostgreSQL cannot know the length of an
 * array parameter in a generic plan, so it planned that statement again at every run.
 */
async function pagesPerParent<T extends Record<string, unknown>>(db: Db, parentIds: readonly string[], spec: PerParent): Promise<Map<string, T[]>> {
  const { page } = spec;
  const keys = walk(spec.keys, page);
  const p = new SqlParams();
  const distinct = [...new Set(parentIds)];
  const parent = distinct.length === 1 ? p.add(distinct[0]) : "parent.id";
  const parents = distinct.length === 1 ? "" : p.add(distinct);
  const pageOfOne = pageOfParent(spec, keys, p, parent);
  const rows = await queryRows<T>(
    db,
    parents
      ? `select page.* from unnest(${parents}::uuid[]) with ordinality as parent(id, position)
          cross join lateral (${pageOfOne}) page
          order by parent.position, ${orderBy("page", keys, true)}`
      : pageOfOne,
    p.values,
  );
  const pages = new Map<string, T[]>(parentIds.map((id) => [id, []]));
  for (const row of rows) pages.get(row[spec.parentField] as string)!.push(row);
  if (page.backward) for (const list of pages.values()) list.reverse();
  return pages;
}

/** The statement of the page of one parent's rows, the parent's id being `parent` (a parameter, or a column of the statement around it). */
function pageOfParent(spec: PerParent, keys: SortKey[], p: SqlParams, parent: string): string {
  const { page, alias: r } = spec;
  const where = [`${r}.${spec.parentColumn} = ${parent}`, ...spec.conditions(p, r)];
  let from = `${spec.table} ${r}${spec.join ?? ""}`;
  if (page.after) {
    const start = pageStart(r, spec.table, keys, page, p, spec.idType);
    from += start.join;
    where.push(start.where);
  }
  return `select ${spec.select} from ${from} where ${where.join(" and ")} order by ${orderBy(r, keys)} ${limitOf(page.take)}`;
}

/**
 * A first page (see FirstPage) as a subquery of its parent's statement, `parent` naming the
 * parent's id there: its rows (of `model`) as one JSON array, in the list's order. The list's alias
 * in `spec` must not be the parent's. The list's rows are read as fromJsonPage reads them back.
 */
function firstPageOf(spec: PerParent, model: ModelName, parent: string): string {
  const p = new SqlParams();
  const pageOfOne = pageOfParent(spec, spec.keys, p, parent);
  // The page's conditions are fixed (a first page of an unfiltered list): its SQL is made once
  // per read, into statements whose parameters are the parent's.
  if (p.values.length) throw new Error("a first page read with its parent takes no parameters");
  // Its int8 columns come as text (see columnsOf), and are ordered by as numbers.
  return `(select coalesce(json_agg(x order by ${orderBy("x", spec.keys, true, typedFieldsOf(model, "BigInt"))}), '[]') from (${pageOfOne}) x)`;
}

/** The rows of a first page, as its parent's statement gave them (see firstPageOf), in the shape of the list's own read. */
function fromJsonPage<T extends object>(rows: Record<string, unknown>[], model: ModelName, relations: ReturnType<typeof joinedRelations>): T[] {
  fromJsonRows(rows, [["", model], ...relations.map((r) => [`${r.name}.`, r.model] as const)]);
  return relations.length ? nestUnder<T>(rows, relations.map((r) => ({ key: r.name, foreignKey: r.key }))) : (rows as T[]);
}

/**
 * The rows that a task, template, workflow, event, schedule or API token leads to by a foreign key,
 * which a page of them, or a lookup by id, reads in its own statement, as a page of jobs reads its
 * creators and nodes: by relation, the model and table of the row, and the key's field and column.
 */
export const TO_ONE = {
  Task: {
    mapTask: { model: "Task", table: "tasks", key: "mapTaskId", column: "map_task_id" },
    createdByTask: { model: "Task", table: "tasks", key: "createdByTaskId", column: "created_by_task_id" },
    stoppedBy: { model: "Task", table: "tasks", key: "stoppedByTaskId", column: "stopped_by_task_id" },
  },
  JobTemplate: {
    creator: { model: "User", table: "users", key: "creatorId", column: "creator_id" },
  },
  Workflow: {
    creator: { model: "User", table: "users", key: "creatorId", column: "creator_id" },
  },
  JobEvent: {
    task: { model: "Task", table: "tasks", key: "taskId", column: "task_id" },
    actorUser: { model: "User", table: "users", key: "actorUserId", column: "actor_user_id" },
    actorNode: { model: "WorkerNode", table: "worker_nodes", key: "actorNodeId", column: "actor_node_id" },
  },
  Schedule: {
    creator: { model: "User", table: "users", key: "creatorId", column: "creator_id" },
  },
  ApiToken: {
    user: { model: "User", table: "users", key: "userId", column: "user_id" },
    node: { model: "WorkerNode", table: "worker_nodes", key: "nodeId", column: "node_id" },
  },
} as const satisfies Record<string, Record<string, { model: ModelName; table: string; key: string; column: string }>>;

/**
 * Relations of TO_ONE read with each row of a page, each with the columns of its row (all when
 * undefined); a row whose key is null holds null there.
 */
export type Joins = ReadonlyMap<string, ReadonlySet<string> | undefined>;

/** The relations of TO_ONE that `joins` names for rows of `model`, each with its table's alias in the statement. */
function joinedRelations(model: ModelName, joins: Joins | undefined) {
  return [...(joins ?? [])].map(([name, columns], i) => ({
    name,
    columns,
    alias: `o${i}`,
    ...(TO_ONE as Record<string, Record<string, { model: ModelName; table: string; key: string; column: string }>>)[model]![name]!,
  }));
}

/**
 * The rows of TO_ONE that `joins` names for rows of `model` under the alias `r`: the items of the
 * select list (each after a comma), the left joins, and how to nest the rows read under their
 * relation (null where the key is null).
 */
function joinedSql(model: ModelName, joins: Joins | undefined) {
  const relations = joinedRelations(model, joins);
  let list = "";
  let from = "";
  for (const relation of relations) {
    list += `, ${columnsOf(relation.model, relation.alias, relation.columns, `${relation.name}.`)}`;
    from += ` left join ${relation.table} ${relation.alias} on ${relation.alias}.id = r.${relation.column}`;
  }
  const nested = relations.map((r) => ({ key: r.name, foreignKey: r.key }));
  return { list, from, nest: <T>(rows: object[]): T[] => (nested.length ? nestUnder<object>(rows, nested) : rows) as T[] };
}

/** A list of a job's own rows (tasks, outputs, events): their order and conditions, the page, and what is read of each row. */
type OfJob = {
  model: "Task" | "JobOutput" | "JobEvent";
  table: string;
  idType?: "uuid" | "bigint";
  keys: SortKey[];
  conditions: PerParent["conditions"];
  page: Page;
  fields?: ReadonlySet<string> | undefined;
  joins?: Joins | undefined;
};

/**
 * A job's list as pagesPerParent reads it, its rows under `alias`, with `fields` (all when not
 * given) and the rows `joins` names; `forJson` for a first page read in the job's statement.
 */
function perJob(spec: OfJob, alias: string, forJson = false): { list: PerParent; relations: ReturnType<typeof joinedRelations> } {
  const { model, fields, joins, ...rest } = spec;
  const relations = joinedRelations(model, joins);
  let select = columnsOf(model, alias, fields && new Set([...fields, "jobId", ...spec.keys.map((k) => k.field), ...relations.map((j) => j.key)]), "", forJson);
  let join = "";
  for (const relation of relations) {
    select += `, ${columnsOf(relation.model, relation.alias, relation.columns, `${relation.name}.`, forJson)}`;
    join += ` left join ${relation.table} ${relation.alias} on ${relation.alias}.id = ${alias}.${relation.column}`;
  }
  return { list: { ...rest, alias, parentColumn: "job_id", parentField: "jobId", select, join }, relations };
}

/** A page of rows of a job's own list (tasks, outputs, events) per job, with `fields` (all when not given) and the rows `joins` names. */
async function pagesPerJob<T extends Record<string, unknown>>(db: Db, jobIds: readonly string[], spec: OfJob): Promise<Map<string, T[]>> {
  const { list, relations } = perJob(spec, "r");
  const pages = await pagesPerParent<T>(db, jobIds, list);
  if (!relations.length) return pages;
  const nested = relations.map((relation) => ({ key: relation.name, foreignKey: relation.key }));
  for (const [id, rows] of pages) pages.set(id, nestUnder<T>(rows, nested));
  return pages;
}

/** A page of tasks of each job, by job id, in the order asked for (arrival by default). */
export function tasksOfJobs(
  db: Db,
  jobIds: readonly string[],
  args: { filter?: TaskFilter; order?: TaskOrder | undefined; page: Page; fields?: ReadonlySet<string> | undefined; joins?: Joins | undefined },
) {
  return pagesPerJob<Task>(db, jobIds, ofJobTasks(args, args.page));
}

/** A job's tasks as a list of its rows (see OfJob). */
function ofJobTasks(args: { filter?: TaskFilter; order?: TaskOrder | undefined; fields?: ReadonlySet<string> | undefined; joins?: Joins | undefined }, page: Page): OfJob {
  const order = args.order ?? defaultTaskOrder;
  const ascending = order.direction === "ASC";
  // qsequence is unique within a job, so it breaks every tie among a job's tasks.
  const keys: SortKey[] =
    order.field === "QSEQUENCE"
      ? [{ ...TASK_ORDER.QSEQUENCE, ascending }]
      : [{ ...TASK_ORDER[order.field], ascending }, { ...TASK_ORDER.QSEQUENCE, ascending }];
  return { model: "Task", table: "tasks", keys, conditions: (p, alias) => taskConditions(args.filter ?? {}, p, alias), page, fields: args.fields, joins: args.joins };
}



const TASK_ORDER_CURSORS = Object.fromEntries(
  Object.keys(TASK_ORDER).map((field) => [field, cursorFieldsOf(ofJobTasks({ order: { field: field as TaskOrderField, direction: "ASC" } }, { take: 0 }).keys)]),
) as Record<TaskOrderField, readonly CursorField[]>;

/** What the cursors of a page of a job's tasks in `order` carry. */
export const taskCursorFields = (order: TaskOrder = defaultTaskOrder) => TASK_ORDER_CURSORS[order.field];

/** How many tasks of each job a filter matches, by job id. */
export async function countTasksOfJobs(db: Db, jobIds: readonly string[], filter: TaskFilter = {}): Promise<Map<string, number>> {
  const p = new SqlParams();
  const where = [p.in("t.job_id", jobIds, "uuid"), ...taskConditions(filter, p, "t")];
  const rows = await queryRows<{ jobId: string; count: number }>(
    db,
    `select t.job_id as "jobId", count(*)::int as count from tasks t where ${where.join(" and ")} group by t.job_id`,
    p.values,
  );
  return countsById(jobIds, rows);
}

function countsById(ids: readonly string[], rows: Array<{ jobId: string; count: number }>): Map<string, number> {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.jobId, row.count);
  return counts;
}

const OUTPUT_ORDER: SortKey[] = [
  { column: "name", field: "name", nullable: false, ascending: true },
  { column: "type", field: "type", nullable: false, ascending: true },
  { column: "id", field: "id", nullable: false, ascending: true },
];

/** A page of outputs of each job, by job id, by name then type. */
export function outputsOfJobs(db: Db, jobIds: readonly string[], page: Page, fields?: ReadonlySet<string>) {
  return pagesPerJob<JobOutput>(db, jobIds, ofJobOutputs(page, fields));
}

/** A job's outputs as a list of its rows (see OfJob). */
function ofJobOutputs(page: Page, fields?: ReadonlySet<string>): OfJob {
  return { model: "JobOutput", table: "job_outputs", keys: OUTPUT_ORDER, conditions: () => [], page, fields };
}

/** Outputs by id (the outputs the inputs of a page of jobs refer to). */
export function outputsByIds(db: Db, ids: readonly string[]): Promise<JobOutput[]> {
  return rowsById<JobOutput>(db, "JobOutput", "job_outputs", ids);
}

/** How many rows of `table` each parent has (by `parentColumn`), by parent id. */
async function countsPerParent(db: Db, table: string, parentColumn: string, parentIds: readonly string[]): Promise<Map<string, number>> {
  const [parents, values] = idIn(`r.${parentColumn}`, parentIds);
  const rows = await queryRows<{ jobId: string; count: number }>(
    db,
    `select r.${parentColumn} as "jobId", count(*)::int as count from ${table} r where ${parents} group by r.${parentColumn}`,
    values,
    true,
  );
  return countsById(parentIds, rows);
}

/** How many outputs each job has, by job id. */
export function countOutputsOfJobs(db: Db, jobIds: readonly string[]): Promise<Map<string, number>> {
  return countsPerParent(db, "job_outputs", "job_id", jobIds);
}

const EVENT_ORDER: SortKey[] = [{ column: "id", field: "id", nullable: false, ascending: true }];

/** A page of events of each job, by job id, oldest first. */
export function eventsOfJobs(db: Db, jobIds: readonly string[], page: Page, fields?: ReadonlySet<string>, joins?: Joins) {
  return pagesPerJob<JobEvent>(db, jobIds, ofJobEvents(page, fields, joins));
}

/** A job's events as a list of its rows (see OfJob). */
function ofJobEvents(page: Page, fields?: ReadonlySet<string>, joins?: Joins): OfJob {
  return { model: "JobEvent", table: "job_events", idType: "bigint", keys: EVENT_ORDER, conditions: () => [], page, fields, joins };
}

/**
 * The job's own lists whose first page a read of jobs can hold (see JobFirsts): the row's field
 * for each, the model of its rows, and the list for a first page.
 */
const JOB_FIRSTS = {
  tasks: { field: "firstTasks", model: "Task", list: (first: FirstPage<TaskOrder>) => ofJobTasks(first, { take: first.take }) },
  outputs: { field: "firstOutputs", model: "JobOutput", list: (first: FirstPage<unknown>) => ofJobOutputs({ take: first.take }, first.fields) },
  events: { field: "firstEvents", model: "JobEvent", list: (first: FirstPage<unknown>) => ofJobEvents({ take: first.take }, first.fields, first.joins) },
} as const;

/** The first pages a read of jobs holds, by list. */
function jobFirsts(firsts: JobFirsts | undefined): Array<[keyof JobFirsts, FirstPage<TaskOrder>]> {
  return firsts ? (Object.entries(firsts).filter(([, first]) => first) as Array<[keyof JobFirsts, FirstPage<TaskOrder>]>) : [];
}

/** How many events each job has, by job id. */
export function countEventsOfJobs(db: Db, jobIds: readonly string[]): Promise<Map<string, number>> {
  return countsPerParent(db, "job_events", "job_id", jobIds);
}

/** A page of each user's API tokens, newest first, by user id. */
export function tokensOfUsers(db: Db, userIds: readonly string[], page: Page): Promise<Map<string, ApiToken[]>> {
  return pagesPerParent<ApiToken>(db, userIds, tokensOfUser(page, "r"));
}

/** A user's tokens as pagesPerParent reads them, under `alias`. */
function tokensOfUser(page: Page, alias: string, forJson = false): PerParent {
  return {
    table: "api_tokens",
    alias,
    parentColumn: "user_id",
    parentField: "userId",
    select: columnsOf("ApiToken", alias, undefined, "", forJson),
    keys: [sortKey("createdAt", false), sortKey("id", false)],
    conditions: () => [],
    page,
  };
}

/** How many API tokens each user has, by user id. */
export function countTokensOfUsers(db: Db, userIds: readonly string[]): Promise<Map<string, number>> {
  return countsPerParent(db, "api_tokens", "user_id", userIds);
}

/** A page of each schedule's ticks, the latest handled first, by schedule id. */
export function ticksOfSchedules(db: Db, scheduleIds: readonly string[], page: Page): Promise<Map<string, ScheduleTick[]>> {
  return pagesPerParent<ScheduleTick>(db, scheduleIds, ticksOfSchedule(page, "r"));
}

/** A schedule's ticks as pagesPerParent reads them, under `alias`. */
function ticksOfSchedule(page: Page, alias: string, forJson = false): PerParent {
  return {
    table: "schedule_ticks",
    alias,
    idType: "bigint",
    parentColumn: "schedule_id",
    parentField: "scheduleId",
    select: columnsOf("ScheduleTick", alias, undefined, "", forJson),
    keys: [sortKey("id", false)],
    conditions: () => [],
    page,
  };
}

/** How many ticks each schedule has handled, by schedule id. */
export function countTicksOfSchedules(db: Db, scheduleIds: readonly string[]): Promise<Map<string, number>> {
  return countsPerParent(db, "schedule_ticks", "schedule_id", scheduleIds);
}

/** The latest `last` attempts at each job, by job id, oldest first. */
export async function attemptsOfJobs(db: Db, jobIds: readonly string[], last: number): Promise<Map<string, JobAttempt[]>> {
  // Each job's attempts walked newest first, as far as `last` goes.
  const rows = await queryRows<JobAttempt>(
    db,
    `select x.* from unnest($1::uuid[]) as p(id)
     cross join lateral (select ${ATTEMPT_COLUMNS} from job_attempts a where a.job_id = p.id order by a.number desc limit $2::int) x
     order by x."jobId", x.number`,
    [[...new Set(jobIds)], last],
    true,
  );
  const found = new Map<string, JobAttempt[]>(jobIds.map((id) => [id, []]));
  for (const row of rows) found.get(row.jobId)?.push(row);
  return found;
}

const ATTEMPT_COLUMNS = columnsOf("JobAttempt", "a");

/**
 * The lowest sequence among each job's tasks that have not succeeded, by job id (null when every
 * task has): a task may start only if its sequence is no higher (startTask's staging).
 */
export async function lowestUnsucceededSequences(db: Db, jobIds: readonly string[]): Promise<Map<string, number | null>> {
  const rows = await queryRows<{ jobId: string; sequence: number }>(
    db,
    `select t.job_id as "jobId", min(t.sequence)::int as sequence from tasks t where t.job_id = any($1::uuid[]) and t.status <> 'SUCCEEDED' group by t.job_id`,
    [jobIds],
    true,
  );
  const found = new Map<string, number | null>(jobIds.map((id) => [id, null]));
  for (const row of rows) found.set(row.jobId, row.sequence);
  return found;
}
