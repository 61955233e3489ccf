import { Metadata } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, createGrpcServer } from '@bulkhead/grpc-kit';
import { createLogger } from '@bulkhead/observability';
import { bearerMetadata, createAuthMiddleware } from './auth.middleware';
import { createTokenFixture, TEST_AUDIENCE, TEST_ISSUER, TEST_SUBJECT } from './testing/token.fixture';
import { WhoAmIClient, WhoAmIService } from './testing/whoami-service.fixture';
import { createTokenVerifier } from './token-verifier';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start() {
  const fixture = await createTokenFixture();
  const verifier = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    jwks: fixture.jwks,
    isRevoked: async () => false,
  });
  const logger = createLogger({
    service: 'tokens-test',
    level: 'silent',
    destination: { write: () => undefined },
  });
  const server = createGrpcServer({
    logger,
    middleware: createAuthMiddleware({
      verifier,
      publicMethods: new Set([WhoAmIService.ping.path]),
    }),
  });
  server.addService(WhoAmIService, {
    whoAmI: async (_request, ctx) => ({
      subject: ctx.principal?.subject ?? '',
      tenantId: ctx.principal?.tenantId ?? '',
    }),
    ping: async (_request, ctx) => ({
      subject: ctx.principal === undefined ? 'anonymous' : 'someone',
      tenantId: '',
    }),
  });
  const address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  const client = createGrpcClient(WhoAmIClient, address);
  const health = createGrpcClient(HealthClient, address);
  cleanups.push(async () => {
    closeGrpcClient(client);
    closeGrpcClient(health);
    await server.shutdown({ timeoutMs: 100 });
  });
  return { client, health, issuer: fixture.issuer };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err: unknown = await promise.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('createAuthMiddleware', () => {
  it('hands the handler the verified principal', async () => {
    const { client, issuer } = await start();
    const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
    await expect(client.whoAmI({}, { metadata: bearerMetadata(token) })).resolves.toEqual({
      subject: 'user-1',
      tenantId: 'tenant-a',
    });
  });

  it('refuses a call without a token', async () => {
    const { client } = await start();
    expect(await failure(client.whoAmI({}))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'TOKEN_MISSING',
    });
  });

  it('refuses a malformed authorization header and an invalid token', async () => {
    const { client, issuer } = await start();
    const basic = new Metadata();
    basic.set('authorization', 'Basic dXNlcjpwYXNz');
    expect(await failure(client.whoAmI({}, { metadata: basic }))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'TOKEN_INVALID',
    });

    const { token } = await issuer.issueAccessToken(TEST_SUBJECT);
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect(await failure(client.whoAmI({}, { metadata: bearerMetadata(tampered) }))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'TOKEN_INVALID',
    });
  });

  it('lets public methods and health checks through without a token', async () => {
    const { client, health } = await start();
    await expect(client.ping({})).resolves.toEqual({
      subject: 'anonymous',
      tenantId: '',
    });
    await expect(health.check({ service: '' })).resolves.toEqual({
      status: HealthCheckResponse_ServingStatus.SERVING,
    });
  });
});
