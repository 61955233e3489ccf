import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { SERVICE_ROLE } from '@bulkhead/permissions';
import { bearerMetadata, type TokenIssuer } from '@bulkhead/tokens';

/** The `sub` of every service token: the auth service acting for itself. */
export const SERVICE_TOKEN_SUBJECT = 'auth';

/** Service tokens serve one call; a minute covers the call and any clock skew. */
export const SERVICE_TOKEN_TTL_SECONDS = 60;

/** Mints the one-call tokens auth sends when it asks another service to act for a tenant. */
export interface ServiceTokens {
  /** `authorization: Bearer <token>` metadata for one call on behalf of `tenantId`. */
  metadataFor(tenantId: string): Promise<Metadata>;
  /** A token for a platform workload (`sub` = its name) acting for `tenantId` (ADR 0006). */
  tokenFor(tenantId: string, subject: string): Promise<{ token: string; expiresIn: number }>;
}

/**
 * Service tokens (ADR 0004): `pty: service`, `sub: auth` (or the workload's name),
 * `role: service`, `tid` = the tenant, a fresh `sid` (nothing to revoke: they expire within a
 * minute), no scopes.
 */
export function createServiceTokens(issuer: TokenIssuer, ttlSeconds = SERVICE_TOKEN_TTL_SECONDS): ServiceTokens {
  const tokenFor = async (tenantId: string, subject: string) => {
    const { token } = await issuer.issueAccessToken({
      sub: subject,
      tid: tenantId,
      role: SERVICE_ROLE,
      sid: randomUUID(),
      scope: [],
      principalType: 'service',
      ttlSeconds,
    });
    return { token, expiresIn: ttlSeconds };
  };
  return {
    metadataFor: async (tenantId) => bearerMetadata((await tokenFor(tenantId, SERVICE_TOKEN_SUBJECT)).token),
    tokenFor,
  };
}
