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
    "held" INTEGER NOT NULL DEFAULT 0,
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
ALTER TABLE "queues" ADD CONSTRAINT "queues_held_check" CHECK ("held" >= 0);
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_stall_after_check" CHECK ("stall_after_seconds" IS NULL OR "stall_after_seconds" > 0);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_stall_after_check" CHECK ("stall_after_seconds" IS NULL OR "stall_after_seconds" > 0);
ALTER TABLE "job_log_lines" ADD CONSTRAINT "job_log_lines_seq_check" CHECK ("seq" >= 1);

-- last_report_at is written by every progress report and lease renewal: no index may cover it,
-- or those updates could not be HOT (see test/domain/claiming.test.ts). The stall sweep finds
-- running jobs through jobs_status_idx; they are few.

-- A limited queue's held count follows its jobs into and out of ACQUIRED and RUNNING, whatever
-- statement moves them (claims, finishes, reclaims, bulk actions), in the transaction that moves
-- them. Queues without a row are not touched, so the default queue's claims write nothing here.
-- A claim locks a limited queue's row (FOR NO KEY UPDATE) and takes a slot only below the limit
-- (src/domain/claiming.ts), so under any number of claimers the count never passes it.
-- Every move first takes KEY SHARE on the queue's row, which moves do not contend on but which an
-- admin setting a limit (FOR UPDATE, then a count of the held jobs) waits for: a move the count
-- cannot see yet is then counted by this trigger, which reads the limit after the lock.
CREATE FUNCTION "jobs_count_held"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status IN ('ACQUIRED', 'RUNNING') THEN
    PERFORM 1 FROM "queues" WHERE name = OLD.queue FOR KEY SHARE;
    IF FOUND THEN
      UPDATE "queues" SET held = greatest(held - 1, 0) WHERE name = OLD.queue AND concurrency_limit IS NOT NULL;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN ('ACQUIRED', 'RUNNING') THEN
    PERFORM 1 FROM "queues" WHERE name = NEW.queue FOR KEY SHARE;
    IF FOUND THEN
      UPDATE "queues" SET held = held + 1 WHERE name = NEW.queue AND concurrency_limit IS NOT NULL;
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "jobs_count_held" AFTER UPDATE OF status, queue ON "jobs"
  FOR EACH ROW
  WHEN ((OLD.status IN ('ACQUIRED', 'RUNNING')) IS DISTINCT FROM (NEW.status IN ('ACQUIRED', 'RUNNING'))
        OR (OLD.queue IS DISTINCT FROM NEW.queue AND NEW.status IN ('ACQUIRED', 'RUNNING')))
  EXECUTE FUNCTION "jobs_count_held"();

CREATE TRIGGER "jobs_count_held_deleted" AFTER DELETE ON "jobs"
  FOR EACH ROW WHEN (OLD.status IN ('ACQUIRED', 'RUNNING'))
  EXECUTE FUNCTION "jobs_count_held"();
