-- Queues an admin can pause and limit, node draining, stalled jobs, and job logs.
-- CreateEnum
CREATE TYPE "LogStream" AS ENUM ('STDOUT', 'STDERR');

-- AlterEnum


ALTER TYPE "JobEventKind" ADD VALUE 'STALLED';
ALTER TYPE "JobEventKind" ADD VALUE 'RECOVERED';
ALTER TYPE "JobEventKind" ADD VALUE 'QUEUE_UPDATED';

-- AlterTable
ALTER TABLE "worker_nodes" ADD COLUMN     "draining" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "job_templates" ADD COLUMN     "stall_after_seconds" INTEGER;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "last_report_at" TIMESTAMPTZ(3),
ADD COLUMN     "stall_after_seconds" INTEGER,
ADD COLUMN     "stalled_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "queues" (
    "name" VARCHAR(200) NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "concurrency_limit" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queues_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "job_log_lines" (
    "job_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "task_id" UUID,
    "stream" "LogStream" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "line" TEXT NOT NULL,
    "cum_bytes" BIGINT NOT NULL,

    CONSTRAINT "job_log_lines_pkey" PRIMARY KEY ("job_id","seq")
);

-- CreateTable
CREATE TABLE "job_log_stats" (
    "job_id" UUID NOT NULL,
    "lines" BIGINT NOT NULL DEFAULT 0,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "dropped_lines" BIGINT NOT NULL DEFAULT 0,
    "dropped_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "job_log_stats_pkey" PRIMARY KEY ("job_id")
);

-- CreateIndex
CREATE INDEX "job_log_lines_task_id_seq_idx" ON "job_log_lines"("task_id", "seq");

-- AddForeignKey
ALTER TABLE "job_log_lines" ADD CONSTRAINT "job_log_lines_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_log_lines" ADD CONSTRAINT "job_log_lines_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_log_stats" ADD CONSTRAINT "job_log_stats_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written (see prisma/raw-objects.json).
ALTER TABLE "queues" ADD CONSTRAINT "queues_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "queues" ADD CONSTRAINT "queues_concurrency_limit_check" CHECK ("concurrency_limit" IS NULL OR "concurrency_limit" >= 1);
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_stall_after_check" CHECK ("stall_after_seconds" IS NULL OR "stall_after_seconds" > 0);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_stall_after_check" CHECK ("stall_after_seconds" IS NULL OR "stall_after_seconds" > 0);
ALTER TABLE "job_log_lines" ADD CONSTRAINT "job_log_lines_seq_check" CHECK ("seq" >= 1);

-- last_report_at is written by every progress report and lease renewal: no index may cover it,
-- or those updates could not be HOT (see test/domain/claiming.test.ts). The stall sweep finds
-- running jobs through jobs_status_idx; they are few.

-- A claim of a job in a queue with a concurrency limit takes a slot in it here (see QUEUE_SLOT in
-- src/domain/queues.ts): it locks the queue's row, which claims of that queue then take one after
-- the other, and only then counts the queue's held jobs. The function is VOLATILE, so that in READ
-- COMMITTED its count sees every claim committed before the lock was granted, which the claim
-- statement's own snapshot, taken before it waited, would not. Queues without a limit cost nothing.
CREATE FUNCTION "jobgraph_take_queue_slot"(queue_name text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  is_paused boolean;
  max_held integer;
BEGIN
  SELECT paused, concurrency_limit INTO is_paused, max_held FROM "queues" WHERE name = queue_name FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN true;
  END IF;
  IF is_paused THEN
    RETURN false;
  END IF;
  IF max_held IS NULL THEN
    RETURN true;
  END IF;
  RETURN (SELECT count(*) FROM "jobs" WHERE queue = queue_name AND status IN ('ACQUIRED', 'RUNNING')) < max_held;
END
$$;
