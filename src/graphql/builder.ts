// The schema builder and its plugins. No types are defined here (see types/).
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import InputGuardPlugin from "./input-guard.js";
import RowAuthPlugin, { forbiddenRead } from "./row-auth.js";
import { getNamedType, getNullableType, GraphQLError, isListType, type GraphQLOutputType } from "graphql";
import type PrismaTypes from "../db/generated/pothos-types.js";
import { isAdmin } from "../domain/principal.js";
import { getDatamodel } from "../db/generated/pothos-types.js";
import type { FileUpload } from "../http/request-bodies.js";
import type { Principal } from "../domain/principal.js";
import type { Context } from "./context.js";
import { decodeGlobalId, encodeGlobalId } from "./global-id.js";
import { codedError, INVALID_PAGE_SIZE } from "./error-codes.js";
import { loadNodes } from "./nodes.js";
import { costChecked } from "./query-cost.js";

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

/**
 * The length a plain list with a `first` (Job.dependents) or `last` (Job.attempts) argument is cut
 * to: a page size, refused as a connection's is when negative or above the maximum.
 */
export function listSize(size: number | null | undefined, ctx: Context, name: "first" | "last" = "first"): number {
  if (size != null && size < 0) throw codedError(INVALID_PAGE_SIZE, `Argument "${name}" must be a non-negative integer, got ${size}`);
  maxPageSize({ [name]: size }, ctx);
  return size ?? ctx.settings.defaultPageSize;
}

/** The cost of a plain list with a `first` or `last` argument: that many rows, or a page's by default. */
export const listComplexity = (args: { first?: number | null; last?: number | null }, ctx: Context) => ({
  field: 1,
  multiplier: Math.max(args.first ?? args.last ?? ctx.settings.defaultPageSize, 1),
});

/** What the `first` argument of a plain list that takes one says (see listSize). */
export const FIRST_OF_LIST =
  "At most this many, those of the lowest numbers: a page's size (the default page size, 20 unless the gateway says otherwise, when not given; at most the maximum page size).";
/** What the `last` argument of a plain list that takes one says (see listSize). */
export const LAST_OF_LIST =
  "At most this many, the latest: a page's size (the default page size, 20 unless the gateway says otherwise, when not given; at most the maximum page size).";

/** Page sizes of every connection, from the app's settings. */
export const pageSize = {
  maxSize: maxPageSize,
  defaultSize: (_args: PageArgs, ctx: Context) => ctx.settings.defaultPageSize,
};

/**
 * What a field costs: 1, times the rows it may return for everything selected below it. A
 * connection may return `first` (or `last`, or the default page size) rows; its `edges` add nothing
 * more; another list counts as 10. It reads only the arguments in COST_ARGUMENTS (query-cost.ts
 * remembers costs by their values): an argument read here must be listed there.
 */
function fieldComplexity(args: Record<string, unknown>, ctx: Context, field: { type: GraphQLOutputType }) {
  const named = getNamedType(field.type).name;
  const size = args.first ?? args.last;
  if (typeof size === "number") return { field: 1, multiplier: Math.max(size, 1) };
  if (named.endsWith("Connection")) return { field: 1, multiplier: ctx.settings.defaultPageSize };
  if (Array.isArray(args.ids)) return { field: 1, multiplier: Math.max(args.ids.length, 1) };
  if (isListType(getNullableType(field.type)) && !named.endsWith("Edge")) return { field: 1, multiplier: 10 };
  // An explicit multiplier: a bare number would let the plugin multiply lists (edges) by 10 again.
  return { field: 1, multiplier: 1 };
}

type Scopes = { authenticated: boolean; admin: boolean; self: (userId: string) => boolean; selfNode: (nodeId: string) => boolean };

const scopesByViewer = new WeakMap<Principal, Scopes>();

/**
 * The auth scopes of a viewer, made once per principal rather than once per request: a
 * subscription keeps its request's scopes for as long as it runs, and a socket may carry thousands
 * of them for one principal (remembered principals are shared, see src/domain/auth.ts).
 */
function scopesOf(viewer: Principal | null): Scopes {
  if (!viewer) return { authenticated: false, admin: false, self: () => false, selfNode: () => false };
  let scopes = scopesByViewer.get(viewer);
  if (!scopes) {
    scopes = {
      authenticated: true,
      admin: isAdmin(viewer),
      self: (userId) => viewer.kind === "USER" && viewer.userId === userId,
      selfNode: (nodeId) => viewer.kind === "NODE" && viewer.nodeId === nodeId,
    };
    scopesByViewer.set(viewer, scopes);
  }
  return scopes;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  AuthScopes: {
    /** Any user or worker node with a valid token. */
    authenticated: boolean;
    admin: boolean;
    /** The viewer is the user with this id. */
    self: string;
    /** The viewer is the worker node with this id. */
    selfNode: string;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Long: { Input: bigint; Output: bigint | number };
    ID: { Input: string; Output: string | number | bigint };
    File: { Input: FileUpload; Output: never };
  };
}>({
  // Rows' own visibility with scope-auth, before anything resolves. The input guard last: it checks
  // arguments' text after scope-auth, and codes Pothos' refusals.
  plugins: [ScopeAuthPlugin, RowAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin, InputGuardPlugin],
  complexity: {
    fieldComplexity,
    // An operation QueryCosts found within the limit needs no second walk (query-cost.ts).
    limit: (ctx) => (costChecked(ctx) ? {} : { complexity: ctx.limits.maxCost }),
    complexityError: (_kind, { complexity, maxComplexity }) =>
      new GraphQLError(`the query costs ${complexity}, more than the limit of ${maxComplexity}; ask for smaller pages`, {
        extensions: { code: "QUERY_TOO_COSTLY", cost: complexity, maxCost: maxComplexity },
      }),
  },
  scopeAuth: {
    authScopes: (ctx) => scopesOf(ctx.viewer),
    // Refusals of reads are GraphQL errors with a stable code; mutations refuse with ForbiddenError
    // members of their result unions, raised by the domain.
    unauthorizedError: forbiddenRead,
  },
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    // A development aid: a resolver that loads without its selection costs extra queries.
    // acquireNextJob's job is null when there is nothing to take, and idle workers ask often.
    onUnusedQuery:
      process.env.NODE_ENV === "production"
        ? null
        : (info) => {
            if (info.parentType.name === "AcquireJobPayload") return;
            console.warn(`Prisma query was unused in resolver for ${info.parentType.name}.${info.fieldName}`);
          },
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
      resolve: async (_root, args, ctx, info) => (await loadNodes([args.id], ctx, info))[0],
    },
    nodesQueryOptions: {
      description: "Fetches objects by their global IDs, in the order given; null for each that does not exist.",
      args: { ids: { description: "Global IDs." } },
      resolve: (_root, args, ctx, info) => loadNodes(args.ids, ctx, info),
    },
    pageInfoTypeOptions: { description: "Where a page lies in its connection." },
  },
  errors: { defaultTypes: [] },
});
