-- The events of a job must reach every stream in version order. The stream reads events by
-- (txid, id) and never past the oldest transaction still running, but a transaction takes its id
-- at its first write, so one that then waits for the row lock of a job (a cascade waiting on a
-- child that a progress report holds) would place its event for that job before the event of the
-- report, which committed first with a later id. Each job now remembers where its latest event
-- stands in the stream, and its next event is placed no earlier (see src/domain/event-order.ts).
-- Existing jobs start at the transaction of this migration, later than every event before it.
ALTER TABLE "jobs" ADD COLUMN "event_txid" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The history of a job outlives the job: its events keep their job_id when it is deleted for
-- good, so that a stream filtered by that job, or resumed after the deletion, still finds them.
ALTER TABLE "job_events" DROP CONSTRAINT "job_events_job_id_fkey";
UPDATE "job_events" SET "job_id" = ("detail"->>'jobId')::uuid WHERE "kind" = 'HARD_DELETED' AND "job_id" IS NULL;
