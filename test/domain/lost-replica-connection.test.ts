// A read replica's pool (createDb with a fallback, as src/db/replicas.ts makes it) whose connection
// is lost while a statement runs on it: the statement runs again on the fallback pool (the
// primary's), and its caller gets the rows, not the error; the replica is reported as failed. A
// statement that fails for its own reasons fails as before. The "replica" here is a second pool on
// the test database: what is tested is the pool, with a real connection ended by PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, dbPool, isRetryableRead, type Db } from "../../src/db/client.js";
import { queryRows } from "../../src/db/rows.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

let t: TestDatabase;
let replica: Db;
let primary: Db;
const failures: Error[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  // The primary's pool as src/db/replicas.ts hands it over (createDb's, which reads int8 as BigInt),
  // its connections named so that the statement below tells where it ran.
  const url = new URL(t.url);
  url.searchParams.set("application_name", "jobgraph-test-primary");
  primary = createDb({ url: url.toString(), poolSize: 2 });
  replica = createDb({ url: t.url, poolSize: 2, fallback: { pool: dbPool(primary)!, failed: (error) => void failures.push(error) } });
});

afterAll(async () => {
  await replica?.$disconnect();
  await primary?.$disconnect();
});

/** Ends, from outside, every connection of the replica's pool that is running `marker`. */
async function terminateRunning(marker: string): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const { rows } = await t.pool.query<{ ended: boolean }>(
      "select pg_terminate_backend(pid) as ended from pg_stat_activity where query like $1 and pid <> pg_backend_pid() and state = 'active'",
      [`%${marker}%`],
    );
    if (rows.length) return rows.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 0;
}

describe("a read whose replica connection is lost while it runs", () => {
  it("is answered from the primary, and the replica is reported", async () => {
    for (const prepare of [true, false] as const) {
      failures.length = 0;
      const marker = `lost_${prepare ? "prepared" : "unprepared"}`;
      const read = queryRows<{ n: bigint; backend: string }>(
        replica,
        `select /* ${marker} */ $1::int8 as n, current_setting('application_name') as backend from pg_sleep(case when current_setting('application_name') = 'jobgraph-test-primary' then 0 else 5 end)`,
        [41n],
        prepare,
      );
      expect(await terminateRunning(marker)).toBe(1);
      expect(await read).toEqual([{ n: 41n, backend: "jobgraph-test-primary" }]);
      expect(failures).toHaveLength(1);
      expect(isRetryableRead(failures[0])).toBe(true);
    }
  });

  it("fails as before when the statement itself is wrong, and is not run again", async () => {
    failures.length = 0;
    await expect(queryRows(replica, "select 1 / $1::int as n", [0], false)).rejects.toThrow(/division by zero/);
    expect(failures).toEqual([]);
  });
});

describe("isRetryableRead", () => {
  it("tells a lost connection or a recovery conflict from a statement's own error", () => {
    const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });
    expect(isRetryableRead(coded("57P01", "terminating connection due to administrator command"))).toBe(true);
    expect(isRetryableRead(coded("40001", "canceling statement due to conflict with recovery"))).toBe(true);
    expect(isRetryableRead(coded("ECONNRESET"))).toBe(true);
    expect(isRetryableRead(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isRetryableRead(coded("22012", "division by zero"))).toBe(false);
    expect(isRetryableRead(coded("42P01", "relation does not exist"))).toBe(false);
    expect(isRetryableRead("Connection terminated")).toBe(false);
  });
});
