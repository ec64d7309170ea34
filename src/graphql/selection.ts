// Which columns a query needs: the batched reads (src/domain/job-reads.ts) fetch only the columns
// behind the fields a client selected. Parsing and collecting rows is most of a big page's cost,
// and a dashboard's page of jobs with their tasks asks for a handful of a task's 25 columns.
import { getArgumentValues, isObjectType, Kind, visit, BREAK, type ASTNode, type FieldNode, type FragmentSpreadNode, type GraphQLResolveInfo, type InlineFragmentNode, type SelectionSetNode } from "graphql";
import { scalarFieldsOf, type ModelName } from "../db/rows.js";
import { TO_ONE, type FirstPage, type JobColumns, type JobCount, type JobFirsts, type Joins } from "../domain/job-reads.js";

/**
 * Columns (by Prisma field name) that a GraphQL field of each type reads, for fields that are not
 * simply a column of the same name. A field named in neither place makes the read fetch every
 * column, so a new field is never served from a row that lacks what it reads; the test that
 * selects each field alone (test/api/column-selection.test.ts) shows where an entry is wrong.
 */
const READS: Record<ModelName, Record<string, readonly string[]>> = {
  Job: {
    id: [],
    isCancelled: ["status"],
    template: ["templateId"],
    parent: ["parentId"],
    children: [],
    node: ["nodeId"],
    creator: ["creatorId"],
    workflow: ["workflowId"],
    attempts: [],
    attemptCount: ["attempts"],
    retryPolicy: ["maxAttempts", "retryBackoffBaseSeconds", "retryBackoffCapSeconds", "retryJitter", "retryOn"],
    tasks: [],
    outputs: [],
    events: [],
    queuePosition: [],
    log: [],
    logStats: [],
    estimatedEndTime: ["status"],
    stalled: ["status", "stallAfterSeconds", "lastReportAt"],
    stalledSince: ["status", "stallAfterSeconds", "lastReportAt"],
    whyNotRunning: [],
    estimatedStartTime: ["status", "deletedAt", "queue", "runAfter"],
  },
  Task: {
    id: [],
    job: ["jobId"],
    log: ["jobId"],
    executor: ["executorName", "executorVersion"],
    requirements: ["cpu", "memory"],
    limitations: ["maxExecutionTimeInSeconds"],
    createdByTask: ["createdByTaskId"],
    mapTask: ["mapTaskId"],
    stoppedBy: ["stoppedByTaskId"],
    events: [],
    // What canOnTask reads of the task; its job's columns come through the job loader.
    viewerCanStart: ["jobId", "status", "sequence"],
    viewerCanReportProgress: ["jobId", "status"],
    viewerCanFinish: ["jobId", "status"],
    timeLimitAt: ["timeLimitAt", "status"],
    viewerCanReset: ["jobId", "status"],
    viewerCanRetry: ["jobId", "status"],
  },
  JobOutput: { id: [], job: ["jobId"], downloadUrl: [] },
  JobTemplate: { id: [], creator: ["creatorId"] },
  JobEvent: { id: [], job: ["jobId"], task: ["taskId"], actorUser: ["actorUserId"], actorNode: ["actorNodeId"] },
  JobAttempt: { node: ["nodeId"] },
  User: {},
  WorkerNode: {},
  Workflow: {},
  ApiToken: {},
  ScheduleTick: {},
  Schedule: {},
};

/** What `can()` reads of a job (src/domain/permissions.ts), for every viewerCan* field. */
const PERMISSION_COLUMNS = ["status", "deletedAt", "creatorId", "nodeId"];

/** Whether a fragment is deferred (@defer, unless `if: false` says otherwise). */
function deferred(fragment: InlineFragmentNode | FragmentSpreadNode): boolean {
  const directive = fragment.directives?.find((d) => d.name.value === "defer");
  if (!directive) return false;
  const condition = directive.arguments?.find((a) => a.name.value === "if")?.value;
  return !(condition?.kind === Kind.BOOLEAN && !condition.value);
}

/**
 * The fields of a selection set, through fragments; `eager` leaves out what @defer puts off, for
 * the reads a parent's statement makes for its relations (first pages, counts): a deferred list
 * is read when its part is, not before the first part is sent.
 */
