import { Metadata } from '@grpc/grpc-js';
import { loadConfig } from '@bulkhead/config';
import { buildJwks, createLocalJwksSource, createTokenIssuer, createTokenVerifier, generateSigningKey } from '@bulkhead/tokens';
import type { CallContext } from '@bulkhead/grpc-kit';
import { createServiceTokens } from './service-tokens';
import { WORKLOAD_KEY_METADATA_KEY } from '@bulkhead/contracts';
import { createWorkloadTokenHandlers, workloadKeysField, workloadOf } from './workload-tokens';

const KEY = 'k'.repeat(40);
const TENANT = '019a7c2e-5b1f-7d3a-9c4e-0123456789ab';

const contextWith = (key?: string): CallContext => {
  const metadata = new Metadata();
  if (key !== undefined) metadata.set(WORKLOAD_KEY_METADATA_KEY, key);
  return { metadata } as CallContext;
};

describe('workload keys', () => {
  it('parse name=key lists, and refuse short keys or odd names naming the variable', () => {
    const { WORKLOAD_KEYS } = loadConfig({ WORKLOAD_KEYS: workloadKeysField() }, { WORKLOAD_KEYS: `workflow=${KEY}, reports=${'r'.repeat(32)}` });
    expect([...WORKLOAD_KEYS.keys()]).toEqual(['workflow', 'reports']);
    expect(workloadOf(WORKLOAD_KEYS, KEY)).toBe('workflow');
    expect(workloadOf(WORKLOAD_KEYS, `${KEY}x`)).toBeUndefined();
    expect(loadConfig({ WORKLOAD_KEYS: workloadKeysField() }, {}).WORKLOAD_KEYS.size).toBe(0);
    expect(() => loadConfig({ WORKLOAD_KEYS: workloadKeysField() }, { WORKLOAD_KEYS: 'workflow=short' })).toThrow(/WORKLOAD_KEYS/);
  });
});

describe('MintServiceToken', () => {
  const setUp = async (known: string[]) => {
    const key = await generateSigningKey(new Date());
    const options = { issuer: 'https://auth.test', audience: 'bulkhead' };
    const issuer = createTokenIssuer({ ...options, keys: () => key, ttlSeconds: 600 });
    const verifier = createTokenVerifier({ ...options, jwks: createLocalJwksSource(buildJwks([key.publicJwk])), isRevoked: async () => false });
    const { WORKLOAD_KEYS } = loadConfig({ WORKLOAD_KEYS: workloadKeysField() }, { WORKLOAD_KEYS: `workflow=${KEY}` });
    const handlers = createWorkloadTokenHandlers({ keys: WORKLOAD_KEYS, serviceTokens: createServiceTokens(issuer), organizationExists: async (id) => known.includes(id) });
    return { handlers, verifier };
  };

  it('gives a workload with its key a one-minute service token for a registered tenant, in its own name', async () => {
    const { handlers, verifier } = await setUp([TENANT]);
    const { accessToken, expiresIn } = await handlers.mintServiceToken({ tenantId: TENANT }, contextWith(KEY));
    expect(expiresIn).toBe(60);
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ type: 'service', subject: 'workflow', role: 'service', tenantId: TENANT });
  });

  it('refuses a missing or wrong key (UNAUTHENTICATED), a malformed tenant (INVALID_ARGUMENT) and an unknown one (NOT_FOUND)', async () => {
    const { handlers } = await setUp([TENANT]);
    await expect(handlers.mintServiceToken({ tenantId: TENANT }, contextWith())).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(handlers.mintServiceToken({ tenantId: TENANT }, contextWith('x'.repeat(40)))).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(handlers.mintServiceToken({ tenantId: 'nope' }, contextWith(KEY))).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT' });
    await expect(handlers.mintServiceToken({ tenantId: '019a7c2e-5b1f-7d3a-9c4e-0123456789ac' }, contextWith(KEY))).rejects.toMatchObject({ kind: 'NOT_FOUND' });
  });
});
