-- Most log lines belong to no task: only those that do are indexed by task, so an append of a
-- job's own lines writes one index entry a line (its key), not two.
DROP INDEX "job_log_lines_task_id_seq_idx";
CREATE INDEX "job_log_lines_task_id_seq_idx" ON "job_log_lines" ("task_id", "seq") WHERE "task_id" IS NOT NULL;
