// Where a job's events go in the event stream.
//
// The stream (src/events/event-stream.ts) reads job_events in (txid, id) order and never past the
// oldest transaction still running, so that an event committed late is still read in its place.
// A transaction's id is taken at its first write, though, not at its commit: a cascade that has
// cancelled a parent and then waits for the row lock of a child that a progress report holds gets
// an id below the report's, and commits after it. Ordered by transaction id alone, the child's
// CANCELLED (version 8) would be read before its PROGRESS (version 7).
//
// So every job remembers the txid its latest event was given (jobs.event_txid), and its next event
// gets the greater of that and its own transaction's id. Writers of one job take turns on its row
// lock, and an event is written while the lock is held, so a job's events get non-decreasing
// txids and increasing ids in version order: every stream, live or resumed from a cursor, reads
// them in that order. The tail stays exact, as an event's txid is never below its own
// transaction's id: no event can appear below the oldest transaction still running.
import { Prisma } from "../db/generated/prisma/client.js";

const { sql, raw } = Prisma;

/**
 * Events with a txid below this are committed or never will be: it is the oldest transaction still
 * running (or, when none is, the next to start). Every event's txid is at least its own
 * transaction's id, so none can still appear below it.
 */
export const EVENT_HORIZON = sql`pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * The assignment that moves the job row `alias` to its next event's place in the stream; the
 * statement then reads `event_txid` back (from the update's returning) for the event it inserts.
 * `at` is where the transaction's events go, its own id unless said otherwise.
 */
export function nextEventTxid(alias = "j", at: Prisma.Sql = sql`pg_current_xact_id()`): Prisma.Sql {
  return sql`event_txid = greatest(${raw(alias)}.event_txid, ${at})`;
}
