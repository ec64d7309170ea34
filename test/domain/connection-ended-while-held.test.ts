// A connection PostgreSQL ends (a restart, a failover, pg_terminate_backend) while the gateway
// holds it between two statements: a transaction of its own, an output's upload. node-postgres
// reports the end as an 'error' event on the client, and a pool listens only to the clients it
// holds idle; unheard, the event is an uncaught exception that ends the process. Each pool the
// gateway makes must hear it, and the holder learn of it from its next statement instead.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, dbPool, type Db } from "../../src/db/client.js";
import { createContentPool } from "../../src/db/content-store.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

let t: TestDatabase;
let db: Db;
let outputs: pg.Pool;

beforeAll(async () => {
  t = await createTestDatabase();
  db = createDb({ url: t.url, poolSize: 2 });
  outputs = createContentPool(t.url, 2, 5_000);
});

afterAll(async () => {
  await db?.$disconnect();
  await outputs?.end();
});

/** Ends the connection of the backend `pid` from another one, and waits until it is gone. */
async function terminate(pid: number): Promise<void> {
  await t.pool.query("select pg_terminate_backend($1)", [pid]);
  for (let i = 0; i < 100; i++) {
    const { rowCount } = await t.pool.query("select 1 from pg_stat_activity where pid = $1", [pid]);
    if (!rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} did not end`);
}

describe.each([
  ["the database pool (createDb)", () => dbPool(db)!],
  ["the output content pool", () => outputs],
])("%s, whose connection is ended while it is held", (_, poolOf) => {
  it("survives, fails the holder's next statement, and gives the next caller a working connection", async () => {
    const pool = poolOf();
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    // The end arrives while no statement runs on the client: as an event, not as a statement's error.
    await terminate(rows[0]!.pid);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(client.query("select 1")).rejects.toThrow();
    client.release(true);
    const again = await pool.query<{ one: number }>("select 1 as one");
    expect(again.rows).toEqual([{ one: 1 }]);
  });
});
