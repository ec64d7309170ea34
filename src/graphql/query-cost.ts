// The cost of an operation (the complexity plugin's fieldComplexity, builder.ts), worked out once
// per document and page sizes instead of once per request. The plugin walks the whole selection
// and maps every field's arguments at each request: for a job by id that was about a tenth of the
// gateway's CPU. A cost depends only on the document and the values that COST_ARGUMENTS take, so
// it is remembered under the values of the variables those arguments use; any other variable (an
// id, a filter) cannot change it.
//
// An operation found within the limit marks its context, and the limit (builder.ts) then lets the
// plugin skip its own walk. One that is not (or whose cost cannot be worked out here) is left to
// the plugin, which refuses it as it always did.
import { complexityFromQuery } from "@pothos/plugin-complexity";
import { Kind, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { LruCache, type CacheUsage } from "../lru.js";
import type { Context } from "./context.js";

/** The arguments fieldComplexity (builder.ts) reads: a field's cost depends on nothing else of a request. */
export const COST_ARGUMENTS: readonly string[] = ["first", "last", "ids"];

/**
 * Distinct (operation, page sizes) costs remembered; well above what a set of clients sends. The
 * values of `ids` are part of a key, so keys are bounded in bytes too: a key takes two bytes a
 * character at most, and an entry of the cache about a hundred more.
 */
const REMEMBERED_COSTS = { maxEntries: 2000, maxBytes: 2 * 1024 * 1024 };
const BYTES_PER_COST = 100;

type Operation = {
  /** The operation with the fragments it may use, alone in a document (complexityFromQuery takes the first operation). */
  document: DocumentNode;
  /** The variables that COST_ARGUMENTS take, which the cost depends on. */
  variables: string[];
};

// A mark on the context rather than a WeakSet entry: V8 marks weak entries in the atomic pause of
// every full collection, and a subscription keeps its context (and so its entry) for hours.
const CHECKED = Symbol("jobgraph.costChecked");

/** Whether the operation running in `context` was found within the cost limit (see the limit in builder.ts). */
export function costChecked(context: object): boolean {
  return (context as { [CHECKED]?: true })[CHECKED] === true;
}

function costVariables(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (node: OperationDefinitionNode | DocumentNode) =>
    visit(node, {
      Argument(argument) {
        if (!COST_ARGUMENTS.includes(argument.name.value)) return false;
        visit(argument.value, { Variable: (variable) => void names.add(variable.name.value) });
        return false;
      },
    });
  collect(operation);
  // Fragments are shared by the operations of a document: counting all of them can only add names.
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) collect({ kind: Kind.DOCUMENT, definitions: [definition] });
  return [...names].sort();
}

export class QueryCosts {
  readonly #operations = new WeakMap<DocumentNode, Map<string | undefined, Operation | null>>();
  readonly #costs = new LruCache<string, number>(REMEMBERED_COSTS);
  readonly #keys = new WeakMap<Operation, number>();
  #nextKey = 0;

  constructor(private readonly schema: GraphQLSchema) {}

  /** The costs remembered now. */
  get usage(): CacheUsage {
    return this.#costs.usage;
  }

  /** Marks `context` when its operation's cost is within `ctx.limits.maxCost`. */
  check(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined, context: Context): void {
    const operation = this.#operation(document, operationName);
    if (!operation) return;
    // A variable left out (its default applies) is told apart from one sent as null.
    const given = operation.variables.filter((name) => variables != null && Object.hasOwn(variables, name));
    const key = `${this.#keyOf(operation)} ${JSON.stringify(Object.fromEntries(given.map((name) => [name, variables![name]])))}`;
    let cost = this.#costs.get(key);
    if (cost === undefined) {
      try {
        cost = complexityFromQuery(operation.document, { schema: this.schema, ctx: context, variables: variables ?? {} }).complexity;
      } catch {
        // Arguments or variables the plugin refuses: it says why, when the operation runs.
        return;
      }
      this.#costs.set(key, cost, BYTES_PER_COST + 2 * key.length);
    }
    if (cost <= context.limits.maxCost) (context as { [CHECKED]?: true })[CHECKED] = true;
  }

  #keyOf(operation: Operation): number {
    let key = this.#keys.get(operation);
    if (key === undefined) this.#keys.set(operation, (key = this.#nextKey++));
    return key;
  }

  #operation(document: DocumentNode, operationName: string | null | undefined): Operation | null {
    let byName = this.#operations.get(document);
    if (!byName) this.#operations.set(document, (byName = new Map()));
    const name = operationName ?? undefined;
    let operation = byName.get(name);
    if (operation === undefined) {
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const chosen = name === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === name);
      operation = chosen
        ? {
            document: { kind: Kind.DOCUMENT, definitions: [chosen, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] },
            variables: costVariables(chosen, document),
          }
        : null;
      byName.set(name, operation);
    }
    return operation;
  }
}

/** Checks the cost of each operation yoga executes or subscribes to, before the plugin would. */
export function useQueryCosts(costs: QueryCosts): Plugin {
  const check = ({ args }: { args: { document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null; contextValue: unknown } }) =>
    costs.check(args.document, args.operationName, args.variableValues, args.contextValue as Context);
  return { onExecute: check, onSubscribe: check };
}
