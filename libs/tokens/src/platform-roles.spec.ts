import { base64url, decodeJwt, SignJWT } from 'jose';
import { AppError } from '@bulkhead/errors';
import { createTokenFixture, TEST_AUDIENCE, TEST_ISSUER, TEST_SUBJECT } from './testing/token.fixture';
import { createTokenVerifier } from './token-verifier';

// The `plat` claim: how a user's platform roles (granted by operators) travel in access tokens.

async function setup() {
  const fixture = await createTokenFixture();
  const verifier = createTokenVerifier({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: fixture.jwks, isRevoked: async () => false });
  /** Signs `claims` (over a valid token's) with the fixture's key: what only auth can do. */
  const signed = async (claims: Record<string, unknown>) => {
    const base = decodeJwt((await fixture.issuer.issueAccessToken(TEST_SUBJECT)).token);
    return new SignJWT({ ...base, ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: fixture.key.kid, typ: 'at+jwt' }).sign(fixture.key.privateKey);
  };
  return { ...fixture, verifier, signed };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err: unknown = await promise.then(
    () => new Error('expected verification to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('platform roles in access tokens', () => {
  it('puts live platform roles in the plat claim and reads them into the principal', async () => {
    const { issuer, verifier } = await setup();
    const { token } = await issuer.issueAccessToken({ ...TEST_SUBJECT, platformRoles: ['compliance'] });
    expect(decodeJwt(token)['plat']).toEqual(['compliance']);
    await expect(verifier.verify(token)).resolves.toMatchObject({ type: 'user', platformRoles: ['compliance'] });
  });

  it('leaves the claim and the principal field out when the user has none', async () => {
    const { issuer, verifier } = await setup();
    const { token } = await issuer.issueAccessToken({ ...TEST_SUBJECT, platformRoles: [] });
    expect(decodeJwt(token)).not.toHaveProperty('plat');
    expect(await verifier.verify(token)).not.toHaveProperty('platformRoles');
  });

  it('refuses a plat claim added to a token after signing', async () => {
    const { issuer, verifier } = await setup();
    const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
    const [header, , signature] = token.split('.');
    const edited = `${header}.${base64url.encode(JSON.stringify({ ...decodeJwt(token), plat: ['compliance'] }))}.${signature}`;
    expect(await refusal(verifier.verify(edited))).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'TOKEN_INVALID' });
  });

  it('refuses a malformed plat claim, even signed', async () => {
    const { verifier, signed } = await setup();
    for (const plat of ['compliance', [], [''], [42]]) {
      expect(await refusal(verifier.verify(await signed({ plat })))).toMatchObject({ code: 'TOKEN_INVALID' });
    }
  });

  it('refuses platform roles on an API key or service token', async () => {
    const { verifier, signed } = await setup();
    for (const pty of ['apiKey', 'service']) {
      expect(await refusal(verifier.verify(await signed({ pty, plat: ['compliance'] })))).toMatchObject({ code: 'TOKEN_INVALID' });
    }
  });
});
