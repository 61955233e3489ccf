import { createHash } from 'node:crypto';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';

/** API key secrets start with this; anything else after `Bearer` is taken for a JWT. */
export const API_KEY_PREFIX = 'bhk_';

/** An exchanged token is not reused in its last seconds, so it cannot expire on its way upstream. */
const REUSE_MARGIN_SECONDS = 30;

/** What the auth service answers for an API key secret. */
export interface ExchangedToken {
  accessToken: string;
  expiresIn: number;
}

/** Options of {@link createApiKeyExchange}. */
export interface ApiKeyExchangeOptions {
  /** Trades a secret for an access token (the auth service's `ExchangeApiKey`). */
  exchange(secret: string, options: ClientCallOptions): Promise<ExchangedToken>;
  /** Most tokens kept, least recently used dropped first; default 10 000. */
  maxEntries?: number;
  /** Clock in milliseconds; default the system's. */
  now?: () => number;
}

/** Access tokens for API keys, exchanged once and reused while they have life left. */
export interface ApiKeyExchange {
  accessTokenFor(secret: string, options: ClientCallOptions): Promise<string>;
  /** Drops the cached token of `secret` (it was refused: revoked key, rotated signing key). */
  forget(secret: string): void;
}

const cacheKeyOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/**
 * The gateway's side of API keys: a key is traded for a short-lived access token and that token
 * is cached under the SHA-256 of the key (never the key itself) until {@link REUSE_MARGIN_SECONDS}
 * before it expires, in a bounded LRU. The token is still verified on every request, so a
 * revoked key stops working as soon as its session is on the revocation list.
 */
export function createApiKeyExchange(options: ApiKeyExchangeOptions): ApiKeyExchange {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, { accessToken: string; reuseUntil: number }>();

  return {
    async accessTokenFor(secret, callOptions) {
      const key = cacheKeyOf(secret);
      const cached = tokens.get(key);
      tokens.delete(key);
      if (cached !== undefined && cached.reuseUntil > now()) {
        tokens.set(key, cached);
        return cached.accessToken;
      }
      const { accessToken, expiresIn } = await options.exchange(secret, callOptions);
      const reuseUntil = now() + (expiresIn - REUSE_MARGIN_SECONDS) * 1000;
      if (reuseUntil > now()) {
        tokens.set(key, { accessToken, reuseUntil });
        const oldest = tokens.keys().next();
        if (tokens.size > maxEntries && oldest.done !== true) tokens.delete(oldest.value);
      }
      return accessToken;
    },
    forget(secret) {
      tokens.delete(cacheKeyOf(secret));
    },
  };
}
