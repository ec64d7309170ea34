// A subscriber process of the watchers benchmark: many jobProgress subscriptions multiplexed over
// a few graphql-ws sockets (the `ws` package speaking the graphql-transport-ws protocol, as a
// dashboard would), each report timestamped the moment its frame arrives, before it is parsed.
// Driven over IPC by bench/watchers.ts; a process of its own, so that what the clients cost shows
// apart from what the gateway costs.
import WebSocket from "ws";
import { wallClock, type FromSubscribers, type PlannedSubscription, type ToSubscribers } from "./protocol.js";

const sockets = new Set<WebSocket>();
let subscription: number[] = [];
let seq: number[] = [];
let at: number[] = [];
let eventAt: number[] = [];
let problems: string[] = [];
let closing = false;

function send(message: FromSubscribers): void {
  process.send!(message);
}

/** Opens one socket and its subscriptions; resolves once each has sent its initial state. */
function openSocket(url: string, token: string, query: string, planned: PlannedSubscription[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, "graphql-transport-ws");
    sockets.add(socket);
    let waiting = planned.length;
    const fail = (problem: string) => {
      problems.push(problem);
      reject(new Error(problem));
    };
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } })));
    socket.on("message", (data) => {
      const received = wallClock();
      const message = JSON.parse(String(data)) as { id?: string; type: string; payload?: { data?: { jobProgress?: Update } } };
      switch (message.type) {
        case "connection_ack":
          for (const s of planned) socket.send(JSON.stringify({ id: String(s.index), type: "subscribe", payload: { query, variables: { id: s.jobId } } }));
          return;
        case "next": {
          const update = message.payload?.data?.jobProgress;
          if (!update) return fail(`subscription ${message.id}: ${JSON.stringify(message.payload)}`);
          if (update.initial) {
            if (--waiting === 0) resolve();
            return;
          }
          subscription.push(Number(message.id));
          seq.push(update.detail.seq);
          at.push(received);
          eventAt.push(Date.parse(update.at));
          return;
        }
        case "ping":
          socket.send(JSON.stringify({ type: "pong" }));
          return;
        case "pong":
          return;
        default:
          // "error" or "complete": no subscription of this benchmark should ever end or fail.
          fail(`subscription ${message.id}: ${message.type} ${JSON.stringify(message.payload ?? null)}`);
      }
    });
    socket.on("error", (error) => fail(`socket error: ${error.message}`));
    socket.on("close", (code, reason) => {
      sockets.delete(socket);
      if (!closing) fail(`socket closed: ${code} ${String(reason)}`);
    });
  });
}

type Update = { initial: boolean; detail: { seq: number }; at: string };

async function open(request: Extract<ToSubscribers, { type: "open" }>): Promise<void> {
  closing = false;
  const queue = [...request.sockets];
  // A few sockets at a time: a gateway busy with a flood of handshakes would close the late ones
  // for not saying connection_init in time, which measures nothing but the flood.
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await openSocket(request.url, request.token, request.query, next);
  };
  await Promise.all(Array.from({ length: Math.min(request.concurrency, queue.length) }, worker));
}

async function closeAll(): Promise<void> {
  closing = true;
  await Promise.all(
    [...sockets].map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once("close", () => resolve());
          socket.close(1000);
        }),
    ),
  );
}

process.on("message", (request: ToSubscribers) => {
  switch (request.type) {
    case "open":
      open(request).then(
        () => send({ type: "opened" }),
        (error: Error) => send({ type: "failed", message: error.message }),
      );
      return;
    case "count":
      send({ type: "count", receipts: at.length });
      return;
    case "collect":
      send({ type: "receipts", subscription: Int32Array.from(subscription), seq: Float64Array.from(seq), at: Float64Array.from(at), eventAt: Float64Array.from(eventAt), problems });
      subscription = [];
      seq = [];
      at = [];
      eventAt = [];
      problems = [];
      return;
    case "close":
      void closeAll().then(() => send({ type: "closed" }));
      return;
  }
});

// The benchmark went away (finished, or killed): nothing is left behind.
process.on("disconnect", () => process.exit(0));
