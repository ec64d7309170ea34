-- AlterTable
ALTER TABLE "job_dependencies" ADD COLUMN     "binds" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Inputs bound to a dependency's outputs (job_dependencies.binds) take them when it succeeds: the
-- dependency's success writes the output's id into each bound input, in the same transaction, and
-- a dependent bound to an output the dependency did not leave fails, naming the input and the
-- output (its own dependents follow, through this trigger). A reset of the dependency takes the
-- outputs back from the dependents that wait again. Otherwise as the migration that made workflows.
CREATE OR REPLACE FUNCTION "jobs_follow_dependencies"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  upstream "jobs";
  reason text;
BEGIN
  upstream := NEW;

  IF NEW.status = 'SUCCEEDED' THEN
    IF EXISTS (SELECT FROM "job_dependencies" WHERE depends_on_id = upstream.id AND binds <> '{}') THEN
      WITH target AS (
        SELECT d.id, d.input_values, e.binds FROM "jobs" d JOIN "job_dependencies" e ON e.job_id = d.id
         WHERE e.depends_on_id = upstream.id AND e.binds <> '{}' AND d.status = 'WAITING'
         FOR UPDATE OF d
      ), bound AS (
        SELECT t.id, b.name, t.input_values -> b.name -> 'value' AS ref, o.id AS output_id
          FROM target t CROSS JOIN LATERAL unnest(t.binds) AS b(name)
          LEFT JOIN "job_outputs" o
            ON o.job_id = upstream.id
           AND o.name = t.input_values -> b.name -> 'value' ->> 'name'
           AND o.type = t.input_values -> b.name -> 'value' ->> 'type'
      ), missing AS (
        SELECT DISTINCT ON (id) id, name, ref FROM bound WHERE output_id IS NULL ORDER BY id, name
      ), resolved AS (
        UPDATE "jobs" d SET input_values = d.input_values || r.taken
          FROM (SELECT id, jsonb_object_agg(name, jsonb_build_object('type', 'output', 'value', ref || jsonb_build_object('output', output_id))) AS taken
                  FROM bound GROUP BY id HAVING count(*) = count(output_id)) r
         WHERE d.id = r.id
      ), failed AS (
        UPDATE "jobs" d
           SET status = 'FAILED', end_time = now(),
               error_reason = format('input "%s" is bound to output "%s" of type "%s" of job #%s, which succeeded without it',
                                     m.name, m.ref ->> 'name', m.ref ->> 'type', upstream.number),
               version = d.version + 1, updated_at = now(), event_txid = greatest(d.event_txid, pg_current_xact_id())
          FROM missing m
         WHERE d.id = m.id
        RETURNING d.id, d.version, d.event_txid, d.error_reason, m.name, m.ref
      ), events AS (
        INSERT INTO "job_events" (job_id, kind, from_status, to_status, detail, job_version, txid)
        SELECT id, 'FAILED', 'WAITING', 'FAILED',
               jsonb_build_object('reason', error_reason, 'input', name,
                                  'output', jsonb_build_object('name', ref ->> 'name', 'type', ref ->> 'type'),
                                  'dependency', jsonb_build_object('id', upstream.id, 'number', upstream.number)),
               version, event_txid
          FROM failed
      )
      -- Their tasks, none of which has started, are cancelled, as a failed job's are.
      UPDATE "tasks" t SET status = 'CANCELLED', reason = 'cancelled with its job', end_time = now(), updated_at = now()
        FROM failed
       WHERE t.job_id = failed.id AND t.status IN ('QUEUED', 'RUNNING');
    END IF;

    -- One dependency fewer to wait for, and the last one lets the job be claimed. The rows are
    -- locked first and read as they are then, so that two dependencies succeeding at once count
    -- down one after the other and the second sees the first's count.
    WITH target AS (
      SELECT d.id, d.status AS was FROM "jobs" d JOIN "job_dependencies" e ON e.job_id = d.id
       WHERE e.depends_on_id = upstream.id
       FOR UPDATE OF d
    ), changed AS (
      UPDATE "jobs" d
         SET waiting_on = greatest(d.waiting_on - 1, 0),
             status = CASE WHEN d.status = 'WAITING' AND d.waiting_on <= 1 THEN 'QUEUED' ELSE d.status END,
             version = d.version + CASE WHEN d.status = 'WAITING' AND d.waiting_on <= 1 THEN 1 ELSE 0 END,
             updated_at = CASE WHEN d.status = 'WAITING' AND d.waiting_on <= 1 THEN now() ELSE d.updated_at END,
             event_txid = CASE WHEN d.status = 'WAITING' AND d.waiting_on <= 1 THEN greatest(d.event_txid, pg_current_xact_id()) ELSE d.event_txid END
        FROM target t
       WHERE d.id = t.id
      RETURNING d.id, d.status, t.was, d.version, d.event_txid
    )
    INSERT INTO "job_events" (job_id, kind, from_status, to_status, detail, job_version, txid)
    SELECT id, 'DEPENDENCIES_MET', 'WAITING', 'QUEUED',
           jsonb_build_object('dependency', jsonb_build_object('id', upstream.id, 'number', upstream.number)), version, event_txid
      FROM changed WHERE was = 'WAITING' AND status = 'QUEUED';
    RETURN NULL;
  END IF;

  IF OLD.status = 'SUCCEEDED' THEN
    -- A succeeded dependency was reset: one more to wait for, and a job not yet claimed waits again,
    -- giving back the outputs its inputs took from it (they are taken afresh at its next success).
    WITH target AS (
      SELECT d.id, d.status AS was, e.binds FROM "jobs" d JOIN "job_dependencies" e ON e.job_id = d.id
       WHERE e.depends_on_id = upstream.id
       FOR UPDATE OF d
    ), changed AS (
      UPDATE "jobs" d
         SET waiting_on = d.waiting_on + 1,
             status = CASE WHEN d.status = 'QUEUED' THEN 'WAITING' ELSE d.status END,
             input_values = CASE WHEN d.status = 'QUEUED' AND t.binds <> '{}'
                                 THEN (SELECT jsonb_object_agg(k, CASE WHEN k = ANY (t.binds) THEN v #- '{value,output}' ELSE v END)
                                         FROM jsonb_each(d.input_values) AS x(k, v))
                                 ELSE d.input_values END,
             version = d.version + CASE WHEN d.status = 'QUEUED' THEN 1 ELSE 0 END,
             updated_at = CASE WHEN d.status = 'QUEUED' THEN now() ELSE d.updated_at END,
             event_txid = CASE WHEN d.status = 'QUEUED' THEN greatest(d.event_txid, pg_current_xact_id()) ELSE d.event_txid END
        FROM target t
       WHERE d.id = t.id
      RETURNING d.id, d.status, t.was, d.version, d.event_txid
    )
    INSERT INTO "job_events" (job_id, kind, from_status, to_status, detail, job_version, txid)
    SELECT id, 'DEPENDENCY_RESET', 'QUEUED', 'WAITING',
           jsonb_build_object('dependency', jsonb_build_object('id', upstream.id, 'number', upstream.number)), version, event_txid
      FROM changed WHERE was = 'QUEUED' AND status = 'WAITING';
    RETURN NULL;
  END IF;

  -- Failed or cancelled for good: the jobs waiting for it whose policy is CANCEL are cancelled,
  -- naming it. Their own dependents follow through this trigger in turn.
  reason := format('its dependency, job #%s, %s', upstream.number, CASE upstream.status WHEN 'FAILED' THEN 'failed' ELSE 'was cancelled' END);
  WITH changed AS (
    UPDATE "jobs" d
       SET status = 'CANCELLED', end_time = now(), error_reason = reason,
           version = d.version + 1, updated_at = now(), event_txid = greatest(d.event_txid, pg_current_xact_id())
      FROM "job_dependencies" e
     WHERE e.depends_on_id = upstream.id AND d.id = e.job_id AND d.status = 'WAITING'
       AND d.on_dependency_failure = 'CANCEL'
    RETURNING d.id, d.version, d.event_txid
  ), events AS (
    INSERT INTO "job_events" (job_id, kind, from_status, to_status, detail, job_version, txid)
    SELECT id, 'CANCELLED', 'WAITING', 'CANCELLED',
           jsonb_build_object('reason', reason, 'dependency', jsonb_build_object('id', upstream.id, 'number', upstream.number, 'status', upstream.status)),
           version, event_txid
      FROM changed
  )
  -- Their tasks, none of which has started, are cancelled with them, as a cancelled job's are.
  UPDATE "tasks" t SET status = 'CANCELLED', reason = 'cancelled with its job', end_time = now(), updated_at = now()
    FROM changed
   WHERE t.job_id = changed.id AND t.status IN ('QUEUED', 'RUNNING');
  RETURN NULL;
END
$$;
