// Queries run as compiled JavaScript (graphql-jit) instead of through graphql-js's interpreter.
// A page of 50 jobs with 20 tasks each resolves some 7,000 fields, and graphql-js spends about a
// third of that request's CPU walking them; the compiled form of a document is made once and kept
// while the document stays in yoga's parse cache. Only queries: mutations and subscriptions are few
// per client and keep graphql-js's exact behaviour. A query graphql-jit cannot compile, or whose
// variables do not coerce (which graphql-js answers as a request error, HTTP 400), runs as before.
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";

/** Compiled queries by document, then by operation name; null for what is no query or cannot be compiled. */
export class CompiledQueries {
  readonly #compiled = new WeakMap<DocumentNode, Map<string | undefined, CompiledQuery | null>>();

  for(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null {
    const name = operationName ?? undefined;
    let byName = this.#compiled.get(document);
    if (!byName) this.#compiled.set(document, (byName = new Map()));
    let query = byName.get(name);
    if (query === undefined) {
      const operation = getOperationAST(document, name);
      const result = operation?.operation === "query" ? compileQuery(schema, document, name) : null;
      query = result && isCompiledQuery(result) ? result : null;
      byName.set(name, query);
    }
    return query;
  }
}

/**
 * A result of a compiled query for variables that do not coerce: nothing ran, and there is no
 * data. graphql-js answers such a request, as a request error with its own messages.
 */
export function variablesRefused(result: unknown): boolean {
  return !(result instanceof Promise) && !("data" in (result as ExecutionResult));
}

export function useCompiledQueries(compiled = new CompiledQueries()): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiled.for(args.schema, args.document, args.operationName);
      if (!query) return;
      setExecuteFn((executeArgs) => {
        const result = query.query(args.rootValue, args.contextValue, args.variableValues);
        return variablesRefused(result) ? executeFn(executeArgs) : result;
      });
    },
  };
}
