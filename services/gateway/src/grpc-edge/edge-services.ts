import {
  AgentServiceService,
  AuditReviewServiceService,
  AuthServiceService,
  OrgServiceService,
  ProjectServiceService,
  WorkflowServiceService,
} from '@bulkhead/contracts';
import type { AnyServiceDefinition } from '@bulkhead/grpc-kit';

/** The backends the edge forwards to, by the name their address is configured under. */
export type EdgeBackend = 'auth' | 'org' | 'project' | 'workflow' | 'agent' | 'audit';

/** A service the edge exposes: every unary and server-streaming method forwarded to `backend`. */
export interface EdgeService {
  readonly definition: AnyServiceDefinition;
  readonly backend: EdgeBackend;
  /** Methods (client names) callable without a token. */
  readonly publicMethods: ReadonlySet<string>;
}

const edgeService = <Def extends AnyServiceDefinition>(
  definition: Def,
  backend: EdgeBackend,
  publicMethods: readonly (keyof Def & string)[] = [],
): EdgeService => ({ definition, backend, publicMethods: new Set(publicMethods) });

/**
 * What the gRPC edge exposes; a new service adds a row. Internal-only services (auth's
 * `MembershipService`) have no row, so the edge answers UNIMPLEMENTED for them. RPCs only a
 * service token may call (`OrgService.ProvisionOrganization`, `RedeemInvitation`) are forwarded
 * but cannot succeed: the edge refuses service tokens and the org service every other caller.
 */
export const EDGE_SERVICES: readonly EdgeService[] = [
  edgeService(AuthServiceService, 'auth', ['signUp', 'login', 'refresh', 'exchangeApiKey', 'getJwks']),
  edgeService(OrgServiceService, 'org'),
  edgeService(ProjectServiceService, 'project'),
  edgeService(WorkflowServiceService, 'workflow'),
  edgeService(AgentServiceService, 'agent'),
  edgeService(AuditReviewServiceService, 'audit'),
];
