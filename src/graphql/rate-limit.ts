// Mutations per token and minute, counted in each gateway instance (an instance's memory, so N
// instances behind a load balancer allow up to N times the limit).
import { GraphQLError, Kind, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Context } from "./context.js";

/**
 * How many mutations the document asks for: its mutation's root fields (a client may send several
 * in one document, and each counts), 0 for anything else.
 */
function mutationsIn(document: DocumentNode, operationName: string | null | undefined): number {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operation?.operation === "mutation" ? Math.max(1, operation.selectionSet.selections.length) : 0;
}

export function useMutationRateLimit(perMinute: number): Plugin<Context> {
  if (perMinute <= 0) return {};
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as Context;
      const mutations = mutationsIn(args.document, args.operationName);
      if (!context.viewer || !mutations) return;
      try {
        await limiter.consume(context.viewer.tokenId, mutations);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.ceil(rejection.msBeforeNext / 1000);
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`too many mutations: at most ${perMinute} a minute per token; retry in ${retryAfter} s`, {
              extensions: { code: "RATE_LIMITED", http: { status: 429, headers: { "Retry-After": String(retryAfter) } } },
            }),
          ],
        });
      }
    },
  };
}
