// Reads a subscription over server-sent events, as a browser's EventSource would, through the app.
import type { TestApi } from "./api.js";

export type SseSubscription = {
  /** The next `data:` payload, parsed; fails after `timeoutMs` saying what arrived so far. */
  next(timeoutMs?: number): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }>;
  close(): Promise<void>;
};

export async function subscribeSse(api: TestApi, query: string, variables: Record<string, unknown> = {}, token?: string | null): Promise<SseSubscription> {
  const controller = new AbortController();
  const response = await api.fetch(
    "/graphql",
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    },
    token === undefined ? {} : { token },
  );
  if (response.status !== 200) throw new Error(`SSE refused with ${response.status}: ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const messages: string[] = [];
  async function next(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = messages.shift();
      if (message !== undefined) return JSON.parse(message);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE message within ${timeoutMs} ms; buffered: ${JSON.stringify(buffer)}`);
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), remaining))]);
      if (chunk === null) continue;
      if (chunk.done) throw new Error("the SSE stream ended");
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trim())
          .join("\n");
        if (data) messages.push(data);
      }
    }
  }
  return {
    next,
    async close() {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    },
  };
}
