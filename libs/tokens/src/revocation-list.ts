import { AppError } from '@bulkhead/errors';
import type { Redis } from 'ioredis';

/**
 * Revoked sessions, shared by every verifier. A session id is an access token's `sid`: a
 * login session, or an API key's id for tokens exchanged for that key.
 */
export interface RevocationList {
  /** Marks a session revoked for `ttlSeconds` (at least the longest access-token life). */
  revokeSession(sessionId: string, ttlSeconds: number): Promise<void>;
  /** The `isRevoked` of `createTokenVerifier`. */
  isRevoked(sessionId: string, tokenId: string): Promise<boolean>;
}

/** Options of {@link createRedisRevocationList}. */
export interface RedisRevocationListOptions {
  /**
   * How long a "not revoked" answer is reused in this process before Redis is asked again;
   * bounds how late a revocation takes effect here. Default 1000; 0 asks Redis every time.
   */
  negativeCacheMs?: number;
  /** Most "not revoked" answers kept; default 10 000. */
  maxEntries?: number;
  /** Clock; default the system's. */
  now?: () => number;
}

/** The Redis key marking a session revoked. Platform data, not a tenant's, hence no tenant tag. */
export const revokedSessionKey = (sessionId: string): string => `bh:auth:revoked-session:${sessionId}`;

function revocationListUnavailable(cause: unknown): AppError {
  return new AppError({
    kind: 'UNAVAILABLE',
    code: 'REVOCATION_LIST_UNAVAILABLE',
    message: 'Sessions cannot be checked right now (the revocation list is unavailable).',
    cause,
  });
}

/**
 * A {@link RevocationList} in Redis: one key per revoked session, expiring once no token of it
 * can still be alive. When Redis fails, both calls fail with UNAVAILABLE
 * `REVOCATION_LIST_UNAVAILABLE`: a verifier that cannot tell whether a session was revoked
 * refuses the call rather than guessing.
 */
export function createRedisRevocationList(redis: Redis, options: RedisRevocationListOptions = {}): RevocationList {
  const negativeCacheMs = options.negativeCacheMs ?? 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const notRevokedUntil = new Map<string, number>();
  return {
    async revokeSession(sessionId, ttlSeconds) {
      await redis.set(revokedSessionKey(sessionId), '1', 'EX', Math.max(1, Math.ceil(ttlSeconds))).catch((err: unknown) => {
        throw revocationListUnavailable(err);
      });
      notRevokedUntil.delete(sessionId);
    },
    async isRevoked(sessionId) {
      const until = notRevokedUntil.get(sessionId);
      if (until !== undefined && until > now()) return false;
      const revoked = (await redis.exists(revokedSessionKey(sessionId)).catch((err: unknown) => {
        throw revocationListUnavailable(err);
      })) === 1;
      notRevokedUntil.delete(sessionId);
      if (!revoked && negativeCacheMs > 0) {
        notRevokedUntil.set(sessionId, now() + negativeCacheMs);
        if (notRevokedUntil.size > maxEntries) {
          const oldest = notRevokedUntil.keys().next();
          if (oldest.done !== true) notRevokedUntil.delete(oldest.value);
        }
      }
      return revoked;
    },
  };
}
