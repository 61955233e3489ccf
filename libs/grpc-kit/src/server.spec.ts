import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@bulkhead/contracts';
import { AppError, invalidArgument, notFound } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient } from './client';
import { composeServerMiddleware, type ServerMiddleware } from './middleware';
import { createGrpcServer, type GrpcServerOptions } from './server';
import type { ServiceImplementation } from './service-definition';
import {
  createCapturingLogger,
  deferred,
  EchoClient,
  EchoService,
  type EchoResponse,
} from './testing/echo-service.fixture';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function errorOf(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(AppError);
      return err as AppError;
    },
  );
}

const defaultEcho: ServiceImplementation<typeof EchoService> = {
  echo: async (request) => ({ text: request.text }),
  async *repeat(request) {
    for (let i = 0; i < (request.times ?? 0); i++) yield { text: `${request.text}-${i}` };
  },
};

async function startEcho(
  implementation: Partial<ServiceImplementation<typeof EchoService>>,
  options: Omit<GrpcServerOptions, 'logger'> = {},
) {
  const { logger, lines } = createCapturingLogger();
  const server = createGrpcServer({ logger, ...options });
  server.addService(EchoService, { ...defaultEcho, ...implementation });
  const port = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  const client = createGrpcClient(EchoClient, address);
  cleanups.push(async () => {
    closeGrpcClient(client);
    await server.shutdown({ timeoutMs: 100 });
  });
  return { server, client, lines, address };
}

