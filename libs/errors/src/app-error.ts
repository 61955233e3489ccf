/**
 * What went wrong, in terms every transport understands. The first group mirrors the gRPC
 * status codes one to one; the refinements below them keep a distinction HTTP clients see
 * (402 vs 429, 413, 422) while still mapping onto one gRPC code.
 */
export const ERROR_KINDS = [
  'CANCELLED',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'UNAUTHENTICATED',
  // Refinements: a plan limit (402), a rate limit (429), a body too large (413), a request that
  // parses but means nothing valid (422); and the HTTP edge's own refusals of a request's form: a
  // method the path does not route (405), an Accept it cannot meet (406), a path too long (414),
  // a body that is not JSON (415).
  'QUOTA_EXCEEDED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE',
  'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE',
  'URI_TOO_LONG',
  'UNSUPPORTED_MEDIA_TYPE',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** One problem with one input field, named by its path (`steps[2].agentId`). */
export interface FieldViolation {
  field: string;
  description: string;
}

export interface AppErrorOptions {
  kind: ErrorKind;
  /** Stable identifier clients may branch on, SCREAMING_SNAKE_CASE (`PROJECT_NOT_FOUND`). */
  code: string;
  /** Safe to show to the client: no internals, no other tenant's data. */
  message: string;
  fieldViolations?: readonly FieldViolation[];
  /** Extra machine-readable facts safe for clients (`limit`, `plan`, `retryAfterSeconds`). */
  details?: Readonly<Record<string, string>>;
  /** The underlying failure, for logs only; never sent to clients. */
  cause?: unknown;
}

const CODE_PATTERN = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/**
 * The one error type of Bulkhead. Domain code throws it; each transport maps it once
 * (gRPC in `@bulkhead/grpc-kit`, HTTP via {@link toProblem}).
 */
export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly fieldViolations: readonly FieldViolation[];
  readonly details: Readonly<Record<string, string>>;

  constructor(options: AppErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!CODE_PATTERN.test(options.code)) {
      throw new TypeError(`error code must be SCREAMING_SNAKE_CASE, got "${options.code}"`);
    }
    this.name = 'AppError';
    this.kind = options.kind;
    this.code = options.code;
    this.fieldViolations = options.fieldViolations ?? [];
    this.details = options.details ?? {};
  }
}

/** True for an {@link AppError}, also across copies of this module. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError || (value instanceof Error && value.name === 'AppError' && 'kind' in value);
}

/** Every unexpected failure looks the same to a client: nothing about it leaks. */
export function internalError(cause: unknown): AppError {
  return new AppError({ kind: 'INTERNAL', code: 'INTERNAL', message: 'Internal error', cause });
}

/** The error as an {@link AppError}: itself if it is one, otherwise a generic INTERNAL. */
export function toAppError(err: unknown): AppError {
  return isAppError(err) ? err : internalError(err);
}

/** Input that fails validation, with one violation per field. */
export function invalidArgument(fieldViolations: readonly FieldViolation[], message?: string): AppError {
  const summary = fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return new AppError({
    kind: 'INVALID_ARGUMENT',
    code: 'VALIDATION_FAILED',
    message: message ?? `Invalid request: ${summary}`,
    fieldViolations,
  });
}

/**
 * The answer for an id that does not exist AND for another tenant's id: the two must be
 * indistinguishable, so the message names only the resource type.
 */
export function notFound(resourceType: string, code?: string): AppError {
  return new AppError({
    kind: 'NOT_FOUND',
    code: code ?? `${resourceType.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_NOT_FOUND`,
    message: `${resourceType} not found`,
  });
}
