// Hot reads in plain SQL over node-postgres, returning rows in exactly the shape Prisma returns them
// (field names, BigInt for int8, Date, parsed JSON), so the GraphQL types built on Prisma models
// serve them unchanged. Prisma's client spends most of a read's CPU turning rows into objects (see
// docs/performance.md); the pages that dashboards and workers ask for all the time come through here.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import pg from "pg";
import { LruCache, type CacheUsage } from "../lru.js";
import { dbPool, preparesStatements, type Db } from "./client.js";
import type { Prisma } from "./generated/prisma/client.js";
import { getDatamodel } from "./generated/pothos-types.js";

export type ModelName = "Job" | "Task" | "JobOutput" | "JobTemplate" | "JobEvent" | "JobAttempt" | "User" | "WorkerNode" | "Workflow" | "ApiToken" | "ScheduleTick" | "Schedule";

// Every @map in prisma/schema.prisma is the snake_case of its field's name; a test holds the
// columns derived here against the database's own (test/domain/rows.test.ts).
const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// Select lists by the fields they name: a handful in use, but each distinct selection of a job's
// fields that clients send makes another, so they are kept as a bounded cache.
const selectLists = new LruCache<string, string>({ maxEntries: 1000, maxBytes: 4 * 1024 * 1024 });
const scalarFields = new Map<ModelName, ReadonlySet<string>>();
const enumListFields = new Map<ModelName, ReadonlySet<string>>();

/**
 * A model's lists of enum values (jobs.retry_on): node-postgres does not know the array type of a
 * PostgreSQL enum and would hand over its text ("{A,B}"), so they are read as text[].
 */
function enumListsOf(model: ModelName): ReadonlySet<string> {
  let fields = enumListFields.get(model);
  if (!fields) {
    fields = new Set(
      getDatamodel()
        .datamodel.models[model]!.fields.filter((field) => field.kind === "enum" && (field as { isList?: boolean }).isList)
        .map((field) => field.name),
    );
    enumListFields.set(model, fields);
  }
  return fields;
}

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

const typedFields = new Map<string, ReadonlySet<string>>();
const NO_FIELDS: ReadonlySet<string> = new Set();