function fieldsOf(set: SelectionSetNode, info: GraphQLResolveInfo, into: FieldNode[] = [], eager = false): FieldNode[] {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) into.push(selection);
    else if (eager && deferred(selection)) continue;
    else if (selection.kind === Kind.INLINE_FRAGMENT) fieldsOf(selection.selectionSet, info, into, eager);
    else {
      const fragment = info.fragments[selection.name.value];
      if (fragment) fieldsOf(fragment.selectionSet, info, into, eager);
    }
  }
  return into;
}

/**
 * The names of the fields selected below the resolving field, at `path` under it (for a
 * connection, ["edges", "node"]), through fragments. @skip and @include are not evaluated: a
 * field they leave out still counts, which can only fetch a column too many.
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  return namesBelow(info.fieldNodes, info, path);
}

/** The names of the fields selected below `nodes`, at `path` under them, as selectedFields gives them. */
function namesBelow(nodes: readonly FieldNode[], info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  return new Set(fieldNodesBelow(nodes, info, path).map((f) => f.name.value));
}

/** The field nodes selected below the resolving field, at `path` under it, through fragments. */
function fieldNodesAt(info: GraphQLResolveInfo, path: readonly string[], eager = false): FieldNode[] {
  return fieldNodesBelow(info.fieldNodes, info, path, eager);
}

/** The field nodes selected below `nodes`, at `path` under them, through fragments (`eager`: those not deferred, see fieldsOf). */
function fieldNodesBelow(nodes: readonly FieldNode[], info: GraphQLResolveInfo, path: readonly string[], eager = false): FieldNode[] {
  let sets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    sets = sets.flatMap((set) => fieldsOf(set, info, [], eager).filter((f) => f.name.value === name && f.selectionSet).map((f) => f.selectionSet!));
  }
  return sets.flatMap((set) => fieldsOf(set, info, [], eager));
}

/** Arguments that choose a page of a list or its order, not which items it holds: they leave its totalCount as it is. */
const PAGE_ARGUMENTS = new Set(["first", "last", "after", "before", "orderBy"]);

const JOB_LISTS: ReadonlyArray<[string, JobCount]> = [
  ["tasks", "tasks"],
  ["outputs", "outputs"],
  ["events", "events"],
  ["children", "children"],
];

/**
 * The lists of a job whose totalCount is selected without a filter (children: without deleted
 * ones), which the read of the job counts in its own statement. The list's resolver takes the
 * count from the row only when its own arguments filter nothing, so a filtered alias beside an
 * unfiltered one is still counted by its loader.
 */
function countsSelected(fields: FieldNode[], info: GraphQLResolveInfo): JobCount[] {
  return countedAmong(fields, info, JOB_LISTS);
}

/** Of `lists` (a GraphQL field, and the name its count is read by), those among `fields` selected with their totalCount and no argument that filters. */
function countedAmong<T extends string>(fields: readonly FieldNode[], info: GraphQLResolveInfo, lists: ReadonlyArray<readonly [string, T]>): T[] {
  const unfiltered = (f: FieldNode) =>
    (f.arguments ?? []).every(
      (a) => PAGE_ARGUMENTS.has(a.name.value) || (a.name.value === "includeDeleted" && a.value.kind === Kind.BOOLEAN && !a.value.value),
    );
  const counted = (f: FieldNode) => f.selectionSet !== undefined && fieldsOf(f.selectionSet, info).some((s) => s.name.value === "totalCount");
  return lists.filter(([name]) => fields.some((f) => f.name.value === name && unfiltered(f) && counted(f))).map(([, count]) => count);
}

const listCounts = new WeakMap<readonly FieldNode[], Map<string, readonly string[]>>();

/**
 * The lists of the rows at `path` under the resolving field (a page of users, templates, nodes or
 * schedules) that a read of those rows counts in its own statement, as countsSelected does for
 * jobs: of `lists`, those whose totalCount is selected without a filter. The list's resolver takes
 * the count from the row only when the row carries it.
 */
export function listCountsSelected<T extends string>(info: GraphQLResolveInfo, path: readonly string[], lists: ReadonlyArray<readonly [string, T]>): readonly T[] {
  let byPath = listCounts.get(info.fieldNodes);
  if (!byPath) listCounts.set(info.fieldNodes, (byPath = new Map()));
  const key = path.join(".");
  let counts = byPath.get(key);
  if (!counts) byPath.set(key, (counts = countedAmong(fieldNodesAt(info, path, true), info, lists)));
  return counts as readonly T[];
}

