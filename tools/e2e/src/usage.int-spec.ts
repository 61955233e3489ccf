import { PLAN_LIMITS } from '@bulkhead/permissions';
import { eventually, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { startHttpTarget, type HttpTarget } from './http-target';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

/** The gateway's request rate for basic organizations here: low, so a handful of requests shows in the bucket. */
const REQUESTS_PER_MINUTE = 120;
const BASIC = PLAN_LIMITS.basic;

let platform: RunningPlatform;
let api: RestClient;
let target: HttpTarget;

type Counts = Record<string, { used: number; limit: number }>;

const as = (who: SignedUp) => ({
  call: <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<RestReply<T>> =>
    api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) }),
});

async function created<T extends { id: string }>(who: SignedUp, path: string, body: unknown, status = 201): Promise<T> {
  const reply = await as(who).call<T>('POST', path, body);
  expectStatus(reply, status);
  return reply.body;
}

/** `who`'s organization's usage, by resource. */
async function usageOf(who: SignedUp): Promise<Counts> {
  const reply = await as(who).call<{ plan: string; items: { resource: string; used: number; limit: number }[] }>('GET', `/v1/orgs/${who.orgId}/usage`);
  expectStatus(reply, 200);
  expect(reply.body.plan).toBe('basic');
  return Object.fromEntries(reply.body.items.map(({ resource, used, limit }) => [resource, { used, limit }]));
}

/** Everything but the request rate, which every request moves. */
const storedCounts = ({ requestsPerMinute: _rate, ...rest }: Counts): Counts => rest;

const runStatus = async (who: SignedUp, runId: string): Promise<string> => {
  const reply = await as(who).call<{ status: string }>('GET', `/v1/runs/${runId}`);
  expectStatus(reply, 200);
  return reply.body.status;
};

beforeAll(async () => {
  target = await startHttpTarget();
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'gateway'],
    env: {
      auth: MANY_USERS_AUTH_ENV,
      agent: { AGENT_EGRESS_ALLOW: '127.0.0.1/32' },
      workflow: { WORKER_POLL_INTERVAL_MS: '50' },
      gateway: { RATE_LIMIT_RPM_BASIC: String(REQUESTS_PER_MINUTE) },
    },
  });
  api = createRestClient(platform.gatewayUrl);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await target?.close();
});

describe('GET /v1/orgs/{orgId}/usage', () => {
  it('reports every plan limit, and each count moves as its resource is created', async () => {
    const owner = await signUp(api, 'usage-moves');
    const start = await usageOf(owner);
    expect(start).toEqual({
      projects: { used: 0, limit: BASIC.projects },
      members: { used: 1, limit: BASIC.members },
      agents: { used: 0, limit: BASIC.agents },
      storageBytes: { used: 0, limit: BASIC.storageBytes },
      workflows: { used: 0, limit: BASIC.workflows },
      concurrentRuns: { used: 0, limit: BASIC.concurrentRuns },
      // The first authenticated request of the organization: itself. The limit is the one the gateway enforces.
      requestsPerMinute: { used: 1, limit: REQUESTS_PER_MINUTE },
    });

    // The profile names the same limits, storageBytes included (its request rate is the plan table's).
    const profile = await as(owner).call<{ limits: unknown }>('GET', `/v1/orgs/${owner.orgId}`);
    expectStatus(profile, 200);
    expect(profile.body.limits).toEqual(BASIC);

    const project = await created(owner, '/v1/projects', { name: 'Usage' });
    const slow = await created(owner, '/v1/agents', { name: 'slow', kind: 'http', config: { url: `${target.url}/usage-slow?delayMs=3000`, body: {} } });
    const kb = await created(owner, '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: { maxPassages: 2 } });
    // Two paragraphs, two passages; "é" and "—" are 2 and 3 bytes in UTF-8.
    await created(owner, `/v1/agents/${kb.id}/documents`, { title: 'Menu', content: 'Café opens at nine.\n\nClosed on Sunday — always.' });
    const workflow = await created(owner, '/v1/workflows', { projectId: project.id, name: 'Slow', steps: [{ id: 'wait', agentId: slow.id, input: {} }] });
    const run = await created(owner, `/v1/workflows/${workflow.id}/runs`, { input: {} }, 202);
    await eventually(async () => expect(await runStatus(owner, run.id)).toBe('running'), 10_000);

    const busy = await usageOf(owner);
    expect(storedCounts(busy)).toEqual({
      projects: { used: 1, limit: BASIC.projects },
      members: { used: 1, limit: BASIC.members },
      agents: { used: 2, limit: BASIC.agents },
      storageBytes: { used: Buffer.byteLength('Café opens at nine.') + Buffer.byteLength('Closed on Sunday — always.'), limit: BASIC.storageBytes },
      workflows: { used: 1, limit: BASIC.workflows },
      concurrentRuns: { used: 1, limit: BASIC.concurrentRuns },
    });

    await eventually(async () => expect(await runStatus(owner, run.id)).toBe('succeeded'), 20_000);
    expect((await usageOf(owner)).concurrentRuns).toEqual({ used: 0, limit: BASIC.concurrentRuns });
  }, 60_000);

  it('counts the requests of the current minute from the gateway’s bucket', async () => {
    const owner = await signUp(api, 'usage-rate');
    const began = Date.now();
    const before = (await usageOf(owner)).requestsPerMinute;
    const burst = 10;
    await Promise.all(Array.from({ length: burst }, async () => expectStatus(await as(owner).call('GET', '/v1/projects'), 200)));
    const after = (await usageOf(owner)).requestsPerMinute;
    // The bucket refills REQUESTS_PER_MINUTE / 60 000 tokens a millisecond: at most that many went back meanwhile.
    const refilled = Math.ceil(((Date.now() - began) * REQUESTS_PER_MINUTE) / 60_000);
    expect(before).toEqual({ used: 1, limit: REQUESTS_PER_MINUTE });
    expect(after?.limit).toBe(REQUESTS_PER_MINUTE);
    expect(after?.used).toBeGreaterThanOrEqual(1 + burst + 1 - refilled);
    expect(after?.used).toBeLessThanOrEqual(1 + burst + 1);
  });

  it("answers 404 to tenant B asking for tenant A's usage, and A's counts do not change", async () => {
    const a = await signUp(api, 'usage-a');
    const b = await signUp(api, 'usage-b');
    await created(a, '/v1/projects', { name: 'A only' });
    await created(a, '/v1/agents', { name: 'a-agent', kind: 'transform', config: { template: { echo: '{{input}}' } } });
    const aBefore = storedCounts(await usageOf(a));

    const asked = await as(b).call('GET', `/v1/orgs/${a.orgId}/usage`);
    expectStatus(asked, 404);
    expect(JSON.stringify(asked.body)).not.toContain('A only');

    expect(storedCounts(await usageOf(a))).toEqual(aBefore);
    const bOwn = storedCounts(await usageOf(b));
    expect(bOwn.projects?.used).toBe(0);
    expect(bOwn.agents?.used).toBe(0);
  });
});
