// The SDK's client against a real gateway: typed requests, subscriptions, uploads, and the errors
// a caller can tell apart.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createJobgraphClient, GraphQLRequestError, NetworkError, RefusedError } from "../../src/sdk/index.js";
import { graphql } from "../gql/index.js";
import { JobStatusWatch } from "../../src/sdk/operations.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const Viewer = graphql(`
  query SdkTestViewer { viewer { kind name isAdmin } }
`);

const CancelInBatch = graphql(`
  mutation SdkTestCancel($id: ID!, $reason: String) {
    cancelJob(id: $id, reason: $reason) {
      __typename
      ... on JobPayload { job { status } }
      ... on Error { message }
    }
  }
`);

const CreateInBatch = graphql(`
  mutation SdkTestCreate($input: CreateJobInput!) {
    createJob(input: $input) { __typename }
  }
`);

/** Counts the HTTP requests this process sends while `body` runs. */
async function countingRequests<T>(body: () => Promise<T>): Promise<{ result: T; requests: string[] }> {
  const original = globalThis.fetch;
  const requests: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(typeof init?.body === "string" ? init.body : "");
    return original(input, init);
  }) as typeof fetch;
  try {
    return { result: await body(), requests };
  } finally {
    globalThis.fetch = original;
  }
}

const uuidOf = (globalId: string) => decodeGlobalId(globalId).id;

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

  it("sends mutations requested together as one document, run in order, each answered on its own", async () => {
    const client = createJobgraphClient({ url, token: api.admin.secret, coalesceMutations: true });
    const template = await createTemplate(database.db, "sdk-batch");
    const [first, second] = (await createJobs(database.db, template.id, 2)).map((id) => encodeGlobalId("Job", id));
    const { result, requests } = await countingRequests(() =>
      Promise.allSettled([
        client.request(CancelInBatch, { id: first!, reason: "one" }),
        // The same job again: refused, since the one before it in the document cancelled it.
        client.request(CancelInBatch, { id: first!, reason: "two" }),
        client.request(CancelInBatch, { id: encodeGlobalId("Job", "00000000-0000-4000-8000-000000000000") }),
        client.request(CancelInBatch, { id: second! }),
        // Not a mutation: sent on its own.
        client.request(Viewer),
      ]),
    );
    expect(requests).toHaveLength(2);
    expect(requests.filter((r) => r.includes("cancelJob"))).toHaveLength(1);
    expect(result.map((r) => (r.status === "fulfilled" ? r.value : r.reason))).toEqual([
      { cancelJob: { __typename: "JobPayload", job: { status: "CANCELLED" } } },
      { cancelJob: expect.objectContaining({ __typename: "InvalidTransitionError" }) },
      { cancelJob: expect.objectContaining({ __typename: "NotFoundError" }) },
      { cancelJob: { __typename: "JobPayload", job: { status: "CANCELLED" } } },
      { viewer: expect.objectContaining({ kind: "USER" }) },
    ]);
    const { rows } = await database.pool.query<{ detail: unknown }>(
      "select detail from job_events where job_id = $1::uuid and kind = 'CANCELLED'",
      [uuidOf(first!)],
    );
    expect(rows).toHaveLength(1);

    // Requested one after the other, each goes alone.
    const { result: apart, requests: alone } = await countingRequests(async () => [
      await client.request(CancelInBatch, { id: second! }),
      await client.request(CancelInBatch, { id: first! }),
    ]);
    expect(alone).toHaveLength(2);
    expect(apart).toEqual([0, 1].map(() => ({ cancelJob: expect.objectContaining({ __typename: "InvalidTransitionError" }) })));
    await client.close();
  });

  it("sends mutations that add tasks alone: together they could pass the tasks one request may add", async () => {
    const client = createJobgraphClient({ url, token: api.admin.secret, coalesceMutations: true });
    const template = await createTemplate(database.db, "sdk-many-tasks");
    // 6,006 tasks each: two in one request would be 12,012, past the 10,000 a request may add.
    const tasks = Array.from({ length: 6 }, (_, m) => ({ name: `m${m}`, type: "MAP" as const, map: { task: {}, values: Array.from({ length: 1000 }, (_, i) => i) } }));
    const input = { templateName: template.name, inputs: [{ name: "dataset", value: "s3://data" }], tasks };
    try {
      const { result, requests } = await countingRequests(() => Promise.all([client.request(CreateInBatch, { input }), client.request(CreateInBatch, { input })]));
      expect(requests).toHaveLength(2);
      expect(result).toEqual([0, 1].map(() => ({ createJob: { __typename: "CreateJobPayload" } })));
    } finally {
      await client.close();
    }
  });

  it("sends the parts of a combined document the gateway refuses whole again one by one", async () => {
    // A gateway allowing one alias: each document alone passes, two combined (o0_, o1_) do not.
    const strict = await createTestApi(database, { limits: { ...defaultLimits, maxAliases: 1 } });
    const strictUrl = `http://127.0.0.1:${(await strict.app.start(0)).port}/graphql`;
    const client = createJobgraphClient({ url: strictUrl, token: strict.admin.secret, coalesceMutations: true });
    try {
      const template = await createTemplate(database.db, "sdk-batch-refused");
      const [first, second] = (await createJobs(database.db, template.id, 2)).map((id) => encodeGlobalId("Job", id));
      const { result, requests } = await countingRequests(() =>
        Promise.all([client.request(CancelInBatch, { id: first! }), client.request(CancelInBatch, { id: second! }), client.request(CancelInBatch, { id: first! })]),
      );
      // The combined document, then each part alone, in the order requested.
      expect(requests.map((r) => (JSON.parse(r) as { query: string }).query.match(/mutation (\w+)/)![1])).toEqual(["SdkBatch", "SdkTestCancel", "SdkTestCancel", "SdkTestCancel"]);
      expect(result).toEqual([
        { cancelJob: { __typename: "JobPayload", job: { status: "CANCELLED" } } },
        { cancelJob: { __typename: "JobPayload", job: { status: "CANCELLED" } } },
        { cancelJob: expect.objectContaining({ __typename: "InvalidTransitionError" }) },
      ]);
    } finally {
      await client.close();
      await strict.app.stop();
    }
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
