// What the random-shapes benchmark measures of one document: the fields its answer resolves, the
// SQL statements it costs (pg_stat_statements), and the CPU time of the gateway and of PostgreSQL
// (/proc) over requests sent back to back. Also what is checked of every answer: no errors, and
// what any correct answer must hold (pages no longer than asked, counts no smaller than the page,
// filters obeyed, an id read as asked).
import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  valueFromASTUntyped,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import type pg from "pg";
import { cpuMs, postgresCpuMs } from "../lib.js";

export type Target = { url: string; token: string; pid: number; postmasterPid: number | null; db: pg.Client };

/** Codes of the gateway's refusals of a document over its limits: a document refused is the generator's bug. */
const REFUSALS = new Set(["QUERY_TOO_COSTLY", "PAGE_SIZE_EXCEEDED", "GRAPHQL_VALIDATION_FAILED"]);

export class Refused extends Error {}

type Answer = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

/** Sends `body` once; throws Refused for a refusal over limits, Error for any other failure. */
export async function send(target: Target, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(target.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${target.token}` }, body });
  const text = await response.text();
  let answer: Answer;
  try {
    answer = JSON.parse(text) as Answer;
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  if (answer.errors?.length) {
    // graphql-armor's refusals (depth, tokens) carry no code, only this prefix.
    const refused = answer.errors.some((e) => REFUSALS.has(e.extensions?.code ?? "") || e.message.startsWith("Syntax Error"));
    const message = `HTTP ${response.status}: ${JSON.stringify(answer.errors).slice(0, 1000)}`;
    throw refused ? new Refused(message) : new Error(message);
  }
  if (!response.ok || !answer.data) throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return answer.data;
}

/**
 * The fields an answer resolved: every field of every object counts one, whatever its value
 * (a leaf, an object, a list, null), and a list's objects count their own; a JSON value is a leaf.
 */
export function countFields(schema: GraphQLSchema, data: Record<string, unknown>): number {
  const walk = (value: unknown, type: GraphQLOutputType): number => {
    if (value === null || value === undefined) return 0;
    if (isNonNullType(type)) return walk(value, type.ofType);
    if (isListType(type)) return (value as unknown[]).reduce<number>((sum, item) => sum + walk(item, type.ofType), 0);
    const named = getNamedType(type);
    if (isLeafType(named)) return 0;
    const object = value as Record<string, unknown>;
    const concrete = (typeof object.__typename === "string" ? schema.getType(object.__typename) : named) as GraphQLObjectType;
    let n = 0;
    for (const [key, child] of Object.entries(object)) {
      n += 1;
      const field = concrete.getFields()[key];
      if (field) n += walk(child, field.type);
    }
    return n;
  };
  return walk(data, schema.getQueryType()!);
}

/**
 * What a correct answer to the document must hold; returns what it does not. A page holds at
 * most the rows asked for, and no more than its totalCount; hasNextPage (hasPreviousPage for
 * `last`) says whether totalCount is more than the page; a status filter is obeyed by the rows'
 * statuses; `job(id)`, `task(id)` and `node(id)` read the row asked for.
 */
export function checkAnswer(text: string, data: Record<string, unknown>, defaultPageSize: number): string[] {
  const problems: string[] = [];
  const operation = parse(text).definitions[0]!;
  if (operation.kind !== Kind.OPERATION_DEFINITION) return ["no operation"];
  const argumentsOf = (field: FieldNode) => Object.fromEntries((field.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)])) as Record<string, unknown>;
  const walk = (set: SelectionSetNode, value: unknown, path: string) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(set, item, `${path}.${i}`));
      return;
    }
    const object = value as Record<string, unknown>;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition?.name.value === object.__typename || !selection.typeCondition) walk(selection.selectionSet, object, path);
        continue;
      }
      if (selection.kind !== Kind.FIELD || !selection.selectionSet) continue;
      const name = selection.name.value;
      const child = object[name];
      const here = `${path}.${name}`;
      const args = argumentsOf(selection);
      const page = child as { edges?: Array<{ node?: Record<string, unknown> }>; totalCount?: number; pageInfo?: Record<string, unknown> } | null;
      if (page && typeof page === "object" && !Array.isArray(page) && selection.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "edges")) {
        const size = (args.first ?? args.last ?? defaultPageSize) as number;
        const rows = page.edges?.length ?? 0;
        if (rows > size) problems.push(`${here}: ${rows} rows for a page of ${size}`);
        if (page.totalCount !== undefined && page.totalCount < rows) problems.push(`${here}: totalCount ${page.totalCount} < ${rows} rows`);
        const more = args.last !== undefined ? page.pageInfo?.hasPreviousPage : page.pageInfo?.hasNextPage;
        if (page.totalCount !== undefined && typeof more === "boolean" && more !== page.totalCount > rows) {
          problems.push(`${here}: ${args.last !== undefined ? "hasPreviousPage" : "hasNextPage"} ${more} with ${rows} rows of ${page.totalCount}`);
        }
        const filter = args.filter as { status?: string[] } | undefined;
        for (const edge of page.edges ?? []) {
          const status = edge.node?.status;
          if (filter?.status && typeof status === "string" && !filter.status.includes(status)) problems.push(`${here}: a row with status ${status} for a filter on ${filter.status.join(", ")}`);
        }
      } else if (page === null && selection.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "edges")) {
        problems.push(`${here}: null connection`);
      }
      if (path === "" && ["job", "task", "node"].includes(name) && typeof args.id === "string") {
        if (child === null) problems.push(`${here}: null for an id that exists`);
        else if (typeof (child as Record<string, unknown>).id === "string" && (child as Record<string, unknown>).id !== args.id) problems.push(`${here}: read ${String((child as Record<string, unknown>).id)}`);
      }
      walk(selection.selectionSet, child, here);
    }
  };
  walk(operation.selectionSet, data, "");
  return problems;
}

export type Statements = {
  perRequest: number;
  /** Those Prisma wrote (it names every table with its schema, "public"."jobs"); the others are the gateway's own SQL. */
  prismaPerRequest: number;
  execMsPerRequest: number;
  top: Array<{ perRequest: number; execMsPerRequest: number; query: string }>;
};

const isPrisma = (query: string) => query.includes('"public".');

/** A statement's text on one line, its middle (the columns) cut from a long one so that its WHERE and LIMIT show. */
function shortened(query: string): string {
  const line = query.replace(/\s+/g, " ").trim();
  return line.length > 1200 ? `${line.slice(0, 500)} … ${line.slice(-700)}` : line;
}

/**
 * Statements executed since the last reset, per request, with the ones that took the most time.
 * The caller's authentication (a statement every JOBGRAPH_AUTH_CACHE_SECONDS, whatever the
 * document) is left out.
 */
async function statements(db: pg.Client, requests: number): Promise<Statements> {
  const { rows } = await db.query<{ calls: string; ms: number; query: string }>(/* sql */ `
    /* benchShapeStatements */
    select s.calls, s.total_exec_time as ms, s.query
      from pg_stat_statements s join pg_database d on d.oid = s.dbid
     where d.datname = current_database() and s.query not like '%pg_stat_statements%'
       and s.query not like '%/* authenticate */%' and s.query not like '%/* touchToken */%'
     order by s.total_exec_time desc, s.query`);
  const calls = rows.reduce((sum, r) => sum + Number(r.calls), 0);
  const ms = rows.reduce((sum, r) => sum + r.ms, 0);
  return {
    perRequest: calls / requests,
    prismaPerRequest: rows.filter((r) => isPrisma(r.query)).reduce((sum, r) => sum + Number(r.calls), 0) / requests,
    execMsPerRequest: ms / requests,
    top: rows.slice(0, 5).map((r) => ({ perRequest: Number(r.calls) / requests, execMsPerRequest: r.ms / requests, query: shortened(r.query) })),
  };
}

export type Load = { requests: number; seconds: number; gatewayCpuMs: number; postgresCpuMs: number | null };

/**
 * Sends `body` from `concurrency` clients, each its next request as soon as its answer arrived,
 * until the gateway has spent `minCpuMs` of CPU over at least `minRequests` requests, or
 * `maxSeconds` have passed; reads the CPU of the gateway and of PostgreSQL before and after.
 */
export async function load(target: Target, body: string, options: { concurrency: number; minRequests: number; minCpuMs: number; maxSeconds: number }): Promise<Load> {
  const pgBefore = target.postmasterPid ? await postgresCpuMs(target.postmasterPid) : Number.NaN;
  const before = await cpuMs(target.pid);
  const started = performance.now();
  let requests = 0;
  let done = false;
  let failure: unknown;
  const client = async () => {
    while (!done) {
      try {
        await send(target, body);
        requests++;
      } catch (error) {
        failure = error;
        done = true;
      }
    }
  };
  const clients = Array.from({ length: options.concurrency }, client);
  while (!done) {
    await new Promise((r) => setTimeout(r, 20));
    const spent = (await cpuMs(target.pid)) - before;
    const elapsed = (performance.now() - started) / 1000;
    if ((spent >= options.minCpuMs && requests >= options.minRequests) || elapsed >= options.maxSeconds) done = true;
  }
  await Promise.all(clients);
  if (failure) throw failure;
  const seconds = (performance.now() - started) / 1000;
  const gatewayCpuMs = (await cpuMs(target.pid)) - before;
  const pgAfter = target.postmasterPid ? await postgresCpuMs(target.postmasterPid) : Number.NaN;
  return { requests, seconds, gatewayCpuMs, postgresCpuMs: Number.isNaN(pgAfter - pgBefore) ? null : pgAfter - pgBefore };
}

/** Statements per request of `body`, over `requests` sent one after another after a reset of pg_stat_statements. */
export async function countStatements(target: Target, body: string, requests: number): Promise<Statements> {
  await target.db.query("select pg_stat_statements_reset()");
  for (let i = 0; i < requests; i++) await send(target, body);
  return statements(target.db, requests);
}
