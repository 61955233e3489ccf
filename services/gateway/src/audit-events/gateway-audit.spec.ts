import { auditEnvelopeSchema } from '@bulkhead/audit';
import { AppError } from '@bulkhead/errors';
import { CLIENT_IP_METADATA_KEY } from '@bulkhead/contracts';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import type { Principal } from '@bulkhead/tokens';
import { Metadata } from '@grpc/grpc-js';
import { createGatewayAudit } from './gateway-audit';

const principal = (tenantId: string): Principal => ({
  type: 'apiKey',
  subject: '0190f5a4-0000-7000-8000-000000000001',
  tenantId,
  role: 'member',
  sessionId: 's',
  scopes: [],
  tokenId: 't',
  expiresAt: new Date(Date.now() + 60_000),
});
const A = '0190f5a4-0000-7000-8000-0000000000aa';
const B = '0190f5a4-0000-7000-8000-0000000000bb';

/** An in-memory SET NX EX and a producer that keeps (or refuses) what it is sent. */
function setup(options: { maxQueued?: number; kafkaDown?: boolean; redisDown?: boolean } = {}) {
  const keys = new Set<string>();
  const sent: { topic: string; acks?: number; messages: { key: string; value: string }[] }[] = [];
  const registry = createMetricsRegistry('gateway-spec');
  const audit = createGatewayAudit({
    redis: {
      set: (async (key: string) => {
        if (options.redisDown) throw new Error('redis down');
        if (keys.has(key)) return null;
        keys.add(key);
        return 'OK';
      }) as never,
    },
    producer: {
      send: (async (record: (typeof sent)[number]) => {
        if (options.kafkaDown) throw new Error('kafka down');
        sent.push(record);
        return [];
      }) as never,
      disconnect: async () => undefined,
    },
    topic: 'audit.events',
    sampleWindowSeconds: 60,
    maxQueued: options.maxQueued ?? 100,
    logger: createLogger({ service: 'gateway-spec', level: 'silent' }),
    registry,
  });
  const metadata = new Metadata();
  metadata.set(CLIENT_IP_METADATA_KEY, '203.0.113.5');
  const refuse = (tenantId: string) =>
    audit.rateLimited({ principal: principal(tenantId), accessToken: 'jwt' }, { callOptions: { requestId: 'req-9', metadata }, plan: 'basic', requestsPerMinute: 60 });
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await audit.flush();
  };
  return { audit, refuse, settle, sent, keys, registry };
}

describe('rate-limit audit sampling', () => {
  it('produces one access.rate_limited per tenant per window, keyed by tenant, with the library envelope', async () => {
    const { refuse, settle, sent, keys } = setup();
    for (let i = 0; i < 5; i += 1) refuse(A);
    refuse(B);
    await settle();
    const messages = sent.flatMap((record) => record.messages);
    expect(sent.every((record) => record.topic === 'audit.events' && record.acks === -1)).toBe(true);
    expect(messages.map((m) => m.key).sort()).toEqual([A, B]);
    const event = auditEnvelopeSchema.parse(JSON.parse(messages.find((m) => m.key === A)?.value ?? '')).event;
    expect(event).toMatchObject({
      tenantId: A,
      action: 'access.rate_limited',
      outcome: 'denied',
      actor: { type: 'apiKey', id: principal(A).subject },
      resource: { type: 'organization', id: A },
      requestId: 'req-9',
      ip: '203.0.113.5',
      metadata: { plan: 'basic', requestsPerMinute: 60, sampled: true },
    });
    expect([...keys]).toEqual([`bh:{${A}}:audit:rl-sample`, `bh:{${B}}:audit:rl-sample`]);
  });

  it('drops samples past the queue bound and when Kafka or Redis fail, counting them, never throwing', async () => {
    const full = setup({ maxQueued: 0 });
    full.refuse(A);
    await full.settle();
    expect(full.sent).toEqual([]);
    const down = setup({ kafkaDown: true });
    down.refuse(A);
    await down.settle();
    const noRedis = setup({ redisDown: true });
    expect(() => noRedis.refuse(A)).not.toThrow();
    await noRedis.settle();
    const dropped = (s: ReturnType<typeof setup>) => s.registry.getSingleMetricAsString('bulkhead_gateway_audit_dropped_total');
    expect(await dropped(full)).toContain('reason="queue_full",service="gateway-spec"} 1');
    expect(await dropped(down)).toContain('reason="kafka",service="gateway-spec"} 1');
    expect(await dropped(noRedis)).toContain('reason="redis",service="gateway-spec"} 1');
  });
});

describe('the gateway’s own denials', () => {
  it('produce one access.denied each, unsampled, in the caller’s tenant, naming the route and the refusal', async () => {
    const { audit, settle, sent, keys } = setup();
    const error = new AppError({ kind: 'PERMISSION_DENIED', code: 'TENANT_MISMATCH', message: 'no' });
    for (let i = 0; i < 3; i += 1) audit.denied({ principal: principal(A), accessToken: 'jwt' }, { callOptions: { requestId: `req-${i}` }, route: 'GET /v1/auth/me', error });
    await settle();
    const events = sent.flatMap((record) => record.messages).map((m) => auditEnvelopeSchema.parse(JSON.parse(m.value)).event);
    expect(events.map((event) => event.requestId)).toEqual(['req-0', 'req-1', 'req-2']);
    expect(events[0]).toMatchObject({
      tenantId: A,
      action: 'access.denied',
      outcome: 'denied',
      actor: { type: 'apiKey', id: principal(A).subject },
      resource: { type: 'route', id: 'GET /v1/auth/me' },
      metadata: { route: 'GET /v1/auth/me', errorKind: 'PERMISSION_DENIED', errorCode: 'TENANT_MISMATCH', refusedBy: 'gateway' },
    });
    expect(keys.size).toBe(0);
  });
});
