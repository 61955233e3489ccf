import { eventually, loadDevstackEnv, startPlatform, withPgClient, type RunningPlatform } from '@bulkhead/testkit';
import { startHttpTarget, type HttpTarget } from './http-target';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, joinAs, MANY_USERS_AUTH_ENV, onShardAsTenant, signUp, type SignedUp } from './tenants';

const devstack = loadDevstackEnv();

let platform: RunningPlatform;
let api: RestClient;
let target: HttpTarget;

type Agent = { id: string; name: string; kind: string; hasCredentials: boolean };
type StepState = { id: string; status: string; attempts: number; input: unknown; output: unknown; error: string | null; generation: number };
type Run = { id: string; status: string; generation: number; steps: StepState[]; error: string | null; createdAt: string | null; finishedAt: string | null };
type Workflow = { id: string; version: number; steps: { id: string }[] };

const as = (who: SignedUp) => ({
  call: <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<RestReply<T>> =>
    api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) }),
});

async function createAgent(owner: SignedUp, body: Record<string, unknown>): Promise<Agent> {
  const reply = await as(owner).call<Agent>('POST', '/v1/agents', body);
  expectStatus(reply, 201);
  return reply.body;
}

async function createProject(owner: SignedUp, name: string): Promise<string> {
  const reply = await as(owner).call<{ id: string }>('POST', '/v1/projects', { name });
  expectStatus(reply, 201);
  return reply.body.id;
}

async function createWorkflow(owner: SignedUp, projectId: string, name: string, steps: unknown[]): Promise<Workflow> {
  const reply = await as(owner).call<Workflow>('POST', '/v1/workflows', { projectId, name, steps });
  expectStatus(reply, 201);
  return reply.body;
}

async function startRun(owner: SignedUp, workflowId: string, input: unknown = {}): Promise<Run> {
  const reply = await as(owner).call<Run>('POST', `/v1/workflows/${workflowId}/runs`, { input });
  expectStatus(reply, 202);
  return reply.body;
}

/** The compliance log's events of `tenantId` (after outbox → relay → Kafka → audit), as stored. */
const loggedEvents = (tenantId: string, action: string) =>
  withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
    (await client.query<{ actor_id: string; outcome: string; event: unknown }>('SELECT actor_id, outcome, to_jsonb(e) AS event FROM audit_events e WHERE tenant_id = $1 AND action = $2', [tenantId, action])).rows,
  );

const getRun = async (owner: SignedUp, runId: string): Promise<Run> => {
  const reply = await as(owner).call<Run>('GET', `/v1/runs/${runId}`);
  expectStatus(reply, 200);
  return reply.body;
};

/** Waits until the run is in `status` (printing the run on a timeout). */
async function runReaches(owner: SignedUp, runId: string, status: string, timeoutMs = 20_000): Promise<Run> {
  let run: Run | undefined;
  await eventually(async () => {
    run = await getRun(owner, runId);
    expect({ status: run.status, run }).toEqual({ status, run });
  }, timeoutMs);
  return run as Run;
}

/** A transform agent echoing its input under `echo`, for one-step workflows. */
const echoAgent = (owner: SignedUp, name: string) => createAgent(owner, { name, kind: 'transform', config: { template: { echo: '{{input}}' } } });
/** An http agent calling the target's `path` (a query such as `?delayMs=1500` makes it slow). */
const httpAgent = (owner: SignedUp, name: string, path: string, extra: Record<string, unknown> = {}) =>
  createAgent(owner, { name, kind: 'http', config: { url: `${target.url}${path}`, body: { sent: '{{input}}' } }, ...extra });

beforeAll(async () => {
  target = await startHttpTarget();
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'],
    env: {
      auth: MANY_USERS_AUTH_ENV,
      agent: { AGENT_EGRESS_ALLOW: '127.0.0.1/32', LOG_LEVEL: 'debug' },
      workflow: { STEP_LEASE_MS: '4000', WORKER_POLL_INTERVAL_MS: '50' },
      gateway: { RATE_LIMIT_RPM_BASIC: '100000' },
    },
  });
  api = createRestClient(platform.gatewayUrl);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await target?.close();
});

