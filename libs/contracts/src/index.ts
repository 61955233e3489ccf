// The public surface of the generated contracts: each name re-exported explicitly, so adding a
// proto message is a deliberate change here too.
export {
  ApiKey,
  AuthServiceClient,
  AuthServiceService,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  ExchangeApiKeyRequest,
  ExchangeApiKeyResponse,
  GetJwksRequest,
  GetJwksResponse,
  GetMeRequest,
  GetMeResponse,
  Jwk,
  ListApiKeysRequest,
  ListApiKeysResponse,
  LoginRequest,
  LoginResponse,
  LogoutRequest,
  LogoutResponse,
  Membership,
  Organization,
  RefreshRequest,
  RefreshResponse,
  RevokeApiKeyRequest,
  RevokeApiKeyResponse,
  SignUpRequest,
  SignUpResponse,
  SwitchOrgRequest,
  SwitchOrgResponse,
  TokenPair,
  User,
} from './generated/bulkhead/auth/v1/auth_service';
export { ErrorInfo, FieldViolation } from './generated/bulkhead/common/v1/error_info';
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
export { ERROR_INFO_TRAILER_KEY } from './error-info.constants';
export { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY } from './client-metadata.constants';
