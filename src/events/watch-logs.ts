// What a jobLog subscriber watches: a job's log lines after a cursor, replayed and then live, until
// the job has finished and every line it wrote is delivered. Each appending instance says when a
// job's log grew (EventStream.logsWritten and its NOTIFY); a poll every second covers a lost word.
import type { Db } from "../db/client.js";
import { isTerminal } from "./watch.js";
import { logPages, type LogLine } from "../domain/logs.js";
import type { EventStream } from "./event-stream.js";
import { SubscriberQueue } from "./queue.js";

const BATCH = 500;
const POLL_MS = 1000;

/**
 * The job's lines after seq `after` (from the first when null), one task's with `taskId`, in order,
 * each once: replayed, then as they are appended. Lines the job's limits dropped before they were
 * read are skipped (the next line read says so by its seq). Ends once the job has finished (or is
 * gone) and its last line is delivered.
 */
export async function watchLog(stream: EventStream, db: Db, jobId: string, options: { after: bigint | null; taskId: string | null }): Promise<AsyncIterable<LogLine>> {
  let last = options.after;
  let reading: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const queue = new SubscriberQueue<LogLine>(5 * BATCH, () => {
    stopped = true;
    clearInterval(poll);
    void stop.then((f) => f());
  });
  const read = async () => {
    for (;;) {
      // The job's state is read before its lines: a job seen finished wrote its last line before.
      const job = await db.job.findUnique({ where: { id: jobId }, select: { status: true } });
      const page = (await logPages(db, [{ jobId, taskId: options.taskId ?? null }], { after: last, take: BATCH, backward: false }))[0]!;
      for (const line of page) queue.push({ item: line });
      if (page.length) last = page.at(-1)!.seq;
      if (page.length === BATCH) continue;
      if (!job || isTerminal(job.status)) queue.close();
      return;
    }
  };
  const wake = () => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = read()
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };
  const stop = stream.onLogs((grown) => {
    if (grown === jobId) wake();
  });
  await stop;
  const poll = setInterval(wake, POLL_MS);
  poll.unref();
  wake();
  return queue;
}
