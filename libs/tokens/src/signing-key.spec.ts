import { buildJwks, keysToPublish } from './jwks-builder';
import { createLocalJwksSource } from './jwks-source';
import { exportSigningKey, generateSigningKey, importSigningKey } from './signing-key';
import { createInMemorySigningKeyStore } from './testing/in-memory-signing-key.store';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SUBJECT } from './testing/token.fixture';
import { createTokenIssuer } from './token-issuer';
import { createTokenVerifier } from './token-verifier';

const START = new Date('2026-11-22T12:00:00Z');
const at = (minutes: number): Date => new Date(START.getTime() + minutes * 60_000);

describe('signing keys', () => {
  it('generates an Ed25519 key named by its thumbprint', async () => {
    const key = await generateSigningKey(START);
    expect(key.publicJwk).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: key.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.createdAt).toEqual(START);
  });

  it('survives a round trip through a store and still signs verifiable tokens', async () => {
    const store = createInMemorySigningKeyStore();
    const original = await generateSigningKey(START);
    await store.save(await exportSigningKey(original));
    const [stored] = await store.list();
    if (stored === undefined) throw new Error('the store lost the key');
    const restored = await importSigningKey(stored);
    expect(restored.kid).toBe(original.kid);
    expect(restored.createdAt).toEqual(START);

    const issuer = createTokenIssuer({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      keys: () => restored,
      ttlSeconds: 60,
    });
    const verifier = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      jwks: createLocalJwksSource(buildJwks([original.publicJwk])),
      isRevoked: async () => false,
    });
    await expect(verifier.verify((await issuer.issueAccessToken(TEST_SUBJECT)).token)).resolves.toMatchObject({
      subject: 'user-1',
    });
  });

  it('refuses to import a public key as a signing key', async () => {
    const key = await generateSigningKey(START);
    const stored = await exportSigningKey(key);
    await expect(importSigningKey({ ...stored, privateJwk: stored.publicJwk })).rejects.toThrow(TypeError);
  });

  it('lists stored keys newest first and forgets removed ones', async () => {
    const store = createInMemorySigningKeyStore();
    const older = await exportSigningKey(await generateSigningKey(at(0)));
    const newer = await exportSigningKey(await generateSigningKey(at(10)));
    await store.save(older);
    await store.save(newer);
    expect((await store.list()).map((k) => k.kid)).toEqual([newer.kid, older.kid]);
    await store.remove(newer.kid);
    expect((await store.list()).map((k) => k.kid)).toEqual([older.kid]);
  });
});

describe('buildJwks', () => {
  it('publishes public members only', async () => {
    const key = await generateSigningKey(START);
    const stored = await exportSigningKey(key);
    const jwks = buildJwks([stored.privateJwk]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      x: key.publicJwk.x,
    });
  });
});

describe('keysToPublish', () => {
  it('keeps a replaced key until its last token can have expired', async () => {
    const first = await generateSigningKey(at(0));
    const second = await generateSigningKey(at(30));
    const third = await generateSigningKey(at(40));
    const ttl = 15 * 60;
    const kids = (now: Date) => keysToPublish([first, second, third], now, ttl).map((jwk) => jwk.kid);

    expect(kids(at(41))).toEqual([third.kid, second.kid, first.kid]);
    expect(kids(at(45))).toEqual([third.kid, second.kid]);
    expect(kids(at(55))).toEqual([third.kid]);
  });
});
