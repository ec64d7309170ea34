// The SDK's client against a real gateway: typed requests, subscriptions, uploads, and the errors
// a caller can tell apart.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createJobgraphClient, GraphQLRequestError, NetworkError, RefusedError } from "../../src/sdk/index.js";
import { graphql } from "../gql/index.js";
import { JobStatusWatch } from "../../src/sdk/operations.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const Viewer = graphql(`
  query SdkTestViewer { viewer { kind name isAdmin } }
`);

describe("createJobgraphClient", () => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  let jobId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    url = `http://127.0.0.1:${(await api.app.start(0)).port}/graphql`;
    const template = await createTemplate(database.db);
    jobId = encodeGlobalId("Job", ((await createJobs(database.db, template.id, 1)) as [string])[0]);
  });
  afterAll(() => api.app.stop());

  it("sends typed requests and subscriptions with the token", async () => {
    const client = createJobgraphClient({ url, token: api.admin.secret });
    try {
      expect(await client.request(Viewer)).toEqual({ viewer: { kind: "USER", name: api.admin.name, isAdmin: true } });
      const updates = client.subscribe(JobStatusWatch, { id: jobId });
      expect((await updates.next()).value).toEqual({ jobUpdated: { status: "QUEUED" } });
      await updates.return?.();
    } finally {
      await client.close();
    }
  });

  it("streams an upload and says why one is refused", async () => {
    const client = createJobgraphClient({ url, token: api.admin.secret });
    const content = randomBytes(1024 * 1024 + 3);
    const output = await client.upload(jobId, "weights", "bin", content);
    expect(output).toMatchObject({ size: content.length, sha256: createHash("sha256").update(content).digest("hex") });
    const again = client.upload(jobId, "weights", "bin", content);
    await expect(again).rejects.toBeInstanceOf(RefusedError);
    await expect(again).rejects.toMatchObject({ typename: "AlreadyExistsError" });
    await client.close();
  });

  it("tells a refused token from an unreachable gateway, and does not retry a refused token forever", async () => {
    const refused = createJobgraphClient({ url, token: "jgu_not-a-token-at-all" });
    await expect(refused.request(Viewer)).rejects.toMatchObject({ name: "GraphQLRequestError", status: 401, code: "UNAUTHENTICATED" });
    await expect(refused.request(Viewer)).rejects.toBeInstanceOf(GraphQLRequestError);
    await expect(refused.subscribe(JobStatusWatch, { id: jobId }).next()).rejects.toBeDefined();
    await refused.close();

    const nowhere = createJobgraphClient({ url: "http://127.0.0.1:1/graphql", token: api.admin.secret });
    await expect(nowhere.request(Viewer)).rejects.toBeInstanceOf(NetworkError);
  });
});
