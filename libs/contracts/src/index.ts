import * as agentV1 from './generated/bulkhead/agent/v1/agent_service';
import * as auditV1 from './generated/bulkhead/audit/v1/audit_review_service';
import * as membershipV1 from './generated/bulkhead/auth/v1/membership_service';
import * as orgV1 from './generated/bulkhead/org/v1/org_service';
import * as workflowV1 from './generated/bulkhead/workflow/v1/workflow_service';

// The public surface of the generated contracts: each name re-exported explicitly, so adding a
// proto message is a deliberate change here too.
export {
  ApiKey,
  AuthServiceClient,
  AuthServiceService,
  AcceptInvitationRequest,
  AcceptInvitationResponse,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  CreateOrganizationRequest,
  CreateOrganizationResponse,
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
export { MembershipServiceClient, MembershipServiceService } from './generated/bulkhead/auth/v1/membership_service';
export { OrgServiceClient, OrgServiceService } from './generated/bulkhead/org/v1/org_service';
export {
  MintServiceTokenRequest,
  MintServiceTokenResponse,
  WorkloadTokenServiceClient,
  WorkloadTokenServiceService,
} from './generated/bulkhead/auth/v1/workload_token_service';
export { WorkflowServiceClient, WorkflowServiceService } from './generated/bulkhead/workflow/v1/workflow_service';
// Message names of these packages overlap (Member, Organization, …): import them namespaced,
// `membershipV1.Member`, `orgV1.Organization`.
export { AgentServiceClient, AgentServiceService } from './generated/bulkhead/agent/v1/agent_service';
export { agentV1, membershipV1, orgV1, workflowV1 };
export { AuditReviewServiceClient, AuditReviewServiceService } from './generated/bulkhead/audit/v1/audit_review_service';
// Audit messages (AuditEvent, …) would shadow @bulkhead/audit's names: import them namespaced,
// `auditV1.AuditEvent`.
export { auditV1 };
export {
  CreateProjectRequest,
  CreateProjectResponse,
  DeleteProjectRequest,
  DeleteProjectResponse,
  GetProjectRequest,
  GetProjectResponse,
  GetProjectUsageRequest,
  GetProjectUsageResponse,
  ListProjectMembersRequest,
  ListProjectMembersResponse,
  ListProjectsRequest,
  ListProjectsResponse,
  Project,
  ProjectMember,
  ProjectServiceClient,
  ProjectServiceService,
  RemoveProjectMemberRequest,
  RemoveProjectMemberResponse,
  SetProjectMemberRequest,
  SetProjectMemberResponse,
  UpdateProjectRequest,
  UpdateProjectResponse,
} from './generated/bulkhead/project/v1/project_service';
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
export { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY, WORKLOAD_KEY_METADATA_KEY } from './client-metadata.constants';
