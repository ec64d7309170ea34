// LruCache (src/lru.ts), which every cache of what requests bring is made of: bounded by entries
// and by bytes at once, least recently used out first, an entry too large never kept.
import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/lru.js";

describe("LruCache", () => {
  it("evicts the least recently used entry when over its count", () => {
    const cache = new LruCache<string, number>({ maxEntries: 3, maxBytes: 1000 });
    cache.set("a", 1, 1);
    cache.set("b", 2, 1);
    cache.set("c", 3, 1);
    expect(cache.get("a")).toBe(1); // a is now the most recent; b the least
    cache.set("d", 4, 1);
    expect(cache.get("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c"), cache.get("d")]).toEqual([1, 3, 4]);
    expect(cache.usage).toEqual({ entries: 3, bytes: 3, maxEntries: 3, maxBytes: 1000 });
  });

  it("evicts as many of the least recently used as it takes to stay within its bytes", () => {
    const cache = new LruCache<string, string>({ maxEntries: 100, maxBytes: 100 });
    for (const key of ["a", "b", "c", "d"]) cache.set(key, key, 25);
    expect(cache.bytes).toBe(100);
    cache.set("big", "big", 60);
    expect(cache.usage).toMatchObject({ entries: 2, bytes: 85 });
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("c")).toBeUndefined();
    expect(cache.get("d")).toBe("d");
    expect(cache.get("big")).toBe("big");
  });

  it("keeps nothing for an entry larger than all its bytes, and drops what it held for that key", () => {
    const cache = new LruCache<string, string>({ maxEntries: 10, maxBytes: 100 });
    cache.set("a", "small", 10);
    cache.set("b", "other", 10);
    expect(cache.set("a", "huge", 101)).toBe(false);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBe("other");
    expect(cache.bytes).toBe(10);
  });

  it("replaces an entry set again, counting its bytes once", () => {
    const cache = new LruCache<string, string>({ maxEntries: 10, maxBytes: 100 });
    cache.set("a", "one", 30);
    cache.set("a", "two", 40);
    expect(cache.get("a")).toBe("two");
    expect(cache.usage).toMatchObject({ entries: 1, bytes: 40 });
  });

  it("grows an entry, making room by evicting others, or drops it when it no longer fits", () => {
    const cache = new LruCache<string, string>({ maxEntries: 10, maxBytes: 100 });
    cache.set("a", "a", 30);
    cache.set("b", "b", 30);
    cache.set("c", "c", 30);
    // a is the least recently used; growing it makes it the most recent, and b goes to make room.
    expect(cache.grow("a", 30)).toBe(true);
    expect(cache.usage).toMatchObject({ entries: 2, bytes: 90 });
    expect(cache.get("b")).toBeUndefined();
    expect(cache.grow("c", 71)).toBe(false);
    expect(cache.get("c")).toBeUndefined();
    expect(cache.grow("missing", 1)).toBe(false);
    expect(cache.usage).toMatchObject({ entries: 1, bytes: 60 });
  });

  it("deletes an entry and its bytes", () => {
    const cache = new LruCache<object, number>({ maxEntries: 10, maxBytes: 100 });
    const key = {};
    cache.set(key, 1, 50);
    expect(cache.delete(key)).toBe(true);
    expect(cache.delete(key)).toBe(false);
    expect(cache.usage).toMatchObject({ entries: 0, bytes: 0 });
  });

  it("stays within both bounds whatever is thrown at it", () => {
    const cache = new LruCache<number, number>({ maxEntries: 50, maxBytes: 5000 });
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 10_000; i++) {
      const key = Math.floor(random() * 200);
      const roll = random();
      if (roll < 0.5) cache.set(key, i, Math.floor(random() * 600));
      else if (roll < 0.7) cache.grow(key, Math.floor(random() * 300));
      else if (roll < 0.8) cache.delete(key);
      else cache.get(key);
      expect(cache.size).toBeLessThanOrEqual(50);
      expect(cache.bytes).toBeLessThanOrEqual(5000);
      expect(cache.bytes).toBeGreaterThanOrEqual(0);
    }
  });

  it("refuses limits that bound nothing", () => {
    expect(() => new LruCache({ maxEntries: 0, maxBytes: 10 })).toThrow(RangeError);
    expect(() => new LruCache({ maxEntries: 10, maxBytes: 0 })).toThrow(RangeError);
  });
});
