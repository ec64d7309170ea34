-- AlterTable
ALTER TABLE "job_events" ADD COLUMN     "txid" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- CreateIndex
CREATE INDEX "job_events_txid_id_idx" ON "job_events"("txid", "id");

