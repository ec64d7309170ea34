-- Claims match node labels: a job, or any of its tasks, may require labels (key -> value), and a
-- node claims only a job whose required labels, and its tasks', its own labels contain.

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "required_labels" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "required_labels" JSONB NOT NULL DEFAULT '{}';

-- Hand-written (listed in prisma/raw-objects.json).

ALTER TABLE "jobs" ADD CONSTRAINT "jobs_required_labels_check" CHECK (jsonb_typeof("required_labels") = 'object');
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_required_labels_check" CHECK (jsonb_typeof("required_labels") = 'object');
