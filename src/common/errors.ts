/**
 * Errors a client can see. Each class has a stable `code` and maps to exactly one row of the
 * docs/api.md §1.4 table; the HTTP layer turns them into the Drove envelope. Throw these from
 * anywhere in the controller (validation, command handling); never let a bad input become a 500.
 */

export abstract class CorralError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
}

/** A 400 that lists what is wrong (`validationErrors`); the subclass says which kind. */
export abstract class ValidationFailure extends CorralError {
  readonly httpStatus = 400;
  readonly validationErrors: string[];
  constructor(validationErrors: string[] | string) {
    const list = Array.isArray(validationErrors) ? validationErrors : [validationErrors];
    super(list.join('; '));
    this.validationErrors = list;
  }
}

/** 400 `Command validation failure` with `validationErrors` (constraint or command rejection). */
export class CommandValidationError extends ValidationFailure {
  readonly code = 'COMMAND_VALIDATION';
}

/** 400 `JSON validation failure`: malformed JSON, wrong JSON type, unknown discriminator, bad duration. */
export class JsonValidationError extends ValidationFailure {
  readonly code = 'JSON_VALIDATION';
}

/** 200 with `status: FAILED` and a specific message (single-object lookup of an unknown id, etc.). */
export class LookupFailedError extends CorralError {
  readonly code = 'LOOKUP_FAILED';
  readonly httpStatus: number;
  readonly data: unknown;
  constructor(message: string, options: { httpStatus?: number; data?: unknown } = {}) {
    super(message);
    this.httpStatus = options.httpStatus ?? 200;
    this.data = options.data;
  }
}

/** 400 `FAILED` with a bare message and no data (e.g. `Current operation could not be cancelled`). */
export class PlainFailureError extends CorralError {
  readonly code = 'PLAIN_FAILURE';
  readonly httpStatus = 400;
}

export class NotLeaderError extends CorralError {
  readonly code = 'NOT_LEADER';
  readonly httpStatus = 400;
  constructor() {
    super('This node is not the leader controller');
  }
}

export class UnauthorizedError extends CorralError {
  readonly code = 'UNAUTHORIZED';
  readonly httpStatus = 401;
  constructor(message = 'Authentication required: send HTTP basic credentials') {
    super(message);
  }
}

export class ForbiddenError extends CorralError {
  readonly code = 'FORBIDDEN';
  readonly httpStatus = 403;
  constructor(message = 'Your role does not allow this request') {
    super(message);
  }
}

export class NotFoundError extends CorralError {
  readonly code = 'NOT_FOUND';
  readonly httpStatus = 404;
}

/**
 * 503: the controller's store cannot take writes right now (disk full, database down or locked).
 * Nothing the request asked for was changed; the client may retry once the store has recovered.
 */
export class StoreUnavailableError extends CorralError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly httpStatus = 503;
  /** What the database said, in a few words (`database or disk is full`). */
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`The controller's store is unavailable (${reason}); nothing was changed. Retry once it has recovered.`, options);
    this.reason = reason;
  }
}

export const MAINTENANCE_MESSAGE = 'Cluster is in maintenance mode';

/** 415: a request body in a type other than JSON (docs/security.md, cross-site requests). */
export class UnsupportedMediaTypeError extends CorralError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly httpStatus = 415;
}

/** 429: too many of something from one client (failed logins, open streams, downloads). */
export class TooManyRequestsError extends CorralError {
  readonly code = 'TOO_MANY_REQUESTS';
  readonly httpStatus = 429;
  /** Seconds after which trying again can succeed (the `Retry-After` header), when known. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
