// Every order a list of jobs takes, both ways, first pages and last pages, with and without a
// filter: the rows in the order asked for (unfinished jobs, which have no end time, last both ways)
// and how PostgreSQL reads them. Each page reads its rows from an index in order and stops, rather
// than reading and sorting every job the filter lets through. UPDATED_AT walks the index of
// updated_at to the minute and sorts the jobs of the minutes it reaches: updated_at changes with
// every report, and a b-tree on it would stop those updates being HOT (see the migration
// updated_at_order).
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const JOBS = 6000;
const PAGE = 20;
const FIELDS = ["CREATED_AT", "UPDATED_AT", "PRIORITY", "NUMBER", "END_TIME"] as const;
type Field = (typeof FIELDS)[number];

type Row = { id: string; createdAt: number; updatedAt: number; priority: number; number: number; endTime: number | null };
type Answer = { jobs: { edges: Array<{ node: { id: string } }> } };

const KEY: Record<Field, keyof Row> = { CREATED_AT: "createdAt", UPDATED_AT: "updatedAt", PRIORITY: "priority", NUMBER: "number", END_TIME: "endTime" };

/** The order the API promises: the field, nulls last whichever way, then the id the same way. */
function compare(field: Field, ascending: boolean) {
  return (a: Row, b: Row): number => {
    const x = a[KEY[field]] as number | null;
    const y = b[KEY[field]] as number | null;
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) return (x < y) === ascending ? -1 : 1;
    return a.id === b.id ? 0 : (a.id < b.id) === ascending ? -1 : 1;
  };
}

const pageOf = (field: Field, direction: string, end: "first" | "last", filter: string) =>
  `{ jobs(${end}: ${PAGE}, ${filter}orderBy: { field: ${field}, direction: ${direction} }) { edges { node { id } } } }`;