function waitForAbort(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('createGrpcServer', () => {
  it('serves async unary handlers and async-generator streams on a real port', async () => {
    const { client } = await startEcho({ echo: async (request) => ({ text: request.text.toUpperCase() }) });

    await expect(client.echo({ text: 'hello' })).resolves.toEqual({ text: 'HELLO' });
    const texts: string[] = [];
    for await (const response of client.repeat({ text: 'x', times: 3 })) texts.push(response.text);
    expect(texts).toEqual(['x-0', 'x-1', 'x-2']);
  });

  it('keeps an AppError kind, code, message and field violations across the wire', async () => {
    const { client } = await startEcho({
      async echo(request) {
        if (request.text === 'missing') throw notFound('Project');
        if (request.text === 'quota') {
          throw new AppError({ kind: 'QUOTA_EXCEEDED', code: 'PROJECT_LIMIT_REACHED', message: 'Plan limit reached: projects', details: { limit: '10' } });
        }
        throw invalidArgument([{ field: 'text', description: 'must be "missing" or "quota"' }]);
      },
    });

    const missing = await errorOf(client.echo({ text: 'missing' }));
    expect(missing).toMatchObject({ kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND', message: 'Project not found' });
    expect((missing.cause as ServiceError).code).toBe(status.NOT_FOUND);

    const invalid = await errorOf(client.echo({ text: 'other' }));
    expect(invalid).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'VALIDATION_FAILED' });
    expect(invalid.fieldViolations).toEqual([{ field: 'text', description: 'must be "missing" or "quota"' }]);

    // A refinement travels as its base status plus the kind, so the gateway can answer 402.
    const quota = await errorOf(client.echo({ text: 'quota' }));
    expect(quota).toMatchObject({ kind: 'QUOTA_EXCEEDED', code: 'PROJECT_LIMIT_REACHED', details: { limit: '10' } });
    expect((quota.cause as ServiceError).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('turns an unknown error into INTERNAL "Internal error" and logs its cause only on the server', async () => {
    const { client, lines } = await startEcho({
      echo: async () => {
        throw new Error('connection to 10.0.0.5 refused, password=hunter2');
      },
    });

    const failure = await errorOf(client.echo({ text: 'x' }, { requestId: 'req-internal' }));
    expect(failure).toMatchObject({ kind: 'INTERNAL', code: 'INTERNAL', message: 'Internal error' });
    expect((failure.cause as ServiceError).details).toBe('Internal error');
    expect((failure.cause as ServiceError).message).not.toContain('hunter2');

    const logged = lines.find((line) => line['msg'] === 'grpc handler failed');
    expect(logged).toMatchObject({ level: 'error', requestId: 'req-internal', method: EchoService.echo.path });
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('fails a stream with the mapped error after the messages already sent', async () => {
    const { client } = await startEcho({
      async *repeat() {
        yield { text: 'first' };
        throw notFound('Run');
      },
    });

    const texts: string[] = [];
    const failure = await errorOf(
      (async () => {
        for await (const response of client.repeat({ text: 'x' })) texts.push(response.text);
      })(),
    );
    expect(texts).toEqual(['first']);
    expect(failure).toMatchObject({ kind: 'NOT_FOUND', code: 'RUN_NOT_FOUND' });
  });

  it('uses the caller request id, echoes it, and makes one when none is sent', async () => {
    const { client } = await startEcho({ echo: async (_request, ctx) => ({ text: 'ok', requestId: ctx.requestId }) });

    let header: Metadata | undefined;
    const given = await client.echo({ text: 'a' }, { requestId: 'req-123', onHeader: (h) => (header = h) });
    expect(given.requestId).toBe('req-123');
    expect(header?.get('x-request-id')).toEqual(['req-123']);

    const generated = await client.echo({ text: 'a' }, { onHeader: (h) => (header = h) });
    expect(generated.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(header?.get('x-request-id')).toEqual([generated.requestId]);

    // Ids land in logs and audit events: anything odd or oversized is replaced.
    const replaced = await client.echo({ text: 'a' }, { requestId: `spaces and ${'x'.repeat(200)}` });
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes the request id and the deadline of the call being served downstream', async () => {
    const downstream = await startEcho({
      echo: async (_request, ctx) => ({ text: String(ctx.deadline.getTime()), requestId: ctx.requestId }),
    });
    let upstreamDeadline = 0;
    const upstream = await startEcho({
      echo: async (request, ctx) => {
        upstreamDeadline = ctx.deadline.getTime();
        return downstream.client.echo(request, { parent: ctx });
      },
    });

    const answer = await upstream.client.echo({ text: 'x' }, { requestId: 'req-chain', deadline: new Date(Date.now() + 5_000) });
    expect(answer.requestId).toBe('req-chain');
    // The wire carries a relative timeout, so allow for transit; the client default would be 10 s.
    expect(Number(answer.text)).toBeLessThanOrEqual(upstreamDeadline + 100);
  });

  it('fails an expired client deadline with DEADLINE_EXCEEDED and aborts the handler signal', async () => {
    const reason = deferred<unknown>();
    const { client } = await startEcho({
      echo: async (_request, ctx) => {
        reason.resolve(await waitForAbort(ctx.signal));
        return { text: 'too late' };
      },
    });

    const failure = await errorOf(client.echo({ text: 'x' }, { deadline: new Date(Date.now() + 500) }));
    expect(failure.kind).toBe('DEADLINE_EXCEEDED');
    await expect(reason.promise).resolves.toMatchObject({ kind: 'DEADLINE_EXCEEDED' });
  });

  it('caps a call at the server maximum even when its handler ignores the signal', async () => {
    const { client } = await startEcho({ echo: () => new Promise<EchoResponse>(() => undefined) }, { maxDeadlineMs: 50 });

    const failure = await errorOf(client.echo({ text: 'x' }, { deadline: new Date(Date.now() + 10_000) }));
    expect(failure).toMatchObject({ kind: 'DEADLINE_EXCEEDED', code: 'DEADLINE_EXCEEDED', message: 'Deadline exceeded' });
  });

  it('aborts the handler signal when the client cancels, and when it leaves a stream early', async () => {
    const started = deferred();
    const unaryReason = deferred<unknown>();
    const streamClosed = deferred();
    const { client } = await startEcho({
      echo: async (_request, ctx) => {
        started.resolve();
        unaryReason.resolve(await waitForAbort(ctx.signal));
        return { text: 'cancelled' };
      },
      async *repeat(_request, ctx) {
        try {
          for (let i = 0; !ctx.signal.aborted; i++) yield { text: String(i) };
        } finally {
          streamClosed.resolve();
        }
      },
    });

    const controller = new AbortController();
    const call = client.echo({ text: 'x' }, { signal: controller.signal });
    await started.promise;
    controller.abort();
    expect(await errorOf(call)).toMatchObject({ kind: 'CANCELLED' });
    await expect(unaryReason.promise).resolves.toMatchObject({ kind: 'CANCELLED' });

    const texts: string[] = [];
    for await (const response of client.repeat({ text: 'x' })) {
      texts.push(response.text);
      if (texts.length === 3) break;
    }
    expect(texts).toEqual(['0', '1', '2']);
    await streamClosed.promise;
  });

  it('logs one line per call with method, status, duration and request id, never metadata values', async () => {
    const { client, lines } = await startEcho({
      echo: async (request) => {
        if (request.text === 'missing') throw notFound('Project');
        return { text: 'ok' };
      },
    });
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer secret-token-value');

    await client.echo({ text: 'ok' }, { requestId: 'req-log-1', metadata });
    await errorOf(client.echo({ text: 'missing' }, { requestId: 'req-log-2', metadata }));

    const callLines = lines.filter((line) => line['msg'] === 'grpc call');
    expect(callLines).toEqual([
      expect.objectContaining({ level: 'info', method: EchoService.echo.path, status: 'OK', requestId: 'req-log-1' }),
      expect.objectContaining({ level: 'info', method: EchoService.echo.path, status: 'NOT_FOUND', requestId: 'req-log-2' }),
    ]);
    expect(typeof callLines[0]?.['durationMs']).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('secret-token-value');
  });

  it('gives handlers the typed fields application middleware adds, in order, and maps its errors', async () => {
    const tenant: ServerMiddleware<{ tenant: string }> = async function* (call, ctx) {
      const header = ctx.metadata.get('x-tenant-id')[0];
      if (typeof header !== 'string') {
        throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TENANT_MISSING', message: 'No tenant in the call' });
      }
      return yield* call.next(call.request, { ...ctx, tenant: header });
    };
    const shout: ServerMiddleware<{ loudTenant: string }, { tenant: string }> = async function* (call, ctx) {
      return yield* call.next(call.request, { ...ctx, loudTenant: ctx.tenant.toUpperCase() });
    };
    const { logger } = createCapturingLogger();
    const server = createGrpcServer({ logger, middleware: composeServerMiddleware(tenant, shout) });
    server.addService(EchoService, {
      ...defaultEcho,
      echo: async (_request, ctx) => ({ text: ctx.loudTenant, tenant: ctx.tenant }),
    });
    const port = await server.listen('127.0.0.1:0');
    const client = createGrpcClient(EchoClient, `127.0.0.1:${port}`);
    const health = createGrpcClient(HealthClient, `127.0.0.1:${port}`);
    cleanups.push(async () => {
      closeGrpcClient(client);
      closeGrpcClient(health);
      await server.shutdown({ timeoutMs: 100 });
    });

    const metadata = new Metadata();
    metadata.set('x-tenant-id', 'acme');
    await expect(client.echo({ text: 'x' }, { metadata })).resolves.toEqual({ text: 'ACME', tenant: 'acme' });
    expect(await errorOf(client.echo({ text: 'x' }))).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'TENANT_MISSING' });
    // Health stays public: probes carry no tenant and no token.
    await expect(health.check({ service: '' })).resolves.toEqual({ status: HealthCheckResponse_ServingStatus.SERVING });
  });

  it('reports NOT_SERVING, then lets an in-flight call finish before it stops', async () => {
    const started = deferred();
    const release = deferred();
    const { server, client, address } = await startEcho({
      echo: async () => {
        started.resolve();
        await release.promise;
        return { text: 'finished' };
      },
    });
    const health = createGrpcClient(HealthClient, address);
    cleanups.push(async () => closeGrpcClient(health));
    const watch = health.watch({ service: '' })[Symbol.asyncIterator]();
    expect((await watch.next()).value).toEqual({ status: HealthCheckResponse_ServingStatus.SERVING });

    const inFlight = client.echo({ text: 'x' });
    await started.promise;
    const stopped = server.shutdown({ timeoutMs: 10_000 });

    expect((await watch.next()).value).toEqual({ status: HealthCheckResponse_ServingStatus.NOT_SERVING });
    expect((await watch.next()).done).toBe(true);
    release.resolve();
    await expect(inFlight).resolves.toEqual({ text: 'finished' });
    await stopped;
  });

  it('cancels calls still running when the shutdown timeout passes', async () => {
    const started = deferred();
    const reason = deferred<unknown>();
    const { server, client } = await startEcho({
      echo: async (_request, ctx) => {
        started.resolve();
        reason.resolve(await waitForAbort(ctx.signal));
        return { text: 'never sent' };
      },
    });

    const inFlight = errorOf(client.echo({ text: 'x' }));
    await started.promise;
    await server.shutdown({ timeoutMs: 50 });

    await expect(reason.promise).resolves.toMatchObject({ kind: 'CANCELLED' });
    expect(['CANCELLED', 'UNAVAILABLE']).toContain((await inFlight).kind);
  });
});
