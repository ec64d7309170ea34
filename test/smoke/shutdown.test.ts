// Graceful shutdown of the real server process: on SIGTERM or SIGINT it stops accepting
// connections, lets a request in flight finish within the grace period, closes WebSockets with
// 1001 (Going Away) so that clients reconnect elsewhere, stops its embedded PostgreSQL and exits 0.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";
import { AddJobOutput, multipartFrame, uploadVariables } from "../helpers/uploads.js";

const adminToken = `shutdown-test-${randomBytes(16).toString("hex")}`;

let server: ServerProcess | undefined;

afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

function start(): Promise<ServerProcess> {
  return startServer({ JOBGRAPH_ADMIN_TOKEN: adminToken, JOBGRAPH_DEMO_DATA: "true" });
}

/** The pid of the embedded PostgreSQL's postmaster, from the pid file it keeps while it runs. */
function postmasterPidFile(server: ServerProcess): string {
  return path.join(server.dataDir, "pg", "postmaster.pid");
}

function postmasterPid(server: ServerProcess): number {
  return Number.parseInt(readFileSync(postmasterPidFile(server), "utf8").split("\n")[0]!, 10);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Closed = { code: number; reason: string };

/**
 * A graphql-ws client (retries off, so that a close is final) holding a jobUpdated subscription;
 * resolves once the subscription's first message, the job as it is now, has arrived.
 */
async function holdSubscription(server: ServerProcess, jobId: string): Promise<{ closed: Promise<Closed> }> {
  let onClosed: (event: Closed) => void = () => {};
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: `ws://127.0.0.1:${server.port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${adminToken}` },
    retryAttempts: 0,
    on: { closed: (event) => onClosed(event as Closed) },
  });
  const first = await new Promise<unknown>((resolve, reject) => {
    client.subscribe(
      { query: "subscription ($id: ID!) { jobUpdated(id: $id) { id status } }", variables: { id: jobId } },
      {
        next: (result) => resolve(result.data),
        // The close ends the subscription with an error, which is expected once stopping began.
        error: (error) => reject(error),
        complete: () => reject(new Error("the subscription completed before the server stopped")),
      },
    );
  });
  expect(first).toMatchObject({ jobUpdated: { id: jobId } });
  return { closed };
}

type Reply = { status: number; body: { data?: { addJobOutput: Record<string, unknown> }; errors?: unknown[] } };

/**
 * An addJobOutput upload over its own connection, whose content the test sends piece by piece.
 * Resolves once the server has read the request's headers (it answers `Expect: 100-continue`), so
 * that the request is in progress on the server, not a connection still waiting to be read.
 */
async function openUpload(server: ServerProcess, jobId: string, name: string) {
  const { contentType, head, tail } = multipartFrame({
    query: AddJobOutput,
    variables: uploadVariables({ jobId, name, type: "bin" }),
  });
  const request = http.request({
    host: "127.0.0.1",
    port: server.port,
    path: "/graphql",
    method: "POST",
    // No keep-alive: the connection ends with the reply rather than idling in a pool.
    agent: false,
    headers: {
      "content-type": contentType,
      authorization: `Bearer ${adminToken}`,
      "graphql-preflight": "1",
      expect: "100-continue",
    },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (piece: string) => (text += piece));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on("error", reject);
  });
  await new Promise<void>((resolve, reject) => {
    request.once("continue", resolve);
    request.once("error", reject);
    request.flushHeaders();
  });
  const send = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => request.write(bytes, (e) => (e ? reject(e) : resolve())));
  await send(head);
  return {
    send,
    finish(): Promise<Reply> {
      request.end(tail);
      return reply;
    },
  };
}

/** Resolves once a new TCP connection to the port is refused; fails if none is within `timeoutMs`. */
async function connectionsRefused(port: number, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve("accepted");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    if (outcome === "ECONNREFUSED") return;
    if (Date.now() > deadline) throw new Error(`new connections were still ${outcome} ${timeoutMs} ms after the signal`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function queuedDemoJob(server: ServerProcess): Promise<string> {
  const { jobs } = await graphql<{ jobs: { edges: Array<{ node: { id: string } }> } }>(
    server,
    adminToken,
    "{ jobs(first: 1, filter: { status: [QUEUED] }) { edges { node { id } } } }",
  );
  const id = jobs.edges[0]?.node.id;
  expect(id, "the demo data has a queued job").toBeDefined();
  return id!;
}

/** The process ended on its own with 0, and its embedded PostgreSQL is down, shut down cleanly. */
async function expectStoppedCleanly(server: ServerProcess, postmaster: number) {
  expect(await server.exited, server.output()).toEqual({ code: 0, signal: null });
  // PostgreSQL removes its pid file only when it has shut down cleanly.
  expect(existsSync(postmasterPidFile(server))).toBe(false);
  expect(isAlive(postmaster), `postmaster ${postmaster} still runs`).toBe(false);
  expect(server.output()).toMatch(/stop/i);
}

describe("stopping the server process", () => {
  it("on SIGTERM: refuses new connections, finishes an upload in flight, closes WebSockets with 1001, stops PostgreSQL, exits 0", async () => {
    server = await start();
    const jobId = await queuedDemoJob(server);
    const postmaster = postmasterPid(server);
    expect(isAlive(postmaster)).toBe(true);

    const subscription = await holdSubscription(server, jobId);
    const upload = await openUpload(server, jobId, "written-while-stopping");
    const before = randomBytes(1024 * 1024);
    const after = randomBytes(1024 * 1024);
    await upload.send(before);

    server.child.kill("SIGTERM");
    expect(await subscription.closed).toMatchObject({ code: 1001 });
    await connectionsRefused(server.port);
    // Only now, with the server stopping, does the rest of the content go; well within the 5 s grace.
    await upload.send(after);
    const reply = await upload.finish();
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.addJobOutput).toMatchObject({
      __typename: "AddJobOutputPayload",
      output: {
        name: "written-while-stopping",
        size: before.length + after.length,
        sha256: createHash("sha256").update(before).update(after).digest("hex"),
      },
    });

    await expectStoppedCleanly(server, postmaster);
  });

  it("on SIGINT: closes WebSockets with 1001, stops PostgreSQL, exits 0", async () => {
    server = await start();
    const postmaster = postmasterPid(server);
    const subscription = await holdSubscription(server, await queuedDemoJob(server));

    server.child.kill("SIGINT");
    expect(await subscription.closed).toMatchObject({ code: 1001 });
    await connectionsRefused(server.port);
    await expectStoppedCleanly(server, postmaster);
  });
});
