-- CreateTable
CREATE TABLE "job_output_chunks" (
    "output_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "job_output_chunks_pkey" PRIMARY KEY ("output_id","seq")
);

-- CreateTable
CREATE TABLE "output_uploads" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "txid" xid8 NOT NULL,
    "job_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "output_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "output_uploads_txid_key" ON "output_uploads"("txid");

-- Hand-written (listed in prisma/raw-objects.json).

-- Deferred: an upload streams its chunks in before it writes the output row, in the same
-- transaction. Cascading: removing an output (deleteJobOutput, resetJob, hardDeleteJob, replacing
-- it) removes its content with it.
ALTER TABLE "job_output_chunks" ADD CONSTRAINT "job_output_chunks_output_fkey"
    FOREIGN KEY ("output_id") REFERENCES "job_outputs"("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "job_output_chunks" ADD CONSTRAINT "job_output_chunks_seq_check" CHECK ("seq" >= 0);
ALTER TABLE "job_output_chunks" ADD CONSTRAINT "job_output_chunks_data_check" CHECK (octet_length("data") BETWEEN 1 AND 1048576);

-- Names and types become parts of download URLs and file names: no path separators, no control
-- characters, not "." or "..".
ALTER TABLE "job_outputs" DROP CONSTRAINT "job_outputs_name_check";
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_name_check"
    CHECK (char_length("name") >= 1 AND "name" !~ '[/\\[:cntrl:]]' AND "name" NOT IN ('.', '..'));
ALTER TABLE "job_outputs" DROP CONSTRAINT "job_outputs_type_check";
ALTER TABLE "job_outputs" ADD CONSTRAINT "job_outputs_type_check"
    CHECK (char_length("type") >= 1 AND "type" !~ '[/\\[:cntrl:]]' AND "type" NOT IN ('.', '..'));

-- Stored uncompressed: most outputs (models, archives, images) do not compress, and substring()
-- of an uncompressed value reads only the pieces it covers, which is how downloads and ranges
-- read a chunk.
ALTER TABLE "job_output_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;