describe('a three-step workflow: transform → knowledge-qa → http', () => {
  it('runs to succeeded with every step’s output, and the http target receives the templated body', async () => {
    const owner = await signUp(api, 'wf-three');
    const projectId = await createProject(owner, 'Support');
    const shape = await createAgent(owner, { name: 'shape', kind: 'transform', config: { template: { question: 'What is the {{input.topic}} window?' } } });
    const kb = await createAgent(owner, { name: 'kb', kind: 'knowledge-qa', config: { maxPassages: 2 } });
    expectStatus(
      await as(owner).call('POST', `/v1/agents/${kb.id}/documents`, { title: 'Policies', content: 'Refunds are accepted within 30 days of purchase.\n\nShipping takes five days.' }),
      201,
    );
    const notify = await createAgent(owner, { name: 'notify', kind: 'http', config: { url: `${target.url}/hook`, body: { answer: '{{input.answer}}', asked: '{{input.question}}' } } });
    const workflow = await createWorkflow(owner, projectId, 'Answer a ticket', [
      { id: 'shape', agentId: shape.id, input: { topic: '{{run.input.topic}}' } },
      { id: 'ask', agentId: kb.id, input: { question: '{{steps.shape.output.question}}' } },
      { id: 'notify', agentId: notify.id, input: { answer: '{{steps.ask.output.answer}}', question: '{{steps.ask.output.question}}' } },
    ]);
    const started = await startRun(owner, workflow.id, { topic: 'refund' });
    expect(started).toMatchObject({ status: 'pending', steps: [{ id: 'shape', status: 'pending' }, { id: 'ask', status: 'pending' }, { id: 'notify', status: 'pending' }] });

    const run = await runReaches(owner, started.id, 'succeeded');
    expect(run.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['shape', 'succeeded', 1],
      ['ask', 'succeeded', 1],
      ['notify', 'succeeded', 1],
    ]);
    expect(run.steps[0]?.output).toEqual({ question: 'What is the refund window?' });
    expect(run.steps[1]?.output).toMatchObject({ answer: 'Refunds are accepted within 30 days of purchase.', passages: [expect.objectContaining({ score: expect.any(Number) })] });
    expect(run.steps[2]?.output).toEqual({ status: 200, body: { ok: true, path: '/hook' } });
    expect(target.received.filter((r) => r.path === '/hook').map((r) => r.body)).toEqual([{ answer: 'Refunds are accepted within 30 days of purchase.', asked: 'What is the refund window?' }]);

    const step = await as(owner).call<StepState & { history: StepState[] }>('GET', `/v1/runs/${run.id}/steps/ask`);
    expectStatus(step, 200);
    expect(step.body).toMatchObject({ id: 'ask', status: 'succeeded', input: { question: 'What is the refund window?' }, history: [] });
  });
});

