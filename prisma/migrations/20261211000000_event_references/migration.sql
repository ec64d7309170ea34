-- An event is a record of what happened; like its job (20261204100000_job_event_order), the task,
-- user and node it names are kept without foreign keys. Each key was checked on every insert:
-- the checks on the task and on the node locked their rows (FOR KEY SHARE), which for the node
-- wrote its row and a WAL record on every event a worker caused, about 17 a job. The events of a
-- job deleted for good now keep their task's id too, as they keep the job's.
ALTER TABLE "job_events" DROP CONSTRAINT "job_events_task_id_fkey";
ALTER TABLE "job_events" DROP CONSTRAINT "job_events_actor_user_id_fkey";
ALTER TABLE "job_events" DROP CONSTRAINT "job_events_actor_node_id_fkey";
