// Queries and mutations run as compiled JavaScript (graphql-jit) instead of through graphql-js's
// interpreter. A page of 50 jobs with 20 tasks each resolves some 7,000 fields, and graphql-js
// spends about a third of that request's CPU walking them; a worker's mutations are few fields, but
// it sends them all the time, and the interpreter's setup for each was a fair share of their CPU.
// graphql-jit runs a mutation's root fields one after the other, as graphql-js does. The compiled
// form of a document is made once and kept while the document stays in the document cache
// (documents.ts), which is charged for it. Subscriptions keep graphql-js (their events are executed
// by src/graphql/subscribe.ts). An operation graphql-jit cannot compile, or whose variables do not
// coerce (which graphql-js answers as a request error, HTTP 400), runs as before; so does one whose
// compiled form would be too large, and a document that asks for incremental delivery (@defer,
// @stream), which graphql-jit would answer all at once.
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import {
  getOperationAST,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { asksForIncrementalDelivery } from "./incremental.js";

// graphql-jit writes code for every field an operation selects, fragments spread out, spelling
// out each field's response path (its aliases and those of the fields above it) and the literals of
// its arguments; once the code runs, V8 adds machine code and feedback for it. What a compiled
// query keeps is estimated from those counts. Measured through the app (test/helpers/large-
// documents.ts has the shapes), for the benchmark's queries and for documents of long literals,
// names and aliases from 2 KB to 900 KB, the heap grew by 0.2 to 0.95 times the estimate of a
// document with its compiled query (documents.ts adds the document's own).
const BYTES_PER_QUERY = 16 * 1024;
const BYTES_PER_FIELD = 5000;
const BYTES_PER_PATH_CHARACTER = 20;
const BYTES_PER_ARGUMENT_CHARACTER = 2;
/** The operation's name names a function of the code. */
const BYTES_PER_NAME_CHARACTER = 2;

/**
 * The largest compiled form made. A page of 50 jobs with their tasks and outputs comes to about
 * 150 KB; a document of long aliases over deep selections, within every default limit, came to
 * 200 MB of code and two seconds of CPU (estimated: 870 MB): such a query runs interpreted.
 */
export const MAX_COMPILED_BYTES = 2 * 1024 * 1024;

type Size = { fields: number; paths: number; arguments: number };

/** What graphql-jit's code for `operation` of `document` takes, estimated (see BYTES_PER_FIELD); linear in the document. */
export function compiledBytes(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  // A fragment's size, with paths counted from where it is spread, is worked out once however
  // often it is spread (each spread adds it again, as graphql-jit writes it again).
  const sizes = new Map<string, Size>();
  const sizeOf = (set: SelectionSetNode): Size => {
    const size: Size = { fields: 0, paths: 0, arguments: 0 };
    const add = (inner: Size, prefix: number) => {
      size.fields += inner.fields;
      size.paths += inner.paths + prefix * inner.fields;
      size.arguments += inner.arguments;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = (selection.alias ?? selection.name).value.length;
        size.fields += 1;
        size.paths += key;
        for (const argument of selection.arguments ?? []) size.arguments += argument.loc ? argument.loc.end - argument.loc.start : 0;
        if (selection.selectionSet) add(sizeOf(selection.selectionSet), key);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(sizeOf(selection.selectionSet), 0);
      } else {
        const name = selection.name.value;
        let inner = sizes.get(name);
        if (!inner) {
          // Marked first: a cycle (which validation refuses anyway) counts once.
          sizes.set(name, { fields: 0, paths: 0, arguments: 0 });
          const fragment = fragments.get(name);
          inner = fragment ? sizeOf(fragment.selectionSet) : { fields: 0, paths: 0, arguments: 0 };
          sizes.set(name, inner);
        }
        add(inner, 0);
      }
    }
    return size;
  };
  const size = sizeOf(operation.selectionSet);
  return (
    BYTES_PER_QUERY +
    BYTES_PER_NAME_CHARACTER * (operation.name?.value.length ?? 0) +
    BYTES_PER_FIELD * size.fields +
    BYTES_PER_PATH_CHARACTER * size.paths +
    BYTES_PER_ARGUMENT_CHARACTER * size.arguments
  );
}

/** Compiled operations by document, then by operation name; null for a subscription and for what is not compiled. */
export class CompiledQueries {
  readonly #compiled = new WeakMap<DocumentNode, Map<string | undefined, CompiledQuery | null>>();

  /** `charge` is told what a compiled query kept for a document takes (DocumentCache.charge). */
  constructor(private readonly charge: (document: DocumentNode, bytes: number) => void = () => undefined) {}

  for(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null {
    const name = operationName ?? undefined;
    let byName = this.#compiled.get(document);
    if (!byName) this.#compiled.set(document, (byName = new Map()));
    let query = byName.get(name);
    if (query === undefined) {
      query = null;
      const operation = getOperationAST(document, name);
      const bytes = operation && operation.operation !== "subscription" && !asksForIncrementalDelivery(document) ? compiledBytes(document, operation) : Infinity;
      if (bytes <= MAX_COMPILED_BYTES) {
        const result = compileQuery(schema, document, name);
        if (isCompiledQuery(result)) {
          query = result;
          this.charge(document, bytes);
        }
      }
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
