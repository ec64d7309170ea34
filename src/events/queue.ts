// A subscriber's own buffer between the event stream and its connection: bounded, so that one slow
// client holds only a little memory and never slows the others. When it is full, a waiting
// progress report of the same job gives way to a newer one; state changes are never dropped, and
// a subscriber that cannot keep up even so is ended (its client reconnects and replays).

export type Queued<T> = { item: T; /** Items with the same key may replace each other when the buffer is full. */ replaceableKey?: string };

export class SubscriberQueue<T> implements AsyncIterable<T> {
  private readonly items: Array<Queued<T>> = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    private readonly limit = 1000,
    private readonly onClose: () => void = () => {},
  ) {}

  push(entry: Queued<T>): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: entry.item, done: false });
      return;
    }
    if (this.items.length >= this.limit) {
      const replaceable = entry.replaceableKey && this.items.findLastIndex((q) => q.replaceableKey === entry.replaceableKey);
      if (typeof replaceable === "number" && replaceable >= 0) {
        this.items[replaceable] = entry;
        return;
      }
      this.close();
      return;
    }
    this.items.push(entry);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.onClose();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const next = this.items.shift();
        if (next) return Promise.resolve({ value: next.item, done: false });
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
