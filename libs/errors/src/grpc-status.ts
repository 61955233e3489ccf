import type { ErrorKind } from './app-error';

/** gRPC status codes by name (numbers from the gRPC specification). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const REFINED_KIND_TO_GRPC: Partial<Record<ErrorKind, number>> = {
  QUOTA_EXCEEDED: GRPC_STATUS.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GRPC_STATUS.RESOURCE_EXHAUSTED,
  PAYLOAD_TOO_LARGE: GRPC_STATUS.RESOURCE_EXHAUSTED,
  UNPROCESSABLE: GRPC_STATUS.INVALID_ARGUMENT,
  METHOD_NOT_ALLOWED: GRPC_STATUS.UNIMPLEMENTED,
  NOT_ACCEPTABLE: GRPC_STATUS.INVALID_ARGUMENT,
  URI_TOO_LONG: GRPC_STATUS.INVALID_ARGUMENT,
  UNSUPPORTED_MEDIA_TYPE: GRPC_STATUS.INVALID_ARGUMENT,
};

/** The gRPC status code for a kind. */
export function grpcStatusOf(kind: ErrorKind): number {
  const refined = REFINED_KIND_TO_GRPC[kind];
  if (refined !== undefined) return refined;
  return GRPC_STATUS[kind as keyof typeof GRPC_STATUS];
}

const GRPC_TO_KIND = new Map<number, ErrorKind>(
  Object.entries(GRPC_STATUS)
    .filter(([name]) => name !== 'OK' && name !== 'UNKNOWN' && name !== 'DATA_LOSS')
    .map(([name, code]) => [code, name as ErrorKind]),
);

/**
 * The kind for a gRPC status received without Bulkhead error details (a peer that is not
 * ours, or a transport failure). UNKNOWN and DATA_LOSS count as INTERNAL.
 */
export function kindOfGrpcStatus(code: number): ErrorKind {
  return GRPC_TO_KIND.get(code) ?? 'INTERNAL';
}
