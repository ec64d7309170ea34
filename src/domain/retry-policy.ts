// Retry policies and time limits: a template sets them for its jobs, and a job at its creation may
// ask for its own within what its template allows (no more attempts than the template's limit, no
// longer backoff than its cap, no failure retried that it does not retry).
import type { JobFailureKind } from "../db/generated/prisma/enums.js";
import type { FieldError } from "./errors.js";

export type RetryPolicy = {
  maxAttempts: number;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
  jitter: number;
  retryOn: JobFailureKind[];
};

/** A policy as a caller gives it: any part may be left to the default. */
export type RetryPolicyInput = { [K in keyof RetryPolicy]?: RetryPolicy[K] | null };

/** A template's policy: the one its jobs get, and the most attempts one of them may ask for. */
export type TemplatePolicy = RetryPolicy & { maxAttemptsLimit: number };

export const DEFAULT_POLICY: TemplatePolicy = {
  maxAttempts: 3,
  maxAttemptsLimit: 100,
  backoffBaseSeconds: 5,
  backoffCapSeconds: 3600,
  jitter: 0.2,
  retryOn: ["ERROR", "LEASE_EXPIRED", "TIMED_OUT"],
};

/** The longest time limit of an attempt at a job: a week. */
export const MAX_JOB_TIME_LIMIT = 604_800;
/** The longest time limit of a task's run: two days, as Flow Compute's maxExecutionTimeInSeconds. */
export const MAX_TASK_TIME_LIMIT = 172_800;
const MAX_BACKOFF = 86_400;

function within(value: number | null | undefined, min: number, max: number, path: string[], errors: FieldError[], integer = true) {
  if (value == null) return;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    errors.push({ path, message: `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}` });
  }
}

/** The longest a running job may go without reporting before it counts as stalled: a day. */
export const MAX_STALL_AFTER = 86_400;

/** Checks time limits (seconds) given for a job or a template, and a template's stallAfterSeconds. */
export function checkTimeLimits(
  limits: { timeLimitSeconds?: number | null; taskTimeLimitSeconds?: number | null; stallAfterSeconds?: number | null },
  errors: FieldError[],
) {
  within(limits.timeLimitSeconds, 1, MAX_JOB_TIME_LIMIT, ["timeLimitSeconds"], errors);
  within(limits.taskTimeLimitSeconds, 1, MAX_TASK_TIME_LIMIT, ["taskTimeLimitSeconds"], errors);
  within(limits.stallAfterSeconds, 1, MAX_STALL_AFTER, ["stallAfterSeconds"], errors);
}

/** A template's policy from what its definition gives, every problem reported. */
export function templatePolicy(input: (RetryPolicyInput & { maxAttemptsLimit?: number | null }) | null | undefined, errors: FieldError[]): TemplatePolicy {
  const at = (field: string) => ["retryPolicy", field];
  const given = input ?? {};
  within(given.maxAttemptsLimit, 1, 100, at("maxAttemptsLimit"), errors);
  const limit = given.maxAttemptsLimit ?? DEFAULT_POLICY.maxAttemptsLimit;
  const policy = resolve(given, { ...DEFAULT_POLICY, maxAttemptsLimit: limit }, MAX_BACKOFF, DEFAULT_POLICY.retryOn, errors);
  return { ...policy, maxAttemptsLimit: limit };
}

/** A job's policy: its template's, with what the job asks for, within what the template allows. */
export function jobPolicy(input: RetryPolicyInput | null | undefined, template: TemplatePolicy, errors: FieldError[]): RetryPolicy {
  return resolve(input ?? {}, template, template.backoffCapSeconds, template.retryOn, errors);
}

function resolve(given: RetryPolicyInput, base: TemplatePolicy, maxCap: number, retryable: JobFailureKind[], errors: FieldError[]): RetryPolicy {
  const at = (field: string) => ["retryPolicy", field];
  if (given.maxAttempts != null && !(Number.isInteger(given.maxAttempts) && given.maxAttempts >= 1 && given.maxAttempts <= base.maxAttemptsLimit)) {
    errors.push({ path: at("maxAttempts"), message: `must be an integer from 1 to ${base.maxAttemptsLimit}, the most the template allows` });
  }
  within(given.backoffBaseSeconds, 0, MAX_BACKOFF, at("backoffBaseSeconds"), errors, false);
  within(given.backoffCapSeconds, 0, maxCap, at("backoffCapSeconds"), errors, false);
  within(given.jitter, 0, 1, at("jitter"), errors, false);
  const policy: RetryPolicy = {
    maxAttempts: given.maxAttempts ?? Math.min(base.maxAttempts, base.maxAttemptsLimit),
    backoffBaseSeconds: given.backoffBaseSeconds ?? base.backoffBaseSeconds,
    backoffCapSeconds: given.backoffCapSeconds ?? Math.min(base.backoffCapSeconds, maxCap),
    jitter: given.jitter ?? base.jitter,
    retryOn: given.retryOn ? [...new Set(given.retryOn)] : base.retryOn,
  };
  if (policy.backoffCapSeconds < policy.backoffBaseSeconds) {
    errors.push({ path: at("backoffCapSeconds"), message: `must be at least the base (${policy.backoffBaseSeconds} s)` });
  }
  const refused = policy.retryOn.filter((kind) => !retryable.includes(kind));
  if (refused.length) errors.push({ path: at("retryOn"), message: `the template does not retry ${refused.join(", ")}` });
  return policy;
}
