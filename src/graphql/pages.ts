// Pages of the batched reads as Relay connections, made exactly as Pothos' Prisma connections make
// them (the same cursors and pageInfo), so that moving a connection off Prisma changes nothing a
// client can see. Each edge holds its row as it is, with its cursor made only when asked for:
// a page of 50 jobs with 20 tasks each has a thousand edges.
import { formatPrismaCursor } from "@pothos/plugin-prisma";
import type { FieldNode, GraphQLResolveInfo } from "graphql";
import type { FirstRows, Page } from "../domain/job-reads.js";
import { ownFirstPage, selectedFields } from "./selection.js";

/** The page a Prisma cursor query (as Pothos builds it from first/last/after/before) asks for. */
export function pageFromQuery(query: { take?: number; cursor?: { id?: string | number | bigint } }): Page {
  const take = query.take ?? 0;
  const after = query.cursor?.id;
  return { take: Math.abs(take), after: typeof after === "number" ? BigInt(after) : (after ?? null), backward: take < 0 };
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

/** An edge: its cursor is made when asked for, on the class (an accessor in each literal costs far more to make). */
class Edge<T extends { id: string | bigint }> {
  constructor(readonly node: T) {}

  get cursor(): string {
    return formatPrismaCursor(this.node, "id");
  }
}

const edgeOf = <T extends { id: string | bigint }>(node: T) => new Edge(node);

/** How a connection's totalCount is counted, when it is asked for. */
export type Count = () => number | Promise<number>;

/**
 * The connection for `rows`, read for `page` (one row more than it holds, which says whether more
 * follow), with the same hasNextPage and hasPreviousPage as Pothos gives, and its `count`.
 */
export function connectionOf<T extends { id: string | bigint }>(rows: T[], args: PothosSchemaTypes.DefaultConnectionArguments, page: Page, count?: Count) {
  const full = rows.length === page.take;
  const backward = args.before != null || args.last != null;
  const kept = full ? (backward ? rows.slice(1) : rows.slice(0, -1)) : rows;
  const edges = kept.map(edgeOf);
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
