import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  createLogger,
  createMetricsRegistry,
  createGrpcCallDurationHistogram,
  createHttpRequestDurationHistogram,
  currentTraceId,
  startOpsServer,
  startTracing,
} from './index';

function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks.join('').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name and redacts secrets', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'auth', destination: stream });
    logger.child({ requestId: 'r-1', tenantId: 't-1' }).info(
      { password: 'hunter2', body: { refreshToken: 'rt-secret' }, headers: { authorization: 'Bearer abc' } },
      'login',
    );
    const [line] = lines();
    expect(line).toMatchObject({ service: 'auth', requestId: 'r-1', tenantId: 't-1', msg: 'login', level: 'info' });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|rt-secret|Bearer abc/);
  });
});

describe('startTracing', () => {
  it('is off without an endpoint: no trace context, so logs and audit events get no trace id', async () => {
    const tracing = startTracing({ serviceName: 'project' });
    try {
      let traceId: string | undefined = 'unset';
      trace.getTracer('spec').startActiveSpan('create-project', (span) => {
        traceId = currentTraceId();
        span.end();
      });
      expect(traceId).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });

  it('exports spans over OTLP/HTTP to the configured endpoint', async () => {
    const bodies: unknown[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const tracing = startTracing({ serviceName: 'project', otlpTracesUrl: `http://127.0.0.1:${port}/v1/traces` });
    try {
      let traceId: string | undefined;
      trace.getTracer('spec').startActiveSpan('create-project', (span) => {
        traceId = currentTraceId();
        span.end();
      });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(currentTraceId()).toBeUndefined();
      await tracing.forceFlush();
      const exported = JSON.stringify(bodies);
      expect(exported).toContain('create-project');
      expect(exported).toContain('"project"');
      expect(exported).toContain(traceId);
    } finally {
      await tracing.shutdown();
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

describe('startOpsServer', () => {
  it('serves liveness, readiness naming the failing dependency, and Prometheus metrics', async () => {
    const registry = createMetricsRegistry('gateway');
    createHttpRequestDurationHistogram(registry).observe({ route: '/v1/projects/:id', method: 'GET', status_class: '2xx', plan: 'basic' }, 0.01);
    createGrpcCallDurationHistogram(registry).observe({ grpc_service: 'bulkhead.project.v1.ProjectService', grpc_method: 'GetProject', grpc_code: 'OK' }, 0.01);
    let failing: string[] = ['postgres:shard-1'];
    const ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry, checkReadiness: async () => failing });
    const base = `http://127.0.0.1:${ops.port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not ready', failing: ['postgres:shard-1'] });
      failing = [];
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('bulkhead_http_request_duration_seconds_count{service="gateway",route="/v1/projects/:id",method="GET",status_class="2xx",plan="basic"} 1');
      expect(metrics).toContain('bulkhead_grpc_server_call_duration_seconds_count{service="gateway",grpc_service="bulkhead.project.v1.ProjectService",grpc_method="GetProject",grpc_code="OK"} 1');
      expect(metrics).toContain('service="gateway"');
      expect(metrics).toContain('process_cpu_user_seconds_total');
    } finally {
      await ops.close();
    }
  });
});

describe('createLogger with tracing on', () => {
  it('writes the trace id of the active span on each line when tracing is on, and none outside a span', async () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'project', destination: stream, traceIds: true });
    const tracing = startTracing({ serviceName: 'project', spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
    try {
      let traceId: string | undefined;
      trace.getTracer('spec').startActiveSpan('get-project', (span) => {
        traceId = currentTraceId();
        logger.info('inside');
        span.end();
      });
      logger.info('outside');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(lines()).toEqual([expect.objectContaining({ msg: 'inside', traceId }), expect.not.objectContaining({ traceId: expect.anything() })]);
    } finally {
      await tracing.shutdown();
    }
  });
});
