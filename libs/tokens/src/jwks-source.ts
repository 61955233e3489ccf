import type { webcrypto } from 'node:crypto';
import { AppError } from '@bulkhead/errors';
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

/** Where a verifier finds the public key named by a token's `kid`. */
export interface JwksSource {
  /** Resolves the key for a token header; throws jose's `JWKSNoMatchingKey` for an unknown `kid`. */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<webcrypto.CryptoKey>;
}

/** A fixed JWKS (the auth service verifying its own tokens, tests). */
export function createLocalJwksSource(jwks: JSONWebKeySet): JwksSource {
  const keySet = createLocalJWKSet(jwks);
  return { getKey: (header, token) => keySet(header, token) };
}

/** Options of {@link createRemoteJwksSource}. */
export interface RemoteJwksSourceOptions {
  /** Minimum time between two fetches caused by an unknown `kid`; default 30 000. */
  cooldownMs?: number;
  /** Abort an HTTP fetch after this long; default 5 000. */
  timeoutMs?: number;
  /** Clock; default the system's. */
  now?: () => number;
}

/** Where a remote JWKS comes from: an HTTP(S) URL, or a function that loads the document. */
export type JwksLocation = string | URL | (() => Promise<JSONWebKeySet>);

async function fetchJwks(url: string | URL, timeoutMs: number): Promise<JSONWebKeySet> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`JWKS fetch failed with HTTP ${response.status}`);
  return (await response.json()) as JSONWebKeySet;
}

/**
 * A JWKS loaded from `location` (a URL, or a loader such as the auth service's `GetJwks` RPC)
 * on first use and cached. A token with an unknown `kid` (a key
 * rotated in since the last fetch) causes one refetch, at most once per `cooldownMs`;
 * concurrent callers share one fetch. A failed fetch is an `UNAVAILABLE` {@link AppError}
 * (`JWKS_UNAVAILABLE`), not a rejected token.
 */
export function createRemoteJwksSource(location: JwksLocation, options: RemoteJwksSourceOptions = {}): JwksSource {
  const cooldownMs = options.cooldownMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  let lastFetchAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<ReturnType<typeof createLocalJWKSet>> | undefined;

  const load = (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    inFlight ??= (async () => {
      lastFetchAt = now();
      try {
        const document = typeof location === 'function' ? await location() : await fetchJwks(location, timeoutMs);
        keySet = createLocalJWKSet(document);
        return keySet;
      } catch (cause) {
        throw new AppError({
          kind: 'UNAVAILABLE',
          code: 'JWKS_UNAVAILABLE',
          message: 'Tokens cannot be verified right now.',
          cause,
        });
      }
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    async getKey(header, token) {
      const current = keySet ?? (await load());
      try {
        return await current(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey) || now() - lastFetchAt < cooldownMs) throw err;
        const refreshed = await load();
        return refreshed(header, token);
      }
    },
  };
}
