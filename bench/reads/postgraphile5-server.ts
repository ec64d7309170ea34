// A peer of the read benchmark: PostGraphile v5 over the same tables, as its own process so that
// its CPU time can be read alone. Started by bench/reads.ts with DATABASE_URL, PORT and POOL_SIZE,
// on Node 22 or later (v5 requires it; see servers.ts for where that Node comes from).
//
// The project depends on v4 as `postgraphile`; v5 is installed beside it under the alias
// `postgraphile5`, with its own grafast, grafserv, @dataplan/pg, pg-sql2 and graphile-build(-pg) 5
// (npm nests whichever of them collide with v4's).
//
// The amber preset, set as the v4 peer is: the pg adaptor on a pool of POOL_SIZE connections, no
// mutations, no GraphiQL, no watching, and every column usable in conditions and orders whether or
// not an index covers it (v4's default ignoreIndexes; v5 would otherwise offer only indexed ones,
// and jobs' deleted_at, which every list filters on, has no index). Amber's defaults already match
// the v4 peer's other settings: the global ID is `id` and a uuid `id` column becomes `rowId` (v4's
// classicIds), JSON columns are JSON values (dynamicJson), collections are connections only.
//
// At start-up v5 warns that it cannot build a codec for xid8 (jobs.event_txid, job_events.txid): it
// leaves those two columns out, as v4 does silently, and no benchmarked query reads them.
import http from "node:http";
import pg from "pg";
import { postgraphile } from "postgraphile5";
import { makePgService } from "postgraphile5/adaptors/pg";
import { grafserv } from "postgraphile5/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile5/presets/amber";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE) });
// A connection closed by PostgreSQL while idle (at shutdown) must not crash the process.
pool.on("error", () => undefined);

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgMutationCreatePlugin", "PgMutationUpdateDeletePlugin", "PgIndexBehaviorsPlugin", "PgRBACPlugin"],
  pgServices: [makePgService({ pool, schemas: ["public"] })],
  schema: { pgForbidSetofFunctionsToReturnNull: true },
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
});

const server = http.createServer();
await pgl.createServ(grafserv).addTo(server);
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void Promise.resolve(pgl.release()).then(() => pool.end()).then(() => process.exit(0)));
});
