// The random-shapes benchmark's data: the read benchmark's (bench/reads/seed.ts: users, nodes,
// templates, jobs, tasks, outputs), its templates' declarations completed, and what its documents also read and that one leaves empty:
// each job's history (events, an attempt for each job that left the queue), log lines of one job
// in ten, workflows of four jobs that depend on one another (one job in ten), and schedules with
// their ticks. Written in set-based statements, derived from the jobs' numbers, so two seeds of the
// same size hold the same data but for generated ids. Then the pool: the values the generator's
// arguments take, in a stable order.
import pg from "pg";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { QUEUES, seed as seedReads, type Seeded as ReadsSeeded } from "../reads/seed.js";
import { NODE_TYPES, type NodeType, type Pool } from "./generate.js";

export type Seeded = ReadsSeeded & { events: number; attempts: number; logLines: number; workflows: number; schedules: number };

/** Schedules seeded, each with this many ticks. */
const SCHEDULES = 12;
const TICKS = 10;
/** Log lines of each job that has a log. */
const LOG_LINES = 30;

export async function seed(url: string, jobs: number): Promise<Seeded> {
  const seeded = await seedReads(url, jobs);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin");
    // The read benchmark's templates declare their parameter without saying whether it is
    // required, which the API always writes (and ValueDeclaration.required is non-null): the
    // declarations are completed as the API would have written them.
    await client.query(/* sql */ `
      /* seedShapeDeclarations */
      update job_templates
         set parameters = (select jsonb_agg(d || jsonb_build_object('required', coalesce(d -> 'required', 'false'::jsonb)))
                             from jsonb_array_elements(parameters) d)
       where jsonb_array_length(parameters) > 0`);
    // A job's history: created by its creator, then (unless still queued) acquired by its node,
    // started, and finished as it stands.
    await client.query(/* sql */ `
      /* seedShapeEvents */
      insert into job_events (job_id, kind, from_status, to_status, actor_user_id, actor_node_id, at, job_version, progress)
      select j.id, e.kind::"JobEventKind", e.from_status::"JobStatus", e.to_status::"JobStatus",
             case when e.kind = 'CREATED' then j.creator_id end, case when e.kind <> 'CREATED' then j.node_id end,
             j.created_at + make_interval(secs => e.k * 5), e.k + 1, case when e.kind = 'PROGRESS' then j.progress end
        from jobs j
        cross join lateral (values
          (0, 'CREATED', null, 'QUEUED', true),
          (1, 'ACQUIRED', 'QUEUED', 'ACQUIRED', j.status <> 'QUEUED'),
          (2, 'STARTED', 'ACQUIRED', 'RUNNING', j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')),
          (3, 'PROGRESS', null, null, j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')),
          (4, j.status::text, 'RUNNING', j.status::text, j.status in ('SUCCEEDED', 'FAILED', 'CANCELLED'))
        ) e(k, kind, from_status, to_status, happened)
       where e.happened
       order by j.number, e.k`);
    await client.query(/* sql */ `
      /* seedShapeAttempts */
      insert into job_attempts (job_id, number, node_id, lease_token, start_time, end_time, outcome, error, retryable)
      select j.id, 1, j.node_id, coalesce(j.lease_token, gen_random_uuid()), coalesce(j.start_time, j.created_at), j.end_time,
             case j.status when 'SUCCEEDED' then 'SUCCEEDED' when 'FAILED' then 'FAILED' when 'CANCELLED' then 'CANCELLED' end::"AttemptOutcome",
             j.error_reason, case when j.status = 'FAILED' then false end
        from jobs j
       where j.status <> 'QUEUED'`);
    // Logs of one job in ten that ran, each line its first task's.
    await client.query(
      /* sql */ `
      /* seedShapeLogLines */
      insert into job_log_lines (job_id, seq, task_id, stream, at, line, cum_bytes)
      select j.id, s, t.id, (case when s % 7 = 0 then 'STDERR' else 'STDOUT' end)::"LogStream",
             coalesce(j.start_time, j.created_at) + make_interval(secs => s), 'step ' || s || ' of job ' || j.number, s * 24
        from jobs j
        join tasks t on t.job_id = j.id and t.qsequence = 0
        cross join generate_series(1, $1::int) s
       where j.number % 10 = 3 and j.status <> 'QUEUED'`,
      [LOG_LINES],
    );
    await client.query(/* sql */ `
      /* seedShapeLogStats */
      insert into job_log_stats (job_id, lines, bytes)
      select job_id, count(*), max(cum_bytes) from job_log_lines group by job_id
      on conflict (job_id) do update set lines = excluded.lines, bytes = excluded.bytes`);
    // Workflows: the jobs numbered 40k+1 to 40k+4 make one, each after (and a child of) the one before.
    await client.query(/* sql */ `
      /* seedShapeWorkflows */
      insert into workflows (name, creator_id, created_at)
      select 'workflow-' || g, j.creator_id, j.created_at
        from jobs j, lateral (select (j.number - 1) / 4 as g) w
       where (j.number - 1) % 40 = 0
       order by j.number`);
    await client.query(/* sql */ `
      /* seedShapeWorkflowJobs */
      update jobs j set workflow_id = w.id, has_dependents = (j.number - 1) % 4 <> 3,
                        parent_id = case when (j.number - 1) % 4 <> 0 then (select p.id from jobs p where p.number = j.number - 1) end
        from workflows w
       where (j.number - 1) % 40 < 4 and w.name = 'workflow-' || ((j.number - 1) / 4)`);
    await client.query(/* sql */ `
      /* seedShapeDependencies */
      insert into job_dependencies (job_id, depends_on_id)
      select j.id, j.parent_id from jobs j where j.workflow_id is not null and j.parent_id is not null`);
    await client.query(
      /* sql */ `
      /* seedShapeSchedules */
      insert into schedules (name, description, cron, job, next_run_at, last_job_id, creator_id, paused)
      select 'schedule-' || lpad(i::text, 2, '0'), 'benchmark schedule', case when i % 2 = 0 then '@daily' else '0 * * * *' end,
             jsonb_build_object('templateName', 'template-' || lpad((i % 10 + 1)::text, 2, '0'), 'queue', ($2::text[])[i % 4 + 1]),
             now() + interval '1 day', (select id from jobs where number = i * 7),
             (select id from users order by name offset i % 20 limit 1), i % 5 = 0
        from generate_series(1, $1::int) i`,
      [SCHEDULES, QUEUES],
    );
    await client.query(
      /* sql */ `
      /* seedShapeScheduleTicks */
      insert into schedule_ticks (schedule_id, tick_at, outcome, job_id, handled_at)
      select s.id, now() - make_interval(days => k), (case when k % 4 = 0 then 'SKIPPED_OVERLAP' else 'CREATED' end)::"ScheduleTickOutcome",
             case when k % 4 <> 0 then (select id from jobs where number = k * 13 + 1) end, now() - make_interval(days => k)
        from schedules s, generate_series(1, $1::int) k`,
      [TICKS],
    );
    await client.query("commit");
    await client.query("vacuum analyze");
    const { rows } = await client.query<Record<"events" | "attempts" | "logLines" | "workflows" | "schedules", number>>(/* sql */ `
      /* seedShapeCounts */
      select (select count(*) from job_events)::int as "events", (select count(*) from job_attempts)::int as "attempts",
             (select count(*) from job_log_lines)::int as "logLines", (select count(*) from workflows)::int as "workflows",
             (select count(*) from schedules)::int as "schedules"`);
    return { ...seeded, ...rows[0]! };
  } finally {
    await client.end();
  }
}

