// Trusted documents over real HTTP and graphql-ws: documents sent by hash from a manifest, served by
// yoga's persisted-operations plugin at first sight and by the fast lane after; with trusted
// documents only, a user who is not an admin sends nothing else, whichever path would serve it
// (yoga, the fast lane after an admin validated the same text, a WebSocket), while admins and
// worker nodes keep arbitrary documents and the gateway's own SDK's documents stay open to all.
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { print } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { schema } from "../../src/graphql/schema.js";
import { ManifestError, TrustedDocuments } from "../../src/graphql/trusted-documents.js";
import { CliViewerDocument } from "../../src/sdk/gql/graphql.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { freePort, runServerToExit } from "../helpers/server-process.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const JOB = "query TrustedJob($id: ID!) { job(id: $id) { id number status } }";
const PROGRESS = "subscription TrustedProgress($id: ID!) { jobProgress(id: $id) { progress status } }";
const OTHER = "query Other($id: ID!) { job(id: $id) { id name } }";

let dir: string;
let manifest: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "jobgraph-trusted-"));
  manifest = path.join(dir, "persisted-documents.json");
  // As the client preset writes it: each hash after "sha256:".
  await writeFile(manifest, JSON.stringify({ [`sha256:${sha256(JOB)}`]: JOB, [sha256(PROGRESS)]: PROGRESS }));
});

