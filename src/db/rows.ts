// Hot reads in plain SQL over node-postgres, returning rows in exactly the shape Prisma returns them
// (field names, BigInt for int8, Date, parsed JSON), so the GraphQL types built on Prisma models
// serve them unchanged. Prisma's client spends most of a read's CPU turning rows into objects (see
// docs/performance.md); the pages that dashboards and workers ask for all the time come through here.
import { createHash } from "node:crypto";
import pg from "pg";
import { dbPool, type Db } from "./client.js";
import type { Prisma } from "./generated/prisma/client.js";
import { getDatamodel } from "./generated/pothos-types.js";

export type ModelName = "Job" | "Task" | "JobOutput" | "JobTemplate";

// Every @map in prisma/schema.prisma is the snake_case of its field's name; a test holds the
// columns derived here against the database's own (test/domain/rows.test.ts).
const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const selectLists = new Map<string, string>();
const scalarFields = new Map<ModelName, ReadonlySet<string>>();

/** A model's scalar fields (its columns), by Prisma field name. */
export function scalarFieldsOf(model: ModelName): ReadonlySet<string> {
  let fields = scalarFields.get(model);
  if (!fields) {
    fields = new Set(
      getDatamodel()
        .datamodel.models[model]!.fields.filter((field) => field.kind === "scalar" || field.kind === "enum")
        .map((field) => field.name),
    );
    scalarFields.set(model, fields);
  }
  return fields;
}

/**
 * A model's columns under its Prisma field names: `t."template_id" as "templateId", ...`; only
 * those in `fields` when it is given.
 */
export function columnsOf(model: ModelName, alias: string, fields?: ReadonlySet<string>): string {
  const wanted = [...scalarFieldsOf(model)].filter((name) => !fields || fields.has(name));
  const key = `${model} ${alias} ${wanted.join(",")}`;
  let list = selectLists.get(key);
  if (!list) {
    list = wanted
      .map((name) => {
        const column = snakeCase(name);
        return column === name ? `${alias}."${column}"` : `${alias}."${column}" as "${name}"`;
      })
      .join(", ");
    selectLists.set(key, list);
  }
  return list;
}

// int8 comes as BigInt, as Prisma gives it; node-postgres would give a string.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 ? BigInt : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

const statementNames = new Map<string, string>();

/** A prepared statement's name, from its text (PostgreSQL cuts names at 63 bytes). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `jobgraph_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Runs one statement on the client's pool. `prepare` makes it a prepared statement on each
 * connection, parsed and planned once: for statements whose text comes from a small set. A client
 * not made by createDb (a wrapper of one, as tests make) runs it through Prisma instead.
 */
export async function queryRows<T>(db: Db, text: string, values: unknown[], prepare = false): Promise<T[]> {
  const pool = dbPool(db);
  if (!pool) return db.$queryRawUnsafe<T[]>(text, ...values);
  const result = await pool.query<T & pg.QueryResultRow>({ text, values, types, ...(prepare ? { name: statementName(text) } : {}) });
  return result.rows;
}

/**
 * Runs a statement built with Prisma.sql on the client's pool. Inside a transaction (`db` is its
 * client) it runs through Prisma, on the transaction's connection.
 */
export async function sqlRows<T>(db: Db | Prisma.TransactionClient, statement: Prisma.Sql): Promise<T[]> {
  const pool = dbPool(db as Db);
  if (!pool) return db.$queryRaw<T[]>(statement);
  const result = await pool.query<T & pg.QueryResultRow>({ text: statement.text, values: statement.values, types });
  return result.rows;
}
