import { AuthServiceClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type ServerMiddleware } from '@bulkhead/grpc-kit';
import type { Redis } from 'ioredis';
import { createAuthMiddleware, type AuthContext } from './auth.middleware';
import { createRemoteJwksSource } from './jwks-source';
import { createRedisRevocationList } from './revocation-list';
import { createTokenVerifier, type TokenVerifier } from './token-verifier';
import { createVerifiedTokenCache } from './verified-token-cache';

/** Options of {@link createServiceAuthentication}. */
export interface ServiceAuthenticationOptions {
  issuer: string;
  audience: string;
  /** The auth service's gRPC address: where the JWKS comes from (`GetJwks`). */
  authAddress: string;
  /** Where revoked sessions are listed. */
  redis: Redis;
  /** Full method paths of this service callable without a token. */
  publicMethods?: ReadonlySet<string>;
}

/** What a service needs to authenticate its callers. */
export interface ServiceAuthentication {
  verifier: TokenVerifier;
  /** Requires a valid token on every RPC but the public ones. */
  middleware: ServerMiddleware<AuthContext>;
  close(): void;
}

/**
 * Token verification as every service (and the gateway) does it: the JWKS from the auth
 * service's `GetJwks`, cached (an unknown `kid` refetches at most every 5 s), verified tokens
 * cached until their `exp`, and the Redis revocation list checked on every call.
 */
export function createServiceAuthentication(options: ServiceAuthenticationOptions): ServiceAuthentication {
  const auth = createGrpcClient(AuthServiceClient, options.authAddress, { defaultDeadlineMs: 3000 });
  const jwks = createRemoteJwksSource(async () => ({ keys: (await auth.getJwks({})).keys }), { cooldownMs: 5000 });
  const revocations = createRedisRevocationList(options.redis);
  const verifier = createTokenVerifier({
    issuer: options.issuer,
    audience: options.audience,
    jwks,
    isRevoked: (sessionId, tokenId) => revocations.isRevoked(sessionId, tokenId),
    cache: createVerifiedTokenCache(),
  });
  return {
    verifier,
    middleware: createAuthMiddleware({ verifier, publicMethods: options.publicMethods ?? new Set() }),
    close: () => closeGrpcClient(auth),
  };
}
