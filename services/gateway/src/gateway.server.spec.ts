import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGrpcServer, type GrpcServer } from '@bulkhead/grpc-kit';
import { createSupervisor, type Supervisor } from '@bulkhead/service-runtime';
import { startGateway, type Gateway } from './gateway.server';
import { createTestTokens } from './testing/test-tokens';
import { createUpstreamClients, type UpstreamClients } from './testing/gateway.fixture';

const logger = createLogger({ service: 'gateway-spec', level: 'silent' });

describe('gateway', () => {
  let upstream: GrpcServer;
  let upstreams: UpstreamClients;
  let gateway: Gateway;
  let base: string;
  const registry = createMetricsRegistry('gateway');
  let supervisor: Supervisor;

  beforeAll(async () => {
    supervisor = createSupervisor({ logger, registry, backoff: { initialMs: 1, maxMs: 5 } });
    upstream = createGrpcServer({ logger });
    const upstreamAddress = `127.0.0.1:${await upstream.listen('127.0.0.1:0')}`;
    upstreams = createUpstreamClients({ auth: upstreamAddress, org: upstreamAddress, project: upstreamAddress }, 1000);
    gateway = await startGateway(
      { httpPort: 0, host: '127.0.0.1', upstreams: { auth: upstreamAddress } },
      {
        logger,
        registry,
        supervisor,
        verifier: (await createTestTokens()).verifier,
        ...upstreams.clients,
      },
    );
    base = `http://127.0.0.1:${gateway.port}`;
  });

  afterAll(async () => {
    await supervisor.stop();
    await gateway.stop(1000);
    upstreams.close();
    await upstream.shutdown({ timeoutMs: 1000 });
  });

  it('answers unknown routes with problem+json carrying the request id it echoes', async () => {
    const response = await fetch(`${base}/v1/nothing-here?x=1`, { headers: { 'x-request-id': 'req-42' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(await response.json()).toEqual({
      type: 'urn:bulkhead:problem:route-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /v1/nothing-here',
      code: 'ROUTE_NOT_FOUND',
      requestId: 'req-42',
    });
  });

  it('replaces a malformed request id with a fresh one', async () => {
    const response = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'not valid!' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps its metrics off the public port, and measures each request by route template, method, status class and plan', async () => {
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(404);
    expect(metrics.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await fetch(`${base}/healthz`);
    const text = await registry.metrics();
    expect(text).toMatch(/bulkhead_http_request_duration_seconds_count\{service="gateway",route="\/healthz",method="GET",status_class="2xx",plan="none"\} [1-9]/);
    expect(text).toMatch(/bulkhead_http_request_duration_seconds_count\{service="gateway",route="unmatched",method="GET",status_class="4xx",plan="none"\} [1-9]/);
  });

  it('names a backend whose loops are down, and its own down loops, as degraded while staying ready', async () => {
    upstream.health.setStatus('', 'NOT_SERVING');
    upstream.health.setStatus('loop/audit-log-consumer', 'NOT_SERVING');
    upstream.health.setStatus('loop/audit-relay:shard-0', 'SERVING');
    supervisor.supervise('gateway-audit-producer', async () => Promise.reject(new Error('no broker')), { affectsReadiness: false });
    const degraded = await fetch(`${base}/readyz`);
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toEqual({ status: 'degraded', degraded: { auth: ['audit-log-consumer'], gateway: ['gateway-audit-producer'] } });
    expect(await gateway.checkReadiness()).toEqual([]);
    await supervisor.stop();
    upstream.health.setStatus('loop/audit-log-consumer', 'SERVING');
    upstream.health.setStatus('', 'SERVING');
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('is ready while its backends answer health checks, and names the one that stops', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    upstream.health.setStatus('', 'NOT_SERVING');
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', failing: ['auth'] });
    await upstream.shutdown({ timeoutMs: 1000 });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
