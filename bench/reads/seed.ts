// The read benchmark's data, written in a few set-based statements (generate_series) rather than
// through the API: 10,000 jobs with 20 tasks each take seconds this way, minutes through mutations.
// Everything is derived from the job's index by hashing, so two seeds of the same size are the same
// data, and statuses, queues and output counts are spread independently of each other.
import pg from "pg";
import type { Ids } from "./queries.js";

export const TASKS_PER_JOB = 20;
export const QUEUES = ["default", "gpu", "cpu-large", "io"] as const;

export type Seeded = { jobs: number; tasks: number; outputs: number; deletedJobs: number; events: number; tokens: number; childJobs: number };

export async function seed(url: string, jobs: number): Promise<Seeded> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin");
    await client.query(/* sql */ `
      /* seedUsers */
      insert into users (name, email, role)
      select 'user-' || lpad(i::text, 2, '0'), case when i % 4 <> 0 then 'user' || i || '@bench.example' end,
             (case when i % 10 = 1 then 'ADMIN' else 'USER' end)::"UserRole"
        from generate_series(1, 20) i`);
    await client.query(/* sql */ `
      /* seedNodes */
      insert into worker_nodes (name, description, executors, cpu, memory, labels, last_seen_at, draining)
      select 'node-' || lpad(i::text, 2, '0'), case when i % 3 <> 0 then 'rack ' || (i % 4) end,
             case when i % 5 = 0 then array['shell'] else array['pytorch', 'shell'] end, 8 * (1 + i % 4), 16384 * (1 + i % 4),
             jsonb_build_object('zone', (array['a', 'b'])[1 + i % 2], 'gpu', (i % 2 = 0)::text), now() - make_interval(secs => i * 7), i = 10
        from generate_series(1, 10) i`);
    // Tokens: zero to three per user (some expired or revoked), one per node.
    await client.query(/* sql */ `
      /* seedTokens */
      insert into api_tokens (name, prefix, hash, user_id, node_id, expires_at, revoked_at, created_at)
      select 'token-' || k, 'jgu_' || substr(md5(u.name || k), 1, 8), md5(u.name || k) || md5(k || u.name), u.id, null,
             case when k = 2 then now() + interval '30 days' when k = 3 then now() - interval '1 day' end,
             case when k = 3 then now() - interval '2 days' end, now() - make_interval(days => 10 * k)
        from users u, generate_series(1, 3) k
       where k <= abs(hashtext('tokens' || u.name)) % 4
      union all
      select 'node', 'jgn_' || substr(md5(n.name), 1, 8), md5(n.name) || md5(n.name || 'node'), null, n.id, null, null, now() - interval '40 days'
        from worker_nodes n`);
    await client.query(/* sql */ `
      /* seedTemplates */
      insert into job_templates (name, version, description, executor_name, executor_version, inputs, parameters, creator_id,
                                 max_attempts, time_limit_seconds, task_time_limit_seconds, stall_after_seconds, retry_on, deleted_at)
      select 'template-' || lpad(n::text, 2, '0'), v, 'benchmark template', case when n % 2 = 0 then 'pytorch' else 'shell' end,
             case when n % 3 <> 0 then '1.' || v end,
             '[{"name": "data", "types": ["string"], "required": true, "help": "where the data is"}]', '[{"name": "epochs", "types": ["int"], "required": false, "default": 10, "help": ""}]',
             (select id from users order by name offset n % 3 limit 1),
             1 + n % 4, case when n % 2 = 0 then 3600 * n end, case when n % 4 = 0 then 600 end, case when n % 5 = 0 then 300 end,
             case when n % 3 = 0 then array['ERROR']::"JobFailureKind"[] else array['ERROR', 'LEASE_EXPIRED', 'TIMED_OUT']::"JobFailureKind"[] end,
             case when n = 10 and v = 1 then now() end
        from generate_series(1, 10) n, generate_series(1, 2) v`);
    // Statuses (by a hash of the index, out of 100): 65 SUCCEEDED, 7 FAILED, 3 CANCELLED,
    // 10 RUNNING, 3 ACQUIRED, 12 QUEUED. One job in a hundred is soft-deleted, so a list that
    // forgets to leave them out returns other rows than its peers. Held jobs carry a lease, and
    // some jobs a deadline, a time limit or a stall timeout, that all end long after any run, so no
    // gateway's housekeeping writes during the measurement. The other columns are filled in for
    // some jobs and not others, so that every field read has values of both kinds.
    await client.query(
      /* sql */ `
      /* seedJobs */
      with raw as (
        select i,
               abs(hashtext('status' || i)) % 100 as s,
               abs(hashtext('queue' || i)) % 4 as q,
               abs(hashtext('template' || i)) % 20 as t,
               abs(hashtext('creator' || i)) % 20 as c,
               abs(hashtext('node' || i)) % 10 as n,
               abs(hashtext('progress' || i)) % 1000 / 1000.0 as p
          from generate_series(1, $1::int) i
      ), shaped as (
        select raw.*,
               (case when s < 65 then 'SUCCEEDED' when s < 72 then 'FAILED' when s < 75 then 'CANCELLED'
                     when s < 85 then 'RUNNING' when s < 88 then 'ACQUIRED' else 'QUEUED' end)::"JobStatus" as status,
               now() - make_interval(mins => $1::int - i) as created
          from raw
      ), templates as (select id, row_number() over (order by name, version) - 1 as k from job_templates),
         creators as (select id, row_number() over (order by name) - 1 as k from users),
         nodes as (select id, row_number() over (order by name) - 1 as k from worker_nodes)
      insert into jobs (queue, name, description, template_id, status, priority, input_values, parameter_values,
                        node_id, lease_token, lease_expires_at, attempts, start_time, end_time, error_reason, progress,
                        creator_id, created_at, updated_at, deleted_at, tags, max_attempts, deadline, fingerprint,
                        last_report_at, time_limit_seconds, time_limit_at, stall_after_seconds, nondeterministic,
                        on_task_failure, on_dependency_failure, progress_detail, required_labels, version)
      select ($2::text[])[q + 1], 'job-' || i, 'benchmark job ' || i, templates.id, status, i % 5,
             jsonb_build_object('data', jsonb_build_object('type', 'string', 'value', 's3://bench/' || i)),
             '{"epochs": {"type": "int", "value": 10}}',
             case when status <> 'QUEUED' then nodes.id end,
             case when status in ('ACQUIRED', 'RUNNING') then gen_random_uuid() end,
             case when status in ('ACQUIRED', 'RUNNING') then now() + interval '30 days' end,
             case when status = 'QUEUED' then 0 else 1 end,
             case when status in ('RUNNING', 'SUCCEEDED', 'FAILED') then created + interval '10 seconds' end,
             case when status in ('SUCCEEDED', 'FAILED', 'CANCELLED') then created + interval '50 seconds' end,
             case when status = 'FAILED' then 'exit code 1' end,
             case when status = 'SUCCEEDED' then 1 when status in ('RUNNING', 'FAILED') then p else 0 end,
             creators.id, created, created + interval '1 second', case when i % 100 = 50 then created + interval '1 hour' end,
             array['bench', 'batch-' || (i % 7)], 1 + i % 3, case when i % 6 = 0 then now() + make_interval(days => 30, secs => i) end,
             case when i % 4 = 0 then md5('job' || i) || md5(i || 'job') end,
             case when status in ('ACQUIRED', 'RUNNING') then now() end,
             case when i % 2 = 0 then 7200 end, case when i % 2 = 0 and status in ('ACQUIRED', 'RUNNING') then now() + interval '30 days' end,
             case when i % 5 = 0 then 86400 end, i % 9 = 0,
             (case when i % 8 = 0 then 'CONTINUE' else 'FAIL_JOB' end)::"TaskFailurePolicy",
             (case when i % 11 = 0 then 'WAIT' else 'CANCEL' end)::"DependencyFailurePolicy",
             case when status = 'RUNNING' then jsonb_build_object('step', i % 4, 'of', 4) end,
             case when i % 3 = 0 then '{"zone": "a"}'::jsonb else '{}'::jsonb end, 1 + (s % 4)
        from shaped
        join templates on templates.k = t
        join creators on creators.k = c
        join nodes on nodes.k = n
       order by i`,
      [jobs, QUEUES],
    );
    // Tasks follow their job: all done in a finished job, the first ones done in a running one.
    await client.query(
      /* sql */ `
      /* seedTasks */
      insert into tasks (job_id, name, sequence, qsequence, executor_name, inputs, parameters, status, progress, success,
                         start_time, end_time, created_at, updated_at, type, executor_version, hints, payload, cpu, memory,
                         max_execution_time_in_seconds, required_labels, output, attempts, max_attempts, reason, time_limit_at, timed_out_at)
      select j.id, 'task-' || lpad(k::text, 2, '0'), k / 5, k, 'shell',
             case when k % 4 = 0 then jsonb_build_array(jsonb_build_object('source', jsonb_build_object('uri', 's3://bench/' || j.number || '/' || k), 'target', jsonb_build_object('path', 'in/' || k)))
                  when k % 4 = 1 then jsonb_build_array(jsonb_build_object('source', jsonb_build_object('spaceId', 'scratch', 'key', 'part-' || k), 'target', jsonb_build_object('path', 'part')))
                  else '[]'::jsonb end,
             jsonb_build_object('shard', k),
             (case when j.status = 'SUCCEEDED' then 'SUCCEEDED'
                   when j.status = 'FAILED' then case when k < 10 then 'SUCCEEDED' when k = 10 then 'FAILED' else 'CANCELLED' end
                   when j.status = 'CANCELLED' then 'CANCELLED'
                   when j.status = 'RUNNING' then case when k < 8 then 'SUCCEEDED' when k = 8 then 'RUNNING' else 'QUEUED' end
                   else 'QUEUED' end)::"TaskStatus",
             case when j.status = 'SUCCEEDED' or (j.status in ('RUNNING', 'FAILED') and k < 8) then 1
                  when j.status = 'RUNNING' and k = 8 then 0.5 else 0 end,
             case when j.status = 'SUCCEEDED' or (j.status = 'FAILED' and k < 10) then true when j.status = 'FAILED' and k = 10 then false end,
             j.start_time, j.end_time, j.created_at, j.created_at + interval '1 second',
             (case when k = 14 then 'MAP' else 'TASK' end)::"TaskType", case when k % 3 = 0 then '5.' || (k % 2) end,
             case when k % 5 = 0 then jsonb_build_object('gpu', k % 2 = 0) end, case when k % 2 = 0 then jsonb_build_object('k', k) end,
             case when k % 3 = 0 then 1 + k % 16 end, case when k % 3 = 0 then 1024 * (1 + k % 8) end,
             case when k % 4 = 0 then 3600 end, case when k % 6 = 0 then '{"zone": "a"}'::jsonb else '{}'::jsonb end,
             case when j.status = 'SUCCEEDED' then 'ok ' || k end,
             case when j.status in ('SUCCEEDED', 'FAILED') or (j.status = 'RUNNING' and k <= 8) then 1 else 0 end, 1 + k % 3,
             case when j.status = 'CANCELLED' then 'cancelled with its job' when j.status = 'FAILED' and k > 10 then 'stopped by task-10' end,
             case when j.status = 'RUNNING' and k = 8 then now() + interval '30 days' end,
             case when j.status = 'FAILED' and k = 10 then j.end_time end
        from jobs j, generate_series(0, $1::int - 1) k`,
      [TASKS_PER_JOB],
    );
    // Links between tasks: task-14 of each job is a MAP task whose children are task-15 to task-19
    // (their statuses roll up into it, by the tasks_map_rollup trigger), task-10 to task-13 were
    // created by task-00, and in a failed job task-10 stopped the tasks after it.
    await client.query(/* sql */ `
      /* seedTaskLinks */
      update tasks c
         set map_task_id = case when c.qsequence >= 15 then m.id end,
             map_index = case when c.qsequence >= 15 then c.qsequence - 15 end,
             map_value = case when c.qsequence >= 15 then jsonb_build_object('shard', c.qsequence - 15) end,
             created_by_task_id = case when c.qsequence between 10 and 13 then f.id end,
             stopped_by_task_id = case when j.status = 'FAILED' and c.qsequence > 10 then s.id end
        from jobs j, tasks f, tasks s, tasks m
       where j.id = c.job_id and c.qsequence >= 10
         and f.job_id = c.job_id and f.qsequence = 0 and s.job_id = c.job_id and s.qsequence = 10 and m.job_id = c.job_id and m.qsequence = 14`);
    // Jobs come in families of ten: job 10n is the parent of jobs 10n+1 to 10n+9.
    await client.query(/* sql */ `
      /* seedParents */
      update jobs c set parent_id = p.id from jobs p where c.number % 10 <> 0 and p.number = c.number - c.number % 10`);
    // Each job's history, as the gateway writes it: created by its creator, then acquired, started,
    // a task finished and progress reported by its node, and its end (by its node, or cancelled by
    // its creator), as far as its status goes.
    await client.query(/* sql */ `
      /* seedEvents */
      insert into job_events (job_id, task_id, kind, from_status, to_status, progress, detail, actor_user_id, actor_node_id, at, job_version)
      select j.id, case when e.kind = 'TASK_FINISHED' then t.id end, e.kind::"JobEventKind", e.from_status::"JobStatus", e.to_status::"JobStatus",
             e.progress, e.detail, case when e.by_user then j.creator_id end, case when not e.by_user then j.node_id end,
             j.created_at + make_interval(secs => 5 * e.step), row_number() over (partition by j.id order by e.step)
        from jobs j
        join tasks t on t.job_id = j.id and t.qsequence = 0
        cross join lateral (values
          (0, 'CREATED', null, 'QUEUED', null::float8, '{"source": "api"}'::jsonb, true, true),
          (1, 'ACQUIRED', 'QUEUED', 'ACQUIRED', null, null, false, j.status <> 'QUEUED'),
          (2, 'STARTED', 'ACQUIRED', 'RUNNING', null, null, false, j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')),
          (3, 'TASK_FINISHED', null, null, 1, '{"success": true}', false, j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')),
          (4, 'PROGRESS', null, null, 0.5, '{"step": 2}', false, j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')),
          (5, j.status::text, case when j.status = 'CANCELLED' then 'ACQUIRED' else 'RUNNING' end, j.status::text, null, null,
              j.status = 'CANCELLED', j.status in ('SUCCEEDED', 'FAILED', 'CANCELLED'))
        ) e(step, kind, from_status, to_status, progress, detail, by_user, present)
       where e.present
       order by j.number, e.step`);
    // Zero to five outputs per job that ran; the content is not read by this benchmark, so none is stored.
    await client.query(/* sql */ `
      /* seedOutputs */
      insert into job_outputs (job_id, name, type, size, sha256, content_type, created_at)
      select j.id, (array['model', 'metrics', 'log', 'report', 'sample'])[k], (array['pt', 'json', 'txt', 'html', 'png'])[k],
             abs(hashtext(j.id::text || k)) % 100000000, md5(j.id::text || k) || md5(k || j.id::text),
             'application/octet-stream', coalesce(j.end_time, j.created_at)
        from jobs j, generate_series(1, 5) k
       where j.status in ('RUNNING', 'SUCCEEDED', 'FAILED')
         and k <= abs(hashtext('outputs' || j.number)) % 6`);
    // An event names its task, user and node without foreign keys (jobgraph's schema keeps them as
    // a record, see prisma/migrations/20261211000000_event_references). PostGraphile makes its
    // relations from foreign keys, or from these tags where there are none: the peers then read an
    // event's task, user and node as jobgraph does.
    await client.query(/* sql */ `
      comment on table job_events is E'@foreignKey (task_id) references tasks (id)\n@foreignKey (actor_user_id) references users (id)\n@foreignKey (actor_node_id) references worker_nodes (id)'`);
    await client.query("commit");
    // Fresh statistics and visibility maps, as a database that has been running for a while has.
    await client.query("vacuum analyze");
    const { rows } = await client.query<{ jobs: number; tasks: number; outputs: number; deleted: number; events: number; tokens: number; children: number }>(/* sql */ `
      /* seedCounts */
      select (select count(*) from jobs)::int as jobs, (select count(*) from tasks)::int as tasks,
             (select count(*) from job_outputs)::int as outputs,
             (select count(*) from jobs where deleted_at is not null)::int as deleted,
             (select count(*) from job_events)::int as events, (select count(*) from api_tokens)::int as tokens,
             (select count(*) from jobs where parent_id is not null)::int as children`);
    const counts = rows[0]!;
    return {
      jobs: counts.jobs,
      tasks: counts.tasks,
      outputs: counts.outputs,
      deletedJobs: counts.deleted,
      events: counts.events,
      tokens: counts.tokens,
      childJobs: counts.children,
    };
  } finally {
    await client.end();
  }
}

