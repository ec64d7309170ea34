// A round-robin HTTP proxy, as a load balancer in front of several gateway instances: each request
// goes to the next target in turn, so that one client's consecutive requests land on different
// instances.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type RoundRobin = {
  /** The proxy's base URL (http://127.0.0.1:port). */
  url: string;
  /** How many requests each target was sent, in the targets' order. */
  sent: number[];
  stop(): Promise<void>;
};

export async function roundRobin(targets: string[]): Promise<RoundRobin> {
  const sent = targets.map(() => 0);
  let next = 0;
  const server = http.createServer((request, response) => {
    const index = next;
    next = (next + 1) % targets.length;
    sent[index]!++;
    const target = new URL(targets[index]!);
    const forward = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