/** A model's scalar fields of one Prisma type (DateTime, BigInt). */
export function typedFieldsOf(model: ModelName, type: string): ReadonlySet<string> {
  const key = `${model} ${type}`;
  let fields = typedFields.get(key);
  if (!fields) {
    fields = new Set(
      getDatamodel()
        .datamodel.models[model]!.fields.filter((field) => field.kind === "scalar" && field.type === type)
        .map((field) => field.name),
    );
    typedFields.set(key, fields);
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
export function columnsOf(model: ModelName, alias: string, fields?: ReadonlySet<string>, prefix = "", forJson = false): string {
  let lists = selectListsBySet.get(fields ?? ALL_FIELDS);
  if (!lists) selectListsBySet.set(fields ?? ALL_FIELDS, (lists = new Map()));
  const key = `${model} ${alias} ${prefix}${forJson ? " json" : ""}`;
  let list = lists.get(key);
  if (!list) {
    const wanted = [...scalarFieldsOf(model)].filter((name) => !fields || fields.has(name));
    const listKey = `${key} ${wanted.join(",")}`;
    list = selectLists.get(listKey);
    if (!list) {
      const enumLists = enumListsOf(model);
      const bigints = forJson ? typedFieldsOf(model, "BigInt") : NO_FIELDS;
      list = wanted
        .map((name) => {
          const column = snakeCase(name);
          if (enumLists.has(name)) return `${alias}."${column}"::text[] as "${prefix}${name}"`;
          if (bigints.has(name)) return `${alias}."${column}"::text as "${prefix}${name}"`;
          return column === prefix + name ? `${alias}."${column}"` : `${alias}."${column}" as "${prefix}${name}"`;
        })
        .join(", ");
      selectLists.set(listKey, list, 2 * (listKey.length + list.length));
    }
    lists.set(key, list);
  }
  return list;
}

/**
 * Rows that a statement returned as JSON (a first page of a list read inside its parent's row, see
 * src/domain/job-reads.ts), in the shape node-postgres gives them as rows: their times as Dates and
 * their int8 columns (which columnsOf's `forJson` select list gives as text, for JSON numbers are
 * doubles) as BigInts. `models`: the model of the row's own fields, and of the fields under each
 * prefix (the rows joined to it); the rows are changed in place.
 */
export function fromJsonRows<T>(rows: Record<string, unknown>[], models: ReadonlyArray<readonly [prefix: string, model: ModelName]>): T[] {
  for (const [prefix, model] of models) {
    const times = [...typedFieldsOf(model, "DateTime")].map((name) => prefix + name);
    const bigints = [...typedFieldsOf(model, "BigInt")].map((name) => prefix + name);
    for (const row of rows) {
      for (const name of times) if (typeof row[name] === "string") row[name] = new Date(row[name] as string);
      for (const name of bigints) if (typeof row[name] === "string") row[name] = BigInt(row[name] as string);
    }
  }
  return rows as T[];
}

/** A joined row to nest (see nestUnder): under `key`, null when the row's `foreignKey` is (a left join that found nothing). */
export type Nested = { key: string; foreignKey?: string | undefined };

/**
 * Rows with the columns named `${key}.field` (columnsOf with that prefix) moved into an object
 * under `key`, for each of `joins`: the rows of joined tables, nested as Prisma's `include` would
 * nest them. The rows of one result share their columns, so which goes where is worked out once,
 * from the first.
 */
export function nestUnder<T extends object>(rows: object[], joins: readonly Nested[]): T[] {
  if (!rows.length || !joins.length) return rows as T[];
  const names = Object.keys(rows[0]!);
  const prefixes = joins.map((j) => `${j.key}.`);
  const outerNames = names.filter((name) => !prefixes.some((prefix) => name.startsWith(prefix)));
  const nestedNames = prefixes.map((prefix) => names.filter((name) => name.startsWith(prefix)).map((name) => [name, name.slice(prefix.length)] as const));
  return rows.map((row) => {
    const columns = row as Record<string, unknown>;
    const outer: Record<string, unknown> = {};
    for (const name of outerNames) outer[name] = columns[name];
    for (let i = 0; i < joins.length; i++) {
      const { key, foreignKey } = joins[i]!;
      if (foreignKey && columns[foreignKey] == null) {
        outer[key] = null;
        continue;
      }
      const nested: Record<string, unknown> = {};
      for (const [from, to] of nestedNames[i]!) nested[to] = columns[from];
      outer[key] = nested;
    }
    return outer as T;
  });
}

/**
 * Distinct statement texts prepared. A prepared statement stays on each connection (in
 * node-postgres and in its PostgreSQL backend) as long as the connection, and every distinct
 * selection of columns makes another text, so only the first this many are prepared: the shapes
 * of the transitions, claims and reads clients use all the time, many times over. Later ones run
 * unnamed, planned at each run.
 */
export const MAX_PREPARED_STATEMENTS = 1000;

/**
 * Whether a statement is prepared: always (`true`: transitions, claims and reads by key, a few
 * texts run all the time), never, or once its text comes a second time (`"repeated"`: pages and
 * counts, whose texts follow the filters and fields a client asks for; a dashboard polls the same
 * one, while a text seen once would only take a place among the MAX_PREPARED_STATEMENTS).
 * Through a transaction-mode pooler nothing is: a statement prepared on one server connection
 * would be run by name on another, which never saw it.
 */
export type Prepare = boolean | "repeated";

/** Texts run once and not prepared (yet): bounded, forgotten all at once when full. */
const MAX_SEEN_ONCE = 1000;
const seenOnce = new Set<string>();

const statementNames = new Map<string, string>();
let statementBytes = 0;

/** A prepared statement's name, from its text (PostgreSQL cuts names at 63 bytes); undefined once MAX_PREPARED_STATEMENTS are named. */
function statementName(text: string, prepare: Prepare): string | undefined {
  let name = statementNames.get(text);
  if (!name && prepare === "repeated" && !seenOnce.delete(text)) {
    if (seenOnce.size >= MAX_SEEN_ONCE) seenOnce.clear();
    seenOnce.add(text);
    return undefined;
  }
  if (!name && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `jobgraph_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
    statementBytes += 2 * text.length;
  }
  return name;
}

/** What this process keeps of the statements it makes: select lists, and the texts it prepares (on each connection). */
export function statementCaches(): { selectLists: CacheUsage; preparedStatements: CacheUsage } {
  return {
    selectLists: selectLists.usage,
    // Bounded by their number; the bytes are their texts'.
    preparedStatements: { entries: statementNames.size, bytes: statementBytes, maxEntries: MAX_PREPARED_STATEMENTS, maxBytes: Infinity },
  };
}

/** The parts of node-postgres' Query and Result that Statement takes over (not in its types). */
type QueryInternals = {
  _result: { fields: pg.FieldDef[]; _parsers: unknown[] | undefined; _prebuiltEmptyResultObject: object | null };
  _accumulateRows: boolean;
  portal: string | undefined;
  binary: boolean | undefined;
  rows: number | undefined;
  callback: unknown;
  values: unknown[] | undefined;
  listeners(event: string): unknown[];
  hasBeenParsed(connection: Connection): boolean;
  handleError(error: Error, connection: Connection): void;
  _getRows(connection: Connection, rows: number | undefined): void;
};

/** node-postgres' connection, as a query's prepare() is given it (not in its types). */
type Connection = {
  bind(message: { portal?: string; statement?: string; values: unknown[]; binary?: boolean; valueMapper: unknown }): void;
  close(message: { type: "S"; name?: string }): void;
  sync(): void;
};

/** node-postgres' own mapping of a parameter to its text, as its Query binds them. */
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils") as { prepareValue: unknown };

/** What a prepared statement's rows are (as a Result sets itself up from a RowDescription): its columns, their parsers, an empty row. */
type Described = { fields: pg.FieldDef[]; parsers: unknown[] | undefined; emptyRow: object | null };

/**
 * The rows of each statement prepared on each connection. A prepared statement's columns do not
 * change (PostgreSQL refuses to run one whose result would), so they are asked for once per
 * connection rather than at every run.
 */
const descriptions = new WeakMap<Connection, Map<string, Described>>();

/**
 * A statement as node-postgres runs it, made as a Query itself: a query given as a config object
 * is copied, descriptors and all, at every run (about 3 µs, and 4% of a job by id's CPU). Its
 * values are parsed by the connection's parsers (createDb's pool reads int8 as BigInt).
 *
 * A prepared statement run again on a connection skips the Describe that node-postgres sends at
 * every run: the RowDescription it brings back, parsed and turned into parsers and an empty row for
 * each of its columns, was 7% of a gateway's CPU under workers (docs/performance.md), and it is
 * the same every time.
 */
class Statement extends pg.Query {
  /** The prepared statement's name (node-postgres reads it from the query); none: unnamed. */
  declare name: string | undefined;
  /** The connection this run describes its rows on, to keep what it is told. */
  private describing: Connection | undefined;

  constructor(text: string, values: unknown[], name: string | undefined) {
    super(text, values);
    if (name) this.name = name;
  }

  prepare(connection: Connection): void {
    const self = this as unknown as QueryInternals;
    // Described rows are kept only for what this connection has parsed; the check keeps the two in step.
    const known = this.name === undefined || !self.hasBeenParsed(connection) ? undefined : descriptions.get(connection)?.get(this.name);
    if (!known) {
      if (this.name !== undefined) this.describing = connection;
      (pg.Query.prototype as unknown as { prepare(connection: Connection): void }).prepare.call(this, connection);
      return;
    }
    // As node-postgres' prepare() does for a statement parsed before, but without the Describe.
    try {
      connection.bind({ portal: self.portal, statement: this.name, values: self.values ?? [], binary: self.binary, valueMapper: prepareValue });
    } catch (error) {
      connection.close({ type: "S", name: this.name });
      connection.sync();
      self.handleError(error as Error, connection);
      return;
    }
    const result = self._result;
    result.fields = known.fields;
    result._parsers = known.parsers;
    result._prebuiltEmptyResultObject = known.emptyRow;
    self._accumulateRows = Boolean(self.callback) || !self.listeners("row").length;
    self._getRows(connection, self.rows);
  }

  handleRowDescription(message: pg.QueryResultBase & { fields: pg.FieldDef[] }): void {
    (pg.Query.prototype as unknown as { handleRowDescription(message: unknown): void }).handleRowDescription.call(this, message);
    const connection = this.describing;
    if (!connection || this.name === undefined) return;
    const result = (this as unknown as QueryInternals)._result;
    let known = descriptions.get(connection);
    if (!known) descriptions.set(connection, (known = new Map()));
    known.set(this.name, { fields: result.fields, parsers: result._parsers, emptyRow: result._prebuiltEmptyResultObject });
  }
}

/**
 * How node-postgres runs a statement: when it is prepared (see Prepare), as a prepared statement
 * named after its text, parsed once per connection and planned by PostgreSQL's plan cache (a
 * custom plan for its first runs, a generic one after when that is no worse). Each distinct text
 * prepared stays on every connection.
 */
export function statementConfig(text: string, values: unknown[], prepare: Prepare): pg.Query {
  return new Statement(text, values, prepare ? statementName(text, prepare) : undefined);
}

/**
 * Runs one statement on the client's pool (see Prepare). A client not made by createDb (a wrapper
 * of one, as tests make) runs it through Prisma instead.
 */
export async function queryRows<T>(db: Db, text: string, values: unknown[], prepare: Prepare = "repeated"): Promise<T[]> {
  const pool = dbPool(db);
  if (!pool) return db.$queryRawUnsafe<T[]>(text, ...values);
  const result = (await pool.query(statementConfig(text, values, preparesStatements(db) && prepare))) as unknown as pg.QueryResult<T & pg.QueryResultRow>;
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
  const result = (await pool.query(statementConfig(statement.text, statement.values, preparesStatements(db as Db)))) as unknown as pg.QueryResult<T & pg.QueryResultRow>;
  return result.rows;
}
