// The three benchmarked reads, written for each server, and what each answer is reduced to when the
// servers' answers are compared. jobgraph and the floor share one schema shape, so they share the
// documents; PostGraphile names things its own way (allJobs, tasksByJobId, jobByRowId) and gets
// equivalent documents: the same rows, in the same order, with the same fields.
import { TASKS_PER_JOB } from "./seed.js";

export const SERVERS = ["jobgraph", "postgraphile", "floor"] as const;
export type ServerName = (typeof SERVERS)[number];

export const QUERIES = ["nestedPage", "jobById", "filteredList", "dashboard", "jobDetail"] as const;
export type QueryName = (typeof QUERIES)[number];

/** The queries the floor answers (each with a statement written for it); the others compare jobgraph with PostGraphile alone. */
export const FLOOR_QUERIES: readonly QueryName[] = ["nestedPage", "jobById", "filteredList"];

/** Whether `server` is measured on `query`. */
export const serves = (server: ServerName, query: QueryName) => server !== "floor" || FLOOR_QUERIES.includes(query);

/** Jobs in a page, and outputs asked for per job (the seed gives each job at most five). */
export const PAGE_SIZE = 50;
const OUTPUTS_PER_JOB = 10;
/** The filtered list: running jobs of one queue. */
export const FILTER_QUEUE = "gpu";

const NESTED_PAGE = /* GraphQL */ `
  query NestedPage {
    jobs(first: ${PAGE_SIZE}) {
      edges { node {
        id number name status progress
        template { name version }
        tasks(first: ${TASKS_PER_JOB}) { edges { node { name status progress sequence } } }
        outputs(first: ${OUTPUTS_PER_JOB}) { edges { node { name type size } } }
      } }
    }
  }`;

const NESTED_PAGE_POSTGRAPHILE = /* GraphQL */ `
  query NestedPage {
    jobs: allJobs(first: ${PAGE_SIZE}, condition: { deletedAt: null }, orderBy: [CREATED_AT_DESC, ID_DESC]) {
      edges { node {
        id number name status progress
        template: jobTemplateByTemplateId { name version }
        tasks: tasksByJobId(first: ${TASKS_PER_JOB}, orderBy: QSEQUENCE_ASC) { edges { node { name status progress sequence } } }
        outputs: jobOutputsByJobId(first: ${OUTPUTS_PER_JOB}, orderBy: [NAME_ASC, TYPE_ASC, ID_ASC]) { edges { node { name type size } } }
      } }
    }
  }`;

const JOB_BY_ID = /* GraphQL */ `
  query JobById($id: ID!) {
    job(id: $id) { id number name status progress queue priority createdAt template { name version } }
  }`;

const JOB_BY_ID_POSTGRAPHILE = /* GraphQL */ `
  query JobById($id: UUID!) {
    job: jobByRowId(rowId: $id) { id number name status progress queue priority createdAt template: jobTemplateByTemplateId { name version } }
  }`;

const FILTERED_LIST = /* GraphQL */ `
  query FilteredList {
    jobs(first: ${PAGE_SIZE}, filter: { status: [RUNNING], queue: ["${FILTER_QUEUE}"] }) {
      edges { node { id number name status progress queue priority createdAt } }
    }
  }`;

const FILTERED_LIST_POSTGRAPHILE = /* GraphQL */ `
  query FilteredList {
    jobs: allJobs(first: ${PAGE_SIZE}, condition: { status: RUNNING, queue: "${FILTER_QUEUE}", deletedAt: null }, orderBy: [CREATED_AT_DESC, ID_DESC]) {
      edges { node { id number name status progress queue priority createdAt } }
    }
  }`;

// A dashboard's page: one queue's jobs by priority, how many there are, who made each and which node
// runs it, and how many tasks and outputs each has.
const DASHBOARD = /* GraphQL */ `
  query Dashboard {
    jobs(first: ${PAGE_SIZE}, filter: { queue: ["${FILTER_QUEUE}"] }, orderBy: { field: PRIORITY, direction: DESC }) {
      totalCount
      edges { node {
        id number name status progress priority createdAt
        creator { name } node { name }
        tasks { totalCount } outputs { totalCount }
      } }
    }
  }`;

const DASHBOARD_POSTGRAPHILE = /* GraphQL */ `
  query Dashboard {
    jobs: allJobs(first: ${PAGE_SIZE}, condition: { queue: "${FILTER_QUEUE}", deletedAt: null }, orderBy: [PRIORITY_DESC, ID_DESC]) {
      totalCount
      edges { node {
        id number name status progress priority createdAt
        creator: userByCreatorId { name } node: workerNodeByNodeId { name }
        tasks: tasksByJobId { totalCount } outputs: jobOutputsByJobId { totalCount }
      } }
    }
  }`;

/** Tasks on a job's detail page. */
const DETAIL_TASKS = 10;

// A job's detail page: its fields, JSON ones included, who made it and where it runs, and its first tasks.
const JOB_DETAIL = /* GraphQL */ `
  query JobDetail($id: ID!) {
    job(id: $id) {
      id number name description status progress queue priority createdAt startTime endTime errorReason tags
      inputValues { name type value } parameterValues { name type value } progressDetail requiredLabels
      template { name version } creator { name } node { name }
      tasks(first: ${DETAIL_TASKS}) { totalCount edges { node { name status progress sequence startTime endTime parameters } } }
    }
  }`;

