// Reading the whole event stream in the tail's order, for tests that check what is in it.
import type { Db } from "../../src/db/client.js";
import { decodeCursor, readEvents, type Position, type StreamEvent } from "../../src/events/event-stream.js";

/** Every event in stream order, read batch by batch as the tail reads them. */
export async function wholeStream(db: Db): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  let after: Position | null = null;
  for (;;) {
    const batch = await readEvents(db, after);
    if (!batch.length) return all;
    all.push(...batch);
    after = decodeCursor(batch.at(-1)!.cursor);
  }
}
