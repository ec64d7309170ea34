-- Task failure and retry: a task has attempts and maxAttempts, a failed task is queued again while
-- attempts remain, and the job's on_task_failure says what a task that fails for good does to the
-- job. A task cancelled with its job, or by a failed task it depends on, says why (reason,
-- stopped_by_task_id).

-- CreateEnum
CREATE TYPE "TaskFailurePolicy" AS ENUM ('FAIL_JOB', 'CONTINUE');

-- AlterEnum
ALTER TYPE "JobEventKind" ADD VALUE 'TASK_RETRIED';
ALTER TYPE "JobEventKind" ADD VALUE 'TASKS_STOPPED';
ALTER TYPE "JobEventKind" ADD VALUE 'TASK_RESET';

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "on_task_failure" "TaskFailurePolicy" NOT NULL DEFAULT 'FAIL_JOB';

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "max_attempts" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "reason" TEXT,
ADD COLUMN     "stopped_by_task_id" UUID;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_stopped_by_task_id_fkey" FOREIGN KEY ("stopped_by_task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written (listed in prisma/raw-objects.json).

ALTER TABLE "tasks" ADD CONSTRAINT "tasks_attempts_check" CHECK ("attempts" >= 0 AND "max_attempts" BETWEEN 1 AND 10);