const JOB_DETAIL_POSTGRAPHILE = /* GraphQL */ `
  query JobDetail($id: UUID!) {
    job: jobByRowId(rowId: $id) {
      id number name description status progress queue priority createdAt startTime endTime errorReason tags
      inputValues parameterValues progressDetail requiredLabels
      template: jobTemplateByTemplateId { name version } creator: userByCreatorId { name } node: workerNodeByNodeId { name }
      tasks: tasksByJobId(first: ${DETAIL_TASKS}, orderBy: QSEQUENCE_ASC) { totalCount edges { node { name status progress sequence startTime endTime parameters } } }
    }
  }`;

/** The job ids a server is asked for: jobgraph's global IDs, or PostGraphile's row uuids. */
export function jobIdFor(server: ServerName, uuid: string): string {
  return server === "postgraphile" ? uuid : Buffer.from(`Job:${uuid}`, "utf8").toString("base64");
}

/** The request bodies of a query for a server; the benchmark cycles through them. */
export function bodies(server: ServerName, query: QueryName, jobIds: string[]): string[] {
  const pg = server === "postgraphile";
  switch (query) {
    case "nestedPage":
      return [JSON.stringify({ query: pg ? NESTED_PAGE_POSTGRAPHILE : NESTED_PAGE })];
    case "filteredList":
      return [JSON.stringify({ query: pg ? FILTERED_LIST_POSTGRAPHILE : FILTERED_LIST })];
    case "jobById":
      return jobIds.map((id) => JSON.stringify({ query: pg ? JOB_BY_ID_POSTGRAPHILE : JOB_BY_ID, variables: { id: jobIdFor(server, id) } }));
    case "dashboard":
      return [JSON.stringify({ query: pg ? DASHBOARD_POSTGRAPHILE : DASHBOARD })];
    case "jobDetail":
      return jobIds.map((id) => JSON.stringify({ query: pg ? JOB_DETAIL_POSTGRAPHILE : JOB_DETAIL, variables: { id: jobIdFor(server, id) } }));
  }
}

type Row = Record<string, unknown>;
type Edges = { edges: Array<{ node: Row }> };

/**
 * An answer reduced to what must be the same on every server: global IDs differ by design
 * (PostGraphile encodes its own), numbers may come as strings (BigInt) and times in another
 * notation, so those are normalised.
 */
export function canonical(query: QueryName, data: Row): unknown {
  const time = (value: unknown) => (value == null ? null : new Date(String(value)).toISOString());
  const name = (value: unknown) => (value as { name?: string } | null)?.name ?? null;
  // jobgraph lists typed values ([{name, type, value}]); PostGraphile gives the stored object ({name: {type, value}}).
  const values = (value: unknown) =>
    sortedKeys(Array.isArray(value) ? Object.fromEntries((value as Row[]).map((v) => [v.name, { type: v.type, value: v.value }])) : value);
  if (query === "dashboard") {
    const page = data.jobs as Edges & { totalCount: number };
    return {
      totalCount: page.totalCount,
      jobs: page.edges.map(({ node }) => ({
        number: String(node.number),
        name: node.name,
        status: node.status,
        progress: node.progress,
        priority: node.priority,
        createdAt: time(node.createdAt),
        creator: name(node.creator),
        node: name(node.node),
        tasks: (node.tasks as { totalCount: number }).totalCount,
        outputs: (node.outputs as { totalCount: number }).totalCount,
      })),
    };
  }
  if (query === "jobDetail") {
    const job = data.job as Row | null;
    if (!job) return null;
    const tasks = job.tasks as Edges & { totalCount: number };
    return {
      ...Object.fromEntries(["name", "description", "status", "progress", "queue", "priority", "errorReason", "tags"].map((k) => [k, job[k]])),
      number: String(job.number),
      times: [job.createdAt, job.startTime, job.endTime].map(time),
      inputValues: values(job.inputValues),
      parameterValues: values(job.parameterValues),
      progressDetail: sortedKeys(job.progressDetail),
      requiredLabels: sortedKeys(job.requiredLabels),
      template: job.template,
      creator: name(job.creator),
      node: name(job.node),
      tasks: {
        totalCount: tasks.totalCount,
        nodes: tasks.edges.map(({ node }) => ({ ...node, startTime: time(node.startTime), endTime: time(node.endTime), parameters: sortedKeys(node.parameters) })),
      },
    };
  }
  const job = (node: Row) => ({
    number: String(node.number),
    name: node.name,
    status: node.status,
    progress: node.progress,
    ...("queue" in node ? { queue: node.queue, priority: node.priority, createdAt: time(node.createdAt) } : {}),
    ...("template" in node ? { template: node.template } : {}),
    ...("tasks" in node ? { tasks: (node.tasks as Edges).edges.map((e) => e.node) } : {}),
    ...("outputs" in node ? { outputs: (node.outputs as Edges).edges.map((e) => ({ ...e.node, size: String(e.node.size) })) } : {}),
  });
  if (query === "jobById") return data.job ? job(data.job as Row) : null;
  const list = data.jobs as Edges;
  return list.edges.map((e) => job(e.node));
}

/** A JSON value with its objects' keys in order, so that two equal values print the same. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Row)[k])]));
  return value;
}
