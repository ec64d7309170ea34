// Hot reads in plain SQL over node-postgres, returning rows in exactly the shape Prisma returns them
// (field names, BigInt for int8, Date, parsed JSON), so the GraphQL types built on Prisma models
// serve them unchanged. Prisma's client spends most of a read's CPU turning rows into objects (see
// docs/performance.md); the pages that dashboards and workers ask for all the time come through here.
import { createHash } from "node:crypto";
import pg from "pg";
import { dbPool, type Db } from "./client.js";
import type { Prisma } from "./generated/prisma/client.js";
import { getDatamodel } from "./generated/pothos-types.js";

export type ModelName = "Job" | "Task" | "JobOutput" | "JobTemplate" | "JobEvent";

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

// Select lists by the set of fields they were made for (sets made once per field of a document,
// see src/graphql/selection.ts), then by model, alias and prefix.
const selectListsBySet = new WeakMap<ReadonlySet<string>, Map<string, string>>();
const ALL_FIELDS = new Set<string>();

/**
 * A model's columns under its Prisma field names: `t."template_id" as "templateId", ...`; only
 * those in `fields` when it is given. With a `prefix`, every name is prefixed (`"template.name"`),
 * for a joined row that nestUnder() takes apart.
 */
export function columnsOf(model: ModelName, alias: string, fields?: ReadonlySet<string>, prefix = ""): string {
  let lists = selectListsBySet.get(fields ?? ALL_FIELDS);
  if (!lists) selectListsBySet.set(fields ?? ALL_FIELDS, (lists = new Map()));
  const key = `${model} ${alias} ${prefix}`;
  let list = lists.get(key);
  if (!list) {
    const wanted = [...scalarFieldsOf(model)].filter((name) => !fields || fields.has(name));
    const listKey = `${key} ${wanted.join(",")}`;
    list = selectLists.get(listKey);
    if (!list) {
      list = wanted
        .map((name) => {
          const column = snakeCase(name);
          return column === prefix + name ? `${alias}."${column}"` : `${alias}."${column}" as "${prefix}${name}"`;
        })
        .join(", ");
      selectLists.set(listKey, list);
    }
    lists.set(key, list);
  }
  return list;
}

/**
 * Rows with the columns named `${key}.field` (columnsOf with that prefix) moved into an object
 * under `key`: the row of a joined table, nested as Prisma's `include` would nest it.
 */
export function nestUnder<T extends object>(rows: object[], key: string): T[] {
  const prefix = `${key}.`;
  return rows.map((row) => {
    const outer: Record<string, unknown> = {};
    const nested: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      if (name.startsWith(prefix)) nested[name.slice(prefix.length)] = value;
      else outer[name] = value;
    }
    outer[key] = nested;
    return outer as T;
  });
}

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
 * A statement as node-postgres runs it, made as a Query itself: a query given as a config object
 * is copied, descriptors and all, at every run (about 3 µs, and 4% of a job by id's CPU). Its
 * values are parsed by the connection's parsers (createDb's pool reads int8 as BigInt).
 */
class Statement extends pg.Query {
  /** The prepared statement's name (node-postgres reads it from the query); none: unnamed. */
  declare name: string | undefined;

  constructor(text: string, values: unknown[], name: string | undefined) {
    super(text, values);
    if (name) this.name = name;
  }
}

/**
 * How node-postgres runs a statement: when `prepare` is set, as a prepared statement named after
 * its text, parsed and planned once per connection. For statements whose text comes from a small
 * set: each distinct text stays prepared on every connection.
 */
export function statementConfig(text: string, values: unknown[], prepare: boolean): pg.Query {
  return new Statement(text, values, prepare ? statementName(text) : undefined);
}

/**
 * Runs one statement on the client's pool (see statementConfig for `prepare`). A client not made
 * by createDb (a wrapper of one, as tests make) runs it through Prisma instead.
 */
export async function queryRows<T>(db: Db, text: string, values: unknown[], prepare = false): Promise<T[]> {
  const pool = dbPool(db);
  if (!pool) return db.$queryRawUnsafe<T[]>(text, ...values);
  const result = (await pool.query(statementConfig(text, values, prepare))) as unknown as pg.QueryResult<T & pg.QueryResultRow>;
  return result.rows;
}

/**
 * Runs a statement built with Prisma.sql on the client's pool, prepared: the transitions, claims
 * and event reads that come here are a few shapes, run all the time, and planning one costs
 * PostgreSQL more than running it. Inside a transaction (`db` is its client) it runs through
 * Prisma, on the transaction's connection.
 */
export async function sqlRows<T>(db: Db | Prisma.TransactionClient, statement: Prisma.Sql): Promise<T[]> {
  const pool = dbPool(db as Db);
  if (!pool) return db.$queryRaw<T[]>(statement);
  const result = (await pool.query(statementConfig(statement.text, statement.values, true))) as unknown as pg.QueryResult<T & pg.QueryResultRow>;
  return result.rows;
}
