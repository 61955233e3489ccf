import { toAppError, type ErrorKind } from './app-error';

const HTTP_STATUS: Record<ErrorKind, number> = {
  CANCELLED: 499,
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  QUOTA_EXCEEDED: 402,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RESOURCE_EXHAUSTED: 429,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTTP status for a kind. */
export function httpStatusOf(kind: ErrorKind): number {
  return HTTP_STATUS[kind];
}

/** An RFC 9457 problem document, as Bulkhead's REST API answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

/** Media type of {@link Problem} bodies. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Any thrown value as a problem document. Unknown errors become a bare 500: their message and
 * stack stay in the logs. Details of an AppError (`limit`, `plan`, …) become extension members.
 */
export function toProblem(err: unknown, context: { requestId?: string } = {}): Problem {
  const appError = toAppError(err);
  const status = httpStatusOf(appError.kind);
  const problem: Problem = {
    ...appError.details,
    type: `urn:bulkhead:problem:${appError.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: appError.message,
    code: appError.code,
  };
  if (context.requestId !== undefined) problem.requestId = context.requestId;
  if (appError.fieldViolations.length > 0) {
    problem.errors = appError.fieldViolations.map((v) => ({ field: v.field, message: v.description }));
  }
  return problem;
}
