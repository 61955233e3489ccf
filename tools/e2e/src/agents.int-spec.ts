import { AgentServiceClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import { PLAN_LIMITS } from '@bulkhead/permissions';
import { loadDevstackEnv, rejection, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { bearerMetadata } from '@bulkhead/tokens';
import { startHttpTarget, type HttpTarget } from './http-target';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, joinAs, MANY_USERS_AUTH_ENV, onShardAsTenant, signUp, type SignedUp } from './tenants';

/**
 * The agent service through the gateway (and, for what only the workflow service asks —
 * execution keys — over gRPC): CRUD and roles, transform and knowledge-qa answers, recorded
 * invocations, replays, and isolation. Egress, credentials and bad definitions are in
 * workflows.int-spec.ts, which runs agents inside workflows.
 */
const devstack = loadDevstackEnv();

let platform: RunningPlatform;
let api: RestClient;
let target: HttpTarget;

type Agent = { id: string; name: string; kind: string; status: string; config: Record<string, unknown>; hasCredentials: boolean };
type Invocation = { invocationId: string; output: unknown; error: string | null; durationMs: number; replayed: boolean };
type Passage = { documentId: string; text: string; score: number };

const call = <T = Record<string, unknown>>(who: SignedUp, method: string, path: string, body?: unknown): Promise<RestReply<T>> =>
  api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) });

async function created<T>(reply: Promise<RestReply<T>>): Promise<T> {
  const answer = await reply;
  expectStatus(answer, 201);
  return answer.body;
}

/** The invocations recorded for `agentId`, read on its tenant's shard as the table owner. */
async function recordedInvocations(tenantId: string, agentId: string) {
  const rows = await Promise.all(
    devstack.shards.map((shard) =>
      onShardAsTenant<{ id: string; execution_key: string | null; input: unknown; output: unknown; error: string | null; invoked_by: string }>(
        shard.ownerUrl,
        tenantId,
        'SELECT id, execution_key, input, output, error, invoked_by FROM agent_invocations WHERE agent_id = $1 ORDER BY created_at',
        [agentId],
      ),
    ),
  );
  return rows.flat();
}

beforeAll(async () => {
  target = await startHttpTarget();
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'gateway'],
    env: { auth: MANY_USERS_AUTH_ENV, agent: { AGENT_EGRESS_ALLOW: '127.0.0.1/32' }, gateway: { RATE_LIMIT_RPM_BASIC: '100000' } },
  });
  api = createRestClient(platform.gatewayUrl);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await target?.close();
});

