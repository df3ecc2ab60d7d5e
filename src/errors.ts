/**
 * Expected failures. Every error a client may act on is an {@link AppError}: it carries a stable `code`, a
 * human-readable `message` and, for bad input, the `field` at fault. Resolvers either return it as a member of a
 * mutation's result union (Pothos errors plugin) or throw it, in which case it reaches the client as a GraphQL error
 * with `extensions.code` and `extensions.field`. Anything else thrown is unexpected and masked.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    /** Stable, SCREAMING_SNAKE_CASE; clients switch on it. */
    readonly code: string,
    message: string,
    /** The input field at fault, as a dotted path from the operation's arguments (e.g. `input.amount`). */
    readonly field?: string,
    /** Extra facts a client needs to act (e.g. the notice a paused product shows); merged into `extensions`. */
    readonly details?: Record<string, string | number | boolean | null>,
  ) {
    super(message);
  }
}

/** Bad input: a value that is missing, malformed or out of range. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(field: string, message: string, code = 'VALIDATION_FAILED') {
    super(code, message, field);
  }
}

/** Something that does not exist, or that the viewer may not see (the two are deliberately indistinguishable). */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(what: string, field?: string, code = 'NOT_FOUND') {
    super(code, `${what} was not found`, field);
  }
}

/** The viewer is not logged in, or its session is not valid. */
export class UnauthenticatedError extends AppError {
  override name = 'UnauthenticatedError';
  constructor(message = 'You must be logged in', code = 'UNAUTHENTICATED') {
    super(code, message);
  }
}

/** The viewer is known but may not do this. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor(message = 'You are not allowed to do this', code = 'FORBIDDEN') {
    super(code, message);
  }
}
