-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "UserRole" AS ENUM ('ADMIN', 'USER');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'ACQUIRED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TaskType" AS ENUM ('TASK', 'MAP');

-- CreateEnum
CREATE TYPE "JobEventKind" AS ENUM ('CREATED', 'UPDATED', 'ACQUIRED', 'RELEASED', 'STARTED', 'PROGRESS', 'LEASE_RENEWED', 'LEASE_EXPIRED', 'SUCCEEDED', 'FAILED', 'RESET', 'ABORTED', 'CANCELLED', 'DELETED', 'REINSTATED', 'HARD_DELETED', 'OUTPUT_ADDED', 'OUTPUT_DELETED', 'TASK_ADDED', 'TASK_STARTED', 'TASK_PROGRESS', 'TASK_FINISHED');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(200) NOT NULL,
    "email" VARCHAR(320),
    "role" "UserRole" NOT NULL DEFAULT 'USER',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(200) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "user_id" UUID,
    "node_id" UUID,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "worker_nodes" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(200) NOT NULL,
    "description" TEXT,
    "executors" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "cpu" INTEGER,
    "memory" INTEGER,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "last_seen_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "worker_nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_templates" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(200) NOT NULL,
    "version" INTEGER NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "executor_name" VARCHAR(200) NOT NULL,
    "executor_version" VARCHAR(200),
    "inputs" JSONB NOT NULL DEFAULT '[]',
    "parameters" JSONB NOT NULL DEFAULT '[]',
    "creator_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "number" BIGSERIAL NOT NULL,
    "queue" VARCHAR(200) NOT NULL DEFAULT 'default',
    "name" VARCHAR(1000),
    "description" TEXT NOT NULL DEFAULT '',
    "template_id" UUID NOT NULL,
    "parent_id" UUID,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "input_values" JSONB NOT NULL DEFAULT '{}',
    "parameter_values" JSONB NOT NULL DEFAULT '{}',
    "node_id" UUID,
    "lease_token" UUID,
    "lease_expires_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "run_after" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "start_time" TIMESTAMPTZ(3),
    "end_time" TIMESTAMPTZ(3),
    "error_reason" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "progress_detail" JSONB,
    "creator_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "fingerprint" CHAR(64),
    "nondeterministic" BOOLEAN NOT NULL DEFAULT false,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "idempotency_key" VARCHAR(200),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "job_id" UUID NOT NULL,
    "name" VARCHAR(1000) NOT NULL,
    "type" "TaskType" NOT NULL DEFAULT 'TASK',
    "sequence" INTEGER NOT NULL DEFAULT 0,
    "qsequence" INTEGER NOT NULL,
    "executor_name" VARCHAR(200),
    "executor_version" VARCHAR(200),
    "hints" JSONB,
    "inputs" JSONB NOT NULL DEFAULT '[]',
    "payload" JSONB,
    "cpu" INTEGER,
    "memory" INTEGER,
    "max_execution_time_in_seconds" INTEGER,
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "output" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "success" BOOLEAN,
    "created_by_task_id" UUID,
    "status" "TaskStatus" NOT NULL DEFAULT 'QUEUED',
    "start_time" TIMESTAMPTZ(3),
    "end_time" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_outputs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "job_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "type" VARCHAR(200) NOT NULL,
    "size" BIGINT NOT NULL DEFAULT 0,
    "sha256" CHAR(64) NOT NULL,
    "content_type" VARCHAR(200) NOT NULL DEFAULT 'application/octet-stream',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_outputs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_events" (
    "id" BIGSERIAL NOT NULL,
    "job_id" UUID,
    "task_id" UUID,
    "kind" "JobEventKind" NOT NULL,
    "from_status" "JobStatus",
    "to_status" "JobStatus",
    "progress" DOUBLE PRECISION,
    "detail" JSONB,
    "actor_user_id" UUID,
    "actor_node_id" UUID,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "job_version" INTEGER NOT NULL,

    CONSTRAINT "job_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_name_key" ON "users"("name");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_hash_key" ON "api_tokens"("hash");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE INDEX "api_tokens_node_id_idx" ON "api_tokens"("node_id");

-- CreateIndex
CREATE UNIQUE INDEX "worker_nodes_name_key" ON "worker_nodes"("name");

-- CreateIndex
CREATE INDEX "job_templates_executor_name_idx" ON "job_templates"("executor_name");