describe('run control', () => {
  it('pause holds the next step until resume; 409 for resume of a running run and pause of a finished one', async () => {
    const owner = await signUp(api, 'wf-pause');
    const projectId = await createProject(owner, 'Ops');
    const slow = await httpAgent(owner, 'slow', '/pause-slow?delayMs=1500');
    const echo = await echoAgent(owner, 'echo');
    const workflow = await createWorkflow(owner, projectId, 'Slow then echo', [
      { id: 'slow', agentId: slow.id, input: { n: '{{run.input.n}}' } },
      { id: 'echo', agentId: echo.id, input: { got: '{{steps.slow.output.body.ok}}' } },
    ]);
    const run = await startRun(owner, workflow.id, { n: 1 });
    await eventually(async () => expect((await getRun(owner, run.id)).steps[0]?.status).toBe('running'), 10_000);
    const paused = await as(owner).call<Run>('POST', `/v1/runs/${run.id}/pause`);
    expectStatus(paused, 200);
    expect(paused.body.status).toBe('paused');
    // The step in flight finishes; the next one does not start while paused.
    await eventually(async () => expect((await getRun(owner, run.id)).steps[0]?.status).toBe('succeeded'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await getRun(owner, run.id)).steps.map((s) => [s.id, s.status])).toEqual([
      ['slow', 'succeeded'],
      ['echo', 'pending'],
    ]);
    expect((await getRun(owner, run.id)).status).toBe('paused');

    expectStatus(await as(owner).call('POST', `/v1/runs/${run.id}/resume`), 200);
    const conflict = await as(owner).call<{ code: string; detail: string }>('POST', `/v1/runs/${run.id}/resume`);
    expect([conflict.status, conflict.body.code]).toEqual([409, 'RUN_STATE_CONFLICT']);
    const done = await runReaches(owner, run.id, 'succeeded');
    expect(done.steps[1]?.output).toEqual({ echo: { got: true } });
    const late = await as(owner).call<{ code: string; detail: string }>('POST', `/v1/runs/${run.id}/pause`);
    expect([late.status, late.body.code]).toEqual([409, 'RUN_STATE_CONFLICT']);
    expect(late.body.detail).toContain('succeeded');
  });

  it('cancel stops further steps for good; reset runs again from step 1 and keeps the earlier attempt as history', async () => {
    const owner = await signUp(api, 'wf-cancel');
    const projectId = await createProject(owner, 'Ops');
    const slow = await httpAgent(owner, 'slow', '/cancel-slow?delayMs=1200');
    const echo = await echoAgent(owner, 'echo');
    const workflow = await createWorkflow(owner, projectId, 'Cancel me', [
      { id: 'slow', agentId: slow.id, input: {} },
      { id: 'echo', agentId: echo.id, input: { after: '{{steps.slow.output.status}}' } },
    ]);
    const run = await startRun(owner, workflow.id);
    await eventually(async () => expect((await getRun(owner, run.id)).steps[0]?.status).toBe('running'), 10_000);
    expect((await as(owner).call<Run>('POST', `/v1/runs/${run.id}/cancel`)).body.status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const cancelled = await getRun(owner, run.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps[1]).toMatchObject({ id: 'echo', attempts: 0 });
    expect((await as(owner).call('POST', `/v1/runs/${run.id}/resume`)).status).toBe(409);

    const reset = await as(owner).call<Run>('POST', `/v1/runs/${run.id}/reset`);
    expect(reset.body).toMatchObject({ status: 'pending', generation: 1 });
    const again = await runReaches(owner, run.id, 'succeeded');
    expect(again.steps.map((s) => [s.id, s.status, s.generation])).toEqual([
      ['slow', 'succeeded', 1],
      ['echo', 'succeeded', 1],
    ]);
    const step = await as(owner).call<StepState & { history: StepState[] }>('GET', `/v1/runs/${run.id}/steps/slow`);
    expect(step.body).toMatchObject({ generation: 1, status: 'succeeded', history: [{ generation: 0, status: 'succeeded' }] });
  });
});

describe('a crashed workflow service', () => {
  it('is killed mid-step and started again: the run completes, and the agent call was made once (the repeat replayed by its execution key)', async () => {
    const owner = await signUp(api, 'wf-crash');
    const projectId = await createProject(owner, 'Ops');
    const slow = await httpAgent(owner, 'slow', '/crash-slow?delayMs=1500');
    const echo = await echoAgent(owner, 'echo');
    const workflow = await createWorkflow(owner, projectId, 'Survive', [
      { id: 'slow', agentId: slow.id, input: { marker: '{{run.input.marker}}' } },
      { id: 'echo', agentId: echo.id, input: { status: '{{steps.slow.output.status}}' } },
    ]);
    const run = await startRun(owner, workflow.id, { marker: 'crash-1' });
    await eventually(async () => expect((await getRun(owner, run.id)).steps[0]?.status).toBe('running'), 10_000);
    await platform.killService('workflow');
    await platform.startService('workflow');
    const done = await runReaches(owner, run.id, 'succeeded', 30_000);
    expect(done.steps[0]?.attempts).toBeGreaterThanOrEqual(2);
    expect(done.steps[1]?.output).toEqual({ echo: { status: 200 } });
    expect(target.received.filter((r) => r.path.startsWith('/crash-slow'))).toHaveLength(1);
  });
});

describe('scheduling across tenants and plans', () => {
  it('a tenant with 200 queued runs does not hold back another tenant’s single run', async () => {
    const a = await signUp(api, 'wf-busy');
    const b = await signUp(api, 'wf-quiet');
    const workflowOf = async (owner: SignedUp) => {
      const projectId = await createProject(owner, 'Batch');
      const echo = await echoAgent(owner, 'echo');
      return createWorkflow(owner, projectId, 'One step', [{ id: 'echo', agentId: echo.id, input: { i: '{{run.input.i}}' } }]);
    };
    const [workflowA, workflowB] = await Promise.all([workflowOf(a), workflowOf(b)]);
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => startRun(a, workflowA.id, { i: batch * 10 + i })));
    }
    const finishedOfA = async () =>
      (await as(a).call<{ items: Run[] }>('GET', `/v1/runs?workflowId=${workflowA.id}&status=succeeded&limit=200`)).body.items.map((run) => Date.parse(run.finishedAt ?? ''));
    const before = (await finishedOfA()).length;
    const runB = await startRun(b, workflowB.id, { i: 0 });
    const doneB = await runReaches(b, runB.id, 'succeeded', 30_000);
    // Counted by the runs' own times, not by when this test polled: A's runs that finished
    // after B's was queued and before it finished.
    const [queuedB, finishedB] = [Date.parse(doneB.createdAt ?? ''), Date.parse(doneB.finishedAt ?? '')];
    const finishedMeanwhile = (await finishedOfA()).filter((at) => at > queuedB && at <= finishedB).length;
    // ADR 0006's bound: B, never served, is first in the next pass with a free slot, so its step
    // waits for at most the steps already running; A (basic plan) runs two at a time. Well under the 20.
    expect(before).toBeLessThan(200);
    expect(finishedMeanwhile).toBeLessThan(20);
  });

  it('runs past the plan’s concurrent-run limit wait (never refused) and all complete; agents past the plan limit are 402', async () => {
    const owner = await signUp(api, 'wf-limits');
    const projectId = await createProject(owner, 'Ops');
    const slow = await httpAgent(owner, 'slow', '/limit-slow?delayMs=700');
    const workflow = await createWorkflow(owner, projectId, 'Slow', [{ id: 'slow', agentId: slow.id, input: {} }]);
    const runs = await Promise.all(Array.from({ length: 5 }, () => startRun(owner, workflow.id)));
    let most = 0;
    await eventually(async () => {
      const { body } = await as(owner).call<{ items: Run[] }>('GET', `/v1/runs?workflowId=${workflow.id}`);
      most = Math.max(most, body.items.filter((r) => r.status === 'running').length);
      expect(body.items.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'));
    }, 30_000);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2); // the basic plan's concurrentRuns

    for (let i = 0; i < 4; i++) await echoAgent(owner, `extra-${i}`);
    const refused = await as(owner).call<{ code: string; detail: string }>('POST', '/v1/agents', { name: 'one too many', kind: 'transform', config: { template: {} } });
    expect(refused.status).toBe(402);
    expect(refused.body.detail).toContain('agents');
  });
});

