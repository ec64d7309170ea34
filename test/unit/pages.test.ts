// Connections built from the batched reads (src/graphql/pages.ts) are the ones Pothos' Prisma
// connections build: the same cursors, and the same pageInfo, for every way of asking for a page.
import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import { describe, expect, it } from "vitest";
import { builder, pageSize } from "../../src/graphql/builder.js";
import type { Context } from "../../src/graphql/context.js";
import { connectionOf, pageFromQuery } from "../../src/graphql/pages.js";
import "../../src/graphql/schema.js";

const helper = prismaConnectionHelpers(builder, "Task", { cursor: "id", ...pageSize });
const ctx = { settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 60 } } as Context;
// Only the id matters to a connection; the rest of a task row is left out.
type Row = Parameters<typeof helper.resolve>[0][number];
const rows = Array.from({ length: 12 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }) as Row);
const cursor = (row: Row) => helper.resolve([row], { first: 1 }, ctx).edges[0]!.cursor;

type Args = PothosSchemaTypes.DefaultConnectionArguments;
const cases: Array<[string, Args, number]> = [
  ["first, more follow", { first: 5 }, 6],
  ["first, the last page", { first: 5 }, 3],
  ["first after a cursor", { first: 5, after: "CURSOR" }, 6],
  ["last, more precede", { last: 5 }, 6],
  ["last, the first page", { last: 5 }, 2],
  ["last before a cursor", { last: 4, before: "CURSOR" }, 5],
  ["the default size", {}, 12],
  ["first: 0", { first: 0 }, 1],
];

describe("connections of batched reads", () => {
  it.each(cases)("match Pothos' for %s", (_name, raw, fetched) => {
    const args = { ...raw, ...(raw.after ? { after: cursor(rows[0]!) } : {}), ...(raw.before ? { before: cursor(rows[11]!) } : {}) };
    const page = pageFromQuery(helper.getQuery(args, ctx, () => true) as { take: number; cursor?: { id: string } });
    const list = rows.slice(0, fetched);
    const theirs = helper.resolve(list, args, ctx);
    const mine = connectionOf(list, args, page);
    expect(mine.edges.map((e) => [e.cursor, e.node.id])).toEqual(theirs.edges.map((e) => [e.cursor, e.node.id]));
    expect({ ...mine.pageInfo }).toEqual(theirs.pageInfo);
  });

  it("reads the page asked for from first/last/after/before", () => {
    expect(pageFromQuery(helper.getQuery({ first: 5 }, ctx, () => true) as never)).toEqual({ take: 6, after: null, backward: false });
    expect(pageFromQuery(helper.getQuery({ last: 3, before: cursor(rows[4]!) }, ctx, () => true) as never)).toEqual({
      take: 4,
      after: rows[4]!.id,
      backward: true,
    });
  });
});
