// Remembered principals (Authenticator, JOBGRAPH_AUTH_CACHE_SECONDS): a token is looked up once
// and then trusted for a while, but never past a revocation through the API, nor past its expiry;
// a change made in the database by hand is seen when the remembered principal runs out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestUser, type TestUser } from "../helpers/principals.js";

const Viewer = graphql(`
  query ViewerForAuthCache {
    viewer { name }
  }
`);

const Revoke = graphql(`
  mutation RevokeForAuthCache($id: ID!) {
    revokeApiToken(id: $id) { __typename }
  }
`);

const TTL_SECONDS = 2;
let database: TestDatabase;
let api: TestApi;

const lookUps = () => database.counter.statements.filter((s) => s.includes("/* authenticate */")).length;
const refused = async (user: TestUser) => (await api.fetch("/graphql", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: "{ viewer { name } }" }),
}, { token: user.secret })).status === 401;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database, { authCacheSeconds: TTL_SECONDS });
  // Started, so that its event listener hears revocations; until then nothing is remembered.
  await api.app.start(0);
});
afterAll(() => api.app.stop());

describe("remembered principals", () => {
  it("look a token up once while it is remembered", async () => {
    const user = await createTestUser(database.db);
    database.counter.reset();
    for (let i = 0; i < 5; i++) expect((await api.query(Viewer, {}, { token: user.secret })).viewer.name).toBe(user.name);
    expect(lookUps()).toBe(1);
  });

  it("forget a token revoked through the API at once", async () => {
    const user = await createTestUser(database.db);
    expect(await refused(user)).toBe(false);
    const revoked = await api.query(Revoke, { id: encodeGlobalId("ApiToken", user.tokenId) });
    expect(revoked.revokeApiToken.__typename).toBe("RevokeApiTokenPayload");
    expect(await refused(user)).toBe(true);
  });

  it("never outlive the token's expiry", async () => {
    const user = await createTestUser(database.db);
    await database.pool.query(`update api_tokens set expires_at = now() + interval '600 milliseconds' where id = $1`, [user.tokenId]);
    expect(await refused(user)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await refused(user)).toBe(true);
  });

  it("see a change made in the database by hand once they run out", async () => {
    const user = await createTestUser(database.db);
    expect(await refused(user)).toBe(false);
    await database.pool.query(`update users set disabled_at = now() where id = $1`, [user.id]);
    // Still remembered: this is the staleness JOBGRAPH_AUTH_CACHE_SECONDS allows.
    expect(await refused(user)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 200));
    expect(await refused(user)).toBe(true);
  });
});
