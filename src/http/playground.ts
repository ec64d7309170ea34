// The playground (GraphiQL, from @graphql-yoga/render-graphiql, so that it works without internet
// access). That package's renderer inlines its whole bundle, about 9 MB, into the page: sent again
// on every visit, uncompressed, uncacheable, since the page may carry a token. Here the page is a
// few KB that are never stored (Cache-Control: no-store), and the bundle's parts are assets at URLs
// named after their content, cached for a year, compressed once (br or gzip) when the client
// accepts it.
//
// The development admin token is written into the page only for a request that reaches this
// process from the loopback interface (the socket's own address; no header counts): with
// HOST=0.0.0.0, anyone else who reaches the port gets a page without it.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import net from "node:net";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { Plugin } from "graphql-yoga";

/** What the playground opens with and sends. */
export type PlaygroundOptions = {
  title: string;
  /** The example operations, one tab each. */
  tabs: ReadonlyArray<{ query: string }>;
  /** Headers the playground adds to every request, whoever opens it. */
  additionalHeaders: Record<string, string>;
  /** A token the page sends for requests from the loopback interface (the development admin token). */
  token?: string;
  /** Where the page is (GraphiQL posts there too). */
  endpoint: string;
};

/** Where the assets are served; each name carries a hash of its content. */
export const PLAYGROUND_ASSETS = "/playground/";

type Encoding = "br" | "gzip";

/** A file served at a URL named after its content (the playground's, the dashboard's). */
export type Asset = {
  type: string;
  body: Buffer;
  /** A weak ETag: the content hash, the same for every encoding of it. */
  etag: string;
  compressed: Map<Encoding, Promise<Buffer>>;
};

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/**
 * Compressed once per asset and encoding, in the thread pool. Brotli at quality 6: quality 11
 * takes about 20 times as long (10 s for the main script) for a tenth less.
 */
function compress(asset: Asset, encoding: Encoding): Promise<Buffer> {
  let done = asset.compressed.get(encoding);
  if (!done) {
    done =
      encoding === "br"
        ? brotli(asset.body, {
            params: {
              [zlib.constants.BROTLI_PARAM_QUALITY]: 6,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length,
            },
          })
        : gzip(asset.body, { level: 9 });
    asset.compressed.set(encoding, done);
  }
  return done;
}

/** The encoding to answer with: br, else gzip, when the client accepts it (q > 0); else none. */
export function chooseEncoding(acceptEncoding: string | null): Encoding | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const quality = (encoding: Encoding) => accepted.get(encoding) ?? accepted.get("*") ?? 0;
  if (quality("br") > 0) return "br";
  if (quality("gzip") > 0) return "gzip";
  return undefined;
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether a socket's remote address is this machine's loopback: 127.0.0.0/8 or ::1 (IPv4-mapped too). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return LOOPBACK.check(mapped[1]!, "ipv4");
  if (net.isIPv4(address)) return LOOPBACK.check(address, "ipv4");
  return net.isIPv6(address) && LOOPBACK.check(address, "ipv6");
}

type Bundle = { assets: Map<string, Asset>; urls: Record<"js" | "css" | "favicon" | "editorWorker" | "jsonWorker" | "graphqlWorker", string> };

