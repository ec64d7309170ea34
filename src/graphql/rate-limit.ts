// Mutations per token and minute, counted in each gateway instance (an instance's memory, so N
// instances behind a load balancer allow up to N times the limit).
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Context } from "./context.js";

/**
 * How many mutations the document asks for: its mutation's root fields (a client may send several
 * in one document, and each counts), those in its fragments included, 0 for anything else.
 */
function mutationsIn(document: DocumentNode, operationName: string | null | undefined): number {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (operation?.operation !== "mutation") return 0;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return Math.max(1, fieldsIn(operation.selectionSet, fragments));
}

/** The fields a selection asks for, through its fragments (validation has refused cycles among them), __typename aside. */
function fieldsIn(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  let fields = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields += selection.name.value === "__typename" ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields += fieldsIn(selection.selectionSet, fragments);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) fields += fieldsIn(fragment.selectionSet, fragments);
    }
  }
  return fields;
}

/** The mutations each token may make a minute, in this instance; none counted when `perMinute` is 0. */
export class MutationRateLimit {
  readonly #limiter: RateLimiterMemory | undefined;

  constructor(private readonly perMinute: number) {
    this.#limiter = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined;
  }

  /**
   * Counts the document's mutations against the token: null when they may run, else the error to
   * answer with instead (RATE_LIMITED, HTTP 429 with Retry-After). Anything but a mutation passes
   * uncounted.
   */
  async admit(document: DocumentNode, operationName: string | null | undefined, tokenId: string | undefined): Promise<GraphQLError | null> {
    if (!this.#limiter || tokenId === undefined) return null;
    const mutations = mutationsIn(document, operationName);
    if (!mutations) return null;
    try {
      await this.#limiter.consume(tokenId, mutations);
      return null;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.ceil(rejection.msBeforeNext / 1000);
      return new GraphQLError(`too many mutations: at most ${this.perMinute} a minute per token; retry in ${retryAfter} s`, {
        extensions: { code: "RATE_LIMITED", http: { status: 429, headers: { "Retry-After": String(retryAfter) } } },
      });
    }
  }

  /**
   * The limit on what yoga executes. The fast lane asks admit itself, and marks the context of an
   * operation it hands on to yoga afterwards (`mutationsAdmitted`), which is not counted twice.
   */
  plugin(): Plugin<Context & { mutationsAdmitted?: boolean }> {
    if (!this.#limiter) return {};
    return {
      onExecute: async ({ args, setResultAndStopExecution }) => {
        const context = args.contextValue as Context & { mutationsAdmitted?: boolean };
        if (context.mutationsAdmitted) return;
        const refusal = await this.admit(args.document, args.operationName, context.viewer?.tokenId);
        if (refusal) setResultAndStopExecution({ errors: [refusal] });
      },
    };
  }
}
