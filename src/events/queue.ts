// A subscriber's own buffer between the event stream and its connection: bounded, so that one slow
// client holds only a little memory and never slows the others. When it is full, a waiting
// progress report of the same job gives way to a newer one; state changes are never dropped, and
// a subscriber that cannot keep up even so is ended (its client reconnects and replays).
//
// An instance may hold tens of thousands of idle subscribers, so a queue is its own iterator (no
// object or closures per iteration), makes its buffer only when something has to wait in it, and
// keeps nothing else.

export type Queued<T> = { item: T; /** Items with the same key may replace each other when the buffer is full. */ replaceableKey?: string };

export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private items: Array<Queued<T>> | undefined;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    private readonly limit = 1000,
    private readonly onClose?: () => void,
  ) {}

  push(entry: Queued<T>): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: entry.item, done: false });
      return;
    }
    const items = (this.items ??= []);
    if (items.length >= this.limit) {
      const replaceable = entry.replaceableKey && items.findLastIndex((q) => q.replaceableKey === entry.replaceableKey);
      if (typeof replaceable === "number" && replaceable >= 0) {
        items[replaceable] = entry;
        return;
      }
      this.close();
      return;
    }
    items.push(entry);
  }

  /** Whether the queue has ended: closed, or its subscriber gone. */
  get ended(): boolean {
    return this.done;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.closed();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  /** Called once when the queue closes, by its consumer or by itself: what feeds it should stop. */
  protected closed(): void {
    this.onClose?.();
  }

  next(): Promise<IteratorResult<T>> {
    const next = this.items?.shift();
    if (next) {
      // An emptied buffer keeps its capacity: an idle subscriber keeps none.
      if (!this.items!.length) this.items = undefined;
      return Promise.resolve({ value: next.item, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
