-- Retry policies (on templates, and on jobs within what their template allows), every attempt at a
-- job kept (job_attempts), time limits for attempts and tasks, and deadlines.

-- CreateEnum
CREATE TYPE "JobFailureKind" AS ENUM ('ERROR', 'LEASE_EXPIRED', 'TIMED_OUT');

-- CreateEnum
CREATE TYPE "AttemptOutcome" AS ENUM ('SUCCEEDED', 'FAILED', 'LEASE_EXPIRED', 'TIMED_OUT', 'DEADLINE_EXCEEDED', 'RELEASED', 'ABORTED', 'CANCELLED', 'RESET');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "JobEventKind" ADD VALUE 'ATTEMPT_FAILED';
ALTER TYPE "JobEventKind" ADD VALUE 'TIMED_OUT';
ALTER TYPE "JobEventKind" ADD VALUE 'DEADLINE_EXCEEDED';
ALTER TYPE "JobEventKind" ADD VALUE 'TASK_TIMED_OUT';

-- AlterTable
ALTER TABLE "job_templates" ADD COLUMN     "max_attempts" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "max_attempts_limit" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "retry_backoff_base_seconds" DOUBLE PRECISION NOT NULL DEFAULT 5,
ADD COLUMN     "retry_backoff_cap_seconds" DOUBLE PRECISION NOT NULL DEFAULT 3600,
ADD COLUMN     "retry_jitter" DOUBLE PRECISION NOT NULL DEFAULT 0.2,
ADD COLUMN     "retry_on" "JobFailureKind"[] DEFAULT ARRAY['ERROR', 'LEASE_EXPIRED', 'TIMED_OUT']::"JobFailureKind"[],
ADD COLUMN     "task_time_limit_seconds" INTEGER,
ADD COLUMN     "time_limit_seconds" INTEGER;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "deadline" TIMESTAMPTZ(3),
ADD COLUMN     "retry_backoff_base_seconds" DOUBLE PRECISION NOT NULL DEFAULT 5,
ADD COLUMN     "retry_backoff_cap_seconds" DOUBLE PRECISION NOT NULL DEFAULT 3600,
ADD COLUMN     "retry_jitter" DOUBLE PRECISION NOT NULL DEFAULT 0.2,
ADD COLUMN     "retry_on" "JobFailureKind"[] DEFAULT ARRAY['ERROR', 'LEASE_EXPIRED', 'TIMED_OUT']::"JobFailureKind"[],
ADD COLUMN     "task_time_limit_seconds" INTEGER,
ADD COLUMN     "time_limit_at" TIMESTAMPTZ(3),
ADD COLUMN     "time_limit_seconds" INTEGER;

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "time_limit_at" TIMESTAMPTZ(3),
ADD COLUMN     "timed_out_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "job_attempts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "job_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "node_id" UUID,
    "lease_token" UUID NOT NULL,
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "outcome" "AttemptOutcome",
    "error" TEXT,
    "retryable" BOOLEAN,
    "retry_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_attempts_job_id_lease_token_idx" ON "job_attempts"("job_id", "lease_token");

-- CreateIndex
CREATE INDEX "job_attempts_node_id_idx" ON "job_attempts"("node_id");

-- CreateIndex
CREATE UNIQUE INDEX "job_attempts_job_id_number_key" ON "job_attempts"("job_id", "number");

-- AddForeignKey
ALTER TABLE "job_attempts" ADD CONSTRAINT "job_attempts_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_attempts" ADD CONSTRAINT "job_attempts_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "worker_nodes"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Hand-written (listed in prisma/raw-objects.json).

ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_retry_check" CHECK (
  "max_attempts_limit" BETWEEN 1 AND 100 AND "max_attempts" BETWEEN 1 AND "max_attempts_limit"
  AND "retry_backoff_base_seconds" >= 0 AND "retry_backoff_cap_seconds" >= "retry_backoff_base_seconds"
  AND "retry_jitter" BETWEEN 0 AND 1
  AND coalesce("time_limit_seconds", 1) > 0 AND coalesce("task_time_limit_seconds", 1) > 0);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_retry_check" CHECK (
  "retry_backoff_base_seconds" >= 0 AND "retry_backoff_cap_seconds" >= "retry_backoff_base_seconds"
  AND "retry_jitter" BETWEEN 0 AND 1
  AND coalesce("time_limit_seconds", 1) > 0 AND coalesce("task_time_limit_seconds", 1) > 0);

-- The housekeeping's search for jobs whose deadline passed: only jobs that have one and are in play.
CREATE INDEX "jobs_deadline_idx" ON "jobs" ("deadline") WHERE "deadline" IS NOT NULL AND "status" IN ('QUEUED', 'ACQUIRED', 'RUNNING');
-- And for running tasks past their time limit.
CREATE INDEX "tasks_time_limit_idx" ON "tasks" ("time_limit_at") WHERE "status" = 'RUNNING' AND "time_limit_at" IS NOT NULL;
