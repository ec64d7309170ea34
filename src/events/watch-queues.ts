// What a queueUpdated subscriber watches: a queue's settings as an admin changes them, and its
// counts as its jobs move, at most once a second (a busy queue changes hundreds of times a second,
// and a dashboard wants the latest, not each step).
import type { Db } from "../db/client.js";
import { queuesOfJobs } from "../domain/queues.js";
import type { EventStream, StreamEvent } from "./event-stream.js";
import { SubscriberQueue } from "./queue.js";
import { surely } from "./watch.js";

/** A change to announce: the queue's name. The first one is the queue as it is when the subscription starts. */
export type QueueChange = { name: string };

const queueOf = (e: StreamEvent) => (e.kind === "QUEUE_UPDATED" ? ((e.detail as { queue?: string } | null)?.queue ?? null) : null);

/**
 * The named queue (every queue when `name` is null) each time its settings change (at once) or its
 * jobs change status (coalesced to one announcement per queue per `minIntervalMs`). Starts with
 * the named queue as it is (nothing for every queue).
 */
export async function watchQueues(stream: EventStream, db: Db, name: string | null, minIntervalMs = 1000): Promise<AsyncIterable<QueueChange>> {
  const queue = new SubscriberQueue<QueueChange>(1000, () => {
    unsubscribe();
    for (const timer of timers.values()) clearTimeout(timer);
  });
  const timers = new Map<string, NodeJS.Timeout>();
  const lastSent = new Map<string, number>();
  const send = (queueName: string) => {
    clearTimeout(timers.get(queueName));
    timers.delete(queueName);
    lastSent.set(queueName, Date.now());
    queue.push({ item: { name: queueName }, replaceableKey: queueName });
  };
  const soon = (queueName: string) => {
    if (timers.has(queueName)) return;
    const wait = (lastSent.get(queueName) ?? 0) + minIntervalMs - Date.now();
    if (wait <= 0) send(queueName);
    else timers.set(queueName, setTimeout(() => send(queueName), wait));
  };
  let chain = Promise.resolve();
  const { unsubscribe } = await stream.subscribe((events) => {
    for (const event of events) {
      const changed = queueOf(event);
      if (changed !== null && (name === null || changed === name)) send(changed);
    }
    const moved = events.filter((e) => e.jobId !== null && e.toStatus !== null).map((e) => e.jobId!);
    if (moved.length === 0) return;
    // Events are thin: which queue a job is in is read, for all the batch's jobs at once, again
    // through a blip of the database (the stream has moved past these events). Another failure
    // skips the batch: the queue's next change announces it anew.
    chain = chain
      .then(() =>
        surely(async () => {
          for (const queueName of await queuesOfJobs(db, [...new Set(moved)])) if (name === null || queueName === name) soon(queueName);
        }, queue),
      )
      .catch(() => undefined);
  });
  if (name !== null) queue.push({ item: { name } });
  return queue;
}
