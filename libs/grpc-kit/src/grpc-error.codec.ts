import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_INFO_TRAILER_KEY, ErrorInfo } from '@bulkhead/contracts';
import { AppError, ERROR_KINDS, grpcStatusOf, isAppError, kindOfGrpcStatus, type ErrorKind } from '@bulkhead/errors';

/**
 * A status ready for `@grpc/grpc-js` to send: code, client-safe details and trailers. The server
 * side produces it from an {@link AppError} in exactly one place (the error-mapping middleware).
 */
export class GrpcStatusError extends Error {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;

  constructor(code: number, details: string, metadata: Metadata) {
    super(details);
    this.name = 'GrpcStatusError';
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

/**
 * The wire form of an error: status from its kind, its safe message, ErrorInfo in the trailers.
 * The kit's servers get it from their error-mapping middleware; it is exported for a proxy
 * that answers with errors of its own (the gateway's gRPC edge).
 */
export function toGrpcStatusError(error: AppError): GrpcStatusError {
  const info: ErrorInfo = {
    code: error.code,
    kind: error.kind,
    fieldViolations: error.fieldViolations.map(({ field, description }) => ({ field, description })),
    details: { ...error.details },
  };
  const metadata = new Metadata();
  metadata.set(ERROR_INFO_TRAILER_KEY, Buffer.from(ErrorInfo.encode(info).finish()));
  return new GrpcStatusError(grpcStatusOf(error.kind), error.message, metadata);
}

/** The name of a gRPC status code (`NOT_FOUND`), for logs. */
export function grpcStatusName(code: number): string {
  return GrpcStatus[code] ?? `CODE_${code}`;
}

/** Whether `err` is a gRPC call's error (a status from a peer), e.g. the `cause` of a mapped AppError. */
export function isGrpcStatusError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

function isErrorKind(value: string): value is ErrorKind {
  return (ERROR_KINDS as readonly string[]).includes(value);
}

function readErrorInfo(metadata: Metadata | undefined): ErrorInfo | undefined {
  const raw = metadata?.get(ERROR_INFO_TRAILER_KEY)[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    return ErrorInfo.decode(raw);
  } catch {
    return undefined; // A peer that is not ours; fall back to the status alone.
  }
}

/**
 * A failed call as the {@link AppError} the server threw: kind, code, message, field violations
 * and details come back from the `bulkhead-error-bin` trailer. Without that trailer (a foreign
 * peer, or a failure inside the client such as no connection or its own deadline) the kind comes
 * from the status and the message is generic: foreign text never reaches our clients.
 */
export function fromGrpcError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (!isGrpcStatusError(err)) return new AppError({ kind: 'INTERNAL', code: 'INTERNAL', message: 'Internal error', cause: err });

  const info = readErrorInfo(err.metadata);
  const statusKind = kindOfGrpcStatus(err.code);
  if (!info) {
    return new AppError({ kind: statusKind, code: statusKind, message: `Upstream call failed: ${statusKind}`, cause: err });
  }
  // A refined kind is trusted only when it maps onto the status actually received.
  const kind = isErrorKind(info.kind) && grpcStatusOf(info.kind) === err.code ? info.kind : statusKind;
  const options = { kind, message: err.details, fieldViolations: info.fieldViolations, details: info.details, cause: err };
  try {
    return new AppError({ ...options, code: info.code });
  } catch {
    return new AppError({ ...options, code: kind }); // A malformed code from the peer.
  }
}