/**
 * The columns of `model` (by Prisma field name) that the selected GraphQL fields need, always with
 * its id; undefined, meaning all of them, when a field's needs are not known.
 */
export function columnsFor(model: ModelName, selected: Iterable<string>): ReadonlySet<string> | undefined {
  const scalars = scalarFieldsOf(model);
  const reads = READS[model];
  const columns = new Set(["id"]);
  for (const name of selected) {
    if (name === "__typename") continue;
    if (scalars.has(name)) columns.add(name);
    else if (Object.hasOwn(reads, name)) for (const column of reads[name]!) columns.add(column);
    else if (model === "Job" && name.startsWith("viewerCan")) for (const column of PERMISSION_COLUMNS) columns.add(column);
    else return undefined;
  }
  return columns;
}

// By field nodes, which are the same objects for a field each time it is resolved in a document
// (for each of the 50 jobs of a page), and stay as long as the parsed document does.
const selectedColumns = new WeakMap<readonly FieldNode[], Map<string, ReadonlySet<string> | undefined>>();

/** The columns a field returning `model` needs for what is selected under it (at `path`). */
export function columnsSelected(model: ModelName, info: GraphQLResolveInfo, path: readonly string[] = []): ReadonlySet<string> | undefined {
  let byKey = selectedColumns.get(info.fieldNodes);
  if (!byKey) selectedColumns.set(info.fieldNodes, (byKey = new Map()));
  const key = `${model} ${path.join(".")}`;
  if (!byKey.has(key)) byKey.set(key, columnsFor(model, selectedFields(info, path)));
  return byKey.get(key);
}

const selectedJoins = new WeakMap<readonly FieldNode[], Map<string, Joins | undefined>>();

/**
 * The rows a page of tasks or events (at `path` under the resolving field) reads with it: each
 * selected relation of TO_ONE, with the columns its own selection needs; undefined when none is
 * selected.
 */
export function joinsSelected(model: keyof typeof TO_ONE, info: GraphQLResolveInfo, path: readonly string[] = []): Joins | undefined {
  let byKey = selectedJoins.get(info.fieldNodes);
  if (!byKey) selectedJoins.set(info.fieldNodes, (byKey = new Map()));
  const key = `${model} ${path.join(".")}`;
  if (!byKey.has(key)) byKey.set(key, joinsBelow(model, info.fieldNodes, info, path));
  return byKey.get(key);
}

/** The relations of TO_ONE selected below `nodes` at `path`, as joinsSelected gives them. */
function joinsBelow(model: keyof typeof TO_ONE, nodes: readonly FieldNode[], info: GraphQLResolveInfo, path: readonly string[]): Joins | undefined {
  const selected = namesBelow(nodes, info, path);
  const joins = new Map<string, ReadonlySet<string> | undefined>();
  for (const [name, relation] of Object.entries(TO_ONE[model])) {
    if (selected.has(name)) joins.set(name, columnsFor(relation.model, namesBelow(nodes, info, [...path, name])));
  }
  return joins.size ? joins : undefined;
}

/**
 * The most rows a first page read with its parent may hold: past this, a list is read by its own
 * statement, which the page size limit guards (and refuses before anything is read).
 */
const MOST_FOLDED = 100;

/** A first page of each list of `model`'s rows (see FirstPage), by the list's field node: see firstPageAsked. */
const firstPages = new WeakMap<FieldNode, FirstPage<unknown> | null>();

const usesVariables = (node: ASTNode) => {
  let found = false;
  visit(node, {
    Variable: () => {
      found = true;
      return BREAK;
    },
  });
  return found;
};

/**
 * The first page that the list field `field` (on the type `parentType`) asks for, when its
 * parent's statement can read it (see FirstPage): `first` and, for a list that takes one,
 * `orderBy` as literals, no cursor and no filter, and its items selected. A variable makes the
 * page the request's, where this is worked out once per document, so such a list is read by its
 * own statement. Undefined when it cannot be read with its parent.
 */
