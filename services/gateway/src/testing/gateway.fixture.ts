import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp, type GatewayAppDependencies } from '../gateway.app';
import type { HttpApp } from '../http/http-app';
import { createAuthUpstream } from '../upstream/auth.upstream';
import { createMembershipUpstream } from '../upstream/membership.upstream';
import { createOrgUpstream } from '../upstream/org.upstream';
import { createProjectUpstream } from '../upstream/project.upstream';
import { startFakeAuthService, type FakeAuthService } from './fake-auth-service';
import { startFakeOrgService, type FakeOrgService } from './fake-org-service';
import { startFakeProjectService, type FakeProjectService } from './fake-project-service';
import { createTestTokens, type TestTokens } from './test-tokens';

/** The gateway app (driven with `inject`) in front of fake auth, org and project services. */
export interface GatewayFixture {
  readonly app: HttpApp;
  /** The fake auth service. */
  readonly fake: FakeAuthService;
  readonly orgService: FakeOrgService;
  readonly projectService: FakeProjectService;
  readonly tokens: TestTokens;
  close(): Promise<void>;
}

const UPSTREAM_DEADLINE_MS = 2000;

/** The backends' clients the gateway app takes, and how to close them all. */
export interface UpstreamClients {
  readonly clients: Pick<GatewayAppDependencies, 'auth' | 'org' | 'projects' | 'membership'>;
  close(): void;
}

/** Clients of the backends at these addresses (MembershipService is the auth service's). */
export function createUpstreamClients(addresses: { auth: string; org: string; project: string }, deadlineMs = UPSTREAM_DEADLINE_MS): UpstreamClients {
  const auth = createAuthUpstream(addresses.auth, deadlineMs);
  const org = createOrgUpstream(addresses.org, deadlineMs);
  const projects = createProjectUpstream(addresses.project, deadlineMs);
  const membership = createMembershipUpstream(addresses.auth, deadlineMs);
  return {
    clients: { auth: auth.client, org: org.client, projects: projects.client, membership: membership.client },
    close: () => {
      for (const upstream of [auth, org, projects, membership]) upstream.close();
    },
  };
}

/**
 * Starts the fake backends and builds the gateway's app against them with a local verifier;
 * `options` adds the optional collaborators (an idempotency store, the recorder of denials).
 */
export async function createGatewayFixture(options: Pick<GatewayAppDependencies, 'idempotencyStore' | 'deniedAudit'> = {}): Promise<GatewayFixture> {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const tokens = await createTestTokens();
  const [fake, orgService, projectService] = await Promise.all([
    startFakeAuthService(logger, tokens),
    startFakeOrgService(logger, tokens),
    startFakeProjectService(logger, tokens),
  ]);
  const upstreams = createUpstreamClients({ auth: fake.address, org: orgService.address, project: projectService.address });
  const app = await createGatewayApp({
    logger,
    registry: createMetricsRegistry('gateway'),
    checkReadiness: async () => [],
    verifier: tokens.verifier,
    ...upstreams.clients,
    ...options,
  });
  await app.ready();
  return {
    app,
    fake,
    orgService,
    projectService,
    tokens,
    close: async () => {
      await app.close();
      upstreams.close();
      await Promise.all([fake.stop(), orgService.stop(), projectService.stop()]);
    },
  };
}
