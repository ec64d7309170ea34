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

-- Chunks are written before their output row, so they cannot reference it, the chunks of an output
-- go with it instead by this trigger, whatever removes the output (deleteJobOutput, a replacement,
-- resetJob, or the cascade of hardDeleteJob), in the same transaction.
ALTER TABLE "job_output_chunks" DROP CONSTRAINT "job_output_chunks_output_fkey";

CREATE FUNCTION "job_outputs_remove_content"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "job_output_chunks" c USING "removed_outputs" r WHERE c."output_id" = r."id";
  RETURN NULL;
END
$$;

CREATE TRIGGER "job_outputs_remove_content" AFTER DELETE ON "job_outputs"
  REFERENCING OLD TABLE AS "removed_outputs"
  FOR EACH STATEMENT EXECUTE FUNCTION "job_outputs_remove_content"();
