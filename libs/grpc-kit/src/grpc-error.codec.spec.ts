import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_INFO_TRAILER_KEY, ErrorInfo } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { fromGrpcError, toGrpcStatusError } from './grpc-error.codec';

function serviceError(code: number, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

describe('gRPC error codec', () => {
  it('round-trips an AppError through status and trailer', () => {
    const original = new AppError({
      kind: 'RATE_LIMITED',
      code: 'TOO_MANY_REQUESTS',
      message: 'Slow down',
      details: { retryAfterSeconds: '3' },
    });
    const wire = toGrpcStatusError(original);
    expect(wire.code).toBe(status.RESOURCE_EXHAUSTED);

    const back = fromGrpcError(serviceError(wire.code, wire.details, wire.metadata));
    expect(back).toMatchObject({ kind: 'RATE_LIMITED', code: 'TOO_MANY_REQUESTS', message: 'Slow down', details: { retryAfterSeconds: '3' } });
  });

  it('keeps a foreign peer text out of the message when there is no Bulkhead trailer', () => {
    const back = fromGrpcError(serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 10.1.2.3:50051'));
    expect(back).toMatchObject({ kind: 'UNAVAILABLE', code: 'UNAVAILABLE', message: 'Upstream call failed: UNAVAILABLE' });
    expect(back.message).not.toContain('10.1.2.3');
  });

  it('trusts the trailer kind only when it matches the status, and repairs a malformed code', () => {
    const metadata = new Metadata();
    const info = ErrorInfo.encode({ code: 'not snake', kind: 'QUOTA_EXCEEDED', fieldViolations: [], details: {} }).finish();
    metadata.set(ERROR_INFO_TRAILER_KEY, Buffer.from(info));

    const back = fromGrpcError(serviceError(status.NOT_FOUND, 'Gone', metadata));
    expect(back).toMatchObject({ kind: 'NOT_FOUND', code: 'NOT_FOUND', message: 'Gone' });
  });

  it('treats anything that is not a gRPC error as INTERNAL', () => {
    expect(fromGrpcError('boom')).toMatchObject({ kind: 'INTERNAL', message: 'Internal error' });
  });
});
