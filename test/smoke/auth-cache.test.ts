// Two gateway processes on one database, each remembering principals for a minute: a token revoked
// through one is refused by the other within moments, because the revocation is announced to every
// instance, not after the minute its remembered principal would otherwise last.
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestUser } from "../helpers/principals.js";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";

const ADMIN = `jgu_authcache_${"a".repeat(32)}`;
let database: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  const env = { DATABASE_URL: database.url, JOBGRAPH_ADMIN_TOKEN: ADMIN, JOBGRAPH_AUTH_CACHE_SECONDS: "60", JOBGRAPH_LOG_LEVEL: "warn" };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
});

const status = (server: ServerProcess, token: string) =>
  fetch(server.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ viewer { name } }" }),
  }).then((r) => r.status);

it("a token revoked on one instance is refused by the other within a second", async () => {
  const user = await createTestUser(database.db);
  expect(await status(b, user.secret)).toBe(200);
  expect(await status(b, user.secret)).toBe(200);
  const revoked = await graphql<{ revokeApiToken: { __typename: string } }>(a, ADMIN, `mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }`, {
    id: encodeGlobalId("ApiToken", user.tokenId),
  });
  expect(revoked.revokeApiToken.__typename).toBe("RevokeApiTokenPayload");
  const revokedAt = Date.now();
  let answer = await status(b, user.secret);
  while (answer === 200 && Date.now() - revokedAt < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await status(b, user.secret);
  }
  expect(answer).toBe(401);
  expect(Date.now() - revokedAt).toBeLessThan(1_000);
}, 60_000);
