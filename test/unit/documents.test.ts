// DocumentCache (src/graphql/documents.ts), yoga's parse and validation cache bounded in bytes:
// run here through yoga's own envelope, as the app runs it (the app's test of large documents is
// test/api/document-memory.test.ts).
import { GraphQLError, parse, validate, type DocumentNode } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { describe, expect, it, vi } from "vitest";
import { DocumentCache } from "../../src/graphql/documents.js";
import { schema } from "../../src/graphql/schema.js";

/** yoga's envelope with the cache in place of its own, and a plugin that counts what really ran. */
function envelope(cache: DocumentCache) {
  const parsed = vi.fn();
  const validated = vi.fn();
  const counting: Plugin = {
    onParse: ({ parseFn, setParseFn }) => setParseFn((source, options) => (parsed(), parseFn(source, options))),
    onValidate: ({ validateFn, setValidationFn }) => setValidationFn((...args) => (validated(), validateFn(...args))),
  };
  const yoga = createYoga({ schema, parserAndValidationCache: false, plugins: [counting, cache.plugin()] });
  const { parse: parseText, validate: validateDocument, schema: enveloped } = yoga.getEnveloped({});
  return {
    parsed,
    validated,
    parse: parseText,
    validate: (document: DocumentNode) => validateDocument(enveloped, document),
  };
}

const VALID = "query V { viewer { name } }";
const INVALID = "query I { viewer { nope } }";

describe("document cache", () => {
  it("parses and validates a text once, and knows it valid", () => {
    const cache = new DocumentCache({ maxEntries: 10, maxBytes: 1024 ** 2 });
    const run = envelope(cache);
    const first = run.parse(VALID);
    expect(run.validate(first)).toEqual([]);
    const again = run.parse(VALID);
    expect(again).toBe(first);
    expect(run.validate(again)).toEqual([]);
    expect(run.parsed).toHaveBeenCalledOnce();
    expect(run.validated).toHaveBeenCalledOnce();
    expect(cache.validDocument(VALID)).toBe(first);
  });

  it("keeps validation errors and syntax errors, and never calls such a document valid", () => {
    const cache = new DocumentCache({ maxEntries: 10, maxBytes: 1024 ** 2 });
    const run = envelope(cache);
    const invalid = run.parse(INVALID);
    const errors = run.validate(invalid);
    expect(errors).toHaveLength(1);
    expect(run.validate(run.parse(INVALID))).toBe(errors);
    expect(cache.validDocument(INVALID)).toBeUndefined();
    expect(() => run.parse("query {")).toThrow(GraphQLError);
    expect(() => run.parse("query {")).toThrow(GraphQLError);
    expect(run.parsed).toHaveBeenCalledTimes(2);
    expect(run.validated).toHaveBeenCalledOnce();
    expect(cache.validDocument("query {")).toBeUndefined();
  });

  it("holds no more than its bytes, accounting for a text by its length and tokens", () => {
    const cache = new DocumentCache({ maxEntries: 1000, maxBytes: 1024 ** 2 });
    const run = envelope(cache);
    const long = (i: number) => `query L${i} { viewer { name } } # ${"x".repeat(100_000)}`;
    run.validate(run.parse(long(0)));
    const one = cache.usage.bytes;
    // Four bytes a character at least: the text, and the names copied out of it.
    expect(one).toBeGreaterThan(4 * 100_000);
    for (let i = 1; i < 10; i++) run.validate(run.parse(long(i)));
    expect(cache.usage.bytes).toBeLessThanOrEqual(1024 ** 2);
    expect(cache.usage.entries).toBe(Math.floor(1024 ** 2 / one));
    expect(cache.validDocument(long(0))).toBeUndefined();
    expect(cache.validDocument(long(9))).toBeDefined();
  });

  it("charges a document's entry with what other caches keep for it, and evicts to make room", () => {
    const cache = new DocumentCache({ maxEntries: 10, maxBytes: 100_000 });
    const run = envelope(cache);
    const a = run.parse("query A { viewer { name } }");
    const b = run.parse("query B { viewer { name } }");
    const before = cache.usage.bytes;
    cache.charge(b, 1000);
    expect(cache.usage.bytes).toBe(before + 1000);
    // A is the least recently used: charging B with nearly everything leaves no room for it.
    cache.charge(b, 100_000 - before);
    expect(cache.usage.entries).toBe(1);
    expect(run.parse("query B { viewer { name } }")).toBe(b);
    expect(run.parse("query A { viewer { name } }")).not.toBe(a);
  });

  it("charges nothing for a document evicted and parsed again since", () => {
    const cache = new DocumentCache({ maxEntries: 1, maxBytes: 100_000 });
    const run = envelope(cache);
    const old = run.parse(VALID);
    run.parse("query Other { viewer { name } }");
    const fresh = run.parse(VALID);
    expect(fresh).not.toBe(old);
    const before = cache.usage.bytes;
    cache.charge(old, 5000);
    expect(cache.usage.bytes).toBe(before);
  });

  it("validates, uncached, a document it did not parse", () => {
    const cache = new DocumentCache({ maxEntries: 10, maxBytes: 100_000 });
    const run = envelope(cache);
    const foreign = parse(VALID);
    expect(run.validate(foreign)).toEqual(validate(schema, foreign));
    run.validate(foreign);
    expect(run.validated).toHaveBeenCalledTimes(2);
    expect(cache.usage.entries).toBe(0);
  });
});
