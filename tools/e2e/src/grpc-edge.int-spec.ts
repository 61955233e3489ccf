import { AgentServiceClient, AuditReviewServiceClient, WorkflowServiceClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type AnyServiceDefinition, type GrpcClientConstructor } from '@bulkhead/grpc-kit';
import { eventually, rejection, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { bearerMetadata } from '@bulkhead/tokens';
import { createRestClient, type RestClient } from './rest-client';
import { expectStatus, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

jest.setTimeout(300_000);

let platform: RunningPlatform;
let api: RestClient;
let a: SignedUp;
let b: SignedUp;
const clients: Array<{ close(): void }> = [];

/** A client of `constructor` at the gateway's gRPC edge, the one address internal callers use. */
function edgeClient<Def extends AnyServiceDefinition>(constructor: GrpcClientConstructor<Def>) {
  const client = createGrpcClient(constructor, platform.grpcAddress('gateway'), { defaultDeadlineMs: 10_000 });
  clients.push({ close: () => closeGrpcClient(client) });
  return client;
}

const as = (who: SignedUp, extra: Record<string, string> = {}) => {
  const metadata = bearerMetadata(who.tokens.accessToken);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return { metadata };
};

beforeAll(async () => {
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'], env: { auth: MANY_USERS_AUTH_ENV },
    // Seven processes starting at once on a shared machine.
    readyTimeoutMs: 90_000,
  });
  api = createRestClient(platform.gatewayUrl);
  [a, b] = [await signUp(api, 'edge-a'), await signUp(api, 'edge-b')];
});

afterAll(async () => {
  for (const client of clients) client.close();
  await platform?.stop();
});

describe('the gateway gRPC edge', () => {
  it("forwards the agent service: the tenant's agent to its tenant, NOT_FOUND to another, UNAUTHENTICATED without a token", async () => {
    const agents = edgeClient(AgentServiceClient);
    const created = await agents.createAgent({ name: 'echo', kind: 'transform', configJson: JSON.stringify({ template: { echo: '{{input}}' } }), status: '', credentials: {} }, as(a));
    const id = created.agent?.id ?? '';
    expect((await agents.getAgent({ id }, as(a))).agent).toMatchObject({ id, name: 'echo', kind: 'transform' });
    expect(await api.call('GET', `/v1/agents/${id}`, { token: a.tokens.accessToken })).toMatchObject({ status: 200 });

    expect((await rejection(agents.getAgent({ id }, as(b)))).kind).toBe('NOT_FOUND');
    expect((await rejection(agents.getAgent({ id }, {}))).kind).toBe('UNAUTHENTICATED');
    expect(await rejection(agents.getAgent({ id }, as(a, { 'x-tenant-id': b.orgId })))).toMatchObject({ kind: 'PERMISSION_DENIED', code: 'TENANT_MISMATCH' });
    expect((await agents.getAgent({ id }, as(a, { 'x-tenant-id': a.orgId }))).agent?.id).toBe(id);
  });

  it("forwards the workflow service under the tenant's rate limit: its workflow to its tenant, NOT_FOUND to another", async () => {
    const project = await api.call<{ id: string }>('POST', '/v1/projects', { token: a.tokens.accessToken, body: { name: 'Edge' } });
    expectStatus(project, 201);
    const agent = await api.call<{ id: string }>('POST', '/v1/agents', { token: a.tokens.accessToken, body: { name: 'step', kind: 'transform', config: { template: { echo: '{{input}}' } } } });
    expectStatus(agent, 201);
    const created = await api.call<{ id: string }>('POST', '/v1/workflows', {
      token: a.tokens.accessToken,
      body: { projectId: project.body.id, name: 'one step', steps: [{ id: 's', agentId: agent.body.id, input: {} }] },
    });
    expectStatus(created, 201);
    const { id } = created.body;
    const workflows = edgeClient(WorkflowServiceClient);
    const limits: string[] = [];
    await workflows.getWorkflow({ id }, { ...as(a), onHeader: (headers) => limits.push(String(headers.get('ratelimit-limit')[0])) });
    expect(limits).toEqual([expect.stringMatching(/^\d+$/)]);
    expect((await workflows.getWorkflow({ id }, as(a))).workflow).toMatchObject({ id, name: 'one step' });

    expect((await rejection(workflows.getWorkflow({ id }, as(b)))).kind).toBe('NOT_FOUND');
    expect((await rejection(workflows.getWorkflow({ id }, {}))).kind).toBe('UNAUTHENTICATED');
    const listedByB = await workflows.listWorkflows({ projectId: '', page: undefined }, as(b));
    expect(listedByB.items.map((workflow) => workflow.id)).not.toContain(id);
  });

  it("streams the audit export of the caller's tenant, and answers NOT_FOUND for another tenant's event", async () => {
    const audit = edgeClient(AuditReviewServiceClient);
    const project = await api.call<{ id: string }>('POST', '/v1/projects', { token: a.tokens.accessToken, body: { name: 'Exported' } });
    expectStatus(project, 201);

    let exported = '';
    await eventually(async () => {
      const chunks: string[] = [];
      for await (const chunk of audit.exportEvents({ tenantId: a.orgId, filter: undefined, format: 'ndjson' }, as(a))) chunks.push(Buffer.from(chunk.data).toString('utf8'));
      exported = chunks.join('');
      expect(exported).toContain(project.body.id);
    }, 30_000);
    const events = exported
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { id: string; tenantId: string; action: string });
    expect(new Set(events.map((event) => event.tenantId))).toEqual(new Set([a.orgId]));
    const created = events.find((event) => event.action === 'project.created');
    expect(created).toBeDefined();

    expect((await audit.getEvent({ tenantId: a.orgId, id: created?.id ?? '' }, as(a))).event?.id).toBe(created?.id);
    expect((await rejection(audit.getEvent({ tenantId: b.orgId, id: created?.id ?? '' }, as(b)))).kind).toBe('NOT_FOUND');
    const refusedExport = async () => {
      for await (const chunk of audit.exportEvents({ tenantId: a.orgId, filter: undefined, format: 'ndjson' }, {})) expect(chunk).toBeUndefined();
    };
    expect((await rejection(refusedExport())).kind).toBe('UNAUTHENTICATED');
  });
});
