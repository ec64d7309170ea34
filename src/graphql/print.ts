import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./schema.js";

/** The schema as committed in schema.graphql: sorted, so diffs show only real changes. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