/** Rows of each kind the pool holds at most: enough for variety, few enough to read in a moment. */
const POOL_ROWS = 2000;

/** The values the generator's arguments take, read from the seeded database in a stable order. */
export async function readPool(url: string): Promise<Pool> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const list = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql, [POOL_ROWS])).rows;
    const keys = async (sql: string) => (await list<{ id: string }>(sql)).map((r) => r.id);
    const jobs = await list<{ id: string; number: string }>(`/* poolJobs */ select id, number::text from jobs order by number limit $1::int`);
    const workflows = await list<{ id: string; number: string }>(`/* poolWorkflows */ select id, number::text from workflows order by number limit $1::int`);
    const outputs = await list<{ id: string; job_id: string; name: string; type: string }>(
      `/* poolOutputs */ select o.id, o.job_id, o.name, o.type from job_outputs o join jobs j on j.id = o.job_id order by j.number, o.name limit $1::int`,
    );
    const templates = await list<{ id: string; name: string; version: number; executor_name: string }>(
      `/* poolTemplates */ select id, name, version, executor_name from job_templates where $1::int > 0 order by name, version`,
    );
    const users = await list<{ id: string; name: string }>(`/* poolUsers */ select id, name from users where $1::int > 0 order by name`);
    const schedules = await list<{ id: string; name: string }>(`/* poolSchedules */ select id, name from schedules where $1::int > 0 order by name`);
    const raw: Record<NodeType, string[]> = {
      Job: jobs.map((j) => j.id),
      Task: await keys(`/* poolTasks */ select t.id from tasks t join jobs j on j.id = t.job_id where j.number <= 100 order by j.number, t.qsequence limit $1::int`),
      JobOutput: outputs.map((o) => o.id),
      JobTemplate: templates.map((t) => t.id),
      JobEvent: await keys(`/* poolEvents */ select id::text as id from job_events order by id limit $1::int`),
      User: users.map((u) => u.id),
      WorkerNode: await keys(`/* poolNodes */ select id from worker_nodes where $1::int > 0 order by name`),
      Workflow: workflows.map((w) => w.id),
      Schedule: schedules.map((s) => s.id),
      ApiToken: await keys(`/* poolTokens */ select id from api_tokens order by created_at, id limit $1::int`),
    };
    const ids = Object.fromEntries(NODE_TYPES.map((type) => [type, raw[type].map((id) => encodeGlobalId(type, id))])) as Record<NodeType, string[]>;
    return {
      ids,
      jobNumbers: jobs.map((j) => Number(j.number)),
      workflowNumbers: workflows.map((w) => Number(w.number)),
      queues: [...QUEUES],
      tags: ["bench", ...Array.from({ length: 7 }, (_, i) => `batch-${i}`)],
      templates: templates.map((t) => ({ name: t.name, version: t.version })),
      executors: [...new Set(templates.map((t) => t.executor_name))].sort(),
      outputs: outputs.map((o) => ({ jobId: encodeGlobalId("Job", o.job_id), name: o.name, type: o.type })),
      scheduleNames: schedules.map((s) => s.name),
      userNames: users.map((u) => u.name),
      taskNames: Array.from({ length: 20 }, (_, k) => `task-${String(k).padStart(2, "0")}`),
    };
  } finally {
    await client.end();
  }
}
