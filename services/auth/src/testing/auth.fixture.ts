import path from 'node:path';
import { loadConfig } from '@bulkhead/config';
import { AuthServiceClient, MembershipServiceClient, type AuthServiceService, type MembershipServiceService } from '@bulkhead/contracts';
import { runMigrations } from '@bulkhead/database';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { authConfigShape, type AuthConfig } from '../auth.config';
import { AUTH_MIGRATIONS, identityMigrationsDir, startAuthServer, type AuthServer } from '../auth.server';
import { startFakeOrgService, type FakeOrgService } from './fake-org-service';

/** A migrated identity database, an auth service on port 0 and its clients, and a fake org service it calls. */
export interface AuthFixture {
  readonly config: AuthConfig;
  readonly server: AuthServer;
  readonly auth: GrpcClient<typeof AuthServiceService>;
  readonly membership: GrpcClient<typeof MembershipServiceService>;
  /** The identity database as its owner, to look at rows directly. */
  readonly owner: Pool;
  readonly org: FakeOrgService;
  stop(): Promise<void>;
}

/** No project service runs beside the auth fixture: keys bound to a project are tested end to end (tools/e2e). */
const NO_PROJECT_SERVICE = '127.0.0.1:9';

/**
 * Starts the fixture from a service environment (the devstack's, as `toServiceEnvironment`
 * gives it) with the repository's `services/` folder; `overrides` win over both. The fake org
 * service verifies auth's service tokens as the real one does (JWKS over gRPC, revocation list).
 */
export async function startAuthFixture(environment: Record<string, string | undefined>, servicesDir: string, overrides: Record<string, string> = {}): Promise<AuthFixture> {
  await runMigrations({
    databaseUrl: environment['IDENTITY_DATABASE_OWNER_URL'] ?? '',
    migrationsDir: identityMigrationsDir(servicesDir),
    scope: AUTH_MIGRATIONS.scope,
  });
  // The audit outbox auth records its events in (the audit service's identity migrations).
  await runMigrations({
    databaseUrl: environment['IDENTITY_DATABASE_OWNER_URL'] ?? '',
    migrationsDir: path.join(servicesDir, 'audit', 'migrations', 'identity'),
    scope: 'audit',
  });
  const logger = createLogger({ service: 'auth-int', level: 'silent' });
  const org = await startFakeOrgService(logger);
  const config = loadConfig(authConfigShape, { ...environment, GRPC_PORT: '0', MIGRATIONS_DIR: servicesDir, ORG_GRPC_ADDRESS: org.address, PROJECT_GRPC_ADDRESS: NO_PROJECT_SERVICE, ...overrides });
  const server = await startAuthServer(config, { logger, registry: createMetricsRegistry('auth') });
  const address = `127.0.0.1:${server.port}`;
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const authentication = createServiceAuthentication({ issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, authAddress: address, redis });
  org.verifier = authentication.verifier;
  const owner = new Pool({ connectionString: environment['IDENTITY_DATABASE_OWNER_URL'], max: 2 });
  const auth = createGrpcClient(AuthServiceClient, address, { defaultDeadlineMs: 10_000 });
  const membership = createGrpcClient(MembershipServiceClient, address, { defaultDeadlineMs: 10_000 });
  return {
    config,
    server,
    auth,
    membership,
    owner,
    org,
    async stop() {
      closeGrpcClient(auth);
      closeGrpcClient(membership);
      authentication.close();
      await server.stop(1000);
      await org.stop();
      redis.disconnect();
      await owner.end();
    },
  };
}
