// The dashboard's urql client: every document sent by its hash (the gateway trusts the dashboard's
// manifest), queries and mutations over HTTP, subscriptions over graphql-ws, also by hash.
import { persistedExchange } from "@urql/exchange-persisted";
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";

const hashOf = (document: unknown): string | undefined => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

export type Connection = { client: Client; close(): void };

/** A client for the gateway that served the page, with `token`; `refused` is called when the gateway refuses the token. */
export function connect(token: string, refused: () => void): Connection {
  current = token;
  const http = new URL("/graphql", location.href);
  const ws = createWsClient({
    url: http.href.replace(/^http/, "ws"),
    connectionParams: { Authorization: `Bearer ${token}` },
    // A closed socket comes back by itself; the token refused (4403) does not.
    shouldRetry: (event) => (event as CloseEvent).code !== 4403,
    on: { closed: (event) => (event as CloseEvent).code === 4403 && refused() },
  });
  const client = new Client({
    url: http.href,
    // A GET request must carry a CSRF prevention header; setting it on every request is simplest.
    fetchOptions: { headers: { authorization: `Bearer ${token}`, "graphql-preflight": "1" } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) refused();
      return response;
    },
    exchanges: [
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_text, document) => hashOf(document),
      }),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });
  return { client, close: () => void ws.dispose() };
}

let current = "";

/**
 * Saves an output's content as a file: downloads need the token in a header, which a plain link
 * cannot send, so the content is fetched and handed to the browser as a blob.
 */
export async function download(path: string, name: string): Promise<void> {
  const response = await fetch(new URL(path, location.href), { headers: { authorization: `Bearer ${current}` } });
  if (!response.ok) throw new Error(`the download failed: ${response.status} ${response.statusText}`);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const STORED = "jobgraph.token";

/** The token to use: the one the gateway put in the page (development, on this machine), else the one entered before. */
export function knownToken(): string | null {
  const given = document.querySelector<HTMLMetaElement>('meta[name="jobgraph-token"]')?.content;
  return given || localStorage.getItem(STORED);
}

export function rememberToken(token: string | null): void {
  if (token) localStorage.setItem(STORED, token);
  else localStorage.removeItem(STORED);
}
