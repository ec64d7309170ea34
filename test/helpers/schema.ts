// What the committed schema holds, for tests that must cover every field of a kind.
import { readFile } from "node:fs/promises";
import { buildSchema, getNamedType, isObjectType, type GraphQLObjectType } from "graphql";

/** A field that returns a connection: `Type.field`, the connection's type, its edges' type and their items'. */
export type ConnectionField = { field: string; connection: string; edge: string; item: string };

/** Every field of the schema that returns a connection, sorted by `Type.field`. */
export async function connectionFields(): Promise<ConnectionField[]> {
  const schema = buildSchema(await readFile(new URL("../../schema.graphql", import.meta.url), "utf8"));
  const fields: ConnectionField[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const connection = getNamedType(field.type);
      if (!connection.name.endsWith("Connection") || !isObjectType(connection)) continue;
      const edge = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
      const item = getNamedType(edge.getFields().node!.type);
      fields.push({ field: `${type.name}.${field.name}`, connection: connection.name, edge: edge.name, item: item.name });
    }
  }
  return fields.sort((a, b) => (a.field < b.field ? -1 : 1));
}
