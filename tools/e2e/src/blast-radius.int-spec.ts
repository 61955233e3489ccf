import { eventually, loadDevstackEnv, startComponent, startPlatform, stopComponent, type RunningPlatform } from '@bulkhead/testkit';
import { Pool } from 'pg';
import { devstackShardRouter, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';
import { createRestClient, type RestClient } from './rest-client';

// The identity database lives on pg-a and the compliance log on pg-b: stopping pg-b takes only
// shards away, so only the tenants on pg-b's shards may notice.
const STOPPED = 'pg-b';
const devstack = loadDevstackEnv();

let platform: RunningPlatform;
let api: RestClient;

beforeAll(async () => {
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'gateway'], env: { auth: MANY_USERS_AUTH_ENV } });
  api = createRestClient(platform.gatewayUrl);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** One call bounded at 5 s: a hang fails the test instead of stalling it. */
async function call(who: SignedUp, method: string, path: string, body?: unknown): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.tokens.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

it(`keeps tenants on other clusters working while ${STOPPED} is down, answers 503 to its own, and recovers them after it returns`, async () => {
  const servers = new Map(devstack.shards.map((shard) => [shard.id, shard.server]));
  expect(devstack.identityDatabase.server).not.toBe(STOPPED);
  const identity = new Pool({ connectionString: devstack.identityDatabase.url, max: 1 });
  const router = devstackShardRouter(devstack, identity);
  // Sign up until there are two tenants on each side; all signing in happens before the stop.
  const up: SignedUp[] = [];
  const down: SignedUp[] = [];
  const shardOf = new Map<string, string>();
  while (up.length < 2 || down.length < 2) {
    const tenant = await signUp(api, 'blast');
    const shardId = (await router.shardFor(tenant.orgId)).id;
    const side = servers.get(shardId) === STOPPED ? down : up;
    if (side.length < 2) side.push(tenant);
    shardOf.set(tenant.orgId, shardId);
  }
  await identity.end();
  for (const tenant of [...up, ...down]) expect((await call(tenant, 'POST', '/v1/projects', { name: 'before' })).status).toBe(201);

  stopComponent(devstack, STOPPED);
  try {
    for (const [i, tenant] of up.entries()) {
      const list = await call(tenant, 'GET', '/v1/projects');
      expect({ status: list.status, body: list.body }).toEqual({ status: 200, body: expect.objectContaining({ items: [expect.objectContaining({ name: 'before' })] }) });
      const created = await call(tenant, 'POST', '/v1/projects', { name: `during ${i}` });
      expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: created.body });
    }
    for (const tenant of down) {
      for (const [method, body] of [['GET', undefined], ['POST', { name: 'during' }]] as const) {
        const started = Date.now();
        const reply = await call(tenant, method, '/v1/projects', body);
        const shardId = shardOf.get(tenant.orgId) ?? '';
        expect({ method, status: reply.status, body: reply.body }).toEqual({
          method,
          status: 503,
          body: expect.objectContaining({ code: 'SHARD_UNAVAILABLE', detail: expect.stringContaining(shardId) }),
        });
        expect(reply.contentType).toContain('application/problem+json');
        expect(Date.now() - started).toBeLessThan(5000);
      }
    }
  } finally {
    startComponent(devstack, STOPPED);
  }

  for (const tenant of down) {
    await eventually(async () => {
      const list = await call(tenant, 'GET', '/v1/projects');
      expect({ status: list.status, body: list.body }).toEqual({ status: 200, body: expect.objectContaining({ items: [expect.objectContaining({ name: 'before' })] }) });
    }, 20_000);
    expect((await call(tenant, 'POST', '/v1/projects', { name: 'after' })).status).toBe(201);
  }
}, 120_000);
