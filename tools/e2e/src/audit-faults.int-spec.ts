import { loadDevstackEnv, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { loggedWrites } from './logged-writes';
import { createRestClient, type RestClient } from './rest-client';
import { expectStatus, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

/**
 * No loss, no duplicates under faults (issue 5): 1 500 writes across 10 tenants through the
 * gateway (each a project update, recorded in the outbox with its change) while the audit
 * service is killed (SIGKILL) in the middle of logging and started again. Every write must
 * succeed, and the compliance log must end up with exactly one event per write, every tenant's
 * chain verifying. Broker outages, with the audit service left running, are
 * self-healing.int-spec.ts's (issue 26): restarting the service after one hid that its consumer
 * never came back.
 */

jest.setTimeout(300_000);

const devstack = loadDevstackEnv();
const TENANTS = 10;
const WRITES_PER_TENANT = 150;

let platform: RunningPlatform;
let api: RestClient;

interface Tenant {
  owner: SignedUp;
  projectId: string;
  written: number;
}

/** `count` writes spread over the tenants, `concurrency` at a time; each names itself in the description. */
async function write(tenants: Tenant[], count: number, concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const tenant = tenants[next++ % tenants.length] as Tenant;
        const n = tenant.written++;
        const reply = await api.call('PATCH', `/v1/projects/${tenant.projectId}`, { token: tenant.owner.tokens.accessToken, body: { description: `write-${n}` } });
        expectStatus(reply, 200);
      }
    }),
  );
}

beforeAll(async () => {
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'audit', 'gateway'],
    env: { auth: MANY_USERS_AUTH_ENV, gateway: { RATE_LIMIT_RPM_BASIC: '1000000' } },
  });
  api = createRestClient(platform.gatewayUrl);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

it('logs every one of 1 500 writes exactly once through a killed audit service, every chain verifying', async () => {
  const tenants: Tenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const owner = await signUp(api, `faults-${i}`);
    const created = await api.call<{ id: string }>('POST', '/v1/projects', { token: owner.tokens.accessToken, body: { name: 'Under fire' } });
    expectStatus(created, 201);
    tenants.push({ owner, projectId: created.body.id, written: 0 });
  }

  await write(tenants, 500);

  // The audit service is killed while it relays and logs, and started again.
  const writing = write(tenants, 500);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await platform.killService('audit');
  await writing;
  await platform.startService('audit');
  await write(tenants, 500);

  expect(tenants.reduce((sum, t) => sum + t.written, 0)).toBe(TENANTS * WRITES_PER_TENANT);
  const expected = Array.from({ length: WRITES_PER_TENANT }, (_, n) => `write-${n}`).sort();
  const deadline = Date.now() + 180_000;
  for (const tenant of tenants) {
    let logged = await loggedWrites(devstack, tenant.owner.orgId);
    while (logged.length < WRITES_PER_TENANT && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      logged = await loggedWrites(devstack, tenant.owner.orgId);
    }
    // Exactly one event per write: none missing, none twice.
    expect(logged.sort()).toEqual(expected);
    const verified = await api.call<{ ok: boolean; checked: number; firstBrokenEventId?: string }>('GET', '/v1/audit/verify', { token: tenant.owner.tokens.accessToken });
    expectStatus(verified, 200);
    expect(verified.body.ok).toBe(true);
    expect(verified.body.firstBrokenEventId).toBeUndefined();
    expect(verified.body.checked).toBeGreaterThanOrEqual(WRITES_PER_TENANT);
  }
});
