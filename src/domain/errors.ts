// Errors the domain raises on purpose. The GraphQL edge maps them to schema types; anything else
// is unexpected and stays masked.

export class DomainError extends Error {}

/** A field path and what is wrong with the value found there. */
export type FieldError = { path: string[]; message: string };

export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = "ValidationError";
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} was not found`);
    this.name = "NotFoundError";
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  constructor(message = "you may not do this") {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** The action is not allowed from the job's current state; nothing was changed. */
export class InvalidTransitionError extends DomainError {
  constructor(
    readonly from: string,
    readonly action: string,
    detail?: string,
  ) {
    super(detail ?? `cannot ${action} a job that is ${from}`);
    this.name = "InvalidTransitionError";
  }
}

/** The caller's lease on the job is gone (expired and reclaimed, or the job was acquired again). */
export class LeaseLostError extends DomainError {
  constructor(message = "the lease on this job is no longer held: another acquisition replaced it, or it expired") {
    super(message);
    this.name = "LeaseLostError";
  }
}

/** The object changed since the caller read it (compare-and-set failed). */
export class ConflictError extends DomainError {
  constructor(
    message: string,
    readonly currentVersion: number,
  ) {
    super(message);
    this.name = "ConflictError";
  }
}

/** Something with this key exists already, and the caller did not ask to replace it. */
export class AlreadyExistsError extends DomainError {
  constructor(
    readonly entity: string,
    readonly key: string,
    detail?: string,
  ) {
    super(detail ?? `${entity} ${key} exists already`);
    this.name = "AlreadyExistsError";
  }
}

/** The content is larger than the configured limit; nothing was stored. */
export class TooLargeError extends DomainError {
  constructor(readonly maxBytes: number) {
    super(`the content is larger than the limit of ${maxBytes} bytes`);
    this.name = "TooLargeError";
  }
}

/**
 * The gateway cannot take this on now (its connections for output content are all busy, or its
 * output store does not answer); nothing was stored.
 */
export class BusyError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    why = "the gateway is busy with other uploads and downloads",
  ) {
    super(`${why}; retry in ${retryAfterSeconds} seconds or later`);
    this.name = "BusyError";
  }
}

/** Which limit an attempt or a task's run went past. */
export type TimeLimit = "JOB_TIME_LIMIT" | "TASK_TIME_LIMIT" | "DEADLINE";

/**
 * The holder's work ran past a time limit and the gateway ended it: the job's attempt (its lease
 * with it), a task's run, or the whole job at its deadline. Stop working on it.
 */
export class TimeLimitExceededError extends DomainError {
  constructor(
    readonly limit: TimeLimit,
    readonly limitSeconds: number | null,
    readonly exceededAt: Date,
    message: string,
  ) {
    super(message);
    this.name = "TimeLimitExceededError";
  }
}

/**
 * A resume cursor older than the event history kept (JOBGRAPH_EVENT_RETENTION): events after it
 * were deleted, so a stream from it would have a gap. The client reloads what it shows and
 * subscribes afresh.
 */
export class HistoryExpiredError extends DomainError {
  constructor() {
    super("events after this cursor were deleted (the gateway keeps events for JOBGRAPH_EVENT_RETENTION): reload what you show, then subscribe again without `after`");
    this.name = "HistoryExpiredError";
  }
}
