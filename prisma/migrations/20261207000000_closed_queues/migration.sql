-- The queues a claim passes over: paused, or holding as many jobs as their concurrency limit allows.
-- A claim reads them once (as an InitPlan) and tests each job's queue against the array.
--
-- Written inline, the per-queue count of held jobs made the claim's estimated cost scale with the
-- planner's guess of the queues table's size times its guess of held jobs, and both move with every
-- ANALYZE, so the gateways' prepared claim, re-planned after each one, found its generic plan
-- dearer than the custom plans it had made before and planned every claim afresh (several
-- milliseconds each, more than the claim itself). A function has a fixed cost to the planner.
CREATE FUNCTION "jobgraph_closed_queues"() RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(q.name), '{}')
    FROM "queues" q
   WHERE q.paused
      OR (q.concurrency_limit IS NOT NULL
          AND (SELECT count(*) FROM "jobs" h WHERE h.queue = q.name AND h.status IN ('ACQUIRED', 'RUNNING')) >= q.concurrency_limit)
$$;
