// The three benchmarked reads, written for each server, and what each answer is reduced to when the
// servers' answers are compared. jobgraph and the floor share one schema shape, so they share the
// documents; PostGraphile names things its own way (allJobs, tasksByJobId, jobByRowId) and gets
// equivalent documents: the same rows, in the same order, with the same fields.
import { TASKS_PER_JOB } from "./seed.js";

export const SERVERS = ["jobgraph", "postgraphile", "floor"] as const;
export type ServerName = (typeof SERVERS)[number];

export const QUERIES = ["nestedPage", "jobById", "filteredList"] as const;
export type QueryName = (typeof QUERIES)[number];

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
  const time = (value: unknown) => new Date(String(value)).toISOString();
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