describe('agents of an organization', () => {
  it('are created, read, listed, renamed, disabled and deleted; names are unique per org regardless of case', async () => {
    const owner = await signUp(api, 'ag-crud');
    const agent = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'Shape', kind: 'transform', config: { template: { n: '{{input.n}}' } } }));
    expect(agent).toMatchObject({ name: 'Shape', kind: 'transform', status: 'active', hasCredentials: false, config: { template: { n: '{{input.n}}' } } });
    expect((await call<Agent>(owner, 'GET', `/v1/agents/${agent.id}`)).body).toEqual(agent);

    const taken = await call<{ code: string }>(owner, 'POST', '/v1/agents', { name: 'SHAPE', kind: 'transform', config: { template: {} } });
    expect([taken.status, taken.body.code]).toEqual([409, 'AGENT_NAME_TAKEN']);
    const second = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    expect((await call<{ items: Agent[] }>(owner, 'GET', '/v1/agents')).body.items.map((a) => a.id)).toEqual([second.id, agent.id]);

    const patched = await call<Agent>(owner, 'PATCH', `/v1/agents/${agent.id}`, { name: 'Renamed', status: 'disabled' });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ id: agent.id, name: 'Renamed', status: 'disabled', config: agent.config });
    const badConfig = await call<{ errors: { field: string }[] }>(owner, 'PATCH', `/v1/agents/${agent.id}`, { config: { template: { a: '{{steps.x.output}}' } } });
    expect([badConfig.status, badConfig.body.errors.map((e) => e.field)]).toEqual([422, ['config.template.a']]);

    const disabled = await call<{ code: string }>(owner, 'POST', `/v1/agents/${agent.id}/invoke`, { input: { n: 1 } });
    expect([disabled.status, disabled.body.code]).toEqual([409, 'AGENT_DISABLED']);
    expect(await recordedInvocations(owner.orgId, agent.id)).toEqual([]);

    expectStatus(await call(owner, 'DELETE', `/v1/agents/${agent.id}`), 204);
    expect((await call(owner, 'GET', `/v1/agents/${agent.id}`)).status).toBe(404);
    expect((await call<{ items: Agent[] }>(owner, 'GET', '/v1/agents')).body.items.map((a) => a.id)).toEqual([second.id]);
  });

  it('members read and invoke but cannot manage agents or documents; viewers only read', async () => {
    const owner = await signUp(api, 'ag-roles');
    const member = await joinAs(api, owner, 'member', 'ag-roles-member');
    const viewer = await joinAs(api, owner, 'viewer', 'ag-roles-viewer');
    const echo = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'echo', kind: 'transform', config: { template: '{{input}}' } }));
    const kb = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    for (const who of [member, viewer]) {
      expectStatus(await call(who, 'GET', `/v1/agents/${echo.id}`), 200);
      expectStatus(await call(who, 'GET', `/v1/agents/${kb.id}/documents`), 200);
      expect((await call(who, 'POST', '/v1/agents', { name: 'mine', kind: 'transform', config: { template: {} } })).status).toBe(403);
      expect((await call(who, 'PATCH', `/v1/agents/${echo.id}`, { name: 'mine' })).status).toBe(403);
      expect((await call(who, 'DELETE', `/v1/agents/${echo.id}`)).status).toBe(403);
      expect((await call(who, 'POST', `/v1/agents/${kb.id}/documents`, { title: 't', content: 'c' })).status).toBe(403);
    }
    const invoked = await call<Invocation>(member, 'POST', `/v1/agents/${echo.id}/invoke`, { input: { hello: 'world' } });
    expectStatus(invoked, 200);
    expect(invoked.body).toMatchObject({ output: { hello: 'world' }, error: null, replayed: false });
    expect((await call(viewer, 'POST', `/v1/agents/${echo.id}/invoke`, { input: {} })).status).toBe(403);
  });
});