describe('project roles of workflow callers', () => {
  it('a change to a member’s project role applies to their next workflow call, cached or not', async () => {
    const owner = await signUp(api, 'wf-roles');
    const member = await joinAs(api, owner, 'member', 'wf-roles-member');
    const projectId = await createProject(owner, 'Roles');
    const agent = await createAgent(owner, { name: 'echo', kind: 'transform', config: { template: { echo: '{{input.v}}' } } });
    const workflow = await createWorkflow(owner, projectId, 'Echo', [{ id: 'echo', agentId: agent.id, input: { v: '{{run.input.v}}' } }]);
    const setRole = async (role: string) =>
      expectStatus(await as(owner).call('PUT', `/v1/projects/${projectId}/members/${member.userId}`, { role }), 200);
    const start = () => as(member).call('POST', `/v1/workflows/${workflow.id}/runs`, { input: { v: 1 } });

    // Not in the project: the workflow does not exist for a plain org member.
    expectStatus(await start(), 404);
    await setRole('editor');
    expectStatus(await start(), 202);
    expectStatus(await start(), 202);
    await setRole('viewer');
    expectStatus(await start(), 403);
    expectStatus(await as(member).call('GET', `/v1/workflows/${workflow.id}`), 200);
    expectStatus(await as(owner).call('DELETE', `/v1/projects/${projectId}/members/${member.userId}`), 204);
    expectStatus(await as(member).call('GET', `/v1/workflows/${workflow.id}`), 404);
    expectStatus(await start(), 404);
  });
});

