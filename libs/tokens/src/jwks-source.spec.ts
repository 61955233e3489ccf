import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { buildJwks } from './jwks-builder';
import { createRemoteJwksSource } from './jwks-source';
import { generateSigningKey, type SigningKey } from './signing-key';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SUBJECT } from './testing/token.fixture';
import { createTokenIssuer } from './token-issuer';
import { createTokenVerifier } from './token-verifier';

interface JwksServer {
  url: string;
  publish(keys: readonly SigningKey[]): void;
  readonly fetches: number;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startJwksServer(status = 200): Promise<JwksServer> {
  let document: JSONWebKeySet = { keys: [] };
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches += 1;
    if (status !== 200) return void response.writeHead(status).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    publish: (keys) => {
      document = buildJwks(keys.map((key) => key.publicJwk));
    },
    get fetches() {
      return fetches;
    },
  };
}

const START = new Date('2026-11-22T12:00:00Z');

async function setup() {
  const server = await startJwksServer();
  let nowMs = START.getTime();
  const verifier = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: createRemoteJwksSource(server.url, {
      cooldownMs: 30_000,
      now: () => nowMs,
    }),
    isRevoked: async () => false,
    now: () => new Date(nowMs),
  });
  const issuerFor = (key: SigningKey) =>
    createTokenIssuer({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      keys: () => key,
      ttlSeconds: 300,
      now: () => new Date(nowMs),
    });
  return {
    server,
    verifier,
    issuerFor,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('createRemoteJwksSource', () => {
  it('fetches once and serves later verifications from its cache', async () => {
    const { server, verifier, issuerFor } = await setup();
    const key = await generateSigningKey(START);
    server.publish([key]);
    const issuer = issuerFor(key);

    await verifier.verify((await issuer.issueAccessToken(TEST_SUBJECT)).token);
    await verifier.verify((await issuer.issueAccessToken(TEST_SUBJECT)).token);
    expect(server.fetches).toBe(1);
  });

  it('follows a key rotation: old tokens keep verifying, the new key is fetched once', async () => {
    const { server, verifier, issuerFor, advance } = await setup();
    const oldKey = await generateSigningKey(START);
    server.publish([oldKey]);
    const oldToken = (await issuerFor(oldKey).issueAccessToken(TEST_SUBJECT)).token;
    await verifier.verify(oldToken);

    advance(60_000);
    const newKey = await generateSigningKey(new Date(START.getTime() + 60_000));
    server.publish([newKey, oldKey]);
    const newIssuer = issuerFor(newKey);
    const newToken = (await newIssuer.issueAccessToken(TEST_SUBJECT)).token;

    await expect(verifier.verify(newToken)).resolves.toMatchObject({
      subject: 'user-1',
    });
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({
      subject: 'user-1',
    });
    await verifier.verify((await newIssuer.issueAccessToken(TEST_SUBJECT)).token);
    expect(server.fetches).toBe(2);
  });

  it('refetches at most once per cooldown for unknown kids', async () => {
    const { server, verifier, issuerFor, advance } = await setup();
    const key = await generateSigningKey(START);
    server.publish([key]);
    await verifier.verify((await issuerFor(key).issueAccessToken(TEST_SUBJECT)).token);
    expect(server.fetches).toBe(1);

    advance(60_000);
    const stranger = issuerFor(await generateSigningKey(START));
    const unknown = (await stranger.issueAccessToken(TEST_SUBJECT)).token;
    await expect(verifier.verify(unknown)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    expect(server.fetches).toBe(2);
    await expect(verifier.verify(unknown)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    await expect(verifier.verify((await stranger.issueAccessToken(TEST_SUBJECT)).token)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    expect(server.fetches).toBe(2);

    advance(30_000);
    await expect(verifier.verify(unknown)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    expect(server.fetches).toBe(3);
  });

  it('shares one fetch between concurrent first verifications', async () => {
    const { server, verifier, issuerFor } = await setup();
    const key = await generateSigningKey(START);
    server.publish([key]);
    const issuer = issuerFor(key);
    const tokens = await Promise.all([1, 2, 3].map(() => issuer.issueAccessToken(TEST_SUBJECT)));
    await Promise.all(tokens.map(({ token }) => verifier.verify(token)));
    expect(server.fetches).toBe(1);
  });

  it('reports an unreachable JWKS as UNAVAILABLE, not as a bad token', async () => {
    const server = await startJwksServer(503);
    const key = await generateSigningKey(START);
    const verifier = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      jwks: createRemoteJwksSource(server.url),
      isRevoked: async () => false,
    });
    const issuer = createTokenIssuer({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, keys: () => key, ttlSeconds: 60 });
    await expect(verifier.verify((await issuer.issueAccessToken(TEST_SUBJECT)).token)).rejects.toMatchObject({
      kind: 'UNAVAILABLE',
      code: 'JWKS_UNAVAILABLE',
    });
  });
});
