-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "has_dependents" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "on_dependency_failure" "DependencyFailurePolicy" NOT NULL DEFAULT 'CANCEL',
ADD COLUMN     "waiting_on" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "workflow_id" UUID;

-- CreateTable
CREATE TABLE "workflows" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "number" BIGSERIAL NOT NULL,
    "name" VARCHAR(1000),
    "on_dependency_failure" "DependencyFailurePolicy" NOT NULL DEFAULT 'CANCEL',
    "creator_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workflows_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_dependencies" (
    "job_id" UUID NOT NULL,
    "depends_on_id" UUID NOT NULL,

    CONSTRAINT "job_dependencies_pkey" PRIMARY KEY ("job_id","depends_on_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "workflows_number_key" ON "workflows"("number");

-- CreateIndex
CREATE INDEX "workflows_creator_id_idx" ON "workflows"("creator_id");

-- CreateIndex
CREATE INDEX "job_dependencies_depends_on_id_idx" ON "job_dependencies"("depends_on_id");

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_dependencies" ADD CONSTRAINT "job_dependencies_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_dependencies" ADD CONSTRAINT "job_dependencies_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A job waiting for its dependencies can miss its deadline too: the deadline sweep's index holds it.
DROP INDEX "jobs_deadline_idx";
CREATE INDEX "jobs_deadline_idx" ON "jobs" ("deadline") WHERE "deadline" IS NOT NULL AND "status" IN ('WAITING', 'QUEUED', 'ACQUIRED', 'RUNNING');

-- A change of a job's status reaches the jobs that depend on it, in the same transaction, with
-- their events: only jobs others depend on (has_dependents) fire it, so every other job's
-- transitions pay nothing. Each statement below locks the dependents' rows, and concurrent finishes
-- of two dependencies of one job take turns, and the second counts from the first's result.
CREATE FUNCTION "jobs_follow_dependencies"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  upstream "jobs";
  reason text;
BEGIN
  upstream := NEW;

  IF NEW.status = 'SUCCEEDED' THEN
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
    -- A succeeded dependency was reset: one more to wait for, and a job not yet claimed waits again.
    WITH target AS (
      SELECT d.id, d.status AS was FROM "jobs" d JOIN "job_dependencies" e ON e.job_id = d.id
       WHERE e.depends_on_id = upstream.id
       FOR UPDATE OF d
    ), changed AS (
      UPDATE "jobs" d
         SET waiting_on = d.waiting_on + 1,
             status = CASE WHEN d.status = 'QUEUED' THEN 'WAITING' ELSE d.status END,
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

CREATE TRIGGER "jobs_follow_dependencies"
  AFTER UPDATE OF status ON "jobs"
  FOR EACH ROW
  WHEN (NEW.has_dependents AND OLD.status IS DISTINCT FROM NEW.status
        AND (NEW.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') OR OLD.status = 'SUCCEEDED'))
  EXECUTE FUNCTION "jobs_follow_dependencies"();

-- Few jobs belong to a workflow: only theirs are indexed.
CREATE INDEX "jobs_workflow_id_idx" ON "jobs" ("workflow_id") WHERE "workflow_id" IS NOT NULL;