describe('the workers’ own audit events', () => {
  it('a run that succeeds and one whose step fails are logged once each as run.succeeded and run.failed, by the workflow service', async () => {
    const owner = await signUp(api, 'wf-audit');
    const projectId = await createProject(owner, 'Audit');
    const echo = await echoAgent(owner, 'echo');
    const metadata = await createAgent(owner, { name: 'metadata', kind: 'http', config: { url: 'http://169.254.169.254/latest/meta-data/' } });
    const good = await createWorkflow(owner, projectId, 'Good', [{ id: 'echo', agentId: echo.id, input: {} }]);
    const bad = await createWorkflow(owner, projectId, 'Bad', [{ id: 'steal', agentId: metadata.id, input: {} }]);
    const succeeded = await startRun(owner, good.id);
    const failed = await startRun(owner, bad.id);
    await runReaches(owner, succeeded.id, 'succeeded');
    const failure = await runReaches(owner, failed.id, 'failed');
    expect(failure.error).toContain('cloud metadata');
    await eventually(async () => {
      expect((await loggedEvents(owner.orgId, 'run.succeeded')).map((e) => [e.actor_id, e.outcome])).toEqual([['workflow', 'success']]);
      expect((await loggedEvents(owner.orgId, 'run.failed')).map((e) => [e.actor_id, e.outcome])).toEqual([['workflow', 'failed']]);
    }, 30_000);
  });
});

describe('egress of http agents', () => {
  it('refuses loopback outside the allow-list (127.0.0.2 here; 127.0.0.1 is allow-listed) and the cloud metadata address always', async () => {
    const owner = await signUp(api, 'wf-egress');
    const outside = await createAgent(owner, { name: 'loopback-2', kind: 'http', config: { url: 'http://127.0.0.2:9/' } });
    const metadata = await createAgent(owner, { name: 'metadata', kind: 'http', config: { url: 'http://169.254.169.254/' } });
    const allowed = await httpAgent(owner, 'allowed', '/egress');
    const invoke = (agentId: string) => as(owner).call<{ output: unknown; error: string | null }>('POST', `/v1/agents/${agentId}/invoke`, { input: {} });
    expect((await invoke(outside.id)).body.error).toMatch(/egress refused: 127.0.0.2 resolves to 127.0.0.2 is a private, loopback or link-local address/);
    expect((await invoke(metadata.id)).body.error).toMatch(/cloud metadata address, never reachable/);
    expect((await invoke(allowed.id)).body).toMatchObject({ error: null, output: { status: 200 } });
  });
});