function firstPageAsked(field: FieldNode, info: GraphQLResolveInfo, parentType: string, rows: ModelName): FirstPage<unknown> | undefined {
  let first = firstPages.get(field);
  if (first === undefined) {
    first = null;
    const type = info.schema.getType(parentType);
    const definition = isObjectType(type) ? type.getFields()[field.name.value] : undefined;
    const items = fieldNodesBelow([field], info, []).some((f) => f.name.value === "edges" || f.name.value === "pageInfo");
    if (definition && items && !(field.arguments ?? []).some(usesVariables)) {
      const args = getArgumentValues(definition, field) as { first?: number | null; orderBy?: { field: string; direction?: string | null } | null; [name: string]: unknown };
      const only = Object.entries(args).every(([name, value]) => value == null || name === "first" || name === "orderBy");
      if (only && typeof args.first === "number" && args.first >= 0 && args.first <= MOST_FOLDED) {
        // As Pothos' Prisma connections read a page: one row past it, to tell whether there is a next.
        const take = args.first + 1;
        // A list of jobs comes in its own order alone.
        if (rows === "Job") first = args.orderBy == null ? { take, jobs: jobReadBelow([field], info, EDGE_NODE_PATH) } : null;
        else {
          const fields = columnsFor(rows, namesBelow([field], info, EDGE_NODE_PATH));
          const joins = rows in TO_ONE ? joinsBelow(rows as keyof typeof TO_ONE, [field], info, EDGE_NODE_PATH) : undefined;
          first = { take, fields, joins, ...(args.orderBy ? { order: { field: args.orderBy.field, direction: args.orderBy.direction ?? "ASC" } } : {}) };
        }
      }
    }
    firstPages.set(field, first);
  }
  return first ?? undefined;
}

const EDGE_NODE_PATH = ["edges", "node"];

/**
 * The first page of the list `field` among `fields` (a job's tasks, a user's tokens), when their
 * parent's statement can read it (see firstPageAsked; the list selected once there).
 */
function firstPageAmong(fields: readonly FieldNode[], info: GraphQLResolveInfo, field: string, parentType: string, rows: ModelName): FirstPage | undefined {
  const nodes = fields.filter((f) => f.name.value === field);
  return nodes.length === 1 ? firstPageAsked(nodes[0]!, info, parentType, rows) : undefined;
}

/** Of `lists` (each a field of `parentType`, and the model of its rows), the first pages among `fields` that their parent's statement can read. */
function firstPagesAmong<T extends string>(fields: readonly FieldNode[], info: GraphQLResolveInfo, parentType: string, lists: ReadonlyArray<readonly [field: T, rows: ModelName]>): Map<T, FirstPage> {
  const found = new Map<T, FirstPage>();
  for (const [field, rows] of lists) {
    const first = firstPageAmong(fields, info, field, parentType, rows);
    if (first) found.set(field, first);
  }
  return found;
}

const listFirsts = new WeakMap<readonly FieldNode[], Map<string, ReadonlyMap<string, FirstPage> | null>>();

/**
 * The first pages of the lists of the rows at `path` under the resolving field (a page of users'
 * tokens) that a read of those rows reads in its own statement (see firstPageAmong), by list:
 * of `lists` (each a field of `parentType`, and the model of its rows), those that can be.
 */
export function firstPagesSelected<T extends string>(
  info: GraphQLResolveInfo,
  path: readonly string[],
  parentType: string,
  lists: ReadonlyArray<readonly [field: T, rows: ModelName]>,
): ReadonlyMap<T, FirstPage> | undefined {
  let byPath = listFirsts.get(info.fieldNodes);
  if (!byPath) listFirsts.set(info.fieldNodes, (byPath = new Map()));
  const key = `${parentType} ${path.join(".")}`;
  let firsts = byPath.get(key);
  if (firsts === undefined) {
    const found = firstPagesAmong(fieldNodesAt(info, path, true), info, parentType, lists);
    byPath.set(key, (firsts = found.size ? found : null));
  }
  return (firsts ?? undefined) as ReadonlyMap<T, FirstPage> | undefined;
}

/**
 * The first page the resolving list field asks for (see firstPageAsked), when its parent's read
 * could hold it: a row read with the page for this very field node holds it under the same read.
 */
export function ownFirstPage(info: GraphQLResolveInfo): FirstPage<unknown> | undefined {
  return info.fieldNodes.length === 1 ? (firstPages.get(info.fieldNodes[0]!) ?? undefined) : undefined;
}

const relationReads = new WeakMap<readonly FieldNode[], Map<string, JobColumns | null>>();

/**
 * What the job `field` of the rows at `path` under the resolving field (a page of tasks' `job`)
 * needs read, as jobColumnsSelected; undefined when that field is not selected.
 */
