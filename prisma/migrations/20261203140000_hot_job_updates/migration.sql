-- Hand-written: most writes to a job are progress reports and lease renewals, which change only
-- progress, its detail, the lease's expiry, version and updated_at. PostgreSQL can then update the
-- row in place (a HOT update, which writes no index entries), but only while no btree indexes a
-- changed column and the row's page has room. Before this migration two indexes did: each report
-- wrote an entry into every one of the table's 18 indexes, trigram indexes included, and
-- autovacuum then scanned all of them to remove the old entries, a cost that grew with every
-- finished job the table kept.
--
-- updated_at: a BRIN index, which since PostgreSQL 16 does not stop HOT updates. Jobs stay on
-- the page they were inserted on while they have room there, so updated_at follows the table's
-- physical order closely and a BRIN index narrows a range filter (`updatedAt`) to the pages
-- that can match. Ordering a large table by updatedAt reads and sorts it.
DROP INDEX "jobs_updated_at_idx";
CREATE INDEX "jobs_updated_at_idx" ON "jobs" USING BRIN ("updated_at");
-- Leases that can expire are found through jobs_status_idx: only jobs a node holds (ACQUIRED or
-- RUNNING) are read, a few per worker however many jobs the table keeps.
DROP INDEX "jobs_held_lease_idx";
-- Room on each page for new versions of its rows, so that updates stay on it (and HOT): a job
-- row is changed a dozen times or more in its life, within minutes of its insertion. Applies to
-- pages filled from now on.
ALTER TABLE "jobs" SET (fillfactor = 75);