describe('agent credentials', () => {
  it('are sent by the agent, and never appear in a response, a log line or an audit event', async () => {
    const owner = await signUp(api, 'wf-secret');
    const secret = `Bearer s3cr3t-${Date.now()}-credential`;
    const agent = await httpAgent(owner, 'with-credentials', '/secret', { credentials: { Authorization: secret } });
    expect(agent.hasCredentials).toBe(true);
    // At rest they are sealed: the shard row holds no plaintext (read as the table owner, as the tenant).
    const atRest = await Promise.all(
      devstack.shards.map((shard) => onShardAsTenant<{ sealed: Buffer }>(shard.ownerUrl, owner.orgId, 'SELECT credentials_sealed AS sealed FROM agents WHERE id = $1', [agent.id])),
    );
    const sealed = atRest.flat();
    expect(sealed).toHaveLength(1);
    expect(sealed[0]?.sealed.toString('latin1')).not.toContain('s3cr3t');
    const replies = [
      await as(owner).call('GET', `/v1/agents/${agent.id}`),
      await as(owner).call('GET', '/v1/agents'),
      await as(owner).call('PATCH', `/v1/agents/${agent.id}`, { name: 'renamed', credentials: { Authorization: `${secret}-2` } }),
      await as(owner).call('POST', `/v1/agents/${agent.id}/invoke`, { input: { x: 1 } }),
    ];
    for (const reply of replies) expect(reply.status).toBe(200);
    expect(target.received.filter((r) => r.path === '/secret').map((r) => r.headers['authorization'])).toEqual([`${secret}-2`]);
    for (const reply of replies) expect(JSON.stringify(reply.body)).not.toContain('s3cr3t');
    await eventually(async () => expect(await loggedEvents(owner.orgId, 'agent.invoked')).toHaveLength(1), 30_000);
    const events = [...(await loggedEvents(owner.orgId, 'agent.created')), ...(await loggedEvents(owner.orgId, 'agent.updated')), ...(await loggedEvents(owner.orgId, 'agent.invoked'))];
    expect(events).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain('s3cr3t');
    for (const service of ['agent', 'workflow', 'gateway', 'audit']) expect(platform.outputOf(service)).not.toContain('s3cr3t');
    expect(platform.outputOf('agent')).toContain('InvokeAgent'); // the agent's log was captured (at debug level)
  });
});

