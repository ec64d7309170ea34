// The benchmarked reads, written for each server, and what each answer is reduced to when the
// servers' answers are compared. jobgraph and the floor share one schema shape, so they share the
// documents; PostGraphile names things its own way (allJobs, tasksByJobId, jobByRowId) and gets
// equivalent documents: the same rows, in the same order, with the same fields. PostGraphile v5's
// amber preset names everything as v4 does with classicIds, but for the order of a uuid `id` column
// (v4 ID_ASC, v5 ROW_ID_ASC), so v5's documents are v4's with that one rename (`forV5`).
//
// Between them the shapes select every stored field and every relation among Job, Task,
// JobTemplate, JobOutput, JobEvent, User and WorkerNode that PostGraphile can also read. jobgraph's
// computed fields (queuePosition, whyNotRunning, estimates, stalled, viewerCan*, online,
// downloadUrl, isCancelled...) have no column behind them and are left out; so is JobEvent.job
// (job_events.job_id has no foreign key, so PostGraphile has no relation: the events are read by
// their jobId instead).
import { TASKS_PER_JOB } from "./seed.js";

export const SERVERS = ["jobgraph", "postgraphile", "postgraphile5", "floor"] as const;
export type ServerName = (typeof SERVERS)[number];

export const QUERIES = [
  "nestedPage",
  "jobById",
  "filteredList",
  "dashboard",
  "jobDetail",
  "templates",
  "nodes",
  "jobEvents",
  "users",
  "jobTasks",
  "jobFamily",
  "userJobs",
] as const;
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

/** Templates in a page, and jobs shown under each. */
const TEMPLATE_PAGE = 20;
const TEMPLATE_JOBS = 5;
/** The executor the template page is filtered by. */
export const TEMPLATE_EXECUTOR = "pytorch";

// A template catalogue: one executor's templates with every stored setting, who defined each, and
// its newest jobs with how many there are.
const TEMPLATES = /* GraphQL */ `
  query Templates {
    jobTemplates(first: ${TEMPLATE_PAGE}, filter: { executor: "${TEMPLATE_EXECUTOR}" }) {
      totalCount
      edges { node {
        id name version description executor { name version }
        inputs { name types required default help } parameters { name types required default help }
        retryPolicy { maxAttempts backoffBaseSeconds backoffCapSeconds jitter retryOn }
        maxAttemptsLimit timeLimitSeconds taskTimeLimitSeconds stallAfterSeconds createdAt updatedAt deletedAt
        creator { name }
        jobs(first: ${TEMPLATE_JOBS}) { totalCount edges { node { id number name status createdAt } } }
      } }
    }
  }`;

const TEMPLATES_POSTGRAPHILE = /* GraphQL */ `
  query Templates {
    jobTemplates: allJobTemplates(first: ${TEMPLATE_PAGE}, condition: { executorName: "${TEMPLATE_EXECUTOR}", deletedAt: null }, orderBy: [NAME_ASC, VERSION_DESC, ID_ASC]) {
      totalCount
      edges { node {
        id name version description executorName executorVersion inputs parameters
        maxAttempts retryBackoffBaseSeconds retryBackoffCapSeconds retryJitter retryOn
        maxAttemptsLimit timeLimitSeconds taskTimeLimitSeconds stallAfterSeconds createdAt updatedAt deletedAt
        creator: userByCreatorId { name }
        jobs: jobsByTemplateId(first: ${TEMPLATE_JOBS}, condition: { deletedAt: null }, orderBy: [CREATED_AT_DESC, ID_DESC]) {
          totalCount edges { node { id number name status createdAt } }
        }
      } }
    }
  }`;

/** Nodes in a page, jobs shown under each, and running tasks under each job. */
const NODE_PAGE = 10;
const NODE_JOBS = 5;
const NODE_TASKS = 3;

