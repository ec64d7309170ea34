// Writes schema.graphql: the printed schema, types and fields in alphabetical order.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/db/migrate.js";
import { printSchemaSdl } from "../src/graphql/print.js";

writeFileSync(path.join(projectRoot, "schema.graphql"), printSchemaSdl());
