import { isAppError } from '@bulkhead/errors';
import { isGrpcStatusError } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import type { TokenVerifier } from '@bulkhead/tokens';
import { registerApiKeyRoutes } from './api-keys/api-keys.routes';
import { registerAgentRoutes } from './agents/agents.routes';
import { registerAuditRoutes } from './audit/audit.routes';
import type { GatewayAudit } from './audit-events/gateway-audit';
import { registerAuthRoutes } from './auth/auth.routes';
import { registerOpsRoutes } from './http/ops.routes';
import { createApiKeyExchange } from './authentication/api-key-exchange';
import { createAuthentication, type CallerGuard } from './authentication/authentication.hooks';
import { createRequestAuthenticator } from './authentication/request-authenticator';
import { requireRouteInTable, routeAccessGuard } from './authentication/route-access.guard';
import { createHttpApp, type HttpApp } from './http/http-app';
import { registerRequestMetrics } from './http/request-metrics';
import { createIdempotency, withIdempotencyKeyHeader } from './idempotency/idempotency';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { registerInvitationRoutes } from './invitations/invitations.routes';
import { registerMemberRoutes } from './members/members.routes';
import { registerOrgRoutes } from './orgs/orgs.routes';
import { registerPlatformAuditRoutes } from './platform-audit/platform-audit.routes';
import { registerProjectRoutes } from './projects/projects.routes';
import type { AgentClient } from './upstream/agent.upstream';
import type { AuditClient } from './upstream/audit.upstream';
import type { AuthClient } from './upstream/auth.upstream';
import type { MembershipClient } from './upstream/membership.upstream';
import type { OrgClient } from './upstream/org.upstream';
import type { ProjectClient } from './upstream/project.upstream';
import type { WorkflowClient } from './upstream/workflow.upstream';
import { registerWorkflowRoutes } from './workflows/workflows.routes';

/** What the gateway's routes are built from; tests pass a local verifier and fake backends. */
export interface GatewayAppDependencies {
  logger: Logger;
  registry: Registry;
  /** Names of the backends that do not answer their health check. */
  checkReadiness: () => Promise<string[]>;
  /** The backends (and the gateway itself) serving with some of their loops down, with those loops (ADR 0012); default none. */
  checkDegraded?: () => Promise<Record<string, string[]>>;
  /** Verifies access tokens (JWKS, revocation list). */
  verifier: TokenVerifier;
  /** Checks every authenticated request passes after its token (the tenant's rate limit, the subdomain); default none. */
  callerGuards?: readonly CallerGuard[];
  /** Where `Idempotency-Key`s of authenticated POSTs are kept; default none (the header is ignored). */
  idempotencyStore?: IdempotencyStore;
  auth: AuthClient;
  org: OrgClient;
  projects: ProjectClient;
  /** The auth service's internal MembershipService (organization registry, slugs). */
  membership: MembershipClient;
  /** The audit service's reviewer API; without it `/v1/audit` answers 503. */
  audit?: AuditClient;
  /** The agent service; without it `/v1/agents` answers 503. */
  agents?: AgentClient;
  /** The workflow service; without it `/v1/workflows` and `/v1/runs` answer 503. */
  workflows?: WorkflowClient;
  /** Records the 403s the gateway answers itself as `access.denied`; default none. */
  deniedAudit?: Pick<GatewayAudit, 'denied'> | undefined;
}

/** The REST app with every route registered, not yet listening. */
export async function createGatewayApp(deps: GatewayAppDependencies): Promise<HttpApp> {
  const apiKeys = createApiKeyExchange({
    exchange: (secret, options) => deps.auth.exchangeApiKey({ secret }, options),
  });
  const idempotency = deps.idempotencyStore === undefined ? undefined : createIdempotency({ store: deps.idempotencyStore, logger: deps.logger });
  const authentication = createAuthentication(createRequestAuthenticator({ verifier: deps.verifier, apiKeys }), [...(deps.callerGuards ?? []), routeAccessGuard], idempotency);
  const app = await createHttpApp(deps.logger);
  app.addHook('onRoute', requireRouteInTable(authentication.hooks.onRequest));
  registerRequestMetrics(app, deps.registry);
  if (idempotency !== undefined) app.addHook('onRoute', withIdempotencyKeyHeader);
  const { deniedAudit } = deps;
  if (deniedAudit !== undefined) {
    app.addHook('onError', async (request, _reply, err) => {
      const caller = authentication.authenticatedCallerOf(request);
      // A backend's refusal arrives as a gRPC error and is recorded by that backend.
      if (caller === undefined || !isAppError(err) || err.kind !== 'PERMISSION_DENIED' || isGrpcStatusError(err.cause)) return;
      deniedAudit.denied(caller, { callOptions: authentication.callOptionsOf(request), route: `${request.method} ${request.routeOptions.url ?? request.url}`, error: err });
    });
  }
  registerOpsRoutes(app, { checkReadiness: deps.checkReadiness, checkDegraded: deps.checkDegraded ?? (async () => ({})) });
  registerAuthRoutes(app, { auth: deps.auth, authentication });
  registerApiKeyRoutes(app, { auth: deps.auth, authentication });
  registerOrgRoutes(app, { auth: deps.auth, org: deps.org, authentication });
  registerMemberRoutes(app, { org: deps.org, authentication });
  registerInvitationRoutes(app, { auth: deps.auth, org: deps.org, authentication });
  registerProjectRoutes(app, { projects: deps.projects, authentication });
  registerAuditRoutes(app, { audit: deps.audit, authentication });
  registerPlatformAuditRoutes(app, { audit: deps.audit, authentication });
  registerAgentRoutes(app, { agents: deps.agents, authentication });
  registerWorkflowRoutes(app, { workflows: deps.workflows, authentication });
  return app;
}
