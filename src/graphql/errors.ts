// The schema's error types. Expected failures are members of a mutation's result union, bound to
// the domain's error classes; anything else stays an unexpected error, masked by yoga.
import {
  AlreadyExistsError,
  BusyError,
  ConflictError,
  ForbiddenError,
  InvalidTransitionError,
  LeaseLostError,
  NotFoundError,
  TimeLimitExceededError,
  TooLargeError,
  ValidationError,
} from "../domain/errors.js";
import { builder } from "./builder.js";

export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  description: "An expected failure of a mutation: nothing was changed.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, for a person to read." }),
  }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "The caller may not do this (to this object).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ForbiddenError,
});

const FieldErrorRef = builder.objectRef<{ path: string[]; message: string }>("FieldError").implement({
  description: "What is wrong with one value of the input.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: "Where the value is in the input, e.g. [\"input\", \"name\"]." }),
    message: t.exposeString("message", { description: "What is wrong with it." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input is not valid; every problem found is listed.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    fieldErrors: t.field({
      type: [FieldErrorRef],
      description: "The problems, each with the path of the value it concerns.",
      resolve: (error) => error.fieldErrors,
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "An object the input refers to does not exist.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    entity: t.exposeString("entity", { description: "What kind of object was looked for." }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: "InvalidTransitionError",
  description: "The action is not allowed from the job's current state (see the lifecycle table).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidTransitionError,
  fields: (t) => ({
    from: t.exposeString("from", { description: "The job's status when the action was refused." }),
    action: t.exposeString("action", { description: "The action that was refused." }),
  }),
});

builder.objectType(LeaseLostError, {
  name: "LeaseLostError",
  description:
    "The node's lease on the job is gone: the job was reclaimed after the lease expired, released, aborted, or acquired by another node. Stop working on it. (For a job that has finished or was cancelled, the answer is InvalidTransitionError, which says so.)",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof LeaseLostError,
});

const TimeLimitEnum = builder.enumType("TimeLimit", {
  description: "A limit on how long work may take.",
  values: {
    JOB_TIME_LIMIT: { description: "The job's time limit on each attempt (timeLimitSeconds)." },
    TASK_TIME_LIMIT: { description: "A task's time limit on each run (maxExecutionTimeInSeconds, or its job's taskTimeLimitSeconds)." },
    DEADLINE: { description: "The job's deadline." },
  } as const,
});

builder.objectType(TimeLimitExceededError, {
  name: "TimeLimitExceededError",
  description:
    "The node's work ran past a time limit and the gateway ended it: its attempt at the job (and its lease), a task's run, or the job itself at its deadline. Stop working on it; the job's or the task's status says what became of it.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof TimeLimitExceededError,
  fields: (t) => ({
    limit: t.field({ type: TimeLimitEnum, description: "Which limit it was.", resolve: (error) => error.limit }),
    limitSeconds: t.exposeInt("limitSeconds", { nullable: true, description: "The limit in seconds; null for a deadline." }),
    exceededAt: t.expose("exceededAt", { type: "DateTime", description: "When the gateway ended the work." }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The object changed since the version the caller expected.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({
    currentVersion: t.exposeInt("currentVersion", { description: "The version the object is at now." }),
  }),
});

builder.objectType(AlreadyExistsError, {
  name: "AlreadyExistsError",
  description: "Something with the same key exists already, and the input did not ask to replace it.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof AlreadyExistsError,
  fields: (t) => ({
    entity: t.exposeString("entity", { description: "What kind of object exists already." }),
  }),
});

builder.objectType(TooLargeError, {
  name: "TooLargeError",
  description: "The content is larger than the gateway accepts; nothing was stored.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof TooLargeError,
  fields: (t) => ({
    maxBytes: t.field({ type: "Long", description: "The largest size accepted, in bytes.", resolve: (error) => error.maxBytes }),
  }),
});

builder.objectType(BusyError, {
  name: "BusyError",
  description: "The gateway is too busy to take this on now (every connection for output content is in use); nothing was stored. Retry later.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof BusyError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt("retryAfterSeconds", { description: "How long to wait, at least, before retrying." }),
  }),
});

/** The error classes a result union may hold. */
export type ErrorClass =
  | typeof AlreadyExistsError
  | typeof ConflictError
  | typeof ForbiddenError
  | typeof InvalidTransitionError
  | typeof LeaseLostError
  | typeof TimeLimitExceededError
  | typeof NotFoundError
  | typeof TooLargeError
  | typeof BusyError
  | typeof ValidationError;

/**
 * The `errors` option of a mutation: it answers with its payload or with one of `types`, in a
 * union named after it (createUser -> CreateUserResult). `types` are exactly the errors its domain
 * function can throw: one it throws that is not among them would be masked as an unexpected error
 * (test/api/mutation-refusals.test.ts runs every mutation into each of its refusals). Two are kept
 * whatever the domain function does: ValidationError for a mutation that takes text (a string, an
 * ID or JSON: text PostgreSQL cannot store is refused with it), and ForbiddenError for one that
 * some authenticated callers may not call.
 */
export function mutationErrors(mutation: string, types: readonly ErrorClass[]) {
  const union = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Result`;
  return {
    types: [...types],
    directResult: true as const,
    union: { name: union, description: `What ${mutation} answers: its payload, or why nothing was changed.` },
  };
}
