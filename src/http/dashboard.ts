// The dashboard (web/, built into dist/web by scripts/build-web.mjs) at /: its page, never stored
// (it may carry a token), under a Content-Security-Policy that lets it run its own script and
// style and talk to this gateway alone; its assets under /dashboard/, named after their content,
// cached for a year and compressed once.
//
// As the playground does, the page carries the development admin token for a request from the
// loopback interface, in a <meta> element (the policy allows no inline script to set it).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import type { Plugin } from "graphql-yoga";
import { assetResponse, isLoopback, type Asset } from "./playground.js";

export const DASHBOARD_ASSETS = "/dashboard/";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

type Built = { page: string; assets: Map<string, Asset> };

async function load(dir: string): Promise<Built | null> {
  if (!existsSync(path.join(dir, "index.html"))) return null;
  const page = await readFile(path.join(dir, "index.html"), "utf8");
  const assets = new Map<string, Asset>();
  const folder = path.join(dir, DASHBOARD_ASSETS.slice(1));
  for (const name of existsSync(folder) ? await readdir(folder) : []) {
    const body = await readFile(path.join(folder, name));
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
    assets.set(`${DASHBOARD_ASSETS}${name}`, { type: TYPES[path.extname(name)] ?? "application/octet-stream", body, etag: `W/"${hash}"`, compressed: new Map() });
  }
  return { page, assets };
}

/** The page's policy: its own script, style and images, and this gateway's HTTP and WebSocket endpoints. */
export function contentSecurityPolicy(host: string | null): string {
  // The WebSocket of the page's own host, named: not every browser counts ws: as 'self'.
  const sockets = host && /^[\w.-]+(:\d+)?$|^\[[\da-f:]+\](:\d+)?$/i.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const missing = `<!doctype html><html lang="en"><meta charset="utf-8"><title>jobgraph</title><p>The dashboard is not built: run <code>npm ci</code>, then <code>npm start</code> (or <code>node scripts/build-web.mjs</code>). The playground is at <a href="/graphql">/graphql</a>.</p></html>`;

/** Serves the dashboard built in `dir`; `token` is the development admin token, given to loopback requests. */
export function useDashboard(options: { dir: string; token?: string | undefined }): Plugin {
  let built: Promise<Built | null> | undefined;
  const loaded = () => (built ??= load(options.dir));
  return {
    async onRequest({ request, url, serverContext, fetchAPI, endResponse }) {
      if (request.method !== "GET" && request.method !== "HEAD") return;
      const where = url.pathname;
      if (where === "/" || where === "/index.html") {
        const dashboard = await loaded();
        const headers: Record<string, string> = {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "content-security-policy": contentSecurityPolicy(request.headers.get("host")),
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        };
        if (!dashboard) {
          endResponse(new fetchAPI.Response(missing, { status: 503, headers }));
          return;
        }
        const socket = (serverContext as { req?: IncomingMessage } | undefined)?.req?.socket;
        const token = options.token && isLoopback(socket?.remoteAddress) ? options.token : undefined;
        const page = token ? dashboard.page.replace("</head>", `  <meta name="jobgraph-token" content="${escapeAttribute(token)}" />\n  </head>`) : dashboard.page;
        endResponse(new fetchAPI.Response(request.method === "HEAD" ? null : page, { headers }));
        return;
      }
      if (!where.startsWith(DASHBOARD_ASSETS)) return;
      endResponse(await assetResponse(request, (await loaded())?.assets.get(where), fetchAPI.Response));
    },
  };
}