describe("every order of a list of jobs", () => {
  let database: TestDatabase;
  let api: TestApi;
  let all: Row[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db);
    await createJobs(database.db, template.id, JOBS, { spec: (i) => ({ priority: (i * 7) % 11, queue: i % 5 ? "default" : "gpu" }) });
    // Two jobs in three finished, at times that repeat (ties broken by id); the rest unfinished.
    await database.pool.query(
      `update jobs set status = 'SUCCEEDED', end_time = timestamptz '2026-02-01' + make_interval(mins => ((number * 13) % 500)::int)
        where number % 3 <> 0`,
    );
    // Changed over 100 minutes, 60 jobs a minute, in another order than they were made.
    await database.pool.query(`update jobs set updated_at = timestamptz '2026-03-01' + make_interval(secs => ((number * 7919) % ${JOBS})::int)`);
    // As a table that has been in use a while: statistics made, pages marked all-visible.
    await database.pool.query("vacuum analyze jobs");
    const { rows } = await database.pool.query<{ id: string; created_at: Date; updated_at: Date; priority: number; number: bigint | string; end_time: Date | null }>(
      "select id, created_at, updated_at, priority, number, end_time from jobs",
    );
    all = rows.map((r) => ({ id: r.id, createdAt: r.created_at.getTime(), updatedAt: r.updated_at.getTime(), priority: r.priority, number: Number(r.number), endTime: r.end_time?.getTime() ?? null }));
  }, 120_000);

  it("gives the rows in the order asked for, first pages and last pages, nulls last both ways", async () => {
    expect(all).toHaveLength(JOBS);
    for (const field of FIELDS) {
      for (const direction of ["ASC", "DESC"]) {
        const sorted = [...all].sort(compare(field, direction === "ASC")).map((r) => encodeGlobalId("Job", r.id));
        const first = (await sendText(api, pageOf(field, direction, "first", ""))) as unknown as Answer;
        expect(first.jobs.edges.map((e) => e.node.id), `${field} ${direction} first`).toEqual(sorted.slice(0, PAGE));
        const last = (await sendText(api, pageOf(field, direction, "last", ""))) as unknown as Answer;
        expect(last.jobs.edges.map((e) => e.node.id), `${field} ${direction} last`).toEqual(sorted.slice(-PAGE));
      }
    }
  });

  it("within a range of updatedAt, gives the rows the range holds, the minutes at its ends included", async () => {
    // Both ends in the middle of a minute: the jobs of its first and last minutes are split.
    const [from, to] = [Date.parse("2026-03-01T01:00:30.000Z"), Date.parse("2026-03-01T01:30:30.500Z")];
    const inRange = all.filter((r) => r.updatedAt >= from && r.updatedAt < to);
    expect(inRange.length).toBeGreaterThan(1000);
    const filter = `filter: { updatedAt: { from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}" } }, `;
    for (const field of FIELDS) {
      for (const direction of ["ASC", "DESC"]) {
        const sorted = [...inRange].sort(compare(field, direction === "ASC")).map((r) => encodeGlobalId("Job", r.id));
        for (const end of ["first", "last"] as const) {
          const page = (await sendText(api, pageOf(field, direction, end, filter).replace("{ edges", "{ totalCount edges"))) as unknown as Answer & { jobs: { totalCount: number } };
          expect(page.jobs.totalCount).toBe(inRange.length);
          expect(page.jobs.edges.map((e) => e.node.id), `${field} ${direction} ${end}`).toEqual(end === "first" ? sorted.slice(0, PAGE) : sorted.slice(-PAGE));
        }
      }
    }
  });

  it("pages on with cursors, either way, in the same order", async () => {
    for (const field of FIELDS) {
      for (const direction of ["ASC", "DESC"]) {
        const sorted = [...all].sort(compare(field, direction === "ASC")).map((r) => encodeGlobalId("Job", r.id));
        const walked: string[] = [];
        for (let after: string | null = null, i = 0; i < 5; i++) {
          const page = (await sendText(api, `query Walk($after: String) { jobs(first: 30, after: $after, orderBy: { field: ${field}, direction: ${direction} }) { pageInfo { endCursor } edges { node { id } } } }`, {
            after,
          })) as unknown as { jobs: Answer["jobs"] & { pageInfo: { endCursor: string } } };
          walked.push(...page.jobs.edges.map((e) => e.node.id));
          after = page.jobs.pageInfo.endCursor;
        }
        expect(walked, `${field} ${direction} forward`).toEqual(sorted.slice(0, 150));
        const back: string[] = [];
        for (let before: string | null = null, i = 0; i < 5; i++) {
          const page = (await sendText(api, `query Back($before: String) { jobs(last: 30, before: $before, orderBy: { field: ${field}, direction: ${direction} }) { pageInfo { startCursor } edges { node { id } } } }`, {
            before,
          })) as unknown as { jobs: Answer["jobs"] & { pageInfo: { startCursor: string } } };
          back.unshift(...page.jobs.edges.map((e) => e.node.id));
          before = page.jobs.pageInfo.startCursor;
        }
        expect(back, `${field} ${direction} backward`).toEqual(sorted.slice(-150));
      }
    }
  });

  it("reads each page from an index in order and stops", async () => {
    for (const field of FIELDS) {
      for (const direction of ["ASC", "DESC"]) {
        for (const end of ["first", "last"] as const) {
          for (const filter of ["", 'filter: { queue: "gpu" }, ', 'filter: { updatedAt: { from: "2026-03-01T01:00:30.000Z", to: "2026-03-01T01:30:30.500Z" } }, ']) {
            database.counter.reset();
            await sendText(api, pageOf(field, direction, end, filter));
            const reads = database.counter.statements
              .map((text, at) => ({ text, values: database.counter.parameters[at] }))
              .filter(({ text }) => /\bfrom jobs j\b/.test(text));
            expect(reads, database.counter.statements.join("\n---\n")).toHaveLength(1);
            const { text, values } = reads[0]!;
            const { rows } = await database.pool.query({ text: `explain (analyze, format json) ${text}`, values });
            const plan = rows[0]["QUERY PLAN"][0].Plan as PlanNode;
            const what = `${field} ${direction} ${end} ${filter || "(no filter)"}`;
            expect(nodes(plan).filter((n) => n["Node Type"] === "Seq Scan" || n["Node Type"] === "Sort").map((n) => n["Node Type"]), what).toEqual([]);
            // The jobs read: the page and the row that says whether more follow (and for orders whose
            // index does not hold the id, the rest of the last value's rows: at most a few here, and
            // for UPDATED_AT the rest of the last minute's 60), and for the filtered pages the jobs of
            // other queues passed over on the way (one in five is gpu's).
            const read = Math.max(...nodes(plan).filter((n) => n["Relation Name"] === "jobs" || n["Index Name"]?.startsWith("jobs_")).map((n) => n["Actual Rows"] + (n["Rows Removed by Filter"] ?? 0)));
            // (With the range of updatedAt, three jobs in ten pass, and UPDATED_AT starts its walk at the range.)
            const bound = field === "UPDATED_AT" ? (filter ? 4 : 3) * 60 : filter ? 10 * (PAGE + 1) : PAGE + 10;
            expect(read, what).toBeLessThanOrEqual(bound);
          }
        }
      }
    }
  });
});

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Actual Rows": number; "Rows Removed by Filter"?: number; Plans?: PlanNode[] };

/** A plan's nodes, depth first. */
function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}
