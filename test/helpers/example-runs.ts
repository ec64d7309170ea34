// Running the GraphQL examples of the docs against a gateway, as the doc example tests do: a
// subscription over graphql-ws until its first message, and the error types an answer holds.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

/** The first message of a subscription over graphql-ws at `url`, within 5 s. */
export async function firstMessage(url: string, query: string, variables: Record<string, unknown>, secret: string) {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${secret}` }, retryAttempts: 0 });
  try {
    return await new Promise<{ data?: unknown; errors?: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message within 5 s")), 5000);
      client.subscribe(
        { query, variables },
        {
          next: (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** Any answer under `data` whose __typename names an error type, with where it is. */
export function errorsIn(value: unknown, at = "data"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => errorsIn(v, `${at}[${i}]`));
  if (!value || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  const own = typeof record.__typename === "string" && record.__typename.endsWith("Error") ? [`${at}: ${JSON.stringify(record)}`] : [];
  return [...own, ...Object.entries(record).flatMap(([key, v]) => errorsIn(v, `${at}.${key}`))];
}
