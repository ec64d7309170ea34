// The GraphQL-over-WebSocket protocol (graphql-ws' server) on the `ws` package's sockets, as
// graphql-ws' own `useServer` (graphql-ws/use/ws) does it, less one thing: that one hands each
// message to the protocol from an async function of its own, which, for a subscribe message, stays
// suspended (with the message's buffer) for as long as the subscription lasts. Here the message
// goes to the protocol directly; an idle subscription keeps only graphql-ws' own wait for its
// next result.
import type { IncomingMessage } from "node:http";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";

/** What graphql-ws' context carries besides the protocol's state: the socket and its upgrade request. */
export type SocketExtra = { readonly socket: WebSocket; readonly request: IncomingMessage };

/** How often a socket is pinged, and how long it has to answer before it is dropped (as graphql-ws' default). */
const KEEP_ALIVE_MS = 12_000;

/** What a socket closed for an internal error is told (the details are not the client's). */
const INTERNAL = "Internal server error";

export function serveGraphqlWs<P extends Record<string, unknown>>(options: ServerOptions<P, SocketExtra>, sockets: WebSocketServer): void {
  const server = makeServer<P, SocketExtra>(options);
  sockets.options.handleProtocols = handleProtocols;
  // The HTTP server's errors come here too; its sockets cannot go on.
  sockets.once("error", () => {
    for (const client of sockets.clients) client.close(CloseCode.InternalServerError, INTERNAL);
  });
  sockets.on("connection", (socket, request) => {
    socket.once("error", () => socket.close(CloseCode.InternalServerError, INTERNAL));
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once("pong", () => {
        clearTimeout(pongWait);
        pongWait = undefined;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, text) => socket.close(code, text),
        onMessage: (handle) =>
          socket.on("message", (data) => {
            handle(String(data)).catch(() => socket.close(CloseCode.InternalServerError, INTERNAL));
          }),
      },
      { socket, request },
    );
    socket.once("close", (code, text) => {
      clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(text));
    });
  });
}
