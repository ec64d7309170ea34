// A least-recently-used cache bounded by entries and by bytes. Every cache that keeps what requests
// brought (documents, what is derived from them, values of their variables) is one of these: a
// count of entries alone bounds nothing when one entry can be a document of a megabyte. The bytes
// of an entry are what its owner says it holds, an estimate; each owner says how it makes its own.

export type LruLimits = {
  /** The most entries kept. */
  maxEntries: number;
  /** The most bytes kept, summed over the entries; an entry larger than this is not kept at all. */
  maxBytes: number;
};

/** What a cache holds now, and its limits. */
export type CacheUsage = { entries: number; bytes: number; maxEntries: number; maxBytes: number };

type Slot<K, V> = { key: K; value: V; bytes: number; older: Slot<K, V> | null; newer: Slot<K, V> | null };

export class LruCache<K, V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  // The entries by key, and in a list from the least recently used (#oldest) to the most
  // (#newest): a use relinks its entry, so get, set and eviction are O(1) and nothing walks the
  // entries. (Moving a key to the end of a Map instead, by deleting and setting it, measured ten
  // times slower on a hit once several documents take turns.)
  readonly #slots = new Map<K, Slot<K, V>>();
  #oldest: Slot<K, V> | null = null;
  #newest: Slot<K, V> | null = null;
  #bytes = 0;

  constructor({ maxEntries, maxBytes }: LruLimits) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new RangeError(`maxEntries must be a positive integer, not ${maxEntries}`);
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${maxBytes}`);
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** Entries kept now. */
  get size(): number {
    return this.#slots.size;
  }

  /** Bytes the entries kept now are accounted for; never more than maxBytes. */
  get bytes(): number {
    return this.#bytes;
  }

  get usage(): CacheUsage {
    return { entries: this.#slots.size, bytes: this.#bytes, maxEntries: this.maxEntries, maxBytes: this.maxBytes };
  }

  /** The value kept for `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#touch(slot);
    return slot.value;
  }

  /**
   * Keeps `value` for `key` (replacing what was kept), accounted as `bytes`, evicting the least
   * recently used entries until both limits hold. False when the entry alone is over maxBytes:
   * nothing is kept for `key` then.
   */
  set(key: K, value: V, bytes: number): boolean {
    this.delete(key);
    if (!(bytes <= this.maxBytes)) return false;
    const slot: Slot<K, V> = { key, value, bytes, older: this.#newest, newer: null };
    if (this.#newest) this.#newest.newer = slot;
    else this.#oldest = slot;
    this.#newest = slot;
    this.#slots.set(key, slot);
    this.#bytes += bytes;
    this.#evict();
    return true;
  }

  /**
   * Accounts the entry of `key` for `bytes` more (something derived from its value since, kept as
   * long as the entry is), makes it the most recently used, and evicts others to make room. False
   * when `key` is not kept, or no longer fits at all, and is evicted itself.
   */
  grow(key: K, bytes: number): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    if (!(slot.bytes + bytes <= this.maxBytes)) {
      this.delete(key);
      return false;
    }
    slot.bytes += bytes;
    this.#bytes += bytes;
    this.#touch(slot);
    this.#evict();
    return true;
  }

  delete(key: K): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#slots.delete(key);
    this.#unlink(slot);
    this.#bytes -= slot.bytes;
    return true;
  }

  #unlink(slot: Slot<K, V>): void {
    if (slot.older) slot.older.newer = slot.newer;
    else this.#oldest = slot.newer;
    if (slot.newer) slot.newer.older = slot.older;
    else this.#newest = slot.older;
    slot.older = slot.newer = null;
  }

  #touch(slot: Slot<K, V>): void {
    if (slot === this.#newest) return;
    this.#unlink(slot);
    slot.older = this.#newest;
    this.#newest!.newer = slot;
    this.#newest = slot;
  }

  #evict(): void {
    while (this.#slots.size > this.maxEntries || this.#bytes > this.maxBytes) this.delete(this.#oldest!.key);
  }
}
