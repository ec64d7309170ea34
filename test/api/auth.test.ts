// Who may do what, through the real API: authentication, the read rules, the management
// mutations, and the viewerCan* flags, as a matrix of operation x principal.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

const Viewer = graphql(`
  query Viewer {
    viewer { kind name role isAdmin user { name } node { name } token { prefix lastUsedAt } }
  }
`);

const Jobs = graphql(`
  query JobsForAuth {
    jobs(first: 10) { totalCount }
  }
`);

const UserDetail = graphql(`
  query UserDetail($id: ID!) {
    node(id: $id) { ... on User { name email tokens { totalCount } } }
  }
`);

const Users = graphql(`
  query UsersForAuth($filter: UserFilter) {
    users(first: 50, filter: $filter) { totalCount edges { node { name role } } }
  }
`);

const TokenNode = graphql(`
  query TokenNode($id: ID!) {
    node(id: $id) { ... on ApiToken { prefix active } }
  }
`);

const CreateUser = graphql(`
  mutation CreateUserForAuth($input: CreateUserInput!) {
    createUser(input: $input) {
      __typename
      ... on CreateUserPayload { user { id name role } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const CreateToken = graphql(`
  mutation CreateTokenForAuth($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenPayload { secret token { id prefix expiresAt active user { name } } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const RevokeToken = graphql(`
  mutation RevokeTokenForAuth($id: ID!) {
    revokeApiToken(id: $id) {
      __typename
      ... on RevokeApiTokenPayload { token { revokedAt active } }
      ... on Error { message }
    }
  }
`);

const RegisterNode = graphql(`
  mutation RegisterNodeForAuth($input: RegisterWorkerNodeInput!) {
    registerWorkerNode(input: $input) {
      __typename
      ... on RegisterWorkerNodePayload { secret node { name executors labels } token { prefix } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const JobFlags = graphql(`
  query JobFlags($id: ID!) {
    job(id: $id) {
      viewerCanAcquire viewerCanCancel viewerCanReset viewerCanAbort
      viewerCanUpdate viewerCanDelete viewerCanReinstate viewerCanHardDelete
    }
  }
`);

describe("authentication and authorization", () => {
  let database: TestDatabase;
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;
  let node: TestNode;
  let otherNode: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    alice = await createTestUser(database.db, "USER", "alice");
    bob = await createTestUser(database.db, "USER", "bob");
    node = await createTestNode(database.db, "node-a");
    otherNode = await createTestNode(database.db, "node-b");
    await database.db.user.update({ where: { id: alice.id }, data: { email: "alice@example.com" } });
  });

  describe("a request without a valid token", () => {
    async function refusal(token: string | null) {
      const response = await api.fetch(
        "/graphql",
        {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
          body: JSON.stringify({ query: "{ jobs(first: 1) { totalCount } }" }),
        },
        { token },
      );
      return { status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.json() };
    }

    it("is refused with 401 and the same answer for every kind of bad token", async () => {
      const revoked = await createTestUser(database.db);
      await database.db.apiToken.update({ where: { id: revoked.tokenId }, data: { revokedAt: new Date() } });
      const expired = await createTestUser(database.db);
      await database.db.apiToken.update({ where: { id: expired.tokenId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const disabled = await createTestUser(database.db);
      await database.db.user.update({ where: { id: disabled.id }, data: { disabledAt: new Date() } });

      const answers = await Promise.all(
        [null, "jgu_nonsense", "", revoked.secret, expired.secret, disabled.secret].map(refusal),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.challenge).toBe('Bearer realm="jobgraph"');
        expect(answer.body).toEqual(answers[0]!.body);
      }
      expect(answers[0]!.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      expect(answers[0]!.body.data).toBeUndefined();
    });

    it("learns nothing of the schema: an invalid document gets the same 401", async () => {
      const response = await api.fetch(
        "/graphql",
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ jobz }" }) },
        { token: null },
      );
      expect(response.status).toBe(401);
      expect(JSON.stringify(await response.json())).not.toMatch(/jobz|Did you mean/);
    });

    it("still gets /health, /ready and the playground page", async () => {
      expect((await api.fetch("/health", {}, { token: null })).status).toBe(200);
      expect((await api.fetch("/ready", {}, { token: null })).status).toBe(200);
      const page = await api.fetch("/graphql", { headers: { accept: "text/html" } }, { token: null });
      expect(page.status).toBe(200);
    });
  });

  it("tells every caller who it is, and records when its token was used", async () => {
    const asAlice = await api.query(Viewer, {}, { token: alice.secret });
    expect(asAlice.viewer).toMatchObject({ kind: "USER", name: "alice", role: "USER", isAdmin: false, user: { name: "alice" }, node: null });
    expect(asAlice.viewer.token?.prefix).toBe(alice.secret.slice(0, 12));
    const asNode = await api.query(Viewer, {}, { token: node.secret });
    expect(asNode.viewer).toMatchObject({ kind: "NODE", name: "node-a", role: null, isAdmin: false, user: null, node: { name: "node-a" } });
    expect((await api.query(Viewer, {})).viewer).toMatchObject({ kind: "USER", role: "ADMIN", isAdmin: true });

    const token = await database.db.apiToken.findUniqueOrThrow({ where: { id: node.tokenId } });
    expect(token.lastUsedAt).not.toBeNull();
    const seen = await database.db.workerNode.findUniqueOrThrow({ where: { id: node.id } });
    expect(seen.lastSeenAt).not.toBeNull();
  });

  it("lets every authenticated caller read jobs", async () => {
    for (const token of [alice.secret, bob.secret, node.secret, api.admin.secret]) {
      expect((await api.query(Jobs, {}, { token })).jobs.totalCount).toBe(0);
    }
  });

  it("shows a user's email and tokens to the user and to admins only, also through node(id)", async () => {
    const id = encodeGlobalId("User", alice.id);
    for (const token of [alice.secret, api.admin.secret]) {
      const { node: user } = await api.query(UserDetail, { id }, { token });
      expect(user).toMatchObject({ name: "alice", email: "alice@example.com", tokens: { totalCount: 1 } });
    }
    for (const token of [bob.secret, node.secret]) {
      const result = await api.request(UserDetail, { id }, { token });
      expect(result.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toEqual([
        ["node.email", "FORBIDDEN"],
        ["node.tokens", "FORBIDDEN"],
      ]);
    }
  });

  it("shows a token to its owner and to admins only", async () => {
    const aliceToken = encodeGlobalId("ApiToken", alice.tokenId);
    expect((await api.query(TokenNode, { id: aliceToken }, { token: alice.secret })).node).toEqual({
      prefix: alice.secret.slice(0, 12),
      active: true,
    });
    expect((await api.request(TokenNode, { id: aliceToken }, { token: bob.secret })).errors?.[0]?.extensions?.code).toBe(
      "FORBIDDEN",
    );
    const nodeToken = encodeGlobalId("ApiToken", node.tokenId);
    expect((await api.query(TokenNode, { id: nodeToken }, { token: node.secret })).node).toMatchObject({ active: true });
    // Every field of the refused token is refused; how many of those errors are reported once the
    // token is nulled is the executor's choice (graphql-js stops at the first, compiled queries do not).
    const refused = await api.request(TokenNode, { id: nodeToken }, { token: otherNode.secret });
    expect(refused.data?.node).toBeNull();
    expect(refused.errors?.length).toBeGreaterThan(0);
    expect(new Set(refused.errors?.map((e) => e.extensions?.code))).toEqual(new Set(["FORBIDDEN"]));
  });

  it("shows every field of a token to its owner and to admins only, whichever way the token is reached", async () => {
    const TOKEN_FIELDS = "id name prefix createdAt expiresAt lastUsedAt revokedAt active user { name } node { name }";
    const ask = (query: string, variables: Record<string, unknown>, token: string) => api.request(parse(query) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>, variables, { token });
    const ids = [alice.tokenId, bob.tokenId, node.tokenId].map((id) => encodeGlobalId("ApiToken", id));
    const byIds = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on ApiToken { ${TOKEN_FIELDS} } } }`;
    const visible = (result: { data?: Record<string, unknown> | null }) => (result.data!.nodes as Array<{ prefix: string } | null>).map((t) => t?.prefix ?? null);
    const refusedAt = (result: { errors?: ReadonlyArray<{ path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }> }) =>
      [...new Set(result.errors?.map((e) => `${e.path?.slice(0, 2).join(".")} ${String(e.extensions?.code)}`))].sort();
    const prefixes = [alice, bob, node].map((p) => p.secret.slice(0, 12));

    const asAdmin = await ask(byIds, { ids }, api.admin.secret);
    expect(asAdmin.errors).toBeUndefined();
    expect(visible(asAdmin)).toEqual(prefixes);
    const asAlice = await ask(byIds, { ids }, alice.secret);
    expect(visible(asAlice)).toEqual([prefixes[0], null, null]);
    expect(refusedAt(asAlice)).toEqual(["nodes.1 FORBIDDEN", "nodes.2 FORBIDDEN"]);
    const asNode = await ask(byIds, { ids }, node.secret);
    expect(visible(asNode)).toEqual([null, null, prefixes[2]]);
    expect(refusedAt(asNode)).toEqual(["nodes.0 FORBIDDEN", "nodes.1 FORBIDDEN"]);

    // A user's own tokens, through the user and through the viewer; another's tokens, refused on the list.
    const ownPage = `query($id: ID!) { node(id: $id) { ... on User { email tokens(first: 5) { totalCount edges { node { ${TOKEN_FIELDS} } } } } } viewer { token { ${TOKEN_FIELDS} } } }`;
    const own = await ask(ownPage, { id: encodeGlobalId("User", alice.id) }, alice.secret);
    expect(own.errors).toBeUndefined();
    expect(own.data).toMatchObject({
      node: { email: "alice@example.com", tokens: { totalCount: 1, edges: [{ node: { prefix: prefixes[0], user: { name: "alice" }, node: null } }] } },
      viewer: { token: { prefix: prefixes[0], active: true } },
    });
    const others = await ask(ownPage, { id: encodeGlobalId("User", bob.id) }, alice.secret);
    expect(JSON.stringify(others.data)).not.toContain(prefixes[1]);
    expect(refusedAt(others)).toEqual(["node.email FORBIDDEN", "node.tokens FORBIDDEN"]);
  });

  it("lists users to admins only: by exact name, or by a part of it whatever the case", async () => {
    await createTestUser(database.db, "USER", "Alice_Smith");
    await createTestUser(database.db, "USER", "alicexsmith");
    const names = async (filter: { name?: string; nameContains?: string }) => {
      const { users } = await api.query(Users, { filter });
      expect(users!.totalCount).toBe(users!.edges.length);
      // In the database's collation, which the test does not pin.
      return users!.edges.map((e) => e.node.name).sort();
    };
    expect(await names({ name: "alice" })).toEqual(["alice"]);
    expect(await names({ name: "ALICE" })).toEqual([]);
    expect(await names({ nameContains: "ALIC" })).toEqual(["Alice_Smith", "alice", "alicexsmith"]);
    // LIKE's wildcards are matched as themselves.
    expect(await names({ nameContains: "e_s" })).toEqual(["Alice_Smith"]);
    expect(await names({ nameContains: "%" })).toEqual([]);
    expect(await names({ name: "bob", nameContains: "o" })).toEqual(["bob"]);
    expect(await names({})).toEqual(expect.arrayContaining(["alice", "bob", api.admin.name]));

    for (const token of [alice.secret, node.secret]) {
      const refused = await api.request(Users, { filter: { name: "alice" } }, { token });
      expect(refused.data?.users).toBeNull();
      expect(refused.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toEqual([["users", "FORBIDDEN"]]);
    }
  });

  describe("managing users, tokens and nodes", () => {
    const nonAdmins = () => [
      ["a user", alice.secret],
      ["a worker node", node.secret],
    ];

    it("creates users for admins only, and changes nothing for others", async () => {
      for (const [, token] of nonAdmins()) {
        const { createUser } = await api.query(CreateUser, { input: { name: "mallory" } }, { token });
        expect(createUser).toEqual({ __typename: "ForbiddenError", message: "only an admin may create users" });
      }
      expect(await database.db.user.count({ where: { name: "mallory" } })).toBe(0);
      const { createUser } = await api.query(CreateUser, { input: { name: "carol", email: "carol@example.com", role: "ADMIN" } });
      expect(createUser).toMatchObject({ __typename: "CreateUserPayload", user: { name: "carol", role: "ADMIN" } });
    });

    it("validates a new user and reports every problem at once", async () => {
      const { createUser } = await api.query(CreateUser, { input: { name: " ", email: "not-an-email" } });
      expect(createUser).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [
          { path: ["name"], message: "must not be empty" },
          { path: ["email"], message: "must be an email address" },
        ],
      });
      const duplicate = await api.query(CreateUser, { input: { name: "alice" } });
      expect(duplicate.createUser.__typename).toBe("ValidationError");
    });

    it("creates tokens for admins only; the secret is shown once and works at once", async () => {
      const input = { user: encodeGlobalId("User", bob.id), name: "ci" };
      for (const [, token] of nonAdmins()) {
        expect((await api.query(CreateToken, { input }, { token })).createApiToken.__typename).toBe("ForbiddenError");
      }
      const { createApiToken } = await api.query(CreateToken, { input });
      if (createApiToken.__typename !== "CreateApiTokenPayload") throw new Error(createApiToken.__typename);
      expect(createApiToken.secret).toMatch(/^jgu_/);
      expect(createApiToken.token).toMatchObject({ prefix: createApiToken.secret.slice(0, 12), active: true, user: { name: "bob" } });
      const stored = await database.db.apiToken.findFirstOrThrow({ where: { prefix: createApiToken.token.prefix } });
      expect(JSON.stringify(stored)).not.toContain(createApiToken.secret);
      expect((await api.query(Viewer, {}, { token: createApiToken.secret })).viewer.name).toBe("bob");
    });

    it("refuses a token that would already be expired, and one for an unknown user", async () => {
      const past = await api.query(CreateToken, {
        input: { user: encodeGlobalId("User", bob.id), name: "old", expiresAt: "2000-01-01T00:00:00Z" },
      });
      expect(past.createApiToken).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["expiresAt"] }] });
      const nobody = await api.query(CreateToken, {
        input: { user: encodeGlobalId("User", "00000000-0000-4000-8000-000000000000"), name: "x" },
      });
      expect(nobody.createApiToken.__typename).toBe("NotFoundError");
    });

    it("revokes tokens for admins only; a revoked token stops working at once", async () => {
      const victim = await createTestUser(database.db);
      const id = encodeGlobalId("ApiToken", victim.tokenId);
      for (const [, token] of nonAdmins()) {
        expect((await api.query(RevokeToken, { id }, { token })).revokeApiToken.__typename).toBe("ForbiddenError");
      }
      expect((await api.request(Viewer, {}, { token: victim.secret })).data?.viewer.kind).toBe("USER");
      const { revokeApiToken } = await api.query(RevokeToken, { id });
      expect(revokeApiToken).toMatchObject({ __typename: "RevokeApiTokenPayload", token: { active: false } });
      const after = await api.request(Viewer, {}, { token: victim.secret });
      expect(after.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      // Revoking again changes nothing, not even the time of revocation.
      const again = await api.query(RevokeToken, { id });
      expect(again.revokeApiToken).toEqual(revokeApiToken);
    });

    it("registers worker nodes for admins only, with a token that identifies the node", async () => {
      const input = { name: "gpu-7", executors: ["pytorch"], cpu: 8, memory: 32768, labels: { zone: "b" } };
      for (const [, token] of nonAdmins()) {
        expect((await api.query(RegisterNode, { input }, { token })).registerWorkerNode.__typename).toBe("ForbiddenError");
      }
      const { registerWorkerNode } = await api.query(RegisterNode, { input });
      if (registerWorkerNode.__typename !== "RegisterWorkerNodePayload") throw new Error(registerWorkerNode.__typename);
      expect(registerWorkerNode.secret).toMatch(/^jgn_/);
      expect(registerWorkerNode.node).toEqual({ name: "gpu-7", executors: ["pytorch"], labels: { zone: "b" } });
      expect((await api.query(Viewer, {}, { token: registerWorkerNode.secret })).viewer).toMatchObject({ kind: "NODE", name: "gpu-7" });

      const duplicate = await api.query(RegisterNode, { input });
      expect(duplicate.registerWorkerNode).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["name"] }] });
      const badLabels = await api.query(RegisterNode, { input: { name: "gpu-8", labels: { zone: 3 }, cpu: 0 } });
      expect(badLabels.registerWorkerNode.__typename).toBe("ValidationError");
      expect(await database.db.workerNode.count({ where: { name: "gpu-8" } })).toBe(0);
    });
  });

  describe("the viewerCan flags of a job", () => {
    type Flags = Record<string, boolean>;
    async function flags(jobId: string, token: string): Promise<Flags> {
      const { job } = await api.query(JobFlags, { id: encodeGlobalId("Job", jobId) }, { token });
      return Object.fromEntries(Object.entries(job!).filter(([, v]) => v)) as Flags;
    }
    const on = (...names: string[]) => Object.fromEntries(names.map((n) => [`viewerCan${n}`, true]));
    let queued: string;
    let running: string;
    let deleted: string;

    beforeAll(async () => {
      const template = await createTemplate(database.db, "flags");
      [queued, running, deleted] = (await createJobs(database.db, template.id, 3)) as [string, string, string];
      await database.db.job.updateMany({ where: { id: { in: [queued, running, deleted] } }, data: { creatorId: alice.id } });
      await database.db.job.update({ where: { id: running }, data: { status: "RUNNING", nodeId: node.id } });
      await database.db.job.update({ where: { id: deleted }, data: { deletedAt: new Date() } });
    });

    it("match the rule table for a queued job", async () => {
      expect(await flags(queued, alice.secret)).toEqual(on("Cancel", "Update", "Delete"));
      expect(await flags(queued, bob.secret)).toEqual({});
      expect(await flags(queued, node.secret)).toEqual(on("Acquire"));
      expect(await flags(queued, api.admin.secret)).toEqual(on("Cancel", "Update", "Delete", "HardDelete"));
    });

    it("match the rule table for a running job", async () => {
      expect(await flags(running, alice.secret)).toEqual(on("Cancel", "Reset", "Update", "Delete"));
      expect(await flags(running, node.secret)).toEqual(on("Reset"));
      expect(await flags(running, otherNode.secret)).toEqual({});
      expect(await flags(running, api.admin.secret)).toEqual(on("Cancel", "Reset", "Abort", "Update", "Delete", "HardDelete"));
    });

    it("match the rule table for a soft-deleted job", async () => {
      expect(await flags(deleted, alice.secret)).toEqual(on("Reinstate"));
      expect(await flags(deleted, bob.secret)).toEqual({});
      expect(await flags(deleted, api.admin.secret)).toEqual(on("Reinstate", "HardDelete"));
    });
  });
});
