import path from 'node:path';
import { createAccessDeniedAuditMiddleware, identityAuditRecorder } from '@bulkhead/audit';
import { AuthServiceService, MembershipServiceService, WorkloadTokenServiceService } from '@bulkhead/contracts';
import { assertMigrated } from '@bulkhead/database';
import { composeServerMiddleware, createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createRedisRevocationList, createTokenIssuer, createTokenVerifier, createVerifiedTokenCache, createAuthMiddleware } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { createApiKeysService } from './api-keys/api-keys.service';
import { createProjectLookup } from './api-keys/project-lookup';
import type { AuthConfig } from './auth.config';
import { createAuthHandlers, PUBLIC_AUTH_METHODS } from './auth.handlers';
import { createMembersService } from './members/members.service';
import { createMembershipHandlers } from './membership.handlers';
import { createOrgServiceCalls } from './organizations/org-service.client';
import { createOrganizationsService } from './organizations/organizations.service';
import { createPasswordHasher } from './passwords/password-hasher';
import { createSessionsService } from './sessions/sessions.service';
import { openKeyRing } from './signing-keys/key-ring';
import { createPgSigningKeyStore } from './signing-keys/pg-signing-key.store';
import { createServiceTokens } from './service-tokens/service-tokens';
import { createWorkloadTokenHandlers, PUBLIC_WORKLOAD_METHODS } from './service-tokens/workload-tokens';
import { createLoginThrottle } from './throttling/login-throttle';

/** The auth service's migrations scope, and where its identity-database migrations live. */
export const AUTH_MIGRATIONS = { scope: 'auth', target: 'identity' } as const;

export function identityMigrationsDir(migrationsRoot: string): string {
  return path.resolve(migrationsRoot, 'auth', 'migrations', AUTH_MIGRATIONS.target);
}

/** A started auth service; `port` is the bound gRPC port (useful with port 0 in tests). */
export interface AuthServer extends RunningService {
  port: number;
}

/**
 * The auth service: refuses to start unless the identity database is migrated, loads (or
 * creates) the signing keys, then serves AuthService with every RPC but the public ones behind
 * token verification against its own keys and the shared revocation list; and the internal
 * MembershipService behind the same verification.
 */
export async function startAuthServer(config: AuthConfig, { logger, registry }: Pick<ServiceDependencies, 'logger' | 'registry'>): Promise<AuthServer> {
  await assertMigrated({
    shards: [{ id: 'identity', url: config.IDENTITY_DATABASE_URL }],
    migrationsDir: identityMigrationsDir(config.MIGRATIONS_DIR),
    scope: AUTH_MIGRATIONS.scope,
  });
  const pool = new Pool({ connectionString: config.IDENTITY_DATABASE_URL, max: config.IDENTITY_DATABASE_POOL_SIZE, connectionTimeoutMillis: 2000 });
  pool.on('error', (err) => logger.warn({ err }, 'idle identity-database connection failed'));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();

  const ring = await openKeyRing({
    store: createPgSigningKeyStore(pool, config.SIGNING_KEY_ENCRYPTION_KEY),
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    activationDelaySeconds: config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS,
    reloadIntervalMs: config.SIGNING_KEY_RELOAD_INTERVAL_MS,
    logger,
  });
  const issuer = createTokenIssuer({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    keys: () => ring.activeKey(),
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const revocations = createRedisRevocationList(redis);
  const verifier = createTokenVerifier({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    jwks: ring.jwksSource,
    isRevoked: (sessionId, tokenId) => revocations.isRevoked(sessionId, tokenId),
    cache: createVerifiedTokenCache(),
  });

  const serviceTokens = createServiceTokens(issuer);
  const org = createOrgServiceCalls(config.ORG_GRPC_ADDRESS, serviceTokens);
  const organizations = createOrganizationsService({ pool, org });
  const sessions = createSessionsService({
    pool,
    hasher: createPasswordHasher(),
    issuer,
    revocations,
    organizations,
    throttle: createLoginThrottle(redis, {
      maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      accountWindowSeconds: config.LOGIN_ACCOUNT_WINDOW_SECONDS,
      maxAttemptsPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
      ipWindowSeconds: config.LOGIN_IP_WINDOW_SECONDS,
    }),
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  });
  const projects = createProjectLookup(config.PROJECT_GRPC_ADDRESS);
  const apiKeys = createApiKeysService({ pool, issuer, revocations, projects, accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS });

  const authentication = createAuthMiddleware({ verifier, publicMethods: new Set([...PUBLIC_AUTH_METHODS, ...PUBLIC_WORKLOAD_METHODS]) });
  const deniedAccess = createAccessDeniedAuditMiddleware({ record: identityAuditRecorder(pool), logger });
  const server = createGrpcServer({ logger, registry, middleware: composeServerMiddleware(authentication, deniedAccess) });
  server.addService(AuthServiceService, createAuthHandlers({ sessions, apiKeys, organizations, jwks: () => ring.jwks() }));
  server.addService(MembershipServiceService, createMembershipHandlers(createMembersService({ pool, revokeAccessTokens: sessions.revokeAccessTokens })));
  server.addService(
    WorkloadTokenServiceService,
    createWorkloadTokenHandlers({
      keys: config.WORKLOAD_KEYS,
      serviceTokens,
      organizationExists: async (tenantId) => (await pool.query('SELECT 1 FROM organizations WHERE id = $1', [tenantId])).rowCount === 1,
    }),
  );
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'auth gRPC listening');

  return {
    port,
    checkReadiness: async () => {
      const down: string[] = [];
      await pool.query('SELECT 1').catch(() => down.push('identity-database'));
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    stop: async (graceMs) => {
      await server.shutdown({ timeoutMs: graceMs });
      ring.close();
      org.close();
      projects.close();
      redis.disconnect();
      await pool.end();
    },
  };
}