export function jobSelectedAt(info: GraphQLResolveInfo, path: readonly string[], field: string): JobColumns | undefined {
  let byKey = relationReads.get(info.fieldNodes);
  if (!byKey) relationReads.set(info.fieldNodes, (byKey = new Map()));
  const key = `${path.join(".")} ${field}`;
  let read = byKey.get(key);
  if (read === undefined) {
    read = selectedFields(info, path).has(field) ? jobColumnsSelected(info, [...path, field]) : null;
    byKey.set(key, read);
  }
  return read ?? undefined;
}

const jobReads = new WeakMap<readonly FieldNode[], Map<string, JobColumns>>();

/** A job's own lists whose first page the job's statement can read (see JobFirsts), and the model of their rows. */
const JOB_FIRST_LISTS = [
  ["tasks", "Task"],
  ["outputs", "JobOutput"],
  ["events", "JobEvent"],
] as const;

/**
 * The parent of each job, joined when it is selected for its own columns alone (a family's
 * "created under"): one that asks for relations or counts of its own is read by the job loader.
 */
function parentJoined(nodes: readonly FieldNode[], info: GraphQLResolveInfo, path: readonly string[], selected: ReadonlySet<string>): Pick<JobColumns, "parent"> {
  if (!selected.has("parent")) return {};
  const { columns, ...joins } = jobReadBelow(nodes, info, [...path, "parent"]);
  return Object.keys(joins).length ? {} : { parent: { columns } };
}

/**
 * What a field returning jobs needs read (at `path` under it): the job's columns and, when its
 * template, creator or node is selected, theirs too, which the same statement then joins, and the
 * counts of its lists that the same statement can give (see countsSelected).
 */
export function jobColumnsSelected(info: GraphQLResolveInfo, path: readonly string[] = []): JobColumns {
  let byPath = jobReads.get(info.fieldNodes);
  if (!byPath) jobReads.set(info.fieldNodes, (byPath = new Map()));
  const key = path.join(".");
  let read = byPath.get(key);
  if (!read) byPath.set(key, (read = jobReadBelow(info.fieldNodes, info, path)));
  return read;
}

/** What the jobs selected below `nodes` at `path` need read, as jobColumnsSelected says. */
function jobReadBelow(nodes: readonly FieldNode[], info: GraphQLResolveInfo, path: readonly string[]): JobColumns {
  const fields = fieldNodesBelow(nodes, info, path);
  const selected = new Set(fields.map((f) => f.name.value));
  const joined = (field: string, model: ModelName) => (selected.has(field) ? { [field]: { columns: columnsFor(model, namesBelow(nodes, info, [...path, field])) } } : {});
  // What the job's statement reads beside its columns: only what the first part of the answer shows.
  const eager = fieldNodesBelow(nodes, info, path, true);
  const counts = countsSelected(eager, info);
  const firsts = firstPagesAmong(eager, info, "Job", JOB_FIRST_LISTS);
  return {
    columns: columnsFor("Job", selected),
    ...joined("template", "JobTemplate"),
    ...joined("creator", "User"),
    ...joined("node", "WorkerNode"),
    ...parentJoined(nodes, info, path, selected),
    ...(counts.length ? { counts } : {}),
    ...(firsts.size ? { firsts: Object.fromEntries(firsts) as JobFirsts } : {}),
  };
}

/** The fields of a workflow that its summary answers (see workflowsByIds). */
const SUMMARY_FIELDS = ["status", "progress", "counts"];

const summariesSelected = new WeakMap<readonly FieldNode[], Map<string, boolean>>();

/**
 * Whether the workflows at `path` under the resolving field have a field selected that their
 * summary answers, which their read then takes in its own statement. Worked out once per field of
 * a document: a page of jobs asks it for each job's workflow.
 */
export function workflowSummarySelected(info: GraphQLResolveInfo, path: readonly string[] = []): boolean {
  let byPath = summariesSelected.get(info.fieldNodes);
  if (!byPath) summariesSelected.set(info.fieldNodes, (byPath = new Map()));
  const key = path.join(".");
  let selected = byPath.get(key);
  if (selected === undefined) {
    const names = selectedFields(info, path);
    byPath.set(key, (selected = SUMMARY_FIELDS.some((field) => names.has(field))));
  }
  return selected;
}
