// The floor of the read benchmark: graphql-yoga with a schema shaped like jobgraph's (the same
// query documents run against both), where each benchmarked query is answered by ONE hand-written
// SQL statement that builds the whole JSON answer in PostgreSQL; GraphQL then only walks it with
// default resolvers. What is left is the least a GraphQL server over these tables can cost. It
// answers exactly the benchmark's queries, nothing more: no authentication, no other fields.
// Started by bench/reads.ts with DATABASE_URL, PORT and POOL_SIZE.
import http from "node:http";
import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE) });
// A connection closed by PostgreSQL while idle (at shutdown) must not crash the process.
pool.on("error", () => undefined);

const typeDefs = /* GraphQL */ `
  enum JobStatus { QUEUED ACQUIRED RUNNING SUCCEEDED FAILED CANCELLED }
  enum TaskStatus { QUEUED RUNNING SUCCEEDED FAILED CANCELLED }
  input JobFilter { status: [JobStatus!], queue: [String!] }
  type Query {
    job(id: ID!): Job
    jobs(first: Int!, filter: JobFilter): JobConnection!
  }
  type JobConnection { edges: [JobEdge!]! }
  type JobEdge { node: Job! }
  type Job {
    id: ID!
    number: Float!
    name: String
    status: JobStatus!
    progress: Float!
    queue: String!
    priority: Int!
    createdAt: String!
    template: JobTemplate!
    tasks(first: Int!): TaskConnection!
    outputs(first: Int!): JobOutputConnection!
  }
  type JobTemplate { name: String!, version: Int! }
  type TaskConnection { edges: [TaskEdge!]! }
  type TaskEdge { node: Task! }
  type Task { name: String!, status: TaskStatus!, progress: Float!, sequence: Int! }
  type JobOutputConnection { edges: [JobOutputEdge!]! }
  type JobOutputEdge { node: JobOutput! }
  type JobOutput { name: String!, type: String!, size: Float! }
`;

// The scalar columns of a job, under the names of the schema; the global ID is jobgraph's,
// base64("Job:<uuid>"), so that answers compare field for field.
const JOB_FIELDS = /* sql */ `
  'id', encode(convert_to('Job:' || j.id, 'utf8'), 'base64'),
  'number', j.number, 'name', j.name, 'status', j.status, 'progress', j.progress,
  'queue', j.queue, 'priority', j.priority,
  'createdAt', to_char(j.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The nested page: a page of jobs with their templates, their first tasks and first outputs. */
const NESTED_PAGE = /* sql */ `
  /* floorNestedPage */
  select coalesce(json_agg(json_build_object('node', json_build_object(${JOB_FIELDS},
           'template', json_build_object('name', t.name, 'version', t.version),
           'tasks', json_build_object('edges', coalesce(ts.edges, '[]')),
           'outputs', json_build_object('edges', coalesce(os.edges, '[]'))))
         order by j.created_at desc, j.id desc), '[]') as edges
    from (select * from jobs where deleted_at is null order by created_at desc, id desc limit $1::int) j
    join job_templates t on t.id = j.template_id
    left join lateral (
      select json_agg(json_build_object('node', json_build_object('name', x.name, 'status', x.status,
               'progress', x.progress, 'sequence', x.sequence)) order by x.qsequence) as edges
        from (select * from tasks where job_id = j.id order by qsequence limit $2::int) x) ts on true
    left join lateral (
      select json_agg(json_build_object('node', json_build_object('name', o.name, 'type', o.type, 'size', o.size))
               order by o.name, o.type, o.id) as edges
        from (select * from job_outputs where job_id = j.id order by name, type, id limit $3::int) o) os on true`;

/** A filtered list of jobs, scalar fields only. */
const JOB_LIST = /* sql */ `
  /* floorJobList */
  select coalesce(json_agg(json_build_object('node', json_build_object(${JOB_FIELDS}))
         order by j.created_at desc, j.id desc), '[]') as edges
    from (select * from jobs
           where deleted_at is null
             and ($2::"JobStatus"[] is null or status = any($2::"JobStatus"[]))
             and ($3::text[] is null or queue = any($3::text[]))
           order by created_at desc, id desc limit $1::int) j`;

/** One job with its template. */
const JOB = /* sql */ `
  /* floorJob */
  select json_build_object(${JOB_FIELDS}, 'template', json_build_object('name', t.name, 'version', t.version)) as job
    from jobs j join job_templates t on t.id = j.template_id
   where j.id = $1::uuid`;

/**
 * The arguments of the field reached from the resolved field along `path` (field names), or
 * undefined when the query does not select it. The benchmark's documents use no fragments.
 */
function selectedArgs(info: GraphQLResolveInfo, path: string[]): Record<string, unknown> | undefined {
  let type = getNamedType(info.returnType);
  let selections: SelectionSetNode | undefined = info.fieldNodes[0]?.selectionSet;
  let args: Record<string, unknown> | undefined;
  for (const name of path) {
    const node = selections?.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === name);
    if (!node || !isObjectType(type)) return undefined;
    const field = type.getFields()[name]!;
    args = getArgumentValues(field, node, info.variableValues);
    type = getNamedType(field.type);
    selections = node.selectionSet;
  }
  return args;
}

type JobsArgs = { first: number; filter?: { status?: string[] | null; queue?: string[] | null } | null };

const schema = createSchema({
  typeDefs,
  resolvers: {
    Query: {
      async jobs(_root: unknown, args: JobsArgs, _ctx: unknown, info: GraphQLResolveInfo) {
        const tasks = selectedArgs(info, ["edges", "node", "tasks"]);
        if (tasks) {
          const outputs = selectedArgs(info, ["edges", "node", "outputs"]);
          const { rows } = await pool.query(NESTED_PAGE, [args.first, tasks.first, outputs?.first ?? 0]);
          return { edges: rows[0].edges };
        }
        const { rows } = await pool.query(JOB_LIST, [args.first, args.filter?.status ?? null, args.filter?.queue ?? null]);
        return { edges: rows[0].edges };
      },
      async job(_root: unknown, args: { id: string }) {
        const [typename, id] = Buffer.from(args.id, "base64").toString("utf8").split(":");
        if (typename !== "Job" || !id) return null;
        const { rows } = await pool.query(JOB, [id]);
        return rows[0]?.job ?? null;
      },
    },
  },
});

const yoga = createYoga({ schema, graphiql: false, landingPage: false, logging: false });
const server = http.createServer(yoga);
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void pool.end().then(() => process.exit(0)));
});
