import {
  buildJwks,
  createLocalJwksSource,
  createTokenIssuer,
  createTokenVerifier,
  generateSigningKey,
  type AccessTokenSubject,
  type TokenVerifier,
} from '@bulkhead/tokens';

/** Issuer and audience the gateway specs agree on. */
export const TEST_ISSUER = 'https://auth.bulkhead.test';
export const TEST_AUDIENCE = 'bulkhead';

export const TENANT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a5b';
export const OTHER_TENANT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a5c';
export const USER_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a60';
export const SESSION_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a61';

/** A user of {@link TENANT_ID} with every claim set. */
export const TEST_USER: AccessTokenSubject = { sub: USER_ID, tid: TENANT_ID, role: 'owner', sid: SESSION_ID, scope: [] };

/** Tokens signed the way the auth service signs them, and a verifier that trusts only those. */
export interface TestTokens {
  readonly jwks: ReturnType<typeof buildJwks>;
  readonly verifier: TokenVerifier;
  /** Signs a token for `subject`, valid for `ttlSeconds` (default 300) from `issuedAt` (default now). */
  sign(subject?: AccessTokenSubject, options?: { ttlSeconds?: number; issuedAt?: Date }): Promise<string>;
  /** A well-formed token signed by a key the verifier does not know. */
  forge(subject?: AccessTokenSubject): Promise<string>;
  /** Puts a session on the verifier's revocation list. */
  revokeSession(sessionId: string): void;
}

/**
 * A fresh Ed25519 key, an issuer over it and a verifier over its JWKS, as in production but with
 * an in-memory revocation list: unit specs need no auth service key store or Redis.
 */
export async function createTestTokens(): Promise<TestTokens> {
  const [key, strangerKey] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  const jwks = buildJwks([key.publicJwk]);
  const revoked = new Set<string>();
  const verifier = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: createLocalJwksSource(jwks),
    isRevoked: async (sessionId) => revoked.has(sessionId),
  });
  const issue = async (signingKey: typeof key, subject: AccessTokenSubject, ttlSeconds: number, issuedAt: Date): Promise<string> => {
    const issuer = createTokenIssuer({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, keys: () => signingKey, ttlSeconds, now: () => issuedAt });
    return (await issuer.issueAccessToken(subject)).token;
  };
  return {
    jwks,
    verifier,
    sign: (subject = TEST_USER, options = {}) => issue(key, subject, options.ttlSeconds ?? 300, options.issuedAt ?? new Date()),
    forge: (subject = TEST_USER) => issue(strangerKey, subject, 300, new Date()),
    revokeSession: (sessionId) => {
      revoked.add(sessionId);
    },
  };
}
