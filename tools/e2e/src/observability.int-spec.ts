import { eventually, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { randomUUID } from 'node:crypto';
import { createRestClient, type RestClient } from './rest-client';
import { expectStatus, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

jest.setTimeout(300_000);

const SERVICES = ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'] as const;
const INFO_LOGS = { LOG_LEVEL: 'info' };

let platform: RunningPlatform;
let api: RestClient;
let owner: SignedUp;

beforeAll(async () => {
  platform = await startPlatform({
    services: SERVICES,
    env: Object.fromEntries(SERVICES.map((service) => [service, service === 'auth' ? { ...INFO_LOGS, ...MANY_USERS_AUTH_ENV } : INFO_LOGS])),
    // Seven processes starting at once on a shared machine.
    readyTimeoutMs: 90_000,
  });
  api = createRestClient(platform.gatewayUrl);
  owner = await signUp(api, 'observed');
});

afterAll(async () => {
  await platform?.stop();
});

/** The ops port's `/metrics` of `service`. */
async function scrape(service: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${platform.endpoints[service]?.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of a histogram's `_count` series whose labels include every one of `labels`. */
function countOf(text: string, metric: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([name, value]) => `${name}="${value}"`);
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}_count{`) && wanted.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const grpcCalls = (text: string, grpcService: string, grpcMethod: string): number =>
  countOf(text, 'bulkhead_grpc_server_call_duration_seconds', { grpc_service: grpcService, grpc_method: grpcMethod, grpc_code: 'OK' });

describe('metrics an operator can use', () => {
  it("moves each service's request histogram on its ops port with the requests it serves, and none on the public port", async () => {
    const watched: Array<[service: string, grpcService: string, grpcMethod: string]> = [
      ['auth', 'bulkhead.auth.v1.AuthService', 'GetMe'],
      ['org', 'bulkhead.org.v1.OrgService', 'GetOrganization'],
      ['project', 'bulkhead.project.v1.ProjectService', 'GetProject'],
      ['agent', 'bulkhead.agent.v1.AgentService', 'CreateAgent'],
      ['workflow', 'bulkhead.workflow.v1.WorkflowService', 'ListWorkflows'],
      ['audit', 'bulkhead.audit.v1.AuditReviewService', 'ListEvents'],
    ];
    const route = { route: '/v1/projects/:id', method: 'GET', status_class: '2xx' };
    const before = await Promise.all(watched.map(([service, grpcService, method]) => scrape(service).then((text) => grpcCalls(text, grpcService, method))));
    const gatewayBefore = countOf(await scrape('gateway'), 'bulkhead_http_request_duration_seconds', route);

    const as = { token: owner.tokens.accessToken };
    expectStatus(await api.call('GET', '/v1/auth/me', as), 200);
    expectStatus(await api.call('GET', `/v1/orgs/${owner.orgId}`, as), 200);
    const project = await api.call<{ id: string }>('POST', '/v1/projects', { ...as, body: { name: 'Measured' } });
    expectStatus(project, 201);
    expectStatus(await api.call('GET', `/v1/projects/${project.body.id}`, as), 200);
    expectStatus(await api.call('POST', '/v1/agents', { ...as, body: { name: 'echo', kind: 'transform', config: { template: { echo: '{{input}}' } } } }), 201);
    expectStatus(await api.call('GET', `/v1/workflows?projectId=${project.body.id}`, as), 200);
    expectStatus(await api.call('GET', '/v1/audit/events', as), 200);

    const after = await Promise.all(watched.map(([service, grpcService, method]) => scrape(service).then((text) => grpcCalls(text, grpcService, method))));
    expect(watched.map(([service], i) => [service, (after[i] ?? 0) - (before[i] ?? 0) >= 1])).toEqual(watched.map(([service]) => [service, true]));

    const gateway = await scrape('gateway');
    expect(countOf(gateway, 'bulkhead_http_request_duration_seconds', route)).toBe(gatewayBefore + 1);
    // The tenant appears as its plan, never as its id.
    expect(gateway).toMatch(/bulkhead_http_request_duration_seconds_count\{service="gateway",route="\/v1\/projects\/:id",method="GET",status_class="2xx",plan="[a-z]+"\}/);
    expect(gateway).not.toContain(owner.orgId);
    // The gateway's gRPC client calls to project are measured by project, its own gRPC edge by itself.
    expect(grpcCalls(await scrape('project'), 'bulkhead.project.v1.ProjectService', 'CreateProject')).toBeGreaterThanOrEqual(1);

    const publicMetrics = await fetch(`${platform.gatewayUrl}/metrics`);
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.text()).not.toContain('bulkhead_');
  });
});

describe('logs an operator can use', () => {
  /** The JSON lines `service` wrote that carry `requestId`. */
  const linesOf = (service: string, requestId: string): Record<string, unknown>[] =>
    platform
      .outputOf(service)
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes(requestId))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('names the tenant and the user on the lines of an authenticated request, in the gateway and in the service it called', async () => {
    const requestId = `obs-${randomUUID()}`;
    const reply = await api.call('GET', `/v1/orgs/${owner.orgId}`, { token: owner.tokens.accessToken, headers: { 'x-request-id': requestId } });
    expectStatus(reply, 200);
    const caller = { requestId, tenantId: owner.orgId, userId: owner.userId };
    await eventually(async () => {
      expect(linesOf('gateway', requestId)).toEqual([expect.objectContaining({ ...caller, msg: 'request', route: '/v1/orgs/:orgId', status: 200 })]);
      expect(linesOf('org', requestId)).toEqual(
        expect.arrayContaining([expect.objectContaining({ ...caller, msg: 'grpc call', method: '/bulkhead.org.v1.OrgService/GetOrganization', status: 'OK' })]),
      );
    }, 10_000);
  });
});