/**
 * The rows the benchmark's requests name: up to `jobs` jobs in an order that has nothing to do with
 * their age (a hash of the id), and every user by name.
 */
export async function benchIds(client: pg.ClientBase, jobs: number): Promise<Ids> {
  const { rows } = await client.query<{ id: string }>(`/* benchJobIds */ select id::text from jobs order by md5(id::text) limit $1::int`, [jobs]);
  const users = await client.query<{ id: string }>(`/* benchUserIds */ select id::text from users where name like 'user-%' order by name`);
  return { jobs: rows.map((r) => r.id), users: users.rows.map((r) => r.id) };
}

/**
 * The rows whose answers are compared between servers: the first `count` of `ids`, and for the
 * single-job shapes also a failed job (a failed task, the tasks it stopped), a running one (a
 * running task) and a parent of children, so that every relation read is compared with rows in it.
 */
export async function comparedIds(client: pg.ClientBase, ids: Ids, count: number): Promise<Ids> {
  const { rows } = await client.query<{ id: string }>(/* sql */ `
    /* benchComparedJobIds */
    (select id::text from jobs where status = 'FAILED' and deleted_at is null order by number limit 1)
    union all (select id::text from jobs where status = 'RUNNING' and deleted_at is null order by number limit 1)
    union all (select p.id::text from jobs p where exists (select 1 from jobs c where c.parent_id = p.id) and p.deleted_at is null order by p.number limit 1)`);
  return { jobs: [...ids.jobs.slice(0, count), ...rows.map((r) => r.id)], users: ids.users.slice(0, count) };
}
