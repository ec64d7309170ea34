// A subscriber's bounded buffer: a slow client costs a bounded amount of memory, loses no state
// change, and never holds up the stream (pushing never waits).
import { describe, expect, it } from "vitest";
import { SubscriberQueue } from "../../src/events/queue.js";

async function drain<T>(queue: SubscriberQueue<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of queue) items.push(item);
  return items;
}

describe("the subscriber queue", () => {
  it("hands items to a waiting reader at once, in order", async () => {
    const queue = new SubscriberQueue<number>(10);
    const iterator = queue[Symbol.asyncIterator]();
    const waiting = iterator.next();
    queue.push({ item: 1 });
    queue.push({ item: 2 });
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: 2, done: false });
  });

  it("when full, lets a newer progress report replace a waiting one, and keeps every transition", async () => {
    const queue = new SubscriberQueue<string>(3);
    queue.push({ item: "STARTED" });
    queue.push({ item: "progress 0.1", replaceableKey: "progress" });
    queue.push({ item: "progress 0.2", replaceableKey: "progress" });
    queue.push({ item: "progress 0.3", replaceableKey: "progress" });
    queue.close();
    expect(await drain(queue)).toEqual(["STARTED", "progress 0.1", "progress 0.3"]);
  });

  it("ends a subscriber that cannot keep up even so, rather than drop a transition or grow without bound", async () => {
    let closed = false;
    const queue = new SubscriberQueue<string>(2, () => (closed = true));
    queue.push({ item: "ACQUIRED" });
    queue.push({ item: "STARTED" });
    queue.push({ item: "SUCCEEDED" });
    expect(closed).toBe(true);
    expect(await drain(queue)).toEqual(["ACQUIRED", "STARTED"]);
  });

  it("stops when the reader leaves", async () => {
    let closed = false;
    const queue = new SubscriberQueue<number>(5, () => (closed = true));
    await queue[Symbol.asyncIterator]().return!();
    expect(closed).toBe(true);
    queue.push({ item: 1 });
    expect(await drain(queue)).toEqual([]);
  });
});