describe('bad definitions', () => {
  it.each([
    // The kinds are declared in the OpenAPI document, so the gateway refuses another (400).
    ['an unknown agent kind', 400, 'body.kind', { name: 'x', kind: 'python', config: {} }],
    ['a config failing its kind’s validation', 422, 'config.url', { name: 'x', kind: 'http', config: { url: 'ftp://example.test' } }],
    ['a transform template reading outside its input', 422, 'config.template.a', { name: 'x', kind: 'transform', config: { template: { a: '{{run.input.b}}' } } }],
  ])('%s is %i naming %s, and nothing is saved', async (_what, status, field, body) => {
    const owner = await signUp(api, 'wf-bad-agent');
    const reply = await as(owner).call<{ errors: { field: string }[] }>('POST', '/v1/agents', body);
    expect(reply.status).toBe(status);
    expect(reply.body.errors.map((e) => e.field)).toContain(field);
    expect((await as(owner).call<{ items: unknown[] }>('GET', '/v1/agents')).body.items).toEqual([]);
  });

  it('invalid templates, unknown steps, forward and self references are 422 naming each path; nothing is saved', async () => {
    const owner = await signUp(api, 'wf-bad-wf');
    const projectId = await createProject(owner, 'Bad');
    const echo = await echoAgent(owner, 'echo');
    const reply = await as(owner).call<{ code: string; errors: { field: string }[] }>('POST', '/v1/workflows', {
      projectId,
      name: 'Broken',
      steps: [
        { id: 'a', agentId: echo.id, input: { later: '{{steps.b.output.x}}', open: 'x {{run.input' } },
        { id: 'b', agentId: echo.id, input: { self: '{{steps.b.output}}', ghost: '{{steps.nope.output}}' } },
      ],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.errors.map((e) => e.field)).toEqual(['steps[0].input.open', 'steps[0].input.later', 'steps[1].input.self', 'steps[1].input.ghost']);
    expect((await as(owner).call<{ items: unknown[] }>('GET', `/v1/workflows?projectId=${projectId}`)).body.items).toEqual([]);
  });
});

describe('isolation between organizations', () => {
  it('org B using org A’s ids gets 404 on every agent, workflow and run route, lists never show A’s, and A’s data is unchanged', async () => {
    const a = await signUp(api, 'wf-iso-a');
    const b = await signUp(api, 'wf-iso-b');
    const projectA = await createProject(a, 'A project');
    const kbA = await createAgent(a, { name: 'kb', kind: 'knowledge-qa', config: {} });
    const doc = await as(a).call<{ id: string }>('POST', `/v1/agents/${kbA.id}/documents`, { title: 'A secret', content: 'Only A knows this.' });
    expectStatus(doc, 201);
    const echoA = await echoAgent(a, 'echo');
    const workflowA = await createWorkflow(a, projectA, 'A flow', [{ id: 'echo', agentId: echoA.id, input: {} }]);
    const runA = await startRun(a, workflowA.id);
    await runReaches(a, runA.id, 'succeeded');
    const projectB = await createProject(b, 'B project');
    const echoB = await echoAgent(b, 'echo');

    const snapshot = async () => ({
      agent: (await as(a).call('GET', `/v1/agents/${kbA.id}`)).body,
      documents: (await as(a).call('GET', `/v1/agents/${kbA.id}/documents`)).body,
      workflow: (await as(a).call('GET', `/v1/workflows/${workflowA.id}`)).body,
      run: (await as(a).call('GET', `/v1/runs/${runA.id}`)).body,
    });
    const before = await snapshot();

    const matrix: Array<[string, string, unknown?]> = [
      ['GET', `/v1/agents/${kbA.id}`],
      ['PATCH', `/v1/agents/${kbA.id}`, { name: 'taken over' }],
      ['DELETE', `/v1/agents/${echoA.id}`],
      ['POST', `/v1/agents/${echoA.id}/invoke`, { input: {} }],
      ['GET', `/v1/agents/${kbA.id}/documents`],
      ['POST', `/v1/agents/${kbA.id}/documents`, { title: 'planted', content: 'x' }],
      ['DELETE', `/v1/agents/${kbA.id}/documents/${doc.body.id}`],
      ['GET', `/v1/workflows/${workflowA.id}`],
      ['PATCH', `/v1/workflows/${workflowA.id}`, { name: 'taken over' }],
      ['DELETE', `/v1/workflows/${workflowA.id}`],
      ['POST', `/v1/workflows/${workflowA.id}/runs`, { input: {} }],
      ['GET', `/v1/workflows?projectId=${projectA}`],
      ['GET', `/v1/runs?workflowId=${workflowA.id}`],
      ['GET', `/v1/runs/${runA.id}`],
      ['GET', `/v1/runs/${runA.id}/steps/echo`],
      ['POST', `/v1/runs/${runA.id}/pause`],
      ['POST', `/v1/runs/${runA.id}/resume`],
      ['POST', `/v1/runs/${runA.id}/cancel`],
      ['POST', `/v1/runs/${runA.id}/reset`],
      ['POST', '/v1/workflows', { projectId: projectA, name: 'in A', steps: [{ id: 's', agentId: echoB.id, input: {} }] }],
      // A workflow of B can never reference A's agent: 404 at definition time.
      ['POST', '/v1/workflows', { projectId: projectB, name: 'uses A', steps: [{ id: 's', agentId: echoA.id, input: {} }] }],
    ];
    for (const [method, path, body] of matrix) {
      const reply = await as(b).call(method, path, body);
      expect({ route: `${method} ${path}`, status: reply.status }).toEqual({ route: `${method} ${path}`, status: 404 });
    }
    for (const path of ['/v1/agents', '/v1/workflows', '/v1/runs']) {
      const { body } = await as(b).call<{ items: { id: string }[] }>('GET', path);
      const ids = body.items.map((item) => item.id);
      for (const id of [kbA.id, echoA.id, workflowA.id, runA.id]) expect(ids).not.toContain(id);
    }
    expect(await snapshot()).toEqual(before);
  });
});