describe('invoking', () => {
  it('a transform keeps the type of a lone placeholder, and every invocation is recorded with its input, output or error', async () => {
    const owner = await signUp(api, 'ag-transform');
    const agent = await created(
      call<Agent>(owner, 'POST', '/v1/agents', { name: 'shape', kind: 'transform', config: { template: { count: '{{input.items.n}}', line: 'n={{input.items.n}}', all: '{{input.items}}' } } }),
    );
    const reply = await call<Invocation>(owner, 'POST', `/v1/agents/${agent.id}/invoke`, { input: { items: { n: 3 } } });
    expectStatus(reply, 200);
    expect(reply.body.output).toEqual({ count: 3, line: 'n=3', all: { n: 3 } });

    const kb = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    const failed = await call<Invocation>(owner, 'POST', `/v1/agents/${kb.id}/invoke`, { input: { notAQuestion: true } });
    expectStatus(failed, 200);
    expect(failed.body).toMatchObject({ output: null, error: 'input.question must be a non-empty string' });

    expect(await recordedInvocations(owner.orgId, agent.id)).toEqual([
      { id: reply.body.invocationId, execution_key: null, input: { items: { n: 3 } }, output: { count: 3, line: 'n=3', all: { n: 3 } }, error: null, invoked_by: owner.userId },
    ]);
    expect(await recordedInvocations(owner.orgId, kb.id)).toEqual([
      { id: failed.body.invocationId, execution_key: null, input: { notAQuestion: true }, output: null, error: 'input.question must be a non-empty string', invoked_by: owner.userId },
    ]);
  });

  it('knowledge-qa answers with the best passages of its documents, ranked, with scores and document ids; removed documents stop answering', async () => {
    const owner = await signUp(api, 'ag-kb');
    const kb = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: { maxPassages: 2 } }));
    const refunds = await created(
      call<{ id: string; passages: number }>(owner, 'POST', `/v1/agents/${kb.id}/documents`, {
        title: 'Refunds',
        content: 'Refunds of a refund request are paid within 30 days. Refund refund refund.\n\nOffice hours are nine to five.',
      }),
    );
    expect(refunds.passages).toBe(2);
    const shipping = await created(
      call<{ id: string }>(owner, 'POST', `/v1/agents/${kb.id}/documents`, { title: 'Shipping', content: 'Shipping takes five days; a refund for a lost parcel is possible.' }),
    );
    await created(call(owner, 'POST', `/v1/agents/${kb.id}/documents`, { title: 'Unrelated', content: 'The cafeteria serves soup on Mondays.' }));
    const listed = await call<{ items: { id: string; title: string }[] }>(owner, 'GET', `/v1/agents/${kb.id}/documents`);
    expect(listed.body.items.map((d) => d.title)).toEqual(['Unrelated', 'Shipping', 'Refunds']);

    const ask = async (question: string) => {
      const reply = await call<Invocation>(owner, 'POST', `/v1/agents/${kb.id}/invoke`, { input: { question } });
      expectStatus(reply, 200);
      return reply.body.output as { question: string; answer: string | null; passages: Passage[] };
    };
    const answer = await ask('How do I get a refund?');
    expect(answer.passages.map((p) => p.documentId)).toEqual([refunds.id, shipping.id]);
    expect(answer.answer).toBe(answer.passages[0]?.text);
    expect(answer.answer).toContain('paid within 30 days');
    const [first, second] = answer.passages;
    expect(first?.score).toBeGreaterThan(second?.score ?? Infinity);

    expectStatus(await call(owner, 'DELETE', `/v1/agents/${kb.id}/documents/${refunds.id}`), 204);
    expect((await call(owner, 'DELETE', `/v1/agents/${kb.id}/documents/${refunds.id}`)).status).toBe(404);
    expect((await ask('How do I get a refund?')).passages.map((p) => p.documentId)).toEqual([shipping.id]);
    expect(await ask('quantum chromodynamics')).toEqual({ question: 'quantum chromodynamics', answer: null, passages: [] });

    const echo = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'echo', kind: 'transform', config: { template: {} } }));
    const notKb = await call<{ code: string }>(owner, 'POST', `/v1/agents/${echo.id}/documents`, { title: 't', content: 'c' });
    expect([notKb.status, notKb.body.code]).toEqual([409, 'NOT_A_KNOWLEDGE_AGENT']);
  });

  it('over gRPC, a known execution key returns the recorded invocation without calling out again; another org cannot use the agent or the key', async () => {
    const owner = await signUp(api, 'ag-replay');
    const other = await signUp(api, 'ag-replay-other');
    const agent = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'hook', kind: 'http', config: { url: `${target.url}/replay`, body: { n: '{{input.n}}' } } }));
    const client = createGrpcClient(AgentServiceClient, platform.grpcAddress('agent'));
    try {
      const as = (who: SignedUp) => ({ metadata: bearerMetadata(who.tokens.accessToken) });
      const request = { agentId: agent.id, inputJson: JSON.stringify({ n: 1 }), executionKey: 'run-1/step-a/0' };
      const first = await client.invokeAgent(request, as(owner));
      expect({ ...first, output: JSON.parse(first.outputJson) }).toMatchObject({ output: { status: 200, body: { ok: true, path: '/replay' } }, error: '', replayed: false });
      const again = await client.invokeAgent({ ...request, inputJson: JSON.stringify({ n: 2 }) }, as(owner));
      expect(again).toEqual({ ...first, replayed: true });
      expect(target.received.filter((r) => r.path === '/replay').map((r) => r.body)).toEqual([{ n: 1 }]);

      const fresh = await client.invokeAgent({ ...request, executionKey: 'run-1/step-a/1' }, as(owner));
      expect(fresh.replayed).toBe(false);
      expect(fresh.invocationId).not.toBe(first.invocationId);
      expect((await recordedInvocations(owner.orgId, agent.id)).map((r) => r.execution_key)).toEqual(['run-1/step-a/0', 'run-1/step-a/1']);

      const refused = await rejection(client.invokeAgent(request, as(other)));
      expect(refused.kind).toBe('NOT_FOUND');
      expect(target.received.filter((r) => r.path === '/replay')).toHaveLength(2);
      expect(await recordedInvocations(other.orgId, agent.id)).toEqual([]);
    } finally {
      closeGrpcClient(client);
    }
  });
});

