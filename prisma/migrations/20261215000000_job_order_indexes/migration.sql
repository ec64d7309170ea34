-- Hand-written: a page of jobs in order of priority, or of end time from the latest, read and
-- sorted every job the filter let through to keep twenty: about 200 ms a page over 270,000 jobs,
-- growing with the table. jobs_end_time_idx served the earliest end times first but not the latest
-- (unfinished jobs, which have none, go last both ways, which no walk of it gives). These indexes
-- give every order of a job list but UPDATED_AT its rows in order, first pages and last pages
-- alike, with the id that breaks ties. Neither priority nor end_time changes in a progress report
-- or a lease renewal, so those stay HOT updates. (No semicolons in these comments: the migration
-- runner splits statements on them, comments included.)
DROP INDEX "jobs_end_time_idx";
CREATE INDEX "jobs_end_time_id_idx" ON "jobs" ("end_time", "id");
CREATE INDEX "jobs_end_time_latest_idx" ON "jobs" ("end_time" DESC NULLS LAST, "id" DESC);
CREATE INDEX "jobs_priority_id_idx" ON "jobs" ("priority", "id");