// A fleet view: every worker node with its stored fields, the jobs it holds (ACQUIRED or RUNNING,
// oldest first) and each one's running tasks. PostGraphile's conditions hold one value per
// column, so its clients ask for the RUNNING and the ACQUIRED jobs side by side and merge the two
// pages (each already in order, so the merged first page is the first page of the union).
const NODES = /* GraphQL */ `
  query Nodes {
    workerNodes(first: ${NODE_PAGE}) {
      totalCount
      edges { node {
        id name description executors cpu memory labels lastSeenAt draining createdAt
        currentJobs(first: ${NODE_JOBS}) { totalCount edges { node {
          id number name status progress createdAt
          tasks(first: ${NODE_TASKS}, filter: { status: [RUNNING] }) { totalCount edges { node { name status progress } } }
        } } }
      } }
    }
  }`;

const NODE_JOBS_POSTGRAPHILE = (alias: string, status: string) => /* GraphQL */ `
  ${alias}: jobsByNodeId(first: ${NODE_JOBS}, condition: { status: ${status}, deletedAt: null }, orderBy: [CREATED_AT_ASC, ID_ASC]) { totalCount edges { node {
    id number name status progress createdAt
    tasks: tasksByJobId(first: ${NODE_TASKS}, condition: { status: RUNNING }, orderBy: QSEQUENCE_ASC) { totalCount edges { node { name status progress } } }
  } } }`;

const NODES_POSTGRAPHILE = /* GraphQL */ `
  query Nodes {
    workerNodes: allWorkerNodes(first: ${NODE_PAGE}, orderBy: NAME_ASC) {
      totalCount
      edges { node {
        id name description executors cpu memory labels lastSeenAt draining createdAt
        ${NODE_JOBS_POSTGRAPHILE("running", "RUNNING")}
        ${NODE_JOBS_POSTGRAPHILE("acquired", "ACQUIRED")}
      } }
    }
  }`;

/** Events on a job's timeline. */
const TIMELINE_EVENTS = 20;

// A job's timeline: its events, oldest first, with every stored field, who did each (user or
// node) and the task it concerns.
const JOB_EVENTS = /* GraphQL */ `
  query JobEvents($id: ID!) {
    job(id: $id) {
      id number status
      events(first: ${TIMELINE_EVENTS}) { totalCount edges { node {
        id jobId kind fromStatus toStatus progress detail at jobVersion
        actorUser { name email role } actorNode { name } task { name status }
      } } }
    }
  }`;

const JOB_EVENTS_POSTGRAPHILE = /* GraphQL */ `
  query JobEvents($id: UUID!) {
    job: jobByRowId(rowId: $id) { id number status }
    events: allJobEvents(first: ${TIMELINE_EVENTS}, condition: { jobId: $id }, orderBy: ID_ASC) { totalCount edges { node {
      id jobId kind fromStatus toStatus progress detail at jobVersion
      actorUser: userByActorUserId { name email role } actorNode: workerNodeByActorNodeId { name } task: taskByTaskId { name status }
    } } }
  }`;

/** Users in a page, and tokens shown under each. */
const USER_PAGE = 20;
const USER_TOKENS = 5;

// An admin's user list: every user by name with their tokens, newest first. A token's lastUsedAt
// is left out: the bench's own token (the admin's) is stamped as jobgraph is called, so it could
// change between two servers' answers.
const USERS = /* GraphQL */ `
  query Users {
    users(first: ${USER_PAGE}) {
      totalCount
      edges { node {
        id name email role createdAt
        tokens(first: ${USER_TOKENS}) { totalCount edges { node { id name prefix createdAt expiresAt revokedAt } } }
      } }
    }
  }`;

const USERS_POSTGRAPHILE = /* GraphQL */ `
  query Users {
    users: allUsers(first: ${USER_PAGE}, orderBy: NAME_ASC) {
      totalCount
      edges { node {
        id name email role createdAt
        tokens: apiTokensByUserId(first: ${USER_TOKENS}, orderBy: [CREATED_AT_DESC, ID_DESC]) { totalCount edges { node { id name prefix createdAt expiresAt revokedAt } } }
      } }
    }
  }`;

/** Tasks in the task page of a job. */
const TASK_PAGE = 10;

