// Trusted documents (persisted operations): a frontend's documents, compiled by GraphQL Code
// Generator's client preset into a manifest of hashes and texts (persisted-documents.json), are
// sent by hash alone. The gateway reads the manifests it is given at start, refusing to start on
// one that does not hold valid documents of the schema, and serves a hash as the document it
// stands for: yoga's persisted-operations plugin over HTTP, the fast lane as it serves any other
// document it knows, and graphql-ws.
//
// With JOBGRAPH_TRUSTED_DOCUMENTS_ONLY a user who is not an admin may send nothing else: no
// document of their own, so a leaked token of a production frontend's user runs that frontend's
// operations and no others. Admins (and so the playground, which development gives the admin
// token) keep arbitrary documents, and so do worker nodes, whose SDK batches its mutations into
// documents of its own making; the gateway's own SDK's and command line's documents are trusted
// whoever sends them.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse, print, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { projectRoot } from "../db/migrate.js";
import { isAdmin, type Principal } from "../domain/principal.js";
import * as sdkDocuments from "../sdk/gql/graphql.js";
import { BAD_REQUEST, codedError, PERSISTED_QUERY_NOT_FOUND, TRUSTED_DOCUMENTS_ONLY } from "./error-codes.js";

/** The dashboard's manifest (scripts/build-web.mjs), when it is built: always trusted, for the dashboard sends its documents by hash. */
export const DASHBOARD_MANIFEST = path.join(projectRoot, "dist", "web", "persisted-documents.json");

/** The manifests a gateway loads: the dashboard's, when it is built, and those it is told of. */
export function manifestsToTrust(configured: readonly string[]): string[] {
  return [...(existsSync(DASHBOARD_MANIFEST) ? [DASHBOARD_MANIFEST] : []), ...configured];
}

/** The reason a manifest cannot be used, naming the file and the entry. */
export class ManifestError extends Error {}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A hash as manifests and clients write it, with the `sha256:` the client preset puts before it or without. */
const bare = (hash: string) => hash.replace(/^sha256:/, "");

/** The id a request names its document by: `extensions.persistedQuery.sha256Hash` (Apollo's and urql's), or `documentId` (the GraphQL-over-HTTP draft's). */
export function documentIdOf(params: { extensions?: unknown; documentId?: unknown }): string | null {
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted && persisted.version === 1 && typeof persisted.sha256Hash === "string") return bare(persisted.sha256Hash);
  if (typeof params.documentId === "string") return bare(params.documentId);
  return null;
}

export class TrustedDocuments {
  /** Document texts by their hash. */
  readonly #byHash: Map<string, string>;
  /** The hashes of texts that are trusted when sent in full: the manifests' and the SDK's. */
  readonly #trustedTexts: Set<string>;

  constructor(
    byHash: Map<string, string>,
    /** JOBGRAPH_TRUSTED_DOCUMENTS_ONLY: users who are not admins may send trusted documents alone. */
    readonly only: boolean,
  ) {
    this.#byHash = byHash;
    this.#trustedTexts = new Set([...byHash.values()].map(sha256));
    for (const value of Object.values(sdkDocuments)) {
      if ((value as DocumentNode | undefined)?.kind === "Document") this.#trustedTexts.add(sha256(print(value as DocumentNode)));
    }
  }

  /**
   * Reads manifests (JSON objects of hashes to document texts, as the client preset writes them),
   * each text parsed and validated against `schema`; throws a ManifestError naming what is wrong.
   */
  static async load(files: readonly string[], schema: GraphQLSchema, only: boolean): Promise<TrustedDocuments> {
    const byHash = new Map<string, string>();
    for (const file of files) {
      let manifest: unknown;
      try {
        manifest = JSON.parse(await readFile(file, "utf8"));
      } catch (error) {
        throw new ManifestError(`${file}: not a JSON file that can be read (${(error as Error).message})`);
      }
      if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
        throw new ManifestError(`${file}: not an object of document hashes to document texts, as GraphQL Code Generator's persisted-documents.json is`);
      }
      for (const [hash, text] of Object.entries(manifest)) {
        if (typeof text !== "string") throw new ManifestError(`${file}: the entry ${hash} is not a document's text`);
        let errors: readonly GraphQLError[];
        try {
          errors = validate(schema, parse(text));
        } catch (error) {
          errors = [error as GraphQLError];
        }
        if (errors.length) throw new ManifestError(`${file}: the document ${hash} is not valid against this gateway's schema: ${errors[0]!.message}`);
        const known = byHash.get(bare(hash));
        if (known !== undefined && known !== text) throw new ManifestError(`${file}: the hash ${hash} stands for two different documents`);
        byHash.set(bare(hash), text);
      }
    }
    return new TrustedDocuments(byHash, only);
  }

  get size(): number {
    return this.#byHash.size;
  }

  /** The text of the document a hash stands for, if a manifest holds it. */
  textOf(hash: string): string | undefined {
    return this.#byHash.get(bare(hash));
  }

  /** Whether `viewer` may run the document `text`, sent in full. */
  allows(text: string, viewer: Principal | null | undefined): boolean {
    if (!this.only || isAdmin(viewer ?? null) || viewer?.kind === "NODE") return true;
    return this.#trustedTexts.has(sha256(text));
  }

  /** The error for a hash no manifest holds. */
  notFound(): GraphQLError {
    // The message is the one Apollo Client's persisted-queries link looks for, to send the document in full.
    return codedError(PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound", { http: { status: 400 } });
  }

  /** The error for a document sent in full that the caller may not send. */
  refused(): GraphQLError {
    return codedError(
      TRUSTED_DOCUMENTS_ONLY,
      "This gateway runs trusted documents only: send the hash of a document from its manifest (extensions.persistedQuery.sha256Hash, or documentId).",
      { http: { status: 403 } },
    );
  }

  /**
   * Yoga's persisted-operations plugin, set up for the manifests. `viewerOf` is who the request
   * was authenticated as (authentication comes first, when yoga parses the request).
   */
  plugin(viewerOf: (request: Request) => Principal | undefined): Plugin {
    const sent = new WeakMap<Request, GraphQLParams>();
    return {
      onParams: ({ request, params }) => {
        sent.set(request, params);
      },
      onPluginInit: ({ addPlugin }) => {
        addPlugin(
          usePersistedOperations({
            getPersistedOperation: (hash) => this.textOf(hash) ?? null,
            extractPersistedOperationId: (params) => documentIdOf(params as GraphQLParams & { documentId?: unknown }),
            allowArbitraryOperations: (request) => this.allows(sent.get(request)?.query ?? "", viewerOf(request)),
            customErrors: {
              notFound: () => this.notFound(),
              persistedQueryOnly: () => this.refused(),
              keyNotFound: () => codedError(BAD_REQUEST, "Send a document (query) or the hash of a trusted one (extensions.persistedQuery.sha256Hash, or documentId).", { http: { status: 400 } }),
            },
          }),
        );
      },
    };
  }
}
