// Runs operations through the real yoga app, in memory (yoga.fetch), as a client would over HTTP.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type ExecutionResult } from "graphql";
import { buildApp, type App } from "../../src/app.js";
import type { ApiSettings } from "../../src/graphql/context.js";
import type { TestDatabase } from "./db.js";

export type TestApi = {
  app: App;
  /** Sends an operation and returns the whole GraphQL response. */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<ExecutionResult<TResult>>;
  /** Sends an operation and returns its data, failing on any error. */
  query<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<TResult>;
  /** Raw HTTP through the app. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
};

export function createTestApi(database: TestDatabase, settings: Partial<ApiSettings> = {}): TestApi {
  const app = buildApp({
    db: database.db,
    settings: { maxPageSize: 100, defaultPageSize: 20, ...settings },
  });
  const fetch = async (path: string, init: RequestInit = {}): Promise<Response> =>
    app.yoga.fetch(new URL(path, "http://jobgraph.test"), init);
  async function request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<ExecutionResult<TResult>> {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return (await response.json()) as ExecutionResult<TResult>;
  }
  return {
    app,
    fetch,
    request,
    async query(document, variables) {
      const result = await request(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data!;
    },
  };
}
