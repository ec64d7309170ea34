// How the gateway serves the dashboard (src/http/dashboard.ts, built by scripts/build-web.mjs):
// the page never stored and under a strict Content-Security-Policy, carrying the development token
// only to loopback requests; its assets cacheable for a year and compressed; and the whole of its
// script and style within the size budget (docs/frontends.md).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { contentSecurityPolicy } from "../../src/http/dashboard.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const built = path.join(projectRoot, "dist", "web");
/** The budget, compressed as the gateway sends them (gzip; brotli comes out smaller). */
const BUDGET = { js: 40 * 1024, css: 4 * 1024 };

let database: TestDatabase;
let api: TestApi;
let base: string;
const TOKEN = "jgu_development_token_for_the_dashboard_test";

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database, { playgroundToken: TOKEN });
  base = `http://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}`;
});

afterAll(async () => {
  await api.app.stop();
});

describe("the dashboard's files", () => {
  it("its sources type-check against the documents generated from the schema", () => {
    const result = spawnSync(path.join(projectRoot, "node_modules", ".bin", "tsc"), ["-p", path.join(projectRoot, "web", "tsconfig.json")], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  it(`keep within the budget: script ${BUDGET.js / 1024} KiB and style ${BUDGET.css / 1024} KiB, compressed`, () => {
    const files = readdirSync(path.join(built, "dashboard"));
    const size = (extension: string) =>
      files.filter((file) => file.endsWith(extension)).reduce((sum, file) => sum + gzipSync(readFileSync(path.join(built, "dashboard", file)), { level: 9 }).length, 0);
    expect(files.some((file) => file.endsWith(".js"))).toBe(true);
    expect(size(".js")).toBeLessThanOrEqual(BUDGET.js);
    expect(size(".css")).toBeLessThanOrEqual(BUDGET.css);
  });

  it("the page has no inline script or style, which the policy would block", () => {
    const page = readFileSync(path.join(built, "index.html"), "utf8");
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|style=/);
    expect(page).toMatch(/<script type="module" crossorigin src="\/dashboard\/index-[\w-]+\.js"><\/script>/);
  });
});

describe("serving the dashboard", () => {
  it("the page at /: not stored, under a policy that allows its own files and this gateway alone, with the development token for this machine", async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-security-policy")).toBe(contentSecurityPolicy(new URL(base).host));
    expect(contentSecurityPolicy("127.0.0.1:4000")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:4000 wss://127.0.0.1:4000; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    // A Host header that is not a host adds nothing to the policy.
    expect(contentSecurityPolicy('evil" ; script-src *')).not.toContain("evil");
    expect(await response.text()).toContain(`<meta name="jobgraph-token" content="${TOKEN}" />`);
  });

  it("its assets: a year in caches, compressed, 304 when the client has them", async () => {
    const page = await (await fetch(`${base}/`)).text();
    const script = /src="(\/dashboard\/[^"]+\.js)"/.exec(page)![1]!;
    const response = await fetch(`${base}${script}`, { headers: { "accept-encoding": "br" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const etag = response.headers.get("etag")!;
    expect((await fetch(`${base}${script}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(`${base}/dashboard/nothing-here.js`)).status).toBe(404);
  });
});
