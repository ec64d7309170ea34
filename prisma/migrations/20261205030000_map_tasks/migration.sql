-- Map tasks fan out: a MAP task (Flow Compute's MapTask) is added with one child task per element
-- of its list, and its status, progress and success follow its children's.

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "map_index" INTEGER,
ADD COLUMN     "map_task_id" UUID,
ADD COLUMN     "map_value" JSONB;

-- CreateIndex
CREATE INDEX "tasks_map_task_id_idx" ON "tasks"("map_task_id");

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_map_task_id_fkey" FOREIGN KEY ("map_task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written (listed in prisma/raw-objects.json).

ALTER TABLE "tasks" ADD CONSTRAINT "tasks_map_child_check" CHECK (("map_task_id" IS NULL) = ("map_index" IS NULL) AND ("map_task_id" IS NULL OR "type" = 'TASK'));

-- A MAP task is what its children are, whichever statement changed them (a task's own change, its
-- job's, a reset, a cascade): after each statement that updates tasks, every MAP task whose
-- children (or which itself) changed takes their aggregate. QUEUED until a child starts or ends;
-- RUNNING while any is unfinished; once all have ended, SUCCEEDED if every one did (a map over
-- nothing has succeeded), else FAILED if one failed, else CANCELLED. Progress is the children's
-- mean, a succeeded child counting as done. Rows already right are left alone, so the update this
-- makes fires the trigger once more with nothing to do.
CREATE FUNCTION "tasks_map_rollup"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The update below fires this once more, to find nothing left to change; never deeper.
  IF pg_trigger_depth() > 2 THEN
    RETURN NULL;
  END IF;
  -- Most updates touch no map at all: they pay for this check alone.
  IF NOT EXISTS (SELECT 1 FROM "changed_tasks" n WHERE n."map_task_id" IS NOT NULL OR n.type = 'MAP') THEN
    RETURN NULL;
  END IF;
  UPDATE "tasks" m
     SET "status" = r.status, "progress" = r.progress, "success" = r.success,
         "start_time" = r.start_time, "end_time" = r.end_time, "updated_at" = now()
    FROM (
      SELECT p.id,
             (CASE WHEN count(c.id) = count(c.id) FILTER (WHERE c.status = 'SUCCEEDED') THEN 'SUCCEEDED'
                   WHEN bool_or(c.status IN ('QUEUED', 'RUNNING')) THEN
                     CASE WHEN bool_and(c.status = 'QUEUED') THEN 'QUEUED' ELSE 'RUNNING' END
                   WHEN bool_or(c.status = 'FAILED') THEN 'FAILED'
                   ELSE 'CANCELLED' END)::"TaskStatus" AS status,
             coalesce(avg(CASE WHEN c.status = 'SUCCEEDED' THEN 1 ELSE c.progress END), 1) AS progress,
             min(c.start_time) AS start_time,
             max(c.end_time) AS end_time
        FROM (SELECT DISTINCT coalesce(n."map_task_id", n.id) AS id FROM "changed_tasks" n
               WHERE n."map_task_id" IS NOT NULL OR n.type = 'MAP') maps
        JOIN "tasks" p ON p.id = maps.id AND p.type = 'MAP'
        LEFT JOIN "tasks" c ON c."map_task_id" = p.id
       GROUP BY p.id
    ) s
    CROSS JOIN LATERAL (
      SELECT s.status, s.progress,
             CASE s.status WHEN 'SUCCEEDED' THEN true WHEN 'FAILED' THEN false END AS success,
             CASE WHEN s.status = 'QUEUED' THEN NULL ELSE s.start_time END AS start_time,
             CASE WHEN s.status IN ('QUEUED', 'RUNNING') THEN NULL ELSE coalesce(s.end_time, now()::timestamptz(3)) END AS end_time
    ) r
   WHERE m.id = s.id
     AND (m.status, m.progress, m.success, m.start_time, m.end_time) IS DISTINCT FROM (r.status, r.progress, r.success, r.start_time, r.end_time);
  RETURN NULL;
END
$$;

CREATE TRIGGER "tasks_map_rollup" AFTER UPDATE ON "tasks"
  REFERENCING NEW TABLE AS "changed_tasks"
  FOR EACH STATEMENT EXECUTE FUNCTION "tasks_map_rollup"();
