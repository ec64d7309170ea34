// A peer of the read benchmark: PostGraphile v4 over the same tables, as its own process so that
// its CPU time can be read alone. Started by bench/reads.ts with DATABASE_URL, PORT and POOL_SIZE.
//
// classicIds: jobs has a node_id column, whose field would collide with PostGraphile's default
// name for global IDs (nodeId); with classic IDs the global ID is `id`, as in jobgraph, and the
// uuid column becomes `rowId`. Mutations are left out: the benchmark only reads.
import Module, { createRequire } from "node:module";
import http from "node:http";
import path from "node:path";
import pg from "pg";

// npm hoists graphql-parse-resolve-info (a dependency of PostGraphile's graphile-build) to the top
// of node_modules, where its `graphql` is the project's graphql 16, while graphile-build and
// graphile-build-pg bring graphql 15 of their own: every query with an argument then fails with
// "Cannot use GraphQLScalarType from another module or realm". Every `graphql` this process loads
// is therefore the graphql 15 that postgraphile itself depends on. It only changes where modules
// are found, once, at start-up.
const require = createRequire(import.meta.url);
const graphql15 = path.dirname(require.resolve("graphql/package.json", { paths: [path.dirname(require.resolve("postgraphile/package.json"))] }));
type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolveFilename = loader._resolveFilename;
loader._resolveFilename = function (request, ...rest) {
  const redirected = request === "graphql" || request.startsWith("graphql/") ? graphql15 + request.slice("graphql".length) : request;
  return resolveFilename.call(this, redirected, ...rest);
};
const { postgraphile } = await import("postgraphile");

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE) });
// A connection closed by PostgreSQL while idle (at shutdown) must not crash the process.
pool.on("error", () => undefined);

const middleware = postgraphile(pool, "public", {
  classicIds: true,
  disableDefaultMutations: true,
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  graphiql: false,
  retryOnInitFail: false,
});

const server = http.createServer(middleware);
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void pool.end().then(() => process.exit(0)));
});