describe("manifests", () => {
  it("loads the client preset's persisted-documents.json", async () => {
    const trusted = await TrustedDocuments.load([manifest], schema, true);
    expect(trusted.size).toBe(2);
    expect(trusted.textOf(sha256(JOB))).toBe(JOB);
  });

  it.each([
    ["not JSON", "{", /not a JSON file/],
    ["not an object", "[]", /not an object of document hashes/],
    ["a text that is not a string", JSON.stringify({ abc: 1 }), /the entry abc is not a document's text/],
    ["a document that does not parse", JSON.stringify({ abc: "query {" }), /the document abc is not valid/],
    ["a document of another schema", JSON.stringify({ abc: "query { nope }" }), /the document abc is not valid against this gateway's schema: Cannot query field "nope"/],
  ])("refuses a manifest with %s, naming the file", async (_name, content, message) => {
    const file = path.join(dir, `bad-${sha256(content).slice(0, 8)}.json`);
    await writeFile(file, content);
    const loading = TrustedDocuments.load([file], schema, false);
    await expect(loading).rejects.toThrow(ManifestError);
    await expect(loading).rejects.toThrow(file);
    await expect(loading).rejects.toThrow(message);
  });

  it("the gateway does not start on a manifest it cannot use, and says why", async () => {
    const bad = path.join(dir, "stale.json");
    await writeFile(bad, JSON.stringify({ abc: "query { nope }" }));
    const { code, stderr } = await runServerToExit({ PORT: String(await freePort()), JOBGRAPH_DATA_DIR: dir, JOBGRAPH_TRUSTED_DOCUMENTS: bad });
    expect(code).toBe(1);
    expect(stderr).toContain(`jobgraph: JOBGRAPH_TRUSTED_DOCUMENTS: ${bad}: the document abc is not valid against this gateway's schema`);
  }, 60_000);

  it("refuses one hash for two different documents across manifests", async () => {
    const other = path.join(dir, "clash.json");
    await writeFile(other, JSON.stringify({ [sha256(JOB)]: OTHER }));
    await expect(TrustedDocuments.load([manifest, other], schema, false)).rejects.toThrow(/stands for two different documents/);
  });
});

describe.each([false, true])("a gateway with trusted documents (only: %s)", (only) => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  let user: TestUser;
  let node: TestNode;
  let job: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { trustedDocuments: await TrustedDocuments.load([manifest], schema, only) });
    url = `http://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}/graphql`;
    user = await createTestUser(database.db);
    node = await createTestNode(database.db);
    const template = await createTemplate(database.db);
    job = encodeGlobalId("Job", (await createJobs(database.db, template.id, 1))[0]!);
  });

  afterAll(async () => {
    await api.app.stop();
  });

  async function post(body: Record<string, unknown>, token: string) {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
  }

  /** The same request as a GET, as Apollo Client sends documents by hash (useGETForHashedQueries) and urql its queries. */
  async function get(params: Record<string, unknown>, token: string) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) search.set(name, typeof value === "string" ? value : JSON.stringify(value));
    const response = await fetch(`${url}?${search.toString()}`, {
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true", accept: "application/graphql-response+json" },
    });
    return { status: response.status, body: (await response.json()) as Awaited<ReturnType<typeof post>>["body"] };
  }

  async function laneCount(): Promise<number> {
    const text = await (await fetch(url.replace("/graphql", "/metrics"))).text();
    return Number(/^jobgraph_http_fast_lane_requests_total (\d+)$/m.exec(text)![1]);
  }

  const byHash = (text: string, variables: Record<string, unknown>) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } }, variables });

  it("runs a document sent by hash, by yoga at first sight and by the fast lane after; documentId works too", async () => {
    const before = await laneCount();
    const first = await post(byHash(JOB, { id: job }), user.secret);
    expect(first).toMatchObject({ status: 200, body: { data: { job: { id: job, status: "QUEUED" } } } });
    expect(await laneCount()).toBe(before);
    const prefixed = { extensions: { persistedQuery: { version: 1, sha256Hash: `sha256:${sha256(JOB)}` } }, variables: { id: job } };
    for (const body of [byHash(JOB, { id: job }), prefixed, { documentId: `sha256:${sha256(JOB)}`, variables: { id: job } }, { documentId: sha256(JOB), variables: { id: job } }]) {
      expect(await post(body, user.secret)).toEqual(first);
    }
    expect(await laneCount()).toBe(before + 4);
    // By GET, with the hash in the URL's extensions: the fast lane's too.
    expect(await get(byHash(JOB, { id: job }), user.secret)).toEqual(first);
    expect(await laneCount()).toBe(before + 5);
  });

  it("a hash no manifest holds: PERSISTED_QUERY_NOT_FOUND, which Apollo's persisted-queries link answers by sending the document", async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await post(byHash(OTHER, { id: job }), user.secret);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }]);
    }
  });

  it("variables that are not an object, beside a hash: refused alike at every sight", async () => {
    await post(byHash(JOB, { id: job }), user.secret);
    const before = await laneCount();
    const answers = [];
    for (const variables of [[job], "x", [job]]) answers.push(await post({ ...byHash(JOB, {}), variables }, user.secret));
    expect(await laneCount()).toBe(before);
    for (const answer of answers) expect(answer).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: "BAD_REQUEST" } }] } });
  });

  it("neither a document nor a hash: BAD_REQUEST", async () => {
    const answer = await post({ extensions: { persistedQuery: { version: 2 } } }, user.secret);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
  });

  it(only ? "a user's own document is refused with TRUSTED_DOCUMENTS_ONLY, even once an admin ran it" : "a user's own document runs", async () => {
    const text = `query Own${only ? "Only" : ""}($id: ID!) { job(id: $id) { id name } }`;
    const asUser = () => post({ query: text, variables: { id: job } }, user.secret);
    const refusal = {
      status: 403,
      body: {
        errors: [
          {
            message: "This gateway runs trusted documents only: send the hash of a document from its manifest (extensions.persistedQuery.sha256Hash, or documentId).",
            extensions: { code: "TRUSTED_DOCUMENTS_ONLY" },
          },
        ],
      },
    };
    const ran = { status: 200, body: { data: { job: { id: job, name: expect.any(String) } } } };
    expect(await asUser()).toMatchObject(only ? refusal : ran);
    // An admin's request puts the text among the documents the fast lane knows.
    expect(await post({ query: text, variables: { id: job } }, api.admin.secret)).toMatchObject(ran);
    expect(await post({ query: text, variables: { id: job } }, api.admin.secret)).toMatchObject(ran);
    expect(await asUser()).toMatchObject(only ? refusal : ran);
    expect(await asUser()).toMatchObject(only ? refusal : ran);
    // Nor by GET, which the fast lane serves too.
    expect(await get({ query: text, variables: { id: job } }, api.admin.secret)).toMatchObject(ran);
    expect(await get({ query: text, variables: { id: job } }, user.secret)).toMatchObject(only ? refusal : ran);
  });

  it("admins and worker nodes send documents of their own; anyone sends a trusted text in full, or one of the SDK's documents", async () => {
    const own = { query: "query NodeOwn { viewer { kind name } }" };
    expect(await post(own, node.secret)).toMatchObject({ status: 200, body: { data: { viewer: { kind: "NODE" } } } });
    expect(await post(own, api.admin.secret)).toMatchObject({ status: 200, body: { data: { viewer: { kind: "USER" } } } });
    expect(await post({ query: JOB, variables: { id: job } }, user.secret)).toMatchObject({ status: 200, body: { data: { job: { id: job } } } });
    expect(await post({ query: print(CliViewerDocument) }, user.secret)).toMatchObject({ status: 200, body: { data: { viewer: { kind: "USER" } } } });
  });

  it("graphql-ws: a subscription by hash; a user's own document refused when trusted documents only", async () => {
    const client = createClient({ url: url.replace("http", "ws"), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${user.secret}` }, retryAttempts: 0 });
    try {
      const first = async (payload: { query: string; variables: Record<string, unknown>; extensions?: Record<string, unknown> }) => {
        const iterator = client.iterate(payload);
        try {
          const next = await iterator.next();
          return next.value as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
        } catch (errors) {
          return { errors: errors as Array<{ extensions?: { code?: string } }> };
        } finally {
          await iterator.return?.();
        }
      };
      expect(await first({ query: "", ...byHash(PROGRESS, { id: job }) })).toEqual({ data: { jobProgress: { progress: 0, status: "QUEUED" } } });
      const unknown = await first({ query: "", ...byHash(OTHER, { id: job }) });
      expect(unknown.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      const own = await first({ query: "subscription OwnProgress($id: ID!) { jobProgress(id: $id) { progress } }", variables: { id: job } });
      if (only) expect(own.errors?.[0]?.extensions?.code).toBe("TRUSTED_DOCUMENTS_ONLY");
      else expect(own).toEqual({ data: { jobProgress: { progress: 0 } } });
    } finally {
      await client.dispose();
    }
  });

  it("server-sent events: a subscription by hash", async () => {
    const controller = new AbortController();
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${user.secret}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify(byHash(PROGRESS, { id: job })),
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(JSON.parse(/data: (.*)/.exec(text)![1]!)).toEqual({ data: { jobProgress: { progress: 0, status: "QUEUED" } } });
  });
});
