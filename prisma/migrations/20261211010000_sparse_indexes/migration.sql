-- Hand-written: indexes on columns most rows leave null hold only the rows that have a value.
-- An insert, or an update that is not HOT (a task starting or finishing, a job changing status),
-- writes an entry in every index of its table, a null included: a task's creating task and map, an
-- event's task, a job's parent and description are null for most rows, and their entries were
-- written, and vacuumed, for nothing. Every lookup by these columns names a value (a job's
-- children, a map's tasks, a task's events, a search of descriptions), which implies the value
-- is not null, so PostgreSQL uses these indexes where it used the whole ones.
DROP INDEX "tasks_created_by_task_id_idx";
CREATE INDEX "tasks_created_by_task_id_idx" ON "tasks" ("created_by_task_id") WHERE "created_by_task_id" IS NOT NULL;
DROP INDEX "tasks_map_task_id_idx";
CREATE INDEX "tasks_map_task_id_idx" ON "tasks" ("map_task_id") WHERE "map_task_id" IS NOT NULL;
DROP INDEX "job_events_task_id_idx";
CREATE INDEX "job_events_task_id_idx" ON "job_events" ("task_id") WHERE "task_id" IS NOT NULL;
DROP INDEX "jobs_parent_id_idx";
CREATE INDEX "jobs_parent_id_idx" ON "jobs" ("parent_id") WHERE "parent_id" IS NOT NULL;
DROP INDEX "jobs_description_trgm_idx";
CREATE INDEX "jobs_description_trgm_idx" ON "jobs" USING GIN ("description" gin_trgm_ops) WHERE "description" IS NOT NULL;
