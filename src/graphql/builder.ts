// The schema builder and its plugins. No types are defined here (see types/).
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import type PrismaTypes from "../db/generated/pothos-types.js";
import { getDatamodel } from "../db/generated/pothos-types.js";
import type { Context } from "./context.js";
import { decodeGlobalId, encodeGlobalId } from "./global-id.js";

type PageArgs = { first?: number | null; last?: number | null };

/**
 * Pothos would silently shorten a page that asks for more than the maximum; a client that asked for
 * 500 rows and got 100 might take them for all there is. It is refused instead.
 */
function maxPageSize(args: PageArgs, ctx: Context): number {
  const max = ctx.settings.maxPageSize;
  for (const name of ["first", "last"] as const) {
    const size = args[name];
    if (size != null && size > max) {
      throw new GraphQLError(`"${name}" is ${size}, more than the maximum page size of ${max}`, {
        extensions: { code: "PAGE_SIZE_EXCEEDED", maxPageSize: max },
      });
    }
  }
  return max;
}

/** Page sizes of every connection, from the app's settings. */
export const pageSize = {
  maxSize: maxPageSize,
  defaultSize: (_args: PageArgs, ctx: Context) => ctx.settings.defaultPageSize,
};

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Long: { Input: bigint; Output: bigint | number };
    ID: { Input: string; Output: string | number | bigint };
  };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "warn",
  },
  relay: {
    edgesFieldOptions: { nullable: false, description: "The items of this page, each with its cursor." },
    nodeFieldOptions: { nullable: false, description: "The item." },
    cursorFieldOptions: { description: "Pass as after (or before) to page on from this item." },
    pageInfoFieldOptions: { description: "Where this page lies in the whole list." },
    hasNextPageFieldOptions: { description: "Whether more items follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether items precede this page." },
    startCursorFieldOptions: { description: "The cursor of the first item of the page." },
    endCursorFieldOptions: { description: "The cursor of the last item of the page." },
    firstArgOptions: { description: "Page size, counting from the start or from after." },
    lastArgOptions: { description: "Page size, counting back from the end or from before." },
    afterArgOptions: { description: "Return items after this cursor." },
    beforeArgOptions: { description: "Return items before this cursor." },
    idFieldOptions: { description: "The object's global ID, for node(id) and for arguments that take it." },
    nodeTypeOptions: { description: "An object with a global ID that node(id) can fetch." },
    clientMutationId: "omit",
    cursorType: "String",
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
    nodeQueryOptions: {
      description: "Fetches any object by its global ID; null when it does not exist.",
      args: { id: { description: "A global ID." } },
    },
    nodesQueryOptions: {
      description: "Fetches objects by their global IDs, in the order given; null for each that does not exist.",
      args: { ids: { description: "Global IDs." } },
    },
    pageInfoTypeOptions: { description: "Where a page lies in its connection." },
  },
  errors: { defaultTypes: [] },
});
