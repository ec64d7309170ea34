// An urql client for jobgraph, as a frontend sets it up: documents sent by hash (trusted
// documents), queries and mutations over HTTP (with incremental delivery, which urql's fetch
// exchange merges), subscriptions over graphql-ws, also by hash.
import { persistedExchange } from "@urql/exchange-persisted";
import { Client, fetchExchange, subscriptionExchange, type TypedDocumentNode } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";

/** The hash GraphQL Code Generator's client preset put on a document (persistedDocuments). */
const hashOf = (document: TypedDocumentNode<unknown, never>): string | undefined => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

export function jobgraphClient(url: string, token: string, webSocketImpl?: unknown) {
  const ws = createWsClient({
    url: url.replace(/^http/, "ws"),
    connectionParams: { Authorization: `Bearer ${token}` },
    ...(webSocketImpl ? { webSocketImpl } : {}),
  });
  const client = new Client({
    url,
    // A GET request or a form POST must carry a CSRF prevention header (graphql-preflight, or
    // apollo-require-preflight, or x-graphql-yoga-csrf): a page of another origin cannot set one.
    fetchOptions: { headers: { authorization: `Bearer ${token}`, "graphql-preflight": "1" } },
    exchanges: [
      persistedExchange({
        // Hashes only: the gateway knows every document this client has (its manifest).
        enforcePersistedQueries: true,
        // POSTed as JSON, which the gateway's fast lane answers; GET (cacheable) works too, through yoga.
        preferGetForPersistedQueries: false,
        enableForMutation: true,
        enableForSubscriptions: true,
        generateHash: async (_text, document) => hashOf(document as TypedDocumentNode<unknown, never>),
      }),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });
  return { client, close: () => ws.dispose() };
}
