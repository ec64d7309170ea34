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
