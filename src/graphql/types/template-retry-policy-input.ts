import { builder } from "../builder.js";
import { JobFailureKindEnum } from "./enums.js";

export const TemplateRetryPolicyInput = builder.inputType("TemplateRetryPolicyInput", {
  description:
    "The retry policy of a template's jobs, and the most attempts one may ask for. Left out: 3 attempts (up to 100 on request), 5 s base, 3600 s cap, jitter 0.2, every failure kind retried.",
  fields: (t) => ({
    maxAttempts: t.int({ required: false, description: "Attempts its jobs get unless they ask: 1 up to maxAttemptsLimit." }),
    maxAttemptsLimit: t.int({ required: false, description: "The most attempts a job may ask for, up to 100." }),
    backoffBaseSeconds: t.float({ required: false, description: "The wait after the first failed attempt, 0 to 86400 seconds." }),
    backoffCapSeconds: t.float({ required: false, description: "The longest wait, from the base up to 86400 seconds; also the longest a job may ask for." }),
    jitter: t.float({ required: false, description: "The largest fraction (0 to 1) taken at random off each wait." }),
    retryOn: t.field({
      type: [JobFailureKindEnum],
      required: false,
      description: "The failures retried: a job may ask for fewer, never more.",
    }),
  }),
});
