// A prepared statement's rows are described once per connection (src/db/rows.ts, Statement): later
// runs skip the Describe, and with it the RowDescription that node-postgres would parse and turn
// into parsers again at every run. The rows must come back exactly as when described: the same
// columns, parsed by the same parsers (int8 as BigInt, timestamps as Date, JSON parsed, nulls).
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, dbPool, type Db } from "../../src/db/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { freshModule } from "../helpers/fresh.js";

// Which statements are prepared is the process's to decide, and test files that ran before in
// this worker may have named as many as it prepares (see vitest.config.ts, isolate): these tests
// count from none, in a copy of the module of their own.
const { queryRows } = await freshModule<typeof import("../../src/db/rows.js")>("src/db/rows.ts");

let t: TestDatabase;
let db: Db;
/** RowDescription messages the pool's one connection has received. */
let described = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  // One connection, whose messages are counted.
  db = createDb({ url: t.url, poolSize: 1 });
  // Every connection the pool opens (a statement that fails can cost it the one it had).
  dbPool(db)!.on("connect", (client) => (client as pg.PoolClient & { connection: { on(event: string, listener: () => void): void } }).connection.on("rowDescription", () => described++));
});

afterAll(async () => {
  await db?.$disconnect();
});

const TEXT = /* sql */ `
  select $1::int8 as big, $2::text as label, '2026-01-02T03:04:05.678Z'::timestamptz as at,
         jsonb_build_object('n', length($2::text)) as detail, null::text as nothing, array[$2::text] as labels`;

describe("a prepared statement run again", () => {
  it("is described once per connection, and its rows are the same at every run", async () => {
    const before = described;
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await queryRows<Record<string, unknown>>(db, TEXT, [String(9007199254740993n + BigInt(i)), `run ${i}`], true));
    expect(described - before).toBe(1);
    runs.forEach((rows, i) => {
      expect(rows).toEqual([
        { big: 9007199254740993n + BigInt(i), label: `run ${i}`, at: new Date("2026-01-02T03:04:05.678Z"), detail: { n: `run ${i}`.length }, nothing: null, labels: [`run ${i}`] },
      ]);
      expect(Object.keys(rows[0]!)).toEqual(["big", "label", "at", "detail", "nothing", "labels"]);
    });
  });

  it("still refuses a value that does not fit, and the connection goes on", async () => {
    await queryRows(db, TEXT, ["1", "a"], true);
    await expect(queryRows(db, TEXT, ["not a number", "a"], true)).rejects.toThrow(/invalid input syntax/);
    expect(await queryRows(db, TEXT, ["2", "b"], true)).toMatchObject([{ big: 2n, label: "b" }]);
  });

  it("returns no rows as an empty list, and then rows again", async () => {
    const text = "select id from generate_series(1, $1::int) as id";
    expect(await queryRows(db, text, [2], true)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await queryRows(db, text, [0], true)).toEqual([]);
    expect(await queryRows(db, text, [1], true)).toEqual([{ id: 1 }]);
  });

  it("unprepared, is described at every run", async () => {
    const before = described;
    for (let i = 0; i < 3; i++) expect(await queryRows(db, "select $1::int + 1 as next", [i], false)).toEqual([{ next: i + 1 }]);
    expect(described - before).toBe(3);
  });
});
