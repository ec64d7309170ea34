-- Hand-written: a claim over every queue (or several) takes the first claimable job in priority,
-- then age, order. jobs_claimable_idx leads with the queue, so such a claim had to read and sort
-- every waiting job: 260 ms a claim with 100,000 jobs waiting. In this order a claim reads only
-- the jobs it passes over (locked by other claimers, or not for this node) before the one it takes.
-- A claim from one queue keeps using jobs_claimable_idx. (No semicolons in these comments: the
-- migration runner splits statements on them, comments included.)
CREATE INDEX "jobs_claim_order_idx" ON "jobs" ("priority" DESC, "number")
  WHERE "status" = 'QUEUED' AND "deleted_at" IS NULL;