/** Loads the bundle (only when the playground is first asked for) and names its parts after their content. */
async function loadBundle(): Promise<Bundle> {
  const parts = await import("@graphql-yoga/render-graphiql/graphiql");
  const assets = new Map<string, Asset>();
  const add = (name: string, extension: string, type: string, body: Buffer) => {
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
    const url = `${PLAYGROUND_ASSETS}${name}-${hash}.${extension}`;
    assets.set(url, { type, body, etag: `W/"${hash}"`, compressed: new Map() });
    return url;
  };
  const script = "text/javascript; charset=utf-8";
  const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(parts.favicon);
  const urls = {
    js: add("graphiql", "js", script, Buffer.from(parts.js)),
    css: add("graphiql", "css", "text/css; charset=utf-8", Buffer.from(parts.css)),
    favicon: favicon ? add("favicon", "ico", favicon[1]!, Buffer.from(favicon[2]!, "base64")) : "",
    editorWorker: add("editor.worker", "js", script, Buffer.from(parts.editorWorkerService)),
    jsonWorker: add("json.worker", "js", script, Buffer.from(parts.jsonWorker)),
    graphqlWorker: add("graphql.worker", "js", script, Buffer.from(parts.graphqlWorker)),
  };
  // Compressed now, in the background, so that the page's requests for them find them ready.
  for (const asset of assets.values()) for (const encoding of ["br", "gzip"] as const) void compress(asset, encoding);
  return { assets, urls };
}

/** JSON that can sit inside a <script> element: nothing in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(options: PlaygroundOptions, { urls }: Bundle, token: string | undefined): string {
  const headers = token ? JSON.stringify({ Authorization: `Bearer ${token}` }) : undefined;
  const graphiql = {
    title: options.title,
    additionalHeaders: options.additionalHeaders,
    defaultTabs: options.tabs.map((tab) => ({ ...tab, headers: headers ?? null })),
    ...(headers ? { headers, defaultHeaders: headers } : {}),
  };
  const workers = { editorWorkerService: urls.editorWorker, json: urls.jsonWorker, graphql: urls.graphqlWorker };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    ${urls.favicon ? `<link rel="icon" href="${urls.favicon}" />` : ""}
    <link rel="stylesheet" href="${urls.css}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${urls.js}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), ${scriptJson(graphiql)});
    </script>
  </body>
</html>
`;
}

/** GraphiQL's own rule for a request that wants the page: a GET that accepts HTML. */
function wantsPage(request: Request): boolean {
  return request.method === "GET" && (request.headers.get("accept") ?? "").includes("text/html");
}

/** Serves the playground: the page at the GraphQL endpoint, its assets under PLAYGROUND_ASSETS. */
export function usePlayground(options: PlaygroundOptions): Plugin {
  let bundle: Promise<Bundle> | undefined;
  const loaded = () => (bundle ??= loadBundle());
  return {
    async onRequest({ request, url, serverContext, fetchAPI, endResponse }) {
      const path = url.pathname;
      if ((path === options.endpoint || path === `${options.endpoint}/`) && wantsPage(request)) {
        const socket = (serverContext as { req?: IncomingMessage } | undefined)?.req?.socket;
        const token = options.token && isLoopback(socket?.remoteAddress) ? options.token : undefined;
        endResponse(
          new fetchAPI.Response(page(options, await loaded(), token), {
            headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
          }),
        );
        return;
      }
      if (!path.startsWith(PLAYGROUND_ASSETS) || (request.method !== "GET" && request.method !== "HEAD")) return;
      endResponse(await assetResponse(request, (await loaded()).assets.get(path), fetchAPI.Response));
    },
  };
}

/** An asset as a response: cached for a year (its URL changes with its content), compressed when the client takes it, 304 when it has it. */
export async function assetResponse(request: Request, asset: Asset | undefined, Response: typeof globalThis.Response): Promise<Response> {
  if (!asset) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
  const headers: Record<string, string> = {
    "content-type": asset.type,
    // The URL changes whenever the content does.
    "cache-control": "public, max-age=31536000, immutable",
    etag: asset.etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
  };
  if (request.headers.get("if-none-match")?.split(",").some((tag) => tag.trim() === asset.etag)) return new Response(null, { status: 304, headers });
  const encoding = chooseEncoding(request.headers.get("accept-encoding"));
  const body = encoding ? await compress(asset, encoding) : asset.body;
  if (encoding) headers["content-encoding"] = encoding;
  headers["content-length"] = String(body.length);
  return new Response(request.method === "HEAD" ? null : (body as Uint8Array<ArrayBuffer>), { headers });
}
