import type { GetJwksResponse } from '@bulkhead/contracts';
import type { JSONWebKeySet, JWK } from 'jose';
import type { SigningKey } from './signing-key';

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'e', 'n', 'kid', 'alg', 'use'] as const;

/** A JWKS document of the given public keys; private members are dropped even if present. */
export function buildJwks(publicKeys: readonly JWK[]): JSONWebKeySet {
  return {
    keys: publicKeys.map((jwk) => {
      const copy: JWK = {};
      for (const member of PUBLIC_MEMBERS) {
        const value = jwk[member];
        if (typeof value === 'string') copy[member] = value;
      }
      return copy;
    }),
  };
}

/**
 * The public keys to publish at `now`: the newest key (it signs) and every older key that
 * may still have unexpired tokens. A key stops signing when a newer one is created, so its
 * last token expires at most `maxTokenTtlSeconds` after its successor's `createdAt`.
 */
export function keysToPublish(keys: readonly SigningKey[], now: Date, maxTokenTtlSeconds: number): JWK[] {
  const newestFirst = [...keys].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return newestFirst
    .filter((key, index) => {
      const successor = newestFirst[index - 1];
      if (successor === undefined) return true;
      return successor.createdAt.getTime() + maxTokenTtlSeconds * 1000 > now.getTime();
    })
    .map((key) => key.publicJwk);
}

/** A JWKS document as the `GetJwks` response message (absent members become empty strings). */
export function toJwksMessage(jwks: JSONWebKeySet): GetJwksResponse {
  return {
    keys: jwks.keys.map((jwk) => ({
      kty: jwk.kty ?? '',
      crv: jwk.crv ?? '',
      x: jwk.x ?? '',
      kid: jwk.kid ?? '',
      alg: jwk.alg ?? '',
      use: jwk.use ?? '',
    })),
  };
}
