// Run by test/api/subscription-memory.test.ts as a process of its own, under `node --expose-gc`:
// builds the app on the database named by JOBGRAPH_TEST_DATABASE_URL, opens SUBSCRIPTIONS idle
// jobProgress subscriptions over graphql-ws (PER_SOCKET to a socket, spread over JOBS jobs), and
// prints one JSON line: the live heap each one kept, and how many the event stream was listening
// for. A process of its own, because the test workers share their heap with other test files,
// whose leftovers, collected while the subscriptions open, can outweigh what they keep.
import WebSocket from "ws";
import { buildApp } from "../../src/app.js";
import { createDb } from "../../src/db/client.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createJobs, createTemplate } from "./fixtures.js";
import { createTestUser } from "./principals.js";

const url = process.env.JOBGRAPH_TEST_DATABASE_URL!;
const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS);
const PER_SOCKET = Number(process.env.PER_SOCKET);
const JOBS = Number(process.env.JOBS);
const gc = (globalThis as { gc?: () => void }).gc!;

const QUERY = "subscription Watch($id: ID!) { jobProgress(id: $id) { initial kind progress detail status at } }";

/** A socket whose subscriptions have all sent their initial message. */
function openSocket(address: string, token: string, jobs: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(address, "graphql-transport-ws");
    let waiting = jobs.length;
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } })));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === "connection_ack") {
        jobs.forEach((id, i) => socket.send(JSON.stringify({ id: String(i), type: "subscribe", payload: { query: QUERY, variables: { id } } })));
      } else if (message.type === "next") {
        if (--waiting === 0) resolve(socket);
      } else if (message.type !== "ping" && message.type !== "pong") {
        reject(new Error(`${message.type}: ${JSON.stringify(message.payload)}`));
      }
    });
    socket.on("error", reject);
  });
}

function close(sockets: WebSocket[]): Promise<unknown> {
  return Promise.all(sockets.map((socket) => new Promise((resolve) => (socket.once("close", resolve), socket.close(1000)))));
}

/** The live heap after collections that leave nothing more to collect. */
async function liveHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

const db = createDb({ url, poolSize: 4 });
const app = buildApp({ db, databaseUrl: url, settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 120 } });
const admin = await createTestUser(db, "ADMIN");
const { port } = await app.start(0, "127.0.0.1");
const address = `ws://127.0.0.1:${port}/graphql`;
const templateId = (await createTemplate(db)).id;
const jobs = (await createJobs(db, templateId, JOBS)).map((id) => encodeGlobalId("Job", id));
const plan = (count: number) => Array.from({ length: count / PER_SOCKET }, (_, s) => Array.from({ length: PER_SOCKET }, (_, k) => jobs[(s * PER_SOCKET + k) % JOBS]!));
const listening = () => [...app.events.listenerCounts().jobs.values()].reduce((sum, n) => sum + n, 0);

// One round first, then closed: what the first subscription loads and compiles is not counted.
await close(await Promise.all(plan(10 * PER_SOCKET).map((ids) => openSocket(address, admin.secret, ids))));
while (listening() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
const before = await liveHeap();

const sockets: WebSocket[] = [];
const queue = plan(SUBSCRIPTIONS);
await Promise.all(
  Array.from({ length: 10 }, async () => {
    for (let ids = queue.shift(); ids; ids = queue.shift()) sockets.push(await openSocket(address, admin.secret, ids));
  }),
);
const listeners = listening();
const perSubscription = ((await liveHeap()) - before) / SUBSCRIPTIONS;
await close(sockets);
console.log(JSON.stringify({ perSubscription, listeners }));
await app.stop();
await db.$disconnect();