-- CreateIndex
CREATE UNIQUE INDEX "job_templates_name_version_key" ON "job_templates"("name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_number_key" ON "jobs"("number");

-- CreateIndex
CREATE INDEX "jobs_status_idx" ON "jobs"("status");

-- CreateIndex
CREATE INDEX "jobs_queue_idx" ON "jobs"("queue");

-- CreateIndex
CREATE INDEX "jobs_template_id_idx" ON "jobs"("template_id");

-- CreateIndex
CREATE INDEX "jobs_node_id_idx" ON "jobs"("node_id");

-- CreateIndex
CREATE INDEX "jobs_creator_id_idx" ON "jobs"("creator_id");

-- CreateIndex
CREATE INDEX "jobs_parent_id_idx" ON "jobs"("parent_id");

-- CreateIndex
CREATE INDEX "jobs_tags_idx" ON "jobs" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "jobs_created_at_id_idx" ON "jobs"("created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "jobs_updated_at_idx" ON "jobs"("updated_at");

-- CreateIndex
CREATE INDEX "jobs_end_time_idx" ON "jobs"("end_time");

-- CreateIndex
CREATE INDEX "jobs_fingerprint_idx" ON "jobs"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_creator_id_idempotency_key_key" ON "jobs"("creator_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "tasks_job_id_sequence_idx" ON "tasks"("job_id", "sequence");

-- CreateIndex
CREATE INDEX "tasks_job_id_status_idx" ON "tasks"("job_id", "status");

-- CreateIndex
CREATE INDEX "tasks_created_by_task_id_idx" ON "tasks"("created_by_task_id");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_job_id_name_key" ON "tasks"("job_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_job_id_qsequence_key" ON "tasks"("job_id", "qsequence");

-- CreateIndex
CREATE UNIQUE INDEX "job_outputs_job_id_name_type_key" ON "job_outputs"("job_id", "name", "type");

-- CreateIndex
CREATE INDEX "job_events_job_id_id_idx" ON "job_events"("job_id", "id");

-- CreateIndex
CREATE INDEX "job_events_task_id_idx" ON "job_events"("task_id");

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "worker_nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "job_templates"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "worker_nodes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_created_by_task_id_fkey" FOREIGN KEY ("created_by_task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_actor_user_id_fkey" FOREIGN KEY ("actor_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_actor_node_id_fkey" FOREIGN KEY ("actor_node_id") REFERENCES "worker_nodes"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Objects Prisma's schema language cannot express, kept in step with prisma/raw-objects.json (the
-- drift test checks that these, and only these, differ from what prisma/schema.prisma describes).

-- Substring search (`JobFilter.search`) uses ILIKE, which a trigram index serves. pg_trgm is a
-- trusted extension: any role that may create objects in the database may install it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "jobs_description_trgm_idx" ON "jobs" USING GIN ("description" gin_trgm_ops);
CREATE INDEX "jobs_name_trgm_idx" ON "jobs" USING GIN ("name" gin_trgm_ops);

-- Claiming reads only claimable jobs, in the order acquireNextJob takes them (priority, then age).
-- A partial index stays small however many finished jobs the table holds.
CREATE INDEX "jobs_claimable_idx" ON "jobs" ("queue", "priority" DESC, "number")
  WHERE "status" = 'QUEUED' AND "deleted_at" IS NULL;
-- Leases that can expire: only jobs a node holds.
CREATE INDEX "jobs_held_lease_idx" ON "jobs" ("lease_expires_at")
  WHERE "status" IN ('ACQUIRED', 'RUNNING');

ALTER TABLE "users" ADD CONSTRAINT "users_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_owner_check" CHECK (num_nonnulls("user_id", "node_id") = 1);
ALTER TABLE "worker_nodes" ADD CONSTRAINT "worker_nodes_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "worker_nodes" ADD CONSTRAINT "worker_nodes_cpu_check" CHECK ("cpu" IS NULL OR "cpu" >= 1);
ALTER TABLE "worker_nodes" ADD CONSTRAINT "worker_nodes_memory_check" CHECK ("memory" IS NULL OR "memory" >= 1);
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_version_check" CHECK ("version" >= 1);
ALTER TABLE "job_templates" ADD CONSTRAINT "job_templates_executor_name_check" CHECK (char_length("executor_name") >= 1);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_queue_check" CHECK (char_length("queue") >= 1);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_progress_check" CHECK ("progress" >= 0 AND "progress" <= 1);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_attempts_check" CHECK ("attempts" >= 0 AND "max_attempts" >= 1);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_version_check" CHECK ("version" >= 1);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_lease_check" CHECK (("lease_token" IS NULL) = ("lease_expires_at" IS NULL));
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_parent_check" CHECK ("parent_id" IS DISTINCT FROM "id");
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_qsequence_check" CHECK ("qsequence" >= 0);
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_progress_check" CHECK ("progress" >= 0 AND "progress" <= 1);
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_cpu_check" CHECK ("cpu" IS NULL OR ("cpu" >= 1 AND "cpu" <= 16));
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_memory_check" CHECK ("memory" IS NULL OR ("memory" >= 1 AND "memory" <= 122880));
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_max_execution_time_check" CHECK ("max_execution_time_in_seconds" IS NULL OR ("max_execution_time_in_seconds" >= 1 AND "max_execution_time_in_seconds" <= 172800));
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_name_check" CHECK (char_length("name") >= 1);
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_type_check" CHECK (char_length("type") >= 1);
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_size_check" CHECK ("size" >= 0);
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_sha256_check" CHECK ("sha256" ~ '^[0-9a-f]{64}$');
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_progress_check" CHECK ("progress" IS NULL OR ("progress" >= 0 AND "progress" <= 1));
