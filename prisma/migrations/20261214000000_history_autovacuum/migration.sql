-- Hand-written: with a retention (JOBGRAPH_EVENT_RETENTION, JOBGRAPH_JOB_RETENTION) the history
-- tables lose their oldest rows all day as they gain new ones. Their space is reused only once
-- autovacuum has visited, and at its default (20% of the table changed) a large table is visited
-- so seldom that it keeps growing under a steady load, as the soak benchmark showed (tasks +16%
-- and job_events +37% over 15 minutes). They are vacuumed after a small share of changes, as the
-- job queue is. (No semicolons in these comments: the migration runner splits statements on
-- them, comments included.)
ALTER TABLE "tasks" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE "job_events" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE "job_attempts" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE "job_log_lines" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
