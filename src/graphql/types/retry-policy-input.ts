import { builder } from "../builder.js";
import { JobFailureKindEnum } from "./enums.js";

export const RetryPolicyInput = builder.inputType("RetryPolicyInput", {
  description: "A job's own retry policy, within what its template allows; what is left out is the template's.",
  fields: (t) => ({
    maxAttempts: t.int({ required: false, description: "Attempts allowed, up to the template's maxAttemptsLimit." }),
    backoffBaseSeconds: t.float({ required: false, description: "The wait after the first failed attempt, 0 to 86400 seconds." }),
    backoffCapSeconds: t.float({ required: false, description: "The longest wait, from the base up to the template's cap." }),
    jitter: t.float({ required: false, description: "The largest fraction (0 to 1) taken at random off each wait." }),
    retryOn: t.field({
      type: [JobFailureKindEnum],
      required: false,
      description: "The failures to retry: some or all of those the template retries.",
    }),
  }),
});
