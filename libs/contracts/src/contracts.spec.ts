import {
  ErrorInfo,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthService,
  PageRequest,
} from './index';

describe('generated contracts', () => {
  it('round-trips an ErrorInfo through its binary encoding', () => {
    const info: ErrorInfo = {
      code: 'VALIDATION_FAILED',
      kind: 'INVALID_ARGUMENT',
      fieldViolations: [{ field: 'name', description: 'must not be empty' }],
      details: { limit: '10' },
    };

    expect(ErrorInfo.decode(ErrorInfo.encode(info).finish())).toEqual(info);
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
