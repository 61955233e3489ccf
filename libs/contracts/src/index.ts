// The public surface of the generated contracts: each name re-exported explicitly, so adding a
// proto message is a deliberate change here too.
export { ErrorDetail, FieldViolation } from './generated/bulkhead/common/v1/error_detail';
export { PageRequest, PageResponse } from './generated/bulkhead/common/v1/pagination';
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  HealthListRequest,
  HealthListResponse,
  HealthService,
} from './generated/grpc/health/v1/health';
export type { HealthServer } from './generated/grpc/health/v1/health';
export { ERROR_DETAIL_TRAILER_KEY } from './error-detail.constants';