// A job's task list sorted by name, last first (the map children, the MAP task and the tasks made
// by others): every stored field of each task, and the tasks it relates to.
const JOB_TASKS = /* GraphQL */ `
  query JobTasks($id: ID!) {
    job(id: $id) {
      id number
      tasks(first: ${TASK_PAGE}, orderBy: { field: NAME, direction: DESC }) {
        totalCount
        edges { node {
          id name type status progress success sequence qsequence attempts maxAttempts reason output
          executor { name version } requirements { cpu memory } limitations { maxExecutionTimeInSeconds }
          inputs { source { uri spaceId key } target { path } } parameters payload hints requiredLabels
          mapIndex mapValue timeLimitAt timedOutAt startTime endTime createdAt updatedAt
          job { number } mapTask { name } createdByTask { name } stoppedBy { name }
        } }
      }
    }
  }`;

const JOB_TASKS_POSTGRAPHILE = /* GraphQL */ `
  query JobTasks($id: UUID!) {
    job: jobByRowId(rowId: $id) {
      id number
      tasks: tasksByJobId(first: ${TASK_PAGE}, orderBy: [NAME_DESC, QSEQUENCE_DESC]) {
        totalCount
        edges { node {
          id name type status progress success sequence qsequence attempts maxAttempts reason output
          executorName executorVersion cpu memory maxExecutionTimeInSeconds
          inputs parameters payload hints requiredLabels
          mapIndex mapValue timeLimitAt timedOutAt startTime endTime createdAt updatedAt
          job: jobByJobId { number } mapTask: taskByMapTaskId { name } createdByTask: taskByCreatedByTaskId { name } stoppedBy: taskByStoppedByTaskId { name }
        } }
      }
    }
  }`;

/** Children shown under a job, and outputs under each child. */
const FAMILY_CHILDREN = 10;
const FAMILY_OUTPUTS = 5;

// A job's family: its parent, its children (oldest first) and every stored field of their outputs.
const JOB_FAMILY = /* GraphQL */ `
  query JobFamily($id: ID!) {
    job(id: $id) {
      id number name status
      parent { id number name status }
      children(first: ${FAMILY_CHILDREN}) { totalCount edges { node {
        id number name status createdAt
        outputs(first: ${FAMILY_OUTPUTS}) { totalCount edges { node { id name type size sha256 contentType createdAt job { number } } } }
      } } }
    }
  }`;

const JOB_FAMILY_POSTGRAPHILE = /* GraphQL */ `
  query JobFamily($id: UUID!) {
    job: jobByRowId(rowId: $id) {
      id number name status
      parent: jobByParentId { id number name status }
      children: jobsByParentId(first: ${FAMILY_CHILDREN}, condition: { deletedAt: null }, orderBy: [CREATED_AT_ASC, ID_ASC]) { totalCount edges { node {
        id number name status createdAt
        outputs: jobOutputsByJobId(first: ${FAMILY_OUTPUTS}, orderBy: [NAME_ASC, TYPE_ASC, ID_ASC]) {
          totalCount edges { node { id name type size sha256 contentType createdAt job: jobByJobId { number } } }
        }
      } } }
    }
  }`;

/** Jobs in a user's page. */
const USER_JOBS = 20;

// "My jobs": one user's jobs, deleted ones included, most recently changed first, with every stored
// field of a job that the other shapes do not read (retry policy, limits, lease, versions...).
const USER_JOBS_QUERY = /* GraphQL */ `
  query UserJobs($creator: ID!) {
    jobs(first: ${USER_JOBS}, filter: { creator: $creator, includeDeleted: true }, orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      edges { node {
        id number name queue status priority description tags
        attemptCount maxAttempts retryPolicy { maxAttempts backoffBaseSeconds backoffCapSeconds jitter retryOn }
        onTaskFailure onDependencyFailure nondeterministic fingerprint version
        runAfter deadline timeLimitSeconds timeLimitAt taskTimeLimitSeconds stallAfterSeconds lastReportAt leaseExpiresAt
        createdAt updatedAt deletedAt
        template { name version } node { name }
      } }
    }
  }`;

