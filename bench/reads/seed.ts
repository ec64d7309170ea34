// The read benchmark's data, written in a few set-based statements (generate_series) rather than
// through the API: 10,000 jobs with 20 tasks each take seconds this way, minutes through mutations.
// Everything is derived from the job's index by hashing, so two seeds of the same size are the same
// data, and statuses, queues and output counts are spread independently of each other.
import pg from "pg";

export const TASKS_PER_JOB = 20;
export const QUEUES = ["default", "gpu", "cpu-large", "io"] as const;

export type Seeded = { jobs: number; tasks: number; outputs: number; deletedJobs: number };

export async function seed(url: string, jobs: number): Promise<Seeded> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin");
    await client.query(/* sql */ `
      /* seedUsers */
      insert into users (name, email, role)
      select 'user-' || lpad(i::text, 2, '0'), 'user' || i || '@bench.example', 'USER'
        from generate_series(1, 20) i`);
    await client.query(/* sql */ `
      /* seedNodes */
      insert into worker_nodes (name, executors, cpu, memory, labels, last_seen_at)
      select 'node-' || lpad(i::text, 2, '0'), array['pytorch', 'shell'], 16, 65536, '{"zone": "a"}', now()
        from generate_series(1, 10) i`);
    await client.query(/* sql */ `
      /* seedTemplates */
      insert into job_templates (name, version, description, executor_name, executor_version, inputs, parameters, creator_id)
      select 'template-' || lpad(n::text, 2, '0'), v, 'benchmark template', case when n % 2 = 0 then 'pytorch' else 'shell' end, '1.' || v,
             '[{"name": "data", "types": ["string"], "required": true}]', '[{"name": "epochs", "types": ["int"], "default": 10}]',
             (select id from users order by name limit 1)
        from generate_series(1, 10) n, generate_series(1, 2) v`);
    // Statuses (by a hash of the index, out of 100): 65 SUCCEEDED, 7 FAILED, 3 CANCELLED,
    // 10 RUNNING, 3 ACQUIRED, 12 QUEUED. One job in a hundred is soft-deleted, so a list that
    // forgets to leave them out returns other rows than its peers. Held jobs carry a lease that
    // expires long after any run, so no gateway reclaims (writes) during the measurement.
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
                        creator_id, created_at, updated_at, deleted_at, tags)
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
             creators.id, created, created, case when i % 100 = 50 then created + interval '1 hour' end,
             array['bench', 'batch-' || (i % 7)]
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
                         start_time, end_time, created_at, updated_at)
      select j.id, 'task-' || lpad(k::text, 2, '0'), k / 5, k, 'shell', '[]', '{}',
             (case when j.status = 'SUCCEEDED' then 'SUCCEEDED'
                   when j.status = 'FAILED' then case when k < 10 then 'SUCCEEDED' else 'FAILED' end
                   when j.status = 'CANCELLED' then 'CANCELLED'
                   when j.status = 'RUNNING' then case when k < 8 then 'SUCCEEDED' when k = 8 then 'RUNNING' else 'QUEUED' end
                   else 'QUEUED' end)::"TaskStatus",
             case when j.status = 'SUCCEEDED' or (j.status in ('RUNNING', 'FAILED') and k < 8) then 1
                  when j.status = 'RUNNING' and k = 8 then 0.5 else 0 end,
             case when j.status = 'SUCCEEDED' then true when j.status = 'FAILED' and k >= 10 then false end,
             j.start_time, j.end_time, j.created_at, j.created_at
        from jobs j, generate_series(0, $1::int - 1) k`,
      [TASKS_PER_JOB],
    );
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
    await client.query("commit");
    // Fresh statistics and visibility maps, as a database that has been running for a while has.
    await client.query("vacuum analyze");
    const { rows } = await client.query<{ jobs: number; tasks: number; outputs: number; deleted: number }>(/* sql */ `
      /* seedCounts */
      select (select count(*) from jobs)::int as jobs, (select count(*) from tasks)::int as tasks,
             (select count(*) from job_outputs)::int as outputs,
             (select count(*) from jobs where deleted_at is not null)::int as deleted`);
    const counts = rows[0]!;
    return { jobs: counts.jobs, tasks: counts.tasks, outputs: counts.outputs, deletedJobs: counts.deleted };
  } finally {
    await client.end();
  }
}
