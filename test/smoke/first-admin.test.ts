// A gateway on a database of one's own (DATABASE_URL) starts with no user: no development token is
// made there. Until JOBGRAPH_ADMIN_TOKEN is set, every request is refused 401, so the start says
// what to do, and stops saying it once an admin can sign in.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";

const WARNING = "no admin has a token: set JOBGRAPH_ADMIN_TOKEN";
const ADMIN = `jgu_firstadmin_${"b".repeat(32)}`;
let database: TestDatabase;
const started: ServerProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.dispose()));
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const pooler = database.pooled ? { DATABASE_DIRECT_URL: database.directUrl } : {};
  const server = await startServer({ DATABASE_URL: database.url, ...pooler, JOBGRAPH_DEMO_DATA: "false", ...env });
  started.push(server);
  return server;
}

it("says at start that no admin can sign in, until JOBGRAPH_ADMIN_TOKEN makes one", { timeout: 120_000 }, async () => {
  const bare = await start({});
  expect(bare.output()).toContain(WARNING);
  await bare.dispose();

  const configured = await start({ JOBGRAPH_ADMIN_TOKEN: ADMIN });
  expect(configured.output()).not.toContain(WARNING);
  const answer = await fetch(configured.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ query: "{ viewer { name isAdmin } }" }),
  });
  expect(await answer.json()).toEqual({ data: { viewer: { name: "admin", isAdmin: true } } });
});
