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
}

/**
 * Service tokens (ADR 0004): `pty: service`, `sub: auth`, `role: service`, `tid` = the
 * tenant, a fresh `sid` (nothing to revoke: they expire within a minute), no scopes.
 */
export function createServiceTokens(issuer: TokenIssuer, ttlSeconds = SERVICE_TOKEN_TTL_SECONDS): ServiceTokens {
  return {
    async metadataFor(tenantId) {
      const { token } = await issuer.issueAccessToken({
        sub: SERVICE_TOKEN_SUBJECT,
        tid: tenantId,
        role: SERVICE_ROLE,
        sid: randomUUID(),
        scope: [],
        principalType: 'service',
        ttlSeconds,
      });
      return bearerMetadata(token);
    },
  };
}
