-- How far the event history has been pruned (JOBGRAPH_EVENT_RETENTION, src/domain/retention.ts):
-- one row, holding the newest position in stream order (txid, id) of an event deleted. A
-- subscriber resuming from a cursor before it may have missed events, and is told so.
CREATE TABLE "event_history" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "pruned_txid" xid8 NOT NULL DEFAULT '0'::xid8,
    "pruned_id" BIGINT NOT NULL DEFAULT 0,
    "pruned_at" TIMESTAMPTZ(3),

    CONSTRAINT "event_history_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "event_history_one_row" CHECK ("id")
);

INSERT INTO "event_history" DEFAULT VALUES;
