import { buildJwks } from '../jwks-builder';
import { createLocalJwksSource, type JwksSource } from '../jwks-source';
import { generateSigningKey, type SigningKey } from '../signing-key';
import { createTokenIssuer, type AccessTokenSubject, type TokenIssuer } from '../token-issuer';

/** Issuer and audience the test fixtures agree on. */
export const TEST_ISSUER = 'https://auth.bulkhead.test';
export const TEST_AUDIENCE = 'bulkhead';

/** A subject with every claim set. */
export const TEST_SUBJECT: AccessTokenSubject = {
  sub: 'user-1',
  tid: 'tenant-a',
  role: 'owner',
  sid: 'session-1',
  scope: ['projects:read', 'projects:write'],
};

/** A JWKS source that counts its key look-ups (one per signature check jose makes). */
export function countingJwksSource(source: JwksSource): JwksSource & { readonly calls: number } {
  let calls = 0;
  return {
    getKey: (header, token) => {
      calls += 1;
      return source.getKey(header, token);
    },
    get calls() {
      return calls;
    },
  };
}

/** A signing key, an issuer using it and a local JWKS publishing it. */
export async function createTokenFixture(now: () => Date = () => new Date()): Promise<{
  key: SigningKey;
  issuer: TokenIssuer;
  jwks: JwksSource & { readonly calls: number };
}> {
  const key = await generateSigningKey(now());
  const issuer = createTokenIssuer({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    keys: () => key,
    ttlSeconds: 300,
    now,
  });
  const jwks = countingJwksSource(createLocalJwksSource(buildJwks([key.publicJwk])));
  return { key, issuer, jwks };
}
