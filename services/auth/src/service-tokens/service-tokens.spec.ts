import { AUTHORIZATION_METADATA_KEY, buildJwks, createLocalJwksSource, createTokenIssuer, createTokenVerifier, generateSigningKey } from '@bulkhead/tokens';
import { createServiceTokens } from './service-tokens';

describe('service tokens', () => {
  it('carry pty service, sub auth, role service, the tenant, a fresh sid and live one minute', async () => {
    const key = await generateSigningKey(new Date());
    const options = { issuer: 'https://auth.test', audience: 'bulkhead' };
    const issuer = createTokenIssuer({ ...options, keys: () => key, ttlSeconds: 600 });
    const verifier = createTokenVerifier({ ...options, jwks: createLocalJwksSource(buildJwks([key.publicJwk])), isRevoked: async () => false });
    const tokens = createServiceTokens(issuer);

    const read = async (tenantId: string) => {
      const [value] = (await tokens.metadataFor(tenantId)).get(AUTHORIZATION_METADATA_KEY);
      return verifier.verify(String(value).replace(/^Bearer /, ''));
    };
    const before = Date.now();
    const first = await read('019a7c2e-5b1f-7d3a-9c4e-0123456789ab');
    expect(first).toMatchObject({ type: 'service', subject: 'auth', role: 'service', tenantId: '019a7c2e-5b1f-7d3a-9c4e-0123456789ab', scopes: [] });
    expect(first.expiresAt.getTime() - before).toBeLessThanOrEqual(61_000);
    const second = await read('019a7c2e-5b1f-7d3a-9c4e-0123456789ab');
    expect(second.sessionId).not.toBe(first.sessionId);
  });
});
