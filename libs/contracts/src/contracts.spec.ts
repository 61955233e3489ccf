import {
  ErrorDetail,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthService,
  PageRequest,
} from './index';

describe('generated contracts', () => {
  it('round-trips an ErrorDetail through its binary encoding', () => {
    const detail: ErrorDetail = {
      kind: 'INVALID_ARGUMENT',
      code: 'VALIDATION_FAILED',
      message: 'Invalid request: name: must not be empty',
      fieldViolations: [{ field: 'name', description: 'must not be empty' }],
      details: { limit: '10' },
    };

    expect(ErrorDetail.decode(ErrorDetail.encode(detail).finish())).toEqual(detail);
  });

  it('fills proto3 defaults for absent fields', () => {
    expect(PageRequest.decode(new Uint8Array())).toEqual({ pageSize: 0, cursor: '' });
  });

  it('keeps the standard health service path so stock probes reach it', () => {
    expect(HealthService.check.path).toBe('/grpc.health.v1.Health/Check');
    expect(HealthService.watch.path).toBe('/grpc.health.v1.Health/Watch');
    expect(HealthService.watch.responseStream).toBe(true);
    const bytes = HealthCheckResponse.encode({ status: HealthCheckResponse_ServingStatus.SERVING }).finish();
    expect(HealthCheckResponse.decode(bytes).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
