import type { RetryPolicy as Policy } from "../../domain/retry-policy.js";
import { builder } from "../builder.js";
import { JobFailureKindEnum } from "./enums.js";

/** What a job or a template retries, and how long it waits before each new attempt. */
export const RetryPolicy = builder.objectRef<Policy>("RetryPolicy").implement({
  description:
    "When a failed attempt leads to another, and how long the job waits first: min(backoffCapSeconds, backoffBaseSeconds × 2^(n−1)) after the n-th attempt, less a random part of up to `jitter` of it.",
  fields: (t) => ({
    maxAttempts: t.exposeInt("maxAttempts", { description: "Attempts allowed in all (acquisitions); a failure of the last one fails the job." }),
    backoffBaseSeconds: t.exposeFloat("backoffBaseSeconds", { description: "The wait after the first failed attempt, before jitter." }),
    backoffCapSeconds: t.exposeFloat("backoffCapSeconds", { description: "The longest wait, before jitter." }),
    jitter: t.exposeFloat("jitter", { description: "The largest fraction (0 to 1) taken at random off each wait, so that jobs that failed together do not return together." }),
    retryOn: t.field({
      type: [JobFailureKindEnum],
      description: "The failures that lead to another attempt while attempts remain; any other fails the job.",
      resolve: (policy) => policy.retryOn,
    }),
  }),
});

/** The policy stored in a job's or a template's row. */
export function policyOf(row: {
  maxAttempts: number;
  retryBackoffBaseSeconds: number;
  retryBackoffCapSeconds: number;
  retryJitter: number;
  retryOn: Policy["retryOn"];
}): Policy {
  return {
    maxAttempts: row.maxAttempts,
    backoffBaseSeconds: row.retryBackoffBaseSeconds,
    backoffCapSeconds: row.retryBackoffCapSeconds,
    jitter: row.retryJitter,
    retryOn: row.retryOn,
  };
}
