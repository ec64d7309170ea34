-- Hand-written: the rows of the job queue are updated all day (claims, progress, leases), and the
-- claim statement reads past dead rows until they are vacuumed. At the autovacuum default (20% of
-- the table) a busy queue slows down between visits, so it is vacuumed and analyzed after a small
-- share of changes. (No semicolons in these comments: the migration runner splits statements
-- on them, comments included.)
ALTER TABLE "jobs" SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.02
);
