import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { createRestClient, type RestClient } from './rest-client';
import { expectStatus, signUp } from './tenants';

jest.setTimeout(120_000);

/** A span as an OTLP/HTTP collector receives it (JSON encoding), with its service's name. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  name: string;
}

interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; name: string }> }>;
  }>;
}

const received: ReceivedSpan[] = [];
let collector: Server;
let platform: RunningPlatform;
let api: RestClient;

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      for (const resourceSpans of (JSON.parse(body) as OtlpJson).resourceSpans ?? []) {
        const service = resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans ?? []) for (const span of scope.spans ?? []) received.push({ service, traceId: span.traceId, name: span.name });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const tracing = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces` };
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'audit', 'gateway'],
    env: { auth: tracing, org: tracing, project: tracing, audit: tracing, gateway: tracing },
  });
  api = createRestClient(platform.gatewayUrl);
});

afterAll(async () => {
  await platform?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('tracing, with a collector configured', () => {
  it("follows a request's trace from the gateway into the project service, and into its audit event", async () => {
    const owner = await signUp(api, 'tracing');
    const traceId = randomBytes(16).toString('hex');
    const created = await api.call<{ id: string }>('POST', '/v1/projects', {
      token: owner.tokens.accessToken,
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: { name: 'Traced' },
    });
    expectStatus(created, 201);

    // Both processes export their spans of the request under the caller's trace id.
    await eventually(async () => {
      const services = new Set(received.filter((span) => span.traceId === traceId).map((span) => span.service));
      expect([...services]).toEqual(expect.arrayContaining(['gateway', 'project']));
    }, 30_000);

    // The project.created event in the compliance log carries the same trace id.
    await eventually(async () => {
      const events = await api.call<{ items: Array<{ resource: { id: string }; traceId: string | null }> }>('GET', '/v1/audit/events?action=project.created', {
        token: owner.tokens.accessToken,
      });
      expectStatus(events, 200);
      expect(events.body.items.find((event) => event.resource.id === created.body.id)?.traceId).toBe(traceId);
    }, 30_000);
  });
});