const USER_JOBS_POSTGRAPHILE = /* GraphQL */ `
  query UserJobs($creator: UUID!) {
    jobs: allJobs(first: ${USER_JOBS}, condition: { creatorId: $creator }, orderBy: [UPDATED_AT_DESC, ID_DESC]) {
      totalCount
      edges { node {
        id number name queue status priority description tags
        attempts maxAttempts retryBackoffBaseSeconds retryBackoffCapSeconds retryJitter retryOn
        onTaskFailure onDependencyFailure nondeterministic fingerprint version
        runAfter deadline timeLimitSeconds timeLimitAt taskTimeLimitSeconds stallAfterSeconds lastReportAt leaseExpiresAt
        createdAt updatedAt deletedAt
        template: jobTemplateByTemplateId { name version } node: workerNodeByNodeId { name }
      } }
    }
  }`;

/**
 * A v4 document as PostGraphile v5 takes it: v5 calls the order of a uuid `id` column (shown as
 * `rowId`, the global ID being `id`) ROW_ID_ASC/DESC where v4 with classicIds calls it ID_ASC/DESC.
 */
const forV5 = (document: string) => document.replace(/\bID_(ASC|DESC)\b/g, "ROW_ID_$1");

/** Each query's documents: jobgraph's (which the floor shares) and PostGraphile v4's. */
const DOCUMENTS: Record<QueryName, { jobgraph: string; postgraphile: string }> = {
  nestedPage: { jobgraph: NESTED_PAGE, postgraphile: NESTED_PAGE_POSTGRAPHILE },
  jobById: { jobgraph: JOB_BY_ID, postgraphile: JOB_BY_ID_POSTGRAPHILE },
  filteredList: { jobgraph: FILTERED_LIST, postgraphile: FILTERED_LIST_POSTGRAPHILE },
  dashboard: { jobgraph: DASHBOARD, postgraphile: DASHBOARD_POSTGRAPHILE },
  jobDetail: { jobgraph: JOB_DETAIL, postgraphile: JOB_DETAIL_POSTGRAPHILE },
  templates: { jobgraph: TEMPLATES, postgraphile: TEMPLATES_POSTGRAPHILE },
  nodes: { jobgraph: NODES, postgraphile: NODES_POSTGRAPHILE },
  jobEvents: { jobgraph: JOB_EVENTS, postgraphile: JOB_EVENTS_POSTGRAPHILE },
  users: { jobgraph: USERS, postgraphile: USERS_POSTGRAPHILE },
  jobTasks: { jobgraph: JOB_TASKS, postgraphile: JOB_TASKS_POSTGRAPHILE },
  jobFamily: { jobgraph: JOB_FAMILY, postgraphile: JOB_FAMILY_POSTGRAPHILE },
  userJobs: { jobgraph: USER_JOBS_QUERY, postgraphile: USER_JOBS_POSTGRAPHILE },
};

/** The document a server is sent for a query. */
export function documentFor(server: ServerName, query: QueryName): string {
  const { jobgraph, postgraphile } = DOCUMENTS[query];
  if (server === "postgraphile") return postgraphile;
  if (server === "postgraphile5") return forV5(postgraphile);
  return jobgraph;
}

/** A row's id as a server takes it: jobgraph's global ID (base64 of "Type:uuid"), or PostGraphile's row uuid. */
export function idFor(server: ServerName, type: "Job" | "User", uuid: string): string {
  return server === "postgraphile" || server === "postgraphile5" ? uuid : Buffer.from(`${type}:${uuid}`, "utf8").toString("base64");
}

/** Rows the benchmark's requests name: jobs (by one job's page) and users (by "my jobs"). */
export type Ids = { jobs: string[]; users: string[] };

