-- Hand-written: a template's newest jobs and how many it has (JobTemplate.jobs, read for a page of
-- templates at once) went through jobs_template_id_idx, which holds deleted jobs too and no order.
-- Each template's count read every one of its jobs from the table to see deleted_at (about 400 heap
-- pages a template, 6 ms each with 500 jobs a template, 56 ms for a page of 9), and each page of
-- its jobs read and sorted them all to keep five. Over this index the count is an index-only scan
-- (0.2 ms a template once vacuum has marked the pages all-visible) and the page reads its rows in
-- order and stops. None of these columns changes once a job exists but deleted_at, so progress
-- reports and lease renewals stay HOT updates. (No semicolons in these comments: the migration
-- runner splits statements on them, comments included.)
CREATE INDEX "jobs_template_page_idx" ON "jobs" ("template_id", "created_at" DESC, "id" DESC)
  WHERE "deleted_at" IS NULL;
