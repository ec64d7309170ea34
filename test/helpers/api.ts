// Runs operations through the real yoga app, in memory (yoga.fetch), as a client would over HTTP.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse, print, type ExecutionResult } from "graphql";
import { buildApp, type App, type AppDeps } from "../../src/app.js";
import type { TestDatabase } from "./db.js";
import { createTestUser, type TestUser } from "./principals.js";

/** Who sends a request: a token's secret, or null for none. */
type As = { token?: string | null };

export type TestApi = {
  app: App;
  /** The admin whose token requests carry unless told otherwise. */
  admin: TestUser;
  /** Sends an operation and returns the whole GraphQL response. */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    as?: As,
  ): Promise<ExecutionResult<TResult>>;
  /** Sends an operation and returns its data, failing on any error. */
  query<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables, as?: As): Promise<TResult>;
  /** Raw HTTP through the app; sends the admin's token unless `init.headers` has an Authorization. */
  fetch(path: string, init?: RequestInit, as?: As): Promise<Response>;
};

export async function createTestApi(
  database: TestDatabase,
  options: Partial<Omit<AppDeps, "db" | "settings">> & { settings?: Partial<AppDeps["settings"]> } = {},
): Promise<TestApi> {
  const app = buildApp({
    databaseUrl: database.url,
    directDatabaseUrl: database.directUrl,
    ...options,
    db: database.db,
    settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 120, ...options.settings },
  });
  const admin = await createTestUser(database.db, "ADMIN");
  const fetch = async (path: string, init: RequestInit = {}, as: As = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const token = as.token === undefined ? admin.secret : as.token;
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return app.yoga.fetch(new URL(path, "http://jobgraph.test"), { ...init, headers });
  };
  async function request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    as: As = {},
  ): Promise<ExecutionResult<TResult>> {
    const response = await fetch(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query: print(document), variables }),
      },
      as,
    );
    return (await response.json()) as ExecutionResult<TResult>;
  }
  return {
    app,
    admin,
    fetch,
    request,
    async query(document, variables, as) {
      const result = await request(document, variables, as);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data!;
    },
  };
}

/** A mutation's or query's answer, field by field: each a union member with its __typename. */
export type Answers = Record<string, Record<string, unknown> & { __typename: string; message?: string }>;

/**
 * Sends a document written as text (for tests that build it from parts), as the admin unless a
 * token is given; returns its data, failing on any GraphQL error.
 */
export async function sendText(api: TestApi, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answers> {
  const result = await api.request(parse(query) as TypedDocumentNode<Answers, Record<string, unknown>>, variables, token === undefined ? {} : { token });
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data!;
}

/** Sends a document as sendText does, and says which statements it read with (see StatementCounter.readStatements). */
export async function sendCounted(api: TestApi, database: TestDatabase, query: string, variables: Record<string, unknown> = {}) {
  database.counter.reset();
  const data = await sendText(api, query, variables);
  return { data: data as Record<string, unknown>, statements: database.counter.readStatements() };
}