/** The request bodies of a query for a server; the benchmark cycles through them. */
export function bodies(server: ServerName, query: QueryName, ids: Ids): string[] {
  const document = documentFor(server, query);
  switch (query) {
    case "jobById":
    case "jobDetail":
    case "jobEvents":
    case "jobTasks":
    case "jobFamily":
      return ids.jobs.map((id) => JSON.stringify({ query: document, variables: { id: idFor(server, "Job", id) } }));
    case "userJobs":
      return ids.users.map((id) => JSON.stringify({ query: document, variables: { creator: idFor(server, "User", id) } }));
    default:
      return [JSON.stringify({ query: document })];
  }
}

type Row = Record<string, unknown>;
type Edges = { edges: Array<{ node: Row }> };

/**
 * An answer reduced to what must be the same on every server: global IDs differ by design
 * (PostGraphile encodes its own), numbers may come as strings (BigInt) and times in another
 * notation, so those are normalised.
 */
export function canonical(query: QueryName, data: Row, server: ServerName): unknown {
  if (!OLD_QUERIES.has(query)) return canonicalShape(query, data, server === "jobgraph" || server === "floor" ? "jobgraph" : "postgraphile");
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

/** The first five queries, whose answers `canonical` reduces as it always has; the others go through `canonicalShape`. */
const OLD_QUERIES = new Set<QueryName>(["nestedPage", "jobById", "filteredList", "dashboard", "jobDetail"]);

type Page = { totalCount: number; edges: Array<{ node: Row }> };

/**
 * The later shapes' answers, reduced to what both schemas hold: jobgraph's nested objects
 * (executor, retryPolicy, requirements...) and typed lists (inputs, declarations) are laid out as
 * PostGraphile's columns and stored JSON are, with jobgraph's defaults applied to the JSON.
 */
function canonicalShape(query: QueryName, data: Row, kind: "jobgraph" | "postgraphile"): unknown {
  const jg = kind === "jobgraph";
  const time = (value: unknown) => (value == null ? null : new Date(String(value)).toISOString());
  const name = (value: unknown) => (value as { name?: string } | null)?.name ?? null;
  const page = <T,>(value: unknown, row: (node: Row) => T) => {
    const p = value as Page;
    return { totalCount: p.totalCount, nodes: p.edges.map((e) => row(e.node)) };
  };
  /** The fields `keys` as they are, and the times `times` in one notation. */
  const fields = (node: Row, keys: string[], times: string[] = []) => ({
    ...Object.fromEntries(keys.map((k) => [k, sortedKeys(node[k] ?? null)])),
    ...Object.fromEntries(times.map((k) => [k, time(node[k])])),
  });
  const retryPolicy = (node: Row) =>
    jg
      ? node.retryPolicy
      : { maxAttempts: node.maxAttempts, backoffBaseSeconds: node.retryBackoffBaseSeconds, backoffCapSeconds: node.retryBackoffCapSeconds, jitter: node.retryJitter, retryOn: node.retryOn };
  const executor = (node: Row) => (jg ? node.executor : node.executorName == null ? null : { name: node.executorName, version: node.executorVersion });
  const declarations = (value: unknown) =>
    (value as Row[]).map((d) => sortedKeys(jg ? d : { name: d.name, types: d.types, required: d.required ?? false, default: d.default ?? null, help: d.help ?? "" }));
  const number = (node: Row | null) => (node ? String(node.number) : null);
  const jobSummary = (node: Row) => ({ number: String(node.number), ...fields(node, ["name", "status"], ["createdAt"]) });

  switch (query) {
    case "templates":
      return page(data.jobTemplates, (t) => ({
        ...fields(t, ["name", "version", "description", "maxAttemptsLimit", "timeLimitSeconds", "taskTimeLimitSeconds", "stallAfterSeconds"], ["createdAt", "updatedAt", "deletedAt"]),
        executor: executor(t),
        inputs: declarations(t.inputs),
        parameters: declarations(t.parameters),
        retryPolicy: retryPolicy(t),
        creator: name(t.creator),
        jobs: page(t.jobs, jobSummary),
      }));
    case "nodes":
      return page(data.workerNodes, (n) => {
        const job = (j: Row) => ({ ...jobSummary(j), createdAt: time(j.createdAt), progress: j.progress, tasks: page(j.tasks, (t) => t) });
        let currentJobs;
        if (jg) currentJobs = page(n.currentJobs, job);
        else {
          const running = page(n.running, job);
          const acquired = page(n.acquired, job);
          const nodes = [...running.nodes, ...acquired.nodes].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt))).slice(0, NODE_JOBS);
          currentJobs = { totalCount: running.totalCount + acquired.totalCount, nodes };
        }
        return { ...fields(n, ["name", "description", "executors", "cpu", "memory", "labels", "draining"], ["lastSeenAt", "createdAt"]), currentJobs };
      });
    case "jobEvents": {
      const job = data.job as Row | null;
      if (!job) return null;
      const event = (e: Row) => ({
        ...fields(e, ["kind", "fromStatus", "toStatus", "progress", "detail", "jobVersion", "actorUser", "actorNode", "task"], ["at"]),
        // jobgraph's jobId is the job's global ID: base64 of "Job:<uuid>".
        jobId: jg ? Buffer.from(String(e.jobId), "base64").toString("utf8").replace(/^Job:/, "") : e.jobId,
      });
      return { number: number(job), status: job.status, events: page(jg ? job.events : data.events, event) };
    }
    case "users":
      return page(data.users, (u) => ({
        ...fields(u, ["name", "email", "role"], ["createdAt"]),
        tokens: page(u.tokens, (t) => fields(t, ["name", "prefix"], ["createdAt", "expiresAt", "revokedAt"])),
      }));
    case "jobTasks": {
      const job = data.job as Row | null;
      if (!job) return null;
      const task = (t: Row) => ({
        ...fields(
          t,
          ["name", "type", "status", "progress", "success", "sequence", "qsequence", "attempts", "maxAttempts", "reason", "output", "parameters", "payload", "hints", "requiredLabels", "mapIndex", "mapValue"],
          ["timeLimitAt", "timedOutAt", "startTime", "endTime", "createdAt", "updatedAt"],
        ),
        executor: executor(t),
        requirements: jg ? t.requirements : { cpu: t.cpu, memory: t.memory },
        limitations: jg ? t.limitations : { maxExecutionTimeInSeconds: t.maxExecutionTimeInSeconds },
        inputs: (t.inputs as Array<{ source: Row; target: Row }>).map(({ source, target }) => ({
          source: { uri: source.uri ?? null, spaceId: source.spaceId ?? null, key: source.key ?? null },
          target: { path: target.path },
        })),
        job: number(t.job as Row | null),
        mapTask: name(t.mapTask),
        createdByTask: name(t.createdByTask),
        stoppedBy: name(t.stoppedBy),
      });
      return { number: number(job), tasks: page(job.tasks, task) };
    }
    case "jobFamily": {
      const job = data.job as Row | null;
      if (!job) return null;
      const parent = job.parent as Row | null;
      const output = (o: Row) => ({ ...fields(o, ["name", "type", "sha256", "contentType"], ["createdAt"]), size: String(o.size), job: number(o.job as Row | null) });
      return {
        number: number(job),
        ...fields(job, ["name", "status"]),
        parent: parent && { number: number(parent), ...fields(parent, ["name", "status"]) },
        children: page(job.children, (c) => ({ ...jobSummary(c), outputs: page(c.outputs, output) })),
      };
    }
    case "userJobs":
      return page(data.jobs, (j) => ({
        number: String(j.number),
        ...fields(
          j,
          ["name", "queue", "status", "priority", "description", "tags", "maxAttempts", "onTaskFailure", "onDependencyFailure", "nondeterministic", "fingerprint", "version", "timeLimitSeconds", "taskTimeLimitSeconds", "stallAfterSeconds", "template"],
          ["runAfter", "deadline", "timeLimitAt", "lastReportAt", "leaseExpiresAt", "createdAt", "updatedAt", "deletedAt"],
        ),
        attempts: jg ? j.attemptCount : j.attempts,
        retryPolicy: retryPolicy(j),
        node: name(j.node),
      }));
    default:
      throw new Error(`no canonical form for ${query}`);
  }
}
