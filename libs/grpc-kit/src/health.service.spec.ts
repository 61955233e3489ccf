import { HealthCheckResponse_ServingStatus, HealthClient } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, waitForReady } from './client';
import { createGrpcServer } from './server';
import { createCapturingLogger, EchoService } from './testing/echo-service.fixture';

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = HealthCheckResponse_ServingStatus;
const ECHO = 'bulkhead.testing.v1.EchoService';

async function startServer() {
  const server = createGrpcServer({ logger: createCapturingLogger().logger });
  server.addService(EchoService, {
    echo: async (request) => ({ text: request.text }),
    async *repeat() {
      // No messages: these specs only probe health.
    },
  });
  const port = await server.listen('127.0.0.1:0');
  const health = createGrpcClient(HealthClient, `127.0.0.1:${port}`);
  return { server, health, port };
}

describe('grpc.health.v1.Health', () => {
  let started: Awaited<ReturnType<typeof startServer>>;
  beforeEach(async () => {
    started = await startServer();
  });
  afterEach(async () => {
    closeGrpcClient(started.health);
    await started.server.shutdown({ timeoutMs: 100 });
  });

  it('answers Check for the server and each registered service, as setStatus last said', async () => {
    const { server, health } = started;
    await expect(health.check({ service: '' })).resolves.toEqual({ status: SERVING });
    await expect(health.check({ service: ECHO })).resolves.toEqual({ status: SERVING });

    server.health.setStatus(ECHO, 'NOT_SERVING');
    await expect(health.check({ service: ECHO })).resolves.toEqual({ status: NOT_SERVING });
    await expect(health.check({ service: '' })).resolves.toEqual({ status: SERVING });
  });

  it('answers NOT_FOUND for a service it does not know', async () => {
    const failure = await health().check({ service: 'bulkhead.nope.v1.NopeService' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ kind: 'NOT_FOUND', code: 'HEALTH_SERVICE_UNKNOWN' });
  });

  it('streams the current status and then every change on Watch', async () => {
    const { server } = started;
    const watch = health().watch({ service: ECHO })[Symbol.asyncIterator]();
    expect((await watch.next()).value).toEqual({ status: SERVING });

    server.health.setStatus(ECHO, 'NOT_SERVING');
    expect((await watch.next()).value).toEqual({ status: NOT_SERVING });
    server.health.setStatus(ECHO, 'NOT_SERVING'); // Unchanged: no message.
    server.health.setStatus(ECHO, 'SERVING');
    expect((await watch.next()).value).toEqual({ status: SERVING });
    await watch.return?.();
  });

  it('keeps a Watch on an unknown service open until the service appears', async () => {
    const { server } = started;
    const watch = health().watch({ service: 'bulkhead.later.v1.LaterService' })[Symbol.asyncIterator]();
    expect((await watch.next()).value).toEqual({ status: SERVICE_UNKNOWN });

    server.health.setStatus('bulkhead.later.v1.LaterService', 'SERVING');
    expect((await watch.next()).value).toEqual({ status: SERVING });
    await watch.return?.();
  });

  it('lists every known status', async () => {
    const { statuses } = await health().list({});
    expect(statuses).toMatchObject({ '': { status: SERVING }, [ECHO]: { status: SERVING } });
  });

  function health() {
    return started.health;
  }
});

describe('waitForReady', () => {
  it('resolves once the channel connects and fails UNAVAILABLE when nothing listens', async () => {
    const { server, health, port } = await startServer();
    await expect(waitForReady(health, new Date(Date.now() + 5_000))).resolves.toBeUndefined();
    closeGrpcClient(health);
    await server.shutdown({ timeoutMs: 100 });

    const orphan = createGrpcClient(HealthClient, `127.0.0.1:${port}`);
    await expect(waitForReady(orphan, new Date(Date.now() + 200))).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    closeGrpcClient(orphan);
  });
});
