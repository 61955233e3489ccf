import { eventually, loadDevstackEnv, startComponent, startPlatform, stopComponent, withPgClient, type DevstackEnv, type RunningPlatform } from '@bulkhead/testkit';
import { startHttpTarget, type HttpTarget } from './http-target';
import { createRestClient, type RestClient } from './rest-client';
import { devstackShardRouter, expectStatus, MANY_USERS_AUTH_ENV, onShardAsTenant, signUp, type SignedUp } from './tenants';

/**
 * Self-healing (issue 26, ADR 0012): PostgreSQL server A (the identity database and shards 0
 * and 1) stopped and started again while workflow runs go on, no service restarted by the test.
 * Every run completes, and no step is completed twice: each step has one succeeded execution.
 */

jest.setTimeout(240_000);

const devstack = loadDevstackEnv();
const SERVER = 'pg-a';
const RUNS = 6;
const OUTAGE_MS = 3000;
/** Short restart backoffs, so a recovery is seen within a second of the server's return. */
const FAST_RESTARTS = { LOOP_RESTART_INITIAL_MS: '100', LOOP_RESTART_MAX_MS: '1000' };

type Run = { id: string; status: string; steps: { id: string; status: string }[] };

let platform: RunningPlatform;
let api: RestClient;
let target: HttpTarget;
let serverStopped = false;

/** The shard the tenant's data is on, as the services route it. */
async function shardOf(tenantId: string): Promise<DevstackEnv['shards'][number]> {
  const routed = await withPgClient(devstack.identityDatabase.url, (identity) => devstackShardRouter(devstack, identity).shardFor(tenantId));
  return devstack.shards.find((shard) => shard.id === routed.id) as DevstackEnv['shards'][number];
}

/** A tenant placed on a shard of {@link SERVER}, so the restart hits both its data and identity. */
async function tenantOnServer(): Promise<SignedUp> {
  for (let attempt = 0; attempt < 12; attempt++) {
    const owner = await signUp(api, 'pg-restart');
    if ((await shardOf(owner.orgId)).server === SERVER) return owner;
  }
  throw new Error(`no tenant placed on ${SERVER} in 12 signups`);
}

beforeAll(async () => {
  target = await startHttpTarget();
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'gateway'],
    env: {
      auth: MANY_USERS_AUTH_ENV,
      agent: { AGENT_EGRESS_ALLOW: '127.0.0.1/32' },
      workflow: { ...FAST_RESTARTS, STEP_LEASE_MS: '4000', WORKER_POLL_INTERVAL_MS: '50' },
      gateway: { RATE_LIMIT_RPM_BASIC: '1000000' },
    },
    readyTimeoutMs: 90_000,
  });
  api = createRestClient(platform.gatewayUrl);
}, 120_000);

afterAll(async () => {
  // Whatever failed, the server must be up for the specs after this one.
  if (serverStopped) startComponent(devstack, SERVER);
  await platform?.stop();
  await target?.close();
});

it('completes every workflow run, each step once, through a restart of the identity database and a shard server', async () => {
  const owner = await tenantOnServer();
  const call = <T>(method: string, path: string, body?: unknown) => api.call<T>(method, path, { token: owner.tokens.accessToken, ...(body === undefined ? {} : { body }) });
  const project = await call<{ id: string }>('POST', '/v1/projects', { name: 'Restarts' });
  expectStatus(project, 201);
  const agentIds: string[] = [];
  for (const agent of [
    { name: 'shape', kind: 'transform', config: { template: { n: '{{input.n}}' } } },
    { name: 'notify', kind: 'http', config: { url: `${target.url}/restart?delayMs=500`, body: { sent: '{{input}}' } } },
  ]) {
    const created = await call<{ id: string }>('POST', '/v1/agents', agent);
    expectStatus(created, 201);
    agentIds.push(created.body.id);
  }
  const [shape, notify] = agentIds as [string, string];
  const workflow = await call<{ id: string }>('POST', '/v1/workflows', {
    projectId: project.body.id,
    name: 'Through a restart',
    steps: [
      { id: 'shape', agentId: shape, input: { n: '{{run.input.n}}' } },
      { id: 'notify', agentId: notify, input: { n: '{{steps.shape.output.n}}' } },
      { id: 'again', agentId: shape, input: { n: '{{steps.shape.output.n}}' } },
    ],
  });
  expectStatus(workflow, 201);
  const runIds: string[] = [];
  for (let n = 0; n < RUNS; n++) {
    const started = await call<Run>('POST', `/v1/workflows/${workflow.body.id}/runs`, { input: { n } });
    expectStatus(started, 202);
    runIds.push(started.body.id);
  }
  // Mid-run: the first run's http step is under way when the server goes.
  await eventually(async () => expect(target.received.length).toBeGreaterThan(0), 30_000);
  stopComponent(devstack, SERVER);
  serverStopped = true;
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  startComponent(devstack, SERVER);
  serverStopped = false;

  const shard = await shardOf(owner.orgId);
  for (const runId of runIds) {
    await eventually(async () => {
      const run = await call<Run>('GET', `/v1/runs/${runId}`).catch(() => undefined);
      expect(run?.body.status).toBe('succeeded');
    }, 60_000);
    const completions = await onShardAsTenant<{ step_id: string; succeeded: number }>(
      shard.ownerUrl,
      owner.orgId,
      `SELECT step_id, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded FROM workflow_step_executions WHERE run_id = $1 GROUP BY step_id ORDER BY step_id`,
      [runId],
    );
    expect(completions).toEqual([
      { step_id: 'again', succeeded: 1 },
      { step_id: 'notify', succeeded: 1 },
      { step_id: 'shape', succeeded: 1 },
    ]);
  }
  // Every run's http step reached its target. A call whose outcome could not be recorded while
  // the shard was down is made again (at least once to the outside, completed once inside).
  const sent = new Set(target.received.map((request) => Number((request.body as { sent: { n: unknown } }).sent.n)));
  expect([...sent].sort((a, b) => a - b)).toEqual(Array.from({ length: RUNS }, (_, n) => n));
});