describe('the storage limit of the plan', () => {
  it('refuses a document past storageBytes with 402 naming the limit and the plan, writing nothing; another org is not counted', async () => {
    const owner = await signUp(api, 'ag-storage');
    const other = await signUp(api, 'ag-storage-other');
    const kb = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    const limit = PLAN_LIMITS.basic.storageBytes;
    // The organization already stores all but 10 bytes of its plan's text (seeded on its shard as the tables' owner).
    const seeded = await Promise.all(
      devstack.shards.map((shard) =>
        onShardAsTenant<{ id: string }>(
          shard.ownerUrl,
          owner.orgId,
          `WITH doc AS (
             INSERT INTO agent_documents (tenant_id, id, agent_id, title, passages)
             SELECT $1, gen_random_uuid(), $2, 'seed', 1 WHERE EXISTS (SELECT 1 FROM agents WHERE tenant_id = $1 AND id = $2) RETURNING id)
           INSERT INTO agent_passages (tenant_id, id, agent_id, document_id, position, content)
           SELECT $1, gen_random_uuid(), $2, doc.id, 1, repeat('x', $3) FROM doc RETURNING document_id AS id`,
          [owner.orgId, kb.id, limit - 10],
        ),
      ),
    );
    expect(seeded.flat()).toHaveLength(1);

    const tooMuch = await call(owner, 'POST', `/v1/agents/${kb.id}/documents`, { title: 'big', content: 'eleven byte' });
    expect(tooMuch.status).toBe(402);
    expect(tooMuch.body).toMatchObject({ code: 'PLAN_LIMIT_REACHED', limit: 'storageBytes', plan: 'basic', max: String(limit), used: String(limit - 10) });
    expect((await call<{ items: unknown[] }>(owner, 'GET', `/v1/agents/${kb.id}/documents`)).body.items).toHaveLength(1);
    await created(call(owner, 'POST', `/v1/agents/${kb.id}/documents`, { title: 'fits', content: 'ten bytes!' }));

    const theirs = await created(call<Agent>(other, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    await created(call(other, 'POST', `/v1/agents/${theirs.id}/documents`, { title: 'fits', content: 'eleven byte' }));
    expect((await call(other, 'POST', `/v1/agents/${kb.id}/documents`, { title: 'x', content: 'y' })).status).toBe(404);
  });
});

describe('batched invocations (the workflow workers’ calls)', () => {
  it('run each item in order, replay known keys, name the bad item, and refuse the whole batch for another org or a disabled agent', async () => {
    const owner = await signUp(api, 'ag-batch');
    const other = await signUp(api, 'ag-batch-other');
    const agent = await created(call<Agent>(owner, 'POST', '/v1/agents', { name: 'hook', kind: 'http', config: { url: `${target.url}/batch`, body: { n: '{{input.n}}' } } }));
    const client = createGrpcClient(AgentServiceClient, platform.grpcAddress('agent'));
    try {
      const as = (who: SignedUp) => ({ metadata: bearerMetadata(who.tokens.accessToken) });
      const item = (n: number, executionKey = `run-${n}/0`) => ({ inputJson: JSON.stringify({ n }), executionKey });
      const sentTo = () => target.received.filter((r) => r.path === '/batch').map((r) => r.body);

      const first = await client.invokeAgentBatch({ agentId: agent.id, items: [item(1), item(2), item(3)] }, as(owner));
      expect(first.results.map((r) => [JSON.parse(r.outputJson).status, r.error, r.replayed])).toEqual([[200, '', false], [200, '', false], [200, '', false]]);
      expect(sentTo()).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }, { n: 3 }]));
      expect(sentTo()).toHaveLength(3);

      // Keys already recorded are replayed, new ones run; results keep the items' order.
      const second = await client.invokeAgentBatch({ agentId: agent.id, items: [item(4), item(2), item(5, 'run-5/0')] }, as(owner));
      expect(second.results.map((r) => r.replayed)).toEqual([false, true, false]);
      expect(second.results[1]).toEqual({ ...first.results[1], replayed: true });
      expect(sentTo()).toHaveLength(5);
      expect((await recordedInvocations(owner.orgId, agent.id)).map((r) => r.execution_key).sort()).toEqual(['run-1/0', 'run-2/0', 'run-3/0', 'run-4/0', 'run-5/0']);

      const bad = await rejection(client.invokeAgentBatch({ agentId: agent.id, items: [item(6), { inputJson: '{not json', executionKey: 'run-7/0' }] }, as(owner)));
      expect([bad.kind, bad.fieldViolations.map((v) => v.field)]).toEqual(['UNPROCESSABLE', ['items[1].input']]);
      const tooMany = await rejection(client.invokeAgentBatch({ agentId: agent.id, items: Array.from({ length: 101 }, (_, n) => item(100 + n)) }, as(owner)));
      expect([tooMany.kind, tooMany.fieldViolations.map((v) => v.field)]).toEqual(['INVALID_ARGUMENT', ['items']]);
      const foreign = await rejection(client.invokeAgentBatch({ agentId: agent.id, items: [item(8), item(1)] }, as(other)));
      expect(foreign.kind).toBe('NOT_FOUND');
      expect(await recordedInvocations(other.orgId, agent.id)).toEqual([]);

      expectStatus(await call(owner, 'PATCH', `/v1/agents/${agent.id}`, { status: 'disabled' }), 200);
      const disabled = await rejection(client.invokeAgentBatch({ agentId: agent.id, items: [item(9), item(1)] }, as(owner)));
      expect([disabled.kind, disabled.code]).toEqual(['FAILED_PRECONDITION', 'AGENT_DISABLED']);
      expect(sentTo()).toHaveLength(5);
      expect(await recordedInvocations(owner.orgId, agent.id)).toHaveLength(5);
    } finally {
      closeGrpcClient(client);
    }
  });
});

