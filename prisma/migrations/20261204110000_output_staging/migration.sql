-- Uploads no longer hold a transaction open while their content streams in (which held back the
-- event stream, vacuum and connection poolers, and took a second connection for the bookkeeping
-- below, so that as many uploads as the pool has connections deadlocked). Each chunk is written
-- in a short transaction of its own, under the id the output will have, while the upload is
-- listed in output_uploads, the output row and its event are written at the end, in one short
-- transaction. Until then no reader sees the chunks, an upload that stops is swept with them.

DROP TABLE "output_uploads";

CREATE TABLE "output_uploads" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "touched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "output_uploads_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "output_uploads_touched_at_idx" ON "output_uploads"("touched_at");

-- Hand-written (listed in prisma/raw-objects.json).

-- Chunks are written before their output row, so they cannot reference it. When an output goes
-- (deleteJobOutput, a replacement, resetJob, or the cascade of hardDeleteJob), this trigger lists
-- it in output_removals in the same transaction, and its chunks are removed afterwards, in the
-- background (src/domain/outputs.ts): removing a large output then costs the action that removes
-- it next to nothing, and holds no lock on its job while gigabytes are deleted.
ALTER TABLE "job_output_chunks" DROP CONSTRAINT "job_output_chunks_output_fkey";

CREATE TABLE "output_removals" (
    "output_id" UUID NOT NULL,
    "removed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "output_removals_pkey" PRIMARY KEY ("output_id")
);

CREATE INDEX "output_removals_removed_at_idx" ON "output_removals"("removed_at");

CREATE FUNCTION "job_outputs_list_removals"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "output_removals" ("output_id") SELECT "id" FROM "removed_outputs" ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER "job_outputs_list_removals" AFTER DELETE ON "job_outputs"
  REFERENCING OLD TABLE AS "removed_outputs"
  FOR EACH STATEMENT EXECUTE FUNCTION "job_outputs_list_removals"();
