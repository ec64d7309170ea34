// A Pothos plugin for types whose rows each say who may read them (an API token: its owner and
// admins): the type's `visibleTo(row, context)` is checked before every field of every row, as
// scope-auth's type-level `authScopes` would, and a row the viewer may not read refuses each field
// with the same FORBIDDEN error.
// scope-auth runs type scopes through its generic steps (a request cache looked up, a cache per
// type and row, closures made at each call) for each field of each row: on a page of users with
// their tokens that was most of the plugin's 6% of the gateway's CPU. A plain predicate on the row
// costs a comparison or two and makes nothing. scope-auth's own checks (root types, fields' scopes)
// are untouched; it cannot run type scopes once per row instead (`runScopesOnType`), because it
// does that in isTypeOf, which the compiled queries (graphql-jit) call without the context.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";

type Resolver<C = unknown> = GraphQLFieldResolver<unknown, C, object>;

/** The refusal of a read, the same as scope-auth's (see builder.ts). */
export const forbiddenRead = () => new GraphQLError("you may not read this", { extensions: { code: "FORBIDDEN" } });

export class RowAuthPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Resolver<Types["Context"]>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types["Context"]> {
    const type = this.buildCache.getTypeConfig(fieldConfig.parentType);
    const visibleTo = type.kind === "Object" ? (type.pothosOptions as { visibleTo?: (row: unknown, context: Types["Context"]) => boolean }).visibleTo : undefined;
    if (!visibleTo) return resolver;
    return (parent, args, context, info) => {
      if (!visibleTo(parent, context)) throw forbiddenRead();
      return resolver(parent, args, context, info);
    };
  }
}

const pluginName = "rowAuth";
export default pluginName;

SchemaBuilder.registerPlugin(pluginName, RowAuthPlugin);

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      rowAuth: RowAuthPlugin<Types>;
    }
    interface ObjectTypeOptions<Types extends SchemaTypes, Shape> {
      /** Whether the viewer may read this row: checked before each of its fields (see row-auth.ts). */
      visibleTo?: (row: Shape, context: Types["Context"]) => boolean;
    }
  }
}
