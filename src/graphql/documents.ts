// Parsed and validated documents, by their text: yoga's parse and validation cache, replaced by one
// bounded in bytes as well as in entries. A document can be as long as the body limit allows (a
// megabyte of string literal, aliases or whitespace passes every limit on its shape), and yoga's
// caches kept a thousand of them.
//
// An entry is accounted for its text, its syntax tree (or syntax error), its validation result,
// and whatever other caches keep for the document while it lives: they key their entries by the
// document object, weakly (compiled-queries.ts, query-cost.ts, fast-lane.ts, operation-labels.ts),
// so that an evicted document takes all of it along once no request still holds it, and the one
// that can be large, a compiled query, is charged to the document's entry here (charge()). The
// budget thus bounds everything the gateway keeps per document.
import type { DocumentNode, Token } from "graphql";
import type { Plugin } from "graphql-yoga";
import { LruCache, type CacheUsage, type LruLimits } from "../lru.js";

/** Entries kept: what yoga's cache kept (1,024), in round numbers. */
export const MAX_DOCUMENTS = 1000;

// What an entry holds, estimated from what it is made of; see compiled-queries.ts for how the
// estimates were held against the heap (test/api/document-memory.test.ts keeps checking them).
/** The text takes a byte or two a character, and the engine copies the names in it (aliases, operation names) out as property keys and function names. */
const BYTES_PER_CHARACTER = 4;
/** The syntax tree: a node or two and a token, with their locations, per token of the text (measured: about 300). */
const BYTES_PER_TOKEN = 400;
/** The entry itself, its validation result when empty, and what the other caches keep for any document. */
const BYTES_PER_ENTRY = 2048;
/** A validation error beyond its message: locations, path, extensions. */
const BYTES_PER_ERROR = 1024;

type Entry = {
  /** The parse result: the document, or the syntax error that parsing threw. */
  parsed: DocumentNode | Error;
  /** The validation result, once validated. */
  errors?: readonly Error[];
};

function tokensOf(document: DocumentNode, text: string): number {
  let count = 0;
  for (let token: Token | null | undefined = document.loc?.startToken; token; token = token.next) count++;
  // A document parsed without locations has no token list: at most one token per character.
  return count || text.length;
}

function errorsBytes(errors: readonly Error[]): number {
  let bytes = 0;
  for (const error of errors) bytes += BYTES_PER_ERROR + BYTES_PER_CHARACTER * error.message.length;
  return bytes;
}

export class DocumentCache {
  readonly #entries: LruCache<string, Entry>;
  // The text of each document kept, to find its entry from the document alone.
  readonly #texts = new WeakMap<DocumentNode, string>();

  constructor(limits: LruLimits) {
    this.#entries = new LruCache(limits);
  }

  get usage(): CacheUsage {
    return this.#entries.usage;
  }

  /** The document of `text`, when it was parsed and passed validation before (the fast lane serves only these). */
  validDocument(text: string): DocumentNode | undefined {
    const entry = this.#entries.get(text);
    return entry?.errors?.length === 0 ? (entry.parsed as DocumentNode) : undefined;
  }

  /**
   * Accounts the entry of `document` for `bytes` more: something another cache keeps for the
   * document as long as it lives. A document no longer kept here is being dropped: nothing to do.
   */
  charge(document: DocumentNode, bytes: number): void {
    const text = this.#texts.get(document);
    // The text may have been evicted and parsed again since: its entry is then another document's.
    if (text !== undefined && this.#entries.get(text)?.parsed === document) this.#entries.grow(text, bytes);
  }

  /**
   * The yoga plugin, in place of yoga's own parserAndValidationCache (turned off). It goes last
   * among the plugins, where yoga puts its own: its validation result is the one the other plugins'
   * hooks made (useValidationStatus' HTTP status included). Every request runs the same plugins
   * against the one schema, so a document's validation result does not depend on the request.
   */
  plugin(): Plugin {
    return {
      onParse: ({ params, setParsedDocument }) => {
        const text = params.source.toString();
        const entry = this.#entries.get(text);
        if (entry) {
          if (entry.parsed instanceof Error) throw entry.parsed;
          setParsedDocument(entry.parsed);
          return;
        }
        return ({ result }) => {
          if (result instanceof Error) {
            this.#entries.set(text, { parsed: result }, BYTES_PER_ENTRY + BYTES_PER_CHARACTER * (text.length + result.message.length));
          } else if (result) {
            this.#texts.set(result, text);
            this.#entries.set(text, { parsed: result }, BYTES_PER_ENTRY + BYTES_PER_CHARACTER * text.length + BYTES_PER_TOKEN * tokensOf(result, text));
          }
        };
      },
      onValidate: ({ params: { documentAST }, setResult }) => {
        const text = this.#texts.get(documentAST);
        if (text === undefined) return;
        const entry = this.#entries.get(text);
        if (!entry || entry.parsed !== documentAST) return;
        if (entry.errors) {
          setResult(entry.errors);
          return;
        }
        return ({ result }) => {
          entry.errors = result;
          if (result.length) this.#entries.grow(text, errorsBytes(result));
        };
      },
    };
  }
}
