// Queries run as compiled JavaScript (graphql-jit) instead of through graphql-js's interpreter.
// A page of 50 jobs with 20 tasks each resolves some 7,000 fields, and graphql-js spends about a
// third of that request's CPU walking them; the compiled form of a document is made once and kept
// while the document stays in yoga's parse cache. Only queries: mutations and subscriptions are few
// per client and keep graphql-js's exact behaviour. A query graphql-jit cannot compile, or whose
// variables do not coerce (which graphql-js answers as a request error, HTTP 400), runs as before.
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { getOperationAST, type DocumentNode, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

export function useCompiledQueries(): Plugin {
  // By document, then by operation name: null when it is no query or cannot be compiled.
  const compiled = new WeakMap<DocumentNode, Map<string | undefined, CompiledQuery | null>>();

  function compiledFor(args: Parameters<NonNullable<Plugin["onExecute"]>>[0]["args"]): CompiledQuery | null {
    const operationName = args.operationName ?? undefined;
    let byName = compiled.get(args.document);
    if (!byName) compiled.set(args.document, (byName = new Map()));
    let query = byName.get(operationName);
    if (query === undefined) {
      const operation = getOperationAST(args.document, operationName);
      const result = operation?.operation === "query" ? compileQuery(args.schema, args.document, operationName) : null;
      query = result && isCompiledQuery(result) ? result : null;
      byName.set(operationName, query);
    }
    return query;
  }

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn((executeArgs) => {
        const result = query.query(args.rootValue, args.contextValue, args.variableValues);
        // Variables that do not coerce: nothing ran, and there is no data. graphql-js answers it,
        // as a request error with its own messages.
        if (!(result instanceof Promise) && !("data" in (result as ExecutionResult))) return executeFn(executeArgs);
        return result;
      });
    },
  };
}
