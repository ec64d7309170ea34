// A Pothos plugin for rows that say themselves who may read them (an API token: its owner and
// admins; a user's email and tokens: the user and admins): a type's `visibleTo(row, context)` is
// checked before every field of every row, as scope-auth's type-level `authScopes` would, and a
// field's `visibleTo(parent, context)` before that field, as its field-level `authScopes` would.
// A refusal is scope-auth's FORBIDDEN error.
// scope-auth runs scopes through its generic steps (a request cache looked up, a cache per type
// and row, a scope map made and walked, closures made at each call) for each field of each row:
// on a page of users with their tokens that was 6% of the gateway's CPU. A plain predicate on the
// row costs a comparison or two and makes nothing. scope-auth still guards the root types and
// every other field; it cannot run type scopes once per row instead (`runScopesOnType`), because
// it does that in isTypeOf, which the compiled queries (graphql-jit) call without the context.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";

type Resolver<C = unknown> = GraphQLFieldResolver<unknown, C, object>;

type Visibility<Types extends SchemaTypes> = { visibleTo?: (row: unknown, context: Types["Context"]) => boolean };

/** The refusal of a read, the same as scope-auth's (see builder.ts). */
export const forbiddenRead = () => new GraphQLError("you may not read this", { extensions: { code: "FORBIDDEN" } });

export class RowAuthPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Resolver<Types["Context"]>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types["Context"]> {
    const type = this.buildCache.getTypeConfig(fieldConfig.parentType);
    const rowVisible = type.kind === "Object" ? (type.pothosOptions as Visibility<Types>).visibleTo : undefined;
    const fieldVisible = (fieldConfig.pothosOptions as Visibility<Types>).visibleTo;
    if (rowVisible && fieldVisible) {
      return (parent, args, context, info) => {
        if (!rowVisible(parent, context) || !fieldVisible(parent, context)) throw forbiddenRead();
        return resolver(parent, args, context, info);
      };
    }
    const visibleTo = rowVisible ?? fieldVisible;
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
    interface FieldOptions<Types extends SchemaTypes, ParentShape> {
      /** Whether the viewer may read this field of this parent: checked before it resolves (see row-auth.ts). */
      visibleTo?: (parent: ParentShape, context: Types["Context"]) => boolean;
    }
  }
}
