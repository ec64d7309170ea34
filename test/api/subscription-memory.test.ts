// What an idle graphql-ws subscription keeps on the gateway: the live heap of this process (the
// gateway, and bare sockets opening the subscriptions, which keep nothing per subscription), after
// full collections, with 2,000 subscriptions to jobProgress open (10 to a socket) against none.
// The bound is generous (5.6 KB are kept now, 11.8 KB when envelop wrapped each stream three
// times and a WeakMap entry, a Pothos request cache and a hidden class came with each context),
// so that it catches a regression of that size and not the noise of a run.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const SUBSCRIPTIONS = 2000;
const PER_SOCKET = 10;
const JOBS = 100;
const BOUND_BYTES = 8 * 1024;

const QUERY = "subscription Watch($id: ID!) { jobProgress(id: $id) { initial kind progress detail status at } }";

/** A socket whose subscriptions have all sent their initial message. */
function openSocket(url: string, token: string, jobs: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, "graphql-transport-ws");
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

describe("memory of idle subscriptions", () => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  let jobs: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    url = `ws://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}/graphql`;
    const templateId = (await createTemplate(database.db)).id;
    jobs = (await createJobs(database.db, templateId, JOBS)).map((id) => encodeGlobalId("Job", id));
  });

  afterAll(async () => {
    await api.app.stop();
  });

  it(`keeps under ${BOUND_BYTES / 1024} KiB of live heap per idle jobProgress subscription over graphql-ws`, { timeout: 180_000 }, async () => {
    const plan = (count: number) =>
      Array.from({ length: count / PER_SOCKET }, (_, s) => Array.from({ length: PER_SOCKET }, (_, k) => jobs[(s * PER_SOCKET + k) % JOBS]!));
    // One round first, then closed: what the first subscription loads and compiles is not counted.
    await close(await Promise.all(plan(10 * PER_SOCKET).map((ids) => openSocket(url, api.admin.secret, ids))));
    await expect.poll(() => api.app.events.listenerCounts().jobs.size).toBe(0);
    const before = await liveHeap();

    const sockets: WebSocket[] = [];
    const queue = plan(SUBSCRIPTIONS);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let ids = queue.shift(); ids; ids = queue.shift()) sockets.push(await openSocket(url, api.admin.secret, ids));
      }),
    );
    const counts = api.app.events.listenerCounts().jobs;
    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(SUBSCRIPTIONS);
    const perSubscription = ((await liveHeap()) - before) / SUBSCRIPTIONS;
    await close(sockets);

    expect(perSubscription).toBeGreaterThan(0);
    expect(perSubscription).toBeLessThan(BOUND_BYTES);
  });
});
