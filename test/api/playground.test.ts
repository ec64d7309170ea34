// The playground over real HTTP: a small page that is never cached and carries the development
// token only to loopback clients, and its assets, compressed and cached by content-named URLs.
import http from "node:http";
import os from "node:os";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseEncoding, isLoopback } from "../../src/http/playground.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase } from "../helpers/db.js";

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

/** A GET over a new connection to `host`, with the body as sent (not decompressed). */
function get(host: string, port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on("error", reject);
  });
}

const page = (host: string, port: number, headers: Record<string, string> = {}) =>
  get(host, port, "/graphql", { accept: "text/html", ...headers });

/** This machine's addresses that are not loopback, by family. */
function externalAddress(family: "IPv4" | "IPv6"): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === family && !a.address.startsWith("fe80"))?.address;
}

const token = "jgu_playground-test-token-0123456789abcdef";

describe("the playground over HTTP", () => {
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    api = await createTestApi(await createTestDatabase(), { playgroundToken: token });
    // Every interface, IPv6 and IPv4 (mapped) alike, as HOST=0.0.0.0 or :: would.
    port = (await api.app.start(0, "::")).port;
  });
  afterAll(() => api.app.stop());

  it("is a small page, never stored, that loads its assets from the gateway by content-named URLs", async () => {
    const reply = await page("127.0.0.1", port);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.headers["cache-control"]).toBe("no-store");
    expect(reply.body.length).toBeLessThan(16_000);
    const html = reply.body.toString("utf8");
    for (const operation of ["query RecentJobs", "query RunningJobs", "mutation CreateJob"]) expect(html).toContain(operation);
    const assets = [...html.matchAll(/"(\/playground\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/playground\/graphiql-[0-9a-f]{16}\.js$/), expect.stringMatching(/\.css$/), expect.stringMatching(/^\/playground\/graphql\.worker-/)]),
    );
    expect(html).not.toMatch(/(src|href)=["']https?:/);
  });

  it("serves each asset compressed when the client accepts it, cacheable for a year, with an ETag", async () => {
    const html = (await page("127.0.0.1", port)).body.toString("utf8");
    const assets = [...new Set([...html.matchAll(/"(\/playground\/[^"]+)"/g)].map((m) => m[1]!))];
    expect(assets).toHaveLength(6);
    let total = 0;
    let sent = 0;
    for (const path of assets) {
      const plain = await get("127.0.0.1", port, path);
      expect(plain.status, path).toBe(200);
      expect(plain.headers["content-encoding"], path).toBeUndefined();
      expect(plain.headers["cache-control"], path).toBe("public, max-age=31536000, immutable");
      expect(plain.headers.vary, path).toBe("accept-encoding");
      expect(Number(plain.headers["content-length"]), path).toBe(plain.body.length);
      total += plain.body.length;

      const br = await get("127.0.0.1", port, path, { "accept-encoding": "gzip, deflate, br" });
      expect(br.headers["content-encoding"], path).toBe("br");
      expect(zlib.brotliDecompressSync(br.body).equals(plain.body), path).toBe(true);
      sent += br.body.length;
      const gzip = await get("127.0.0.1", port, path, { "accept-encoding": "gzip" });
      expect(gzip.headers["content-encoding"], path).toBe("gzip");
      expect(zlib.gunzipSync(gzip.body).equals(plain.body), path).toBe(true);

      const again = await get("127.0.0.1", port, path, { "if-none-match": br.headers.etag! });
      expect(again.status, path).toBe(304);
      expect(again.body.length, path).toBe(0);
    }
    // What used to be inlined into every page: about 9 MB, of which about a quarter travels.
    expect(total).toBeGreaterThan(8_000_000);
    expect(sent).toBeLessThan(total / 3);
    expect((await get("127.0.0.1", port, "/playground/graphiql-0000000000000000.js")).status).toBe(404);
  });

  it("carries the development token to loopback clients only, whatever their headers claim", async () => {
    for (const loopback of ["127.0.0.1", "::1"]) {
      const html = (await page(loopback, port)).body.toString("utf8");
      expect(html, loopback).toContain(`Bearer ${token}`);
    }
    const external = [externalAddress("IPv4"), externalAddress("IPv6")].filter((a): a is string => a !== undefined);
    if (!external.length) console.warn("this machine has no address but loopback: the page was not fetched from another one");
    for (const address of external) {
      const reply = await page(address, port, { "x-forwarded-for": "127.0.0.1", forwarded: "for=127.0.0.1" });
      expect(reply.status, address).toBe(200);
      const html = reply.body.toString("utf8");
      expect(html, address).toContain("query RecentJobs");
      expect(html, address).not.toContain(token);
      expect(html, address).not.toContain("Bearer");
    }
  });
});

describe("the rules the playground relies on", () => {
  it("takes 127.0.0.0/8 and ::1, mapped or not, for loopback, and nothing else", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopback(address), address).toBe(true);
    for (const address of [undefined, "", "10.0.0.1", "192.0.2.2", "::ffff:192.0.2.2", "fd00::2", "::", "128.0.0.1"]) {
      expect(isLoopback(address), String(address)).toBe(false);
    }
  });

  it("prefers br, then gzip, as the client accepts them", () => {
    expect(chooseEncoding("gzip, deflate, br")).toBe("br");
    expect(chooseEncoding("gzip;q=1.0, br;q=0")).toBe("gzip");
    expect(chooseEncoding("*")).toBe("br");
    expect(chooseEncoding("identity")).toBeUndefined();
    expect(chooseEncoding(null)).toBeUndefined();
  });
});
