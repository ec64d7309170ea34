-- CreateEnum
CREATE TYPE "ScheduleOverlap" AS ENUM ('SKIP', 'QUEUE', 'CANCEL_PREVIOUS');

-- CreateEnum
CREATE TYPE "ScheduleCatchUp" AS ENUM ('LAST', 'SKIP');

-- CreateEnum
CREATE TYPE "ScheduleTickOutcome" AS ENUM ('CREATED', 'SKIPPED_OVERLAP', 'SKIPPED_MISSED', 'FAILED');

-- CreateTable
CREATE TABLE "schedules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(200) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "cron" VARCHAR(200) NOT NULL,
    "time_zone" VARCHAR(100) NOT NULL DEFAULT 'UTC',
    "job" JSONB NOT NULL,
    "overlap" "ScheduleOverlap" NOT NULL DEFAULT 'SKIP',
    "catch_up" "ScheduleCatchUp" NOT NULL DEFAULT 'LAST',
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "next_run_at" TIMESTAMPTZ(3) NOT NULL,
    "last_job_id" UUID,
    "creator_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_ticks" (
    "id" BIGSERIAL NOT NULL,
    "schedule_id" UUID NOT NULL,
    "tick_at" TIMESTAMPTZ(3) NOT NULL,
    "outcome" "ScheduleTickOutcome" NOT NULL,
    "job_id" UUID,
    "detail" TEXT,
    "handled_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedule_ticks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "schedules_name_key" ON "schedules"("name");

-- CreateIndex
CREATE INDEX "schedules_next_run_at_idx" ON "schedules"("next_run_at");

-- CreateIndex
CREATE INDEX "schedules_creator_id_idx" ON "schedules"("creator_id");

-- CreateIndex
CREATE INDEX "schedule_ticks_job_id_idx" ON "schedule_ticks"("job_id");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_ticks_schedule_id_tick_at_key" ON "schedule_ticks"("schedule_id", "tick_at");

-- AddForeignKey
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_last_job_id_fkey" FOREIGN KEY ("last_job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule_ticks" ADD CONSTRAINT "schedule_ticks_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "schedules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule_ticks" ADD CONSTRAINT "schedule_ticks_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