describe('isolation between organizations', () => {
  it('org B using org A’s ids gets 404 on every agent route (as owner and as member), lists never show A’s, and A is unchanged', async () => {
    const a = await signUp(api, 'ag-iso-a');
    const b = await signUp(api, 'ag-iso-b');
    const memberB = await joinAs(api, b, 'member', 'ag-iso-b-member');
    const kbA = await created(call<Agent>(a, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    const docA = await created(call<{ id: string }>(a, 'POST', `/v1/agents/${kbA.id}/documents`, { title: 'A only', content: 'A secret passage.' }));
    const echoA = await created(call<Agent>(a, 'POST', '/v1/agents', { name: 'echo', kind: 'transform', config: { template: '{{input}}' } }));
    const kbB = await created(call<Agent>(b, 'POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
    const snapshot = async () => ({
      agents: (await call(a, 'GET', '/v1/agents')).body,
      documents: (await call(a, 'GET', `/v1/agents/${kbA.id}/documents`)).body,
      invocations: [...(await recordedInvocations(a.orgId, kbA.id)), ...(await recordedInvocations(a.orgId, echoA.id))],
    });
    const before = await snapshot();

    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/agents/${kbA.id}`],
      ['PATCH', `/v1/agents/${kbA.id}`, { name: 'taken over', status: 'disabled' }],
      ['DELETE', `/v1/agents/${echoA.id}`],
      ['POST', `/v1/agents/${echoA.id}/invoke`, { input: {} }],
      ['POST', `/v1/agents/${kbA.id}/invoke`, { input: { question: 'secret' } }],
      ['GET', `/v1/agents/${kbA.id}/documents`],
      ['POST', `/v1/agents/${kbA.id}/documents`, { title: 'planted', content: 'x' }],
      ['DELETE', `/v1/agents/${kbA.id}/documents/${docA.id}`],
      // A's document id under B's own agent: still not found.
      ['DELETE', `/v1/agents/${kbB.id}/documents/${docA.id}`],
    ];
    const cases = [b, memberB].flatMap((who) => routes.map(([method, path, body]) => ({ who, method, path, body })));
    for (const { who, method, path, body } of cases) {
      // A member may only read and invoke; the managing routes refuse them (403) before any lookup.
      if (who === memberB && method !== 'GET' && !path.endsWith('/invoke')) continue;
      const reply = await call(who, method, path, body);
      expect({ route: `${method} ${path}`, status: reply.status }).toEqual({ route: `${method} ${path}`, status: 404 });
    }
    const listedToB = (await call<{ items: { id: string }[] }>(b, 'GET', '/v1/agents')).body.items.map((item) => item.id);
    expect(listedToB).toEqual([kbB.id]);
    expect((await call<{ items: unknown[] }>(b, 'GET', `/v1/agents/${kbB.id}/documents`)).body.items).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
