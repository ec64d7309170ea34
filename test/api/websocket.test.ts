// GraphQL over WebSocket (graphql-ws) on a listening server: the token in connection_init decides
// whether the socket opens, and every operation re-checks it, so a revocation ends access at once.
import type { ResultOf } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { WS_FORBIDDEN } from "../../src/app.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, createTestUser } from "../helpers/principals.js";

const WsViewer = graphql(`
  query WsViewer {
    viewer { kind name }
  }
`);

/** The code of a close event; graphql-ws types the event as unknown, as it depends on the WebSocket implementation. */
function closeCode(event: unknown): number {
  return (event as { code: number }).code;
}

describe("GraphQL over WebSocket", () => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const address = await api.app.start(0, "127.0.0.1");
    url = `ws://127.0.0.1:${address.port}/graphql`;
  });

  afterAll(async () => {
    await api.app.stop();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });

  /** A client that connects on its first operation, never retries, and reports its first close. */
  function connect(connectionParams?: Record<string, unknown>, lazy = true) {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      lazy,
      retryAttempts: 0,
      // Only non-lazy clients report here; a refused operation is asserted where it is awaited.
      onNonLazyError: () => {},
    });
    clients.push(client);
    const closed = new Promise<number>((resolve) => client.on("closed", (event) => resolve(closeCode(event))));
    let connections = 0;
    client.on("connected", () => connections++);
    return { client, closed, connections: () => connections };
  }

  /** Runs the viewer query and returns its first result. */
  async function viewer(client: Client) {
    for await (const result of client.iterate<ResultOf<typeof WsViewer>>({ query: print(WsViewer) })) return result;
    throw new Error("the operation completed without a result");
  }

  async function refusedWith(connectionParams?: Record<string, unknown>): Promise<number> {
    const { client, closed } = connect(connectionParams);
    await expect(viewer(client)).rejects.toMatchObject({ code: WS_FORBIDDEN });
    return closed;
  }

  it("closes with 4403 when connection_init carries no token", async () => {
    expect(await refusedWith()).toBe(WS_FORBIDDEN);
    expect(await refusedWith({})).toBe(WS_FORBIDDEN);
  });

  it("closes with 4403 for an unknown token or a malformed Authorization", async () => {
    expect(await refusedWith({ Authorization: "Bearer jgu_not-a-real-secret" })).toBe(WS_FORBIDDEN);
    // The secret without the scheme is not accepted either.
    expect(await refusedWith({ Authorization: api.admin.secret })).toBe(WS_FORBIDDEN);
  });

  it("closes with 4403 for an expired token and for a revoked one", async () => {
    const expired = await createTestUser(database.db);
    const revoked = await createTestUser(database.db);
    await database.pool.query("update api_tokens set expires_at = now() - interval '1 second' where id = $1", [
      expired.tokenId,
    ]);
    await database.pool.query("update api_tokens set revoked_at = now() where id = $1", [revoked.tokenId]);
    expect(await refusedWith({ Authorization: `Bearer ${expired.secret}` })).toBe(WS_FORBIDDEN);
    expect(await refusedWith({ Authorization: `Bearer ${revoked.secret}` })).toBe(WS_FORBIDDEN);
  });

  it("runs operations as the user whose token opened the socket", async () => {
    const user = await createTestUser(database.db);
    // The key's case does not matter, as with HTTP headers.
    for (const key of ["Authorization", "authorization"]) {
      const { client } = connect({ [key]: `Bearer ${user.secret}` });
      expect(await viewer(client)).toEqual({ data: { viewer: { kind: "USER", name: user.name } } });
    }
  });

  it("runs operations as the worker node whose token opened the socket", async () => {
    const node = await createTestNode(database.db);
    const { client } = connect({ Authorization: `Bearer ${node.secret}` });
    expect(await viewer(client)).toEqual({ data: { viewer: { kind: "NODE", name: node.name } } });
  });

  it("refuses the next operation on an open socket once its token is revoked", async () => {
    const user = await createTestUser(database.db);
    // Non-lazy: the socket stays open between operations instead of closing when idle.
    const { client, connections } = connect({ Authorization: `Bearer ${user.secret}` }, false);
    expect(await viewer(client)).toEqual({ data: { viewer: { kind: "USER", name: user.name } } });

    await database.pool.query("update api_tokens set revoked_at = now() where id = $1", [user.tokenId]);
    const refusal = await viewer(client).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    expect(refusal).not.toHaveProperty("result");
    expect(refusal).toMatchObject({ error: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    // Refused on the socket the token opened, not by a reconnection's connection_init.
    expect(connections()).toBe(1);
  });

  it("answers a refused operation with its errors and keeps the socket open for the others", async () => {
    const user = await createTestUser(database.db);
    const { client, connections } = connect({ Authorization: `Bearer ${user.secret}` }, false);
    const outcome = async (query: string) => {
      try {
        for await (const result of client.iterate({ query })) return result;
      } catch (error) {
        return { refused: error };
      }
    };
    expect(await outcome("{ viewer { kind ")).toMatchObject({ refused: [{ message: expect.stringMatching(/Syntax Error/) }] });
    const invalid = await outcome("{ viewer { nonsense } }");
    expect(invalid).toMatchObject({ refused: [{ message: expect.stringMatching(/nonsense/) }] });
    // HTTP statuses mean nothing here.
    expect(JSON.stringify(invalid)).not.toContain('"http"');
    expect(await viewer(client)).toEqual({ data: { viewer: { kind: "USER", name: user.name } } });
    expect(connections()).toBe(1);
  });

  it("refuses variables nested too deep, and gives every refusal its code", async () => {
    const user = await createTestUser(database.db);
    const { client, connections } = connect({ Authorization: `Bearer ${user.secret}` }, false);
    const outcome = async (query: string, variables?: Record<string, unknown>) => {
      try {
        for await (const result of client.iterate({ query, ...(variables ? { variables } : {}) })) return result;
      } catch (error) {
        return { refused: error };
      }
    };
    const deep: unknown = JSON.parse(`${'{"a":['.repeat(200)}1${"]}".repeat(200)}`);
    expect(await outcome("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: deep })).toMatchObject({ refused: [{ extensions: { code: "INPUT_TOO_DEEP" } }] });
    expect(await outcome("{ viewer { kind ")).toMatchObject({ refused: [{ extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
    expect(await outcome("{ viewer { nonsense } }")).toMatchObject({ refused: [{ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
    expect(await viewer(client)).toEqual({ data: { viewer: { kind: "USER", name: user.name } } });
    expect(connections()).toBe(1);
  });
});
