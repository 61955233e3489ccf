import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { AppError } from '@bulkhead/errors';
import { generateSigningKey } from './signing-key';
import { createTokenFixture, TEST_AUDIENCE, TEST_ISSUER, TEST_SUBJECT } from './testing/token.fixture';
import { createTokenIssuer, type TokenIssuerOptions } from './token-issuer';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier';
import { createVerifiedTokenCache } from './verified-token-cache';

const START = new Date('2026-11-22T12:00:00Z');

async function setup(overrides: Partial<TokenVerifierOptions> = {}) {
  let now = START;
  const clock = () => now;
  const fixture = await createTokenFixture(clock);
  const revoked = new Set<string>();
  const revocationChecks: string[] = [];
  const verifier = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: fixture.jwks,
    isRevoked: async (sid) => {
      revocationChecks.push(sid);
      return revoked.has(sid);
    },
    clockToleranceSeconds: 5,
    now: clock,
    ...overrides,
  });
  return {
    ...fixture,
    verifier,
    revoked,
    revocationChecks,
    setNow: (date: Date) => {
      now = date;
    },
  };
}

/** An issuer like the fixture's, with some options replaced (another key, issuer, audience). */
function issuerWith(overrides: Partial<TokenIssuerOptions> & Pick<TokenIssuerOptions, 'keys'>) {
  return createTokenIssuer({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 300, now: () => START, ...overrides });
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err: unknown = await promise.then(
    () => new Error('expected verification to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const appError = err as AppError;
  expect(appError.kind).toBe('UNAUTHENTICATED');
  return appError;
}

const encodeJson = (value: unknown): string => base64url.encode(JSON.stringify(value));

describe('createTokenVerifier', () => {
  it('verifies a valid token to its principal', async () => {
    const { issuer, verifier } = await setup();
    const { token, jti, expiresIn } = await issuer.issueAccessToken(TEST_SUBJECT);

    expect(decodeProtectedHeader(token)).toMatchObject({
      alg: 'EdDSA',
      typ: 'at+jwt',
    });
    expect(expiresIn).toBe(300);
    await expect(verifier.verify(token)).resolves.toEqual({
      type: 'user',
      subject: 'user-1',
      tenantId: 'tenant-a',
      role: 'owner',
      sessionId: 'session-1',
      scopes: ['projects:read', 'projects:write'],
      tokenId: jti,
      expiresAt: new Date(START.getTime() + 300_000),
    });
  });

  it('reports an API key principal', async () => {
    const { issuer, verifier } = await setup();
    const { token } = await issuer.issueAccessToken({
      ...TEST_SUBJECT,
      principalType: 'apiKey',
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({
      type: 'apiKey',
      subject: 'user-1',
    });
  });

  it("carries a project-bound API key's project and scopes, and refuses a pid on any other token", async () => {
    const { issuer, verifier } = await setup();
    const project = '0193a000-0000-7000-8000-000000000001';
    const bound = await issuer.issueAccessToken({ ...TEST_SUBJECT, principalType: 'apiKey', projectId: project, scope: ['projects:read'] });
    await expect(verifier.verify(bound.token)).resolves.toMatchObject({ type: 'apiKey', projectId: project, scopes: ['projects:read'] });
    const orgWide = await issuer.issueAccessToken({ ...TEST_SUBJECT, principalType: 'apiKey' });
    expect(await verifier.verify(orgWide.token)).not.toHaveProperty('projectId');
    const user = await issuer.issueAccessToken({ ...TEST_SUBJECT, projectId: project });
    await expect(verifier.verify(user.token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('reports a service principal whose token lives only as long as asked', async () => {
    const { issuer, verifier } = await setup();
    const { token, expiresIn } = await issuer.issueAccessToken({ ...TEST_SUBJECT, principalType: 'service', ttlSeconds: 60 });
    expect(expiresIn).toBe(60);
    await expect(verifier.verify(token)).resolves.toMatchObject({
      type: 'service',
      expiresAt: new Date(START.getTime() + 60_000),
    });
  });

  describe('rejects', () => {
    it('alg: none', async () => {
      const { issuer, verifier, key } = await setup();
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      const [, payload] = token.split('.');
      const unsigned = `${encodeJson({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${payload}.`;
      expect(await rejection(verifier.verify(unsigned))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
      });
    });

    it('HS256 signed with the public key bytes as the HMAC secret', async () => {
      const { issuer, verifier, key } = await setup();
      const secret = base64url.decode(key.publicJwk.x ?? '');
      const forged = await new SignJWT({
        ...decodeJwt((await issuer.issueAccessToken(TEST_SUBJECT)).token),
      })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
        .sign(secret);
      expect(await rejection(verifier.verify(forged))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
      });
      const forgedWithJwk = await new SignJWT({ sub: 'user-1' })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
      expect((await rejection(verifier.verify(forgedWithJwk))).code).toBe('TOKEN_INVALID');
    });

    it('an unknown kid', async () => {
      const { verifier } = await setup();
      const stranger = await generateSigningKey(START);
      const other = issuerWith({ keys: () => stranger });
      const { token } = await other.issueAccessToken(TEST_SUBJECT);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { code: 'ERR_JWKS_NO_MATCHING_KEY' },
      });
    });

    it('a token signed by a key not in the JWKS, under a published kid', async () => {
      const { verifier, key } = await setup();
      const stranger = await generateSigningKey(START);
      const impostor = issuerWith({ keys: () => ({ ...stranger, kid: key.kid }) });
      const { token } = await impostor.issueAccessToken(TEST_SUBJECT);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
      });
    });

    it('a wrong iss', async () => {
      const { verifier, key } = await setup();
      const other = issuerWith({ issuer: 'https://evil.test', keys: () => key });
      const { token } = await other.issueAccessToken(TEST_SUBJECT);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { claim: 'iss' },
      });
    });

    it('a wrong aud', async () => {
      const { verifier, key } = await setup();
      const other = issuerWith({ audience: 'someone-else', keys: () => key });
      const { token } = await other.issueAccessToken(TEST_SUBJECT);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { claim: 'aud' },
      });
    });

    it('an expired token', async () => {
      const { issuer, verifier, setNow } = await setup();
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      setNow(new Date(START.getTime() + 306_000));
      expect((await rejection(verifier.verify(token))).code).toBe('TOKEN_EXPIRED');
    });

    it('a token whose nbf is in the future', async () => {
      const { verifier, key, setNow } = await setup();
      const early = issuerWith({ keys: () => key, now: () => new Date(START.getTime() + 60_000) });
      const { token } = await early.issueAccessToken(TEST_SUBJECT);
      setNow(START);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { claim: 'nbf' },
      });
    });

    it('a payload edited after signing', async () => {
      const { issuer, verifier } = await setup();
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      const [header, , signature] = token.split('.');
      const edited = `${header}.${encodeJson({ ...decodeJwt(token), tid: 'tenant-b', role: 'owner' })}.${signature}`;
      expect(await rejection(verifier.verify(edited))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
      });
    });

    it('a token missing a required claim', async () => {
      const { verifier, key } = await setup();
      const token = await new SignJWT({ role: 'owner', sid: 'session-1' })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setSubject('user-1')
        .setIssuedAt(START)
        .setNotBefore(START)
        .setExpirationTime(new Date(START.getTime() + 60_000))
        .setJti('jti-1')
        .sign(key.privateKey);
      expect(await rejection(verifier.verify(token))).toMatchObject({
        code: 'TOKEN_INVALID',
        cause: { claim: 'tid' },
      });
    });

    it('a JWT that is not an access token (typ other than at+jwt)', async () => {
      const { verifier, key, issuer } = await setup();
      const claims = decodeJwt((await issuer.issueAccessToken(TEST_SUBJECT)).token);
      const token = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey);
      expect(await rejection(verifier.verify(token))).toMatchObject({ code: 'TOKEN_INVALID', cause: { claim: 'typ' } });
    });

    it('garbage', async () => {
      const { verifier } = await setup();
      expect((await rejection(verifier.verify('not.a.jwt'))).code).toBe('TOKEN_INVALID');
    });

    it('a revoked session, also on a cache hit after a successful verify', async () => {
      const { issuer, verifier, revoked } = await setup({
        cache: createVerifiedTokenCache(),
      });
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      await expect(verifier.verify(token)).resolves.toMatchObject({
        sessionId: 'session-1',
      });
      revoked.add('session-1');
      expect((await rejection(verifier.verify(token))).code).toBe('TOKEN_REVOKED');
    });
  });

  describe('with a verified-token cache', () => {
    it('skips the signature check on a hit but still checks revocation', async () => {
      const { issuer, verifier, jwks, revocationChecks } = await setup({
        cache: createVerifiedTokenCache(),
      });
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      const first = await verifier.verify(token);
      expect(jwks.calls).toBe(1);
      await expect(verifier.verify(token)).resolves.toEqual(first);
      expect(jwks.calls).toBe(1);
      expect(revocationChecks).toEqual(['session-1', 'session-1']);
    });

    it('does not serve a token past its exp', async () => {
      const { issuer, verifier, setNow, jwks } = await setup({
        cache: createVerifiedTokenCache(),
      });
      const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
      await verifier.verify(token);
      setNow(new Date(START.getTime() + 306_000));
      expect((await rejection(verifier.verify(token))).code).toBe('TOKEN_EXPIRED');
      expect(jwks.calls).toBe(2);
    });
  });
});
