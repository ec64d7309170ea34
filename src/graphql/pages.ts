// Pages of the batched reads as Relay connections, with Pothos' page sizes and pageInfo. Each edge
// holds its row as it is, with its cursor made only when asked for: a page of 50 jobs with 20
// tasks each has a thousand edges.
//
// A cursor is Pothos' Prisma cursor of the row's id (`GPC:S:<id>`, `GPC:I:<id>` for events and
// ticks) or, for a list sorted by more than its id, a JSON object of the id and the row's sort
// values (`GPC:O:{"id":…,"createdAt":…}`), base64-encoded: the next page starts from those values,
// whatever became of the row since (see pageStart in src/domain/job-reads.ts). Cursors of the first
// kind, which older versions gave for every list, are still taken.
import { formatPrismaCursor } from "@pothos/plugin-prisma";
import type { FieldNode, GraphQLResolveInfo } from "graphql";
import type { CursorField, CursorValues, FirstRows, Page } from "../domain/job-reads.js";
import { ownFirstPage, selectedFields } from "./selection.js";

/** The page a Prisma cursor query (as Pothos builds it from first/last/after/before) asks for. */
export function pageFromQuery(query: { take?: number; cursor?: { id?: unknown } }): Page {
  const take = query.take ?? 0;
  const cursor = query.cursor?.id;
  const page: Page = { take: Math.abs(take), after: null, backward: take < 0 };
  if (typeof cursor === "number") page.after = BigInt(cursor);
  else if (typeof cursor === "string" || typeof cursor === "bigint") page.after = cursor;
  else if (cursor && typeof cursor === "object") {
    // Checked by checkCursor (src/graphql/input-guard.ts) before any resolver runs.
    const { id, ...at } = cursor as { id: string } & CursorValues;
    page.after = id;
    page.at = at;
  }
  return page;
}

/**
 * The rows of a first page its parent was read with (see FirstPage), when they are the page the
 * resolving list field asks for: read for this very field node, and no cursor in `page`.
 */
export function firstRows<T>(first: FirstRows<T, unknown> | undefined, info: GraphQLResolveInfo, page: Page): T[] | undefined {
  return first && first.read === ownFirstPage(info) && first.read.take === page.take && !page.after && !page.backward ? first.rows : undefined;
}

// By field nodes, the same objects each time a field is resolved in a document.
const rowsRead = new WeakMap<readonly FieldNode[], boolean>();

/**
 * Whether a connection's selection needs its rows: not when it asks for its totalCount alone (a
 * dashboard's "how many tasks" for each of 50 jobs), which is then counted without reading a page.
 */
export function needsRows(info: GraphQLResolveInfo): boolean {
  let needed = rowsRead.get(info.fieldNodes);
  if (needed === undefined) {
    const selected = selectedFields(info);
    needed = selected.has("edges") || selected.has("pageInfo");
    rowsRead.set(info.fieldNodes, needed);
  }
  return needed;
}

/**
 * The cursor of `row` in a list whose cursors carry `fields` (see cursorFieldsOf), its JSON written
 * by hand: a page of 50 jobs with 20 tasks each may ask for a thousand cursors.
 */
export function cursorOf(row: { id: string | bigint }, fields: readonly CursorField[]): string {
  if (!fields.length) return formatPrismaCursor(row, "id");
  let json = `GPC:O:{"id":"${String(row.id)}"`;
  for (const field of fields) {
    const value = (row as Record<string, unknown>)[field];
    if (value === undefined) continue;
    json += `,"${field}":${value instanceof Date ? `"${value.toISOString()}"` : typeof value === "bigint" ? `"${value}"` : JSON.stringify(value)}`;
  }
  return Buffer.from(`${json}}`).toString("base64");
}

// By field nodes, as rowsRead.
const cursorsAsked = new WeakMap<readonly FieldNode[], boolean>();

/** Whether a connection's selection asks for a cursor: an edge's, or pageInfo's start or end. */
export function cursorsNeeded(info: GraphQLResolveInfo): boolean {
  let needed = cursorsAsked.get(info.fieldNodes);
  if (needed === undefined) {
    const pageInfo = selectedFields(info, ["pageInfo"]);
    needed = selectedFields(info, ["edges"]).has("cursor") || pageInfo.has("startCursor") || pageInfo.has("endCursor");
    cursorsAsked.set(info.fieldNodes, needed);
  }
  return needed;
}

/** An edge: its cursor is made when asked for, on the class (an accessor in each literal costs far more to make). */
class Edge<T extends { id: string | bigint }> {
  constructor(
    readonly node: T,
    private readonly fields: readonly CursorField[],
  ) {}

  get cursor(): string {
    return cursorOf(this.node, this.fields);
  }
}

/** How a connection's totalCount is counted, when it is asked for. */
export type Count = () => number | Promise<number>;

/**
 * The connection for `rows`, read for `page` (one row more than it holds, which says whether more
 * follow), with the same hasNextPage and hasPreviousPage as Pothos gives, and its `count`; its
 * cursors carry the rows' `fields` (see CURSOR_FIELDS).
 */
export function connectionOf<T extends { id: string | bigint }>(
  rows: T[],
  args: PothosSchemaTypes.DefaultConnectionArguments,
  page: Page,
  count?: Count,
  fields: readonly CursorField[] = [],
) {
  const full = rows.length === page.take;
  const backward = args.before != null || args.last != null;
  const kept = full ? (backward ? rows.slice(1) : rows.slice(0, -1)) : rows;
  const edges = kept.map((row) => new Edge(row, fields));
  return {
    edges,
    pageInfo: {
      hasNextPage: args.before != null ? true : args.last != null ? false : full,
      hasPreviousPage: args.after != null ? true : backward ? full : false,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges[edges.length - 1]?.cursor ?? null;
      },
    },
    count,
  };
}

const NO_PAGE = Object.freeze({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });

/**
 * A connection asked for its totalCount alone (see needsRows): no page is read or made, since
 * neither its edges nor its pageInfo will be asked for.
 */
export function countOnly(count: Count) {
  return { edges: [] as never[], pageInfo: NO_PAGE, count };
}
