import {
  AgentServiceClient,
  AuditReviewServiceClient,
  AuthServiceClient,
  OrgServiceClient,
  ProjectServiceClient,
  WorkflowServiceClient,
  type AgentServiceService,
  type AuditReviewServiceService,
  type AuthServiceService,
  type OrgServiceService,
  type ProjectServiceService,
  type WorkflowServiceService,
} from '@bulkhead/contracts';
import { isAppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, type ClientCallOptions, type GrpcClient } from '@bulkhead/grpc-kit';
import {
  keyRefusalOf,
  PERMISSIONS,
  PROJECT_PERMISSIONS,
  ROUTE_ACCESS,
  SCOPES,
  type PermissionCaller,
  type RouteAccess,
  type RouteKey,
} from '@bulkhead/permissions';
import { eventually, startPlatform, type RunningPlatform } from '@bulkhead/testkit';
import { bearerMetadata } from '@bulkhead/tokens';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, joinAs, MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

/**
 * API keys held to their project and scopes (ADR 0013), over every authenticated route: for a
 * project-bound key and a read-only key, each route answers what the permission table says, at
 * the gateway (REST, with the key's secret) and at the service called directly over gRPC with
 * the access token the key is exchanged for. The expected answers come from the route table and
 * the permission table, never from a list kept here; what is kept here is how to call each route.
 */

type Clients = {
  auth: GrpcClient<typeof AuthServiceService>;
  org: GrpcClient<typeof OrgServiceService>;
  project: GrpcClient<typeof ProjectServiceService>;
  workflow: GrpcClient<typeof WorkflowServiceService>;
  agent: GrpcClient<typeof AgentServiceService>;
  audit: GrpcClient<typeof AuditReviewServiceService>;
};

/** The ids a call acts on. */
type Ids = {
  orgId: string;
  projectId: string;
  workflowId: string;
  runId: string;
  agentId: string;
  documentAgentId: string;
  documentId: string;
  invitationId: string;
  memberId: string;
  apiKeyId: string;
  eventId: string;
};

type Where = 'own' | 'other';

/** One key under test: its secret (REST), its exchanged token (gRPC), and its limits as the table sees them. */
type Key = { id: string; secret: string; token: string; caller: PermissionCaller };

/** How to call one route: REST and the RPC behind it, and (when the call changes what it acts on) fresh targets for each call. */
interface RouteCall {
  /** True when the route acts on something inside a project: it is tried in the key's own project and in another. */
  inProject?: boolean;
  /**
   * The route whose access the RPC has when called directly, when it differs: the platform audit
   * routes' RPCs read the caller's own log unless the caller holds a platform role.
   */
  grpcAs?: RouteKey;
  /** Fresh targets for one call (default: the standing ones); may mint the key to use (a key bound to a fresh project). */
  prepare?: (where: Where, kind: KeyKind) => Promise<{ ids?: Partial<Ids>; key?: Key }>;
  rest(ids: Ids): { path: string; body?: unknown };
  grpc(c: Clients, ids: Ids, options: ClientCallOptions): Promise<unknown>;
}

type KeyKind = 'projectBound' | 'readOnly';

let platform: RunningPlatform;
let api: RestClient;
let clients: Clients;
let owner: SignedUp;
let member: SignedUp;
const standing: Record<Where, Ids> = { own: {} as Ids, other: {} as Ids };
const keys = {} as Record<KeyKind, Key>;

const as = (who: SignedUp) => ({
  call: <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<RestReply<T>> =>
    api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) }),
});

async function created<T extends { id: string }>(reply: Promise<RestReply<T>>, status = 201): Promise<T> {
  const answer = await reply;
  expectStatus(answer, status);
  return answer.body;
}

const newProject = (label: string) => created(as(owner).call<{ id: string }>('POST', '/v1/projects', { name: `${label} ${Math.random().toString(36).slice(2, 8)}` }));
const newWorkflow = (projectId: string) =>
  created(
    as(owner).call<{ id: string }>('POST', '/v1/workflows', {
      projectId,
      name: `wf ${Math.random().toString(36).slice(2, 8)}`,
      steps: [{ id: 's1', agentId: standing.own.agentId, input: { n: '{{run.input.n}}' } }],
    }),
  );
const newRun = async (workflowId: string) => (await created(as(owner).call<{ id: string }>('POST', `/v1/workflows/${workflowId}/runs`, { input: { n: 1 } }), 202)).id;

/** Creates an API key as the owner and exchanges it, over gRPC, for the token the gateway would forward. */
async function mintKey(body: { role: string; scopes?: string[]; projectId?: string }): Promise<Key> {
  const reply = await as(owner).call<{ apiKey: { id: string }; secret: string }>('POST', '/v1/api-keys', { name: 'limits', ...body });
  expectStatus(reply, 201);
  const { accessToken } = await clients.auth.exchangeApiKey({ secret: reply.body.secret });
  return {
    id: reply.body.apiKey.id,
    secret: reply.body.secret,
    token: accessToken,
    caller: { role: body.role, type: 'apiKey', scopes: body.scopes ?? [], ...(body.projectId === undefined ? {} : { projectId: body.projectId }) },
  };
}

const page = { pageSize: 10, cursor: '' };

/** Every route of the route table, and how to call it: a route missing here does not compile. */
const ROUTE_CALLS: Record<RouteKey, RouteCall> = {
  'GET /v1/auth/me': { rest: () => ({ path: '/v1/auth/me' }), grpc: (c, _ids, o) => c.auth.getMe({}, o) },
  'POST /v1/auth/logout': { rest: () => ({ path: '/v1/auth/logout' }), grpc: (c, _ids, o) => c.auth.logout({}, o) },
  'POST /v1/auth/switch-org': { rest: (ids) => ({ path: '/v1/auth/switch-org', body: { organizationId: ids.orgId } }), grpc: (c, ids, o) => c.auth.switchOrg({ organizationId: ids.orgId }, o) },
  'GET /v1/api-keys': { rest: () => ({ path: '/v1/api-keys' }), grpc: (c, _ids, o) => c.auth.listApiKeys({ page }, o) },
  'POST /v1/api-keys': {
    rest: () => ({ path: '/v1/api-keys', body: { name: 'minted by a key', role: 'admin' } }),
    grpc: (c, _ids, o) => c.auth.createApiKey({ name: 'minted by a key', role: 'admin', scopes: [], projectId: '' }, o),
  },
  'DELETE /v1/api-keys/:id': { rest: (ids) => ({ path: `/v1/api-keys/${ids.apiKeyId}` }), grpc: (c, ids, o) => c.auth.revokeApiKey({ id: ids.apiKeyId }, o) },
  'GET /v1/orgs': { rest: () => ({ path: '/v1/orgs' }), grpc: (c, _ids, o) => c.org.listOrganizations({ page }, o) },
  'POST /v1/orgs': { rest: () => ({ path: '/v1/orgs', body: { name: 'made by a key' } }), grpc: (c, _ids, o) => c.auth.createOrganization({ name: 'made by a key', slug: '' }, o) },
  'GET /v1/orgs/:orgId': { rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}` }), grpc: (c, ids, o) => c.org.getOrganization({ id: ids.orgId }, o) },
  'PATCH /v1/orgs/:orgId': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}`, body: { settings: { touched: true } } }),
    grpc: (c, ids, o) => c.org.updateOrganization({ id: ids.orgId, settings: { touched: true } }, o),
  },
  'DELETE /v1/orgs/:orgId': { rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}` }), grpc: (c, ids, o) => c.org.deleteOrganization({ id: ids.orgId }, o) },
  'GET /v1/orgs/:orgId/usage': { rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/usage` }), grpc: (c, ids, o) => c.org.getUsage({ organizationId: ids.orgId }, o) },
  'GET /v1/orgs/:orgId/members': { rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/members` }), grpc: (c, ids, o) => c.org.listMembers({ organizationId: ids.orgId, page }, o) },
  'PATCH /v1/orgs/:orgId/members/:userId': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/members/${ids.memberId}`, body: { role: 'viewer' } }),
    grpc: (c, ids, o) => c.org.updateMemberRole({ organizationId: ids.orgId, userId: ids.memberId, role: 'viewer' }, o),
  },
  'DELETE /v1/orgs/:orgId/members/:userId': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/members/${ids.memberId}` }),
    grpc: (c, ids, o) => c.org.removeMember({ organizationId: ids.orgId, userId: ids.memberId }, o),
  },
  'POST /v1/orgs/:orgId/invitations': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/invitations`, body: { email: 'by-key@example.test', role: 'member' } }),
    grpc: (c, ids, o) => c.org.createInvitation({ organizationId: ids.orgId, email: 'by-key@example.test', role: 'member', expiresInHours: 0 }, o),
  },
  'GET /v1/orgs/:orgId/invitations': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/invitations` }),
    grpc: (c, ids, o) => c.org.listInvitations({ organizationId: ids.orgId, page }, o),
  },
  'DELETE /v1/orgs/:orgId/invitations/:id': {
    rest: (ids) => ({ path: `/v1/orgs/${ids.orgId}/invitations/${ids.invitationId}` }),
    grpc: (c, ids, o) => c.org.revokeInvitation({ organizationId: ids.orgId, id: ids.invitationId }, o),
  },
  'POST /v1/invitations/accept': { rest: () => ({ path: '/v1/invitations/accept', body: { token: 'inv_not-a-real-one' } }), grpc: (c, _ids, o) => c.auth.acceptInvitation({ token: 'inv_not-a-real-one' }, o) },
  'GET /v1/projects': { rest: () => ({ path: '/v1/projects' }), grpc: (c, _ids, o) => c.project.listProjects({ page, includeArchived: false }, o) },
  'POST /v1/projects': { rest: () => ({ path: '/v1/projects', body: { name: 'made by a key' } }), grpc: (c, _ids, o) => c.project.createProject({ name: 'made by a key', description: '' }, o) },
  'GET /v1/projects/:id': { inProject: true, rest: (ids) => ({ path: `/v1/projects/${ids.projectId}` }), grpc: (c, ids, o) => c.project.getProject({ id: ids.projectId }, o) },
  'PATCH /v1/projects/:id': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/projects/${ids.projectId}`, body: { description: 'edited by a key' } }),
    grpc: (c, ids, o) => c.project.updateProject({ id: ids.projectId, description: 'edited by a key' }, o),
  },
  'DELETE /v1/projects/:id': {
    inProject: true,
    prepare: async (where, kind) => {
      const project = await newProject('doomed');
      if (where === 'other' || kind !== 'projectBound') return { ids: { projectId: project.id } };
      return { ids: { projectId: project.id }, key: await mintKey({ role: 'admin', projectId: project.id }) };
    },
    rest: (ids) => ({ path: `/v1/projects/${ids.projectId}` }),
    grpc: (c, ids, o) => c.project.deleteProject({ id: ids.projectId }, o),
  },
  'GET /v1/projects/:id/members': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/projects/${ids.projectId}/members` }),
    grpc: (c, ids, o) => c.project.listProjectMembers({ projectId: ids.projectId, page }, o),
  },
  'PUT /v1/projects/:id/members/:userId': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/projects/${ids.projectId}/members/${ids.memberId}`, body: { role: 'viewer' } }),
    grpc: (c, ids, o) => c.project.setProjectMember({ projectId: ids.projectId, userId: ids.memberId, role: 'viewer' }, o),
  },
  'DELETE /v1/projects/:id/members/:userId': {
    inProject: true,
    prepare: async (where) => {
      expectStatus(await as(owner).call('PUT', `/v1/projects/${standing[where].projectId}/members/${member.userId}`, { role: 'viewer' }), 200);
      return {};
    },
    rest: (ids) => ({ path: `/v1/projects/${ids.projectId}/members/${ids.memberId}` }),
    grpc: (c, ids, o) => c.project.removeProjectMember({ projectId: ids.projectId, userId: ids.memberId }, o),
  },
  'GET /v1/workflows': { rest: () => ({ path: '/v1/workflows' }), grpc: (c, _ids, o) => c.workflow.listWorkflows({ page, projectId: '' }, o) },
  'POST /v1/workflows': {
    inProject: true,
    rest: (ids) => ({ path: '/v1/workflows', body: { projectId: ids.projectId, name: `by key ${Math.random()}`, steps: [{ id: 's1', agentId: ids.agentId, input: {} }] } }),
    grpc: (c, ids, o) => c.workflow.createWorkflow({ projectId: ids.projectId, name: `by key ${Math.random()}`, steps: [{ id: 's1', agentId: ids.agentId, inputJson: '{}', timeoutMs: 0 }] }, o),
  },
  'GET /v1/workflows/:id': { inProject: true, rest: (ids) => ({ path: `/v1/workflows/${ids.workflowId}` }), grpc: (c, ids, o) => c.workflow.getWorkflow({ id: ids.workflowId }, o) },
  'PATCH /v1/workflows/:id': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/workflows/${ids.workflowId}`, body: { name: `renamed ${Math.random()}` } }),
    grpc: (c, ids, o) => c.workflow.updateWorkflow({ id: ids.workflowId, name: `renamed ${Math.random()}`, steps: [], replaceSteps: false }, o),
  },
  'DELETE /v1/workflows/:id': {
    inProject: true,
    prepare: async (where) => ({ ids: { workflowId: (await newWorkflow(standing[where].projectId)).id } }),
    rest: (ids) => ({ path: `/v1/workflows/${ids.workflowId}` }),
    grpc: (c, ids, o) => c.workflow.deleteWorkflow({ id: ids.workflowId }, o),
  },
  'POST /v1/workflows/:id/runs': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/workflows/${ids.workflowId}/runs`, body: { input: { n: 2 } } }),
    grpc: (c, ids, o) => c.workflow.startRun({ workflowId: ids.workflowId, inputJson: '{"n":2}' }, o),
  },
  'GET /v1/runs': { rest: () => ({ path: '/v1/runs' }), grpc: (c, _ids, o) => c.workflow.listRuns({ page, workflowId: '', status: '' }, o) },
  'GET /v1/runs/:id': { inProject: true, rest: (ids) => ({ path: `/v1/runs/${ids.runId}` }), grpc: (c, ids, o) => c.workflow.getRun({ id: ids.runId }, o) },
  'GET /v1/runs/:id/steps/:stepId': {
    inProject: true,
    rest: (ids) => ({ path: `/v1/runs/${ids.runId}/steps/s1` }),
    grpc: (c, ids, o) => c.workflow.getRunStep({ runId: ids.runId, stepId: 's1' }, o),
  },
  'POST /v1/runs/:id/pause': { inProject: true, rest: (ids) => ({ path: `/v1/runs/${ids.runId}/pause` }), grpc: (c, ids, o) => c.workflow.pauseRun({ id: ids.runId }, o) },
  'POST /v1/runs/:id/resume': { inProject: true, rest: (ids) => ({ path: `/v1/runs/${ids.runId}/resume` }), grpc: (c, ids, o) => c.workflow.resumeRun({ id: ids.runId }, o) },
  'POST /v1/runs/:id/cancel': {
    inProject: true,
    prepare: async (where) => ({ ids: { runId: await newRun(standing[where].workflowId) } }),
    rest: (ids) => ({ path: `/v1/runs/${ids.runId}/cancel` }),
    grpc: (c, ids, o) => c.workflow.cancelRun({ id: ids.runId }, o),
  },
  'POST /v1/runs/:id/reset': { inProject: true, rest: (ids) => ({ path: `/v1/runs/${ids.runId}/reset` }), grpc: (c, ids, o) => c.workflow.resetRun({ id: ids.runId }, o) },
  'GET /v1/agents': { rest: () => ({ path: '/v1/agents' }), grpc: (c, _ids, o) => c.agent.listAgents({ page }, o) },
  'POST /v1/agents': {
    rest: () => ({ path: '/v1/agents', body: { name: `by key ${Math.random()}`, kind: 'transform', config: { template: {} } } }),
    grpc: (c, _ids, o) => c.agent.createAgent({ name: `by key ${Math.random()}`, kind: 'transform', configJson: '{"template":{}}', status: '', credentials: {} }, o),
  },
  'GET /v1/agents/:id': { rest: (ids) => ({ path: `/v1/agents/${ids.agentId}` }), grpc: (c, ids, o) => c.agent.getAgent({ id: ids.agentId }, o) },
  'PATCH /v1/agents/:id': {
    rest: (ids) => ({ path: `/v1/agents/${ids.agentId}`, body: { status: 'active' } }),
    grpc: (c, ids, o) => c.agent.updateAgent({ id: ids.agentId, status: 'active', credentials: {}, replaceCredentials: false }, o),
  },
  'DELETE /v1/agents/:id': { rest: (ids) => ({ path: `/v1/agents/${ids.agentId}` }), grpc: (c, ids, o) => c.agent.deleteAgent({ id: ids.agentId }, o) },
  'POST /v1/agents/:id/invoke': {
    rest: (ids) => ({ path: `/v1/agents/${ids.agentId}/invoke`, body: { input: { n: 3 } } }),
    grpc: (c, ids, o) => c.agent.invokeAgent({ agentId: ids.agentId, inputJson: '{"n":3}', executionKey: '' }, o),
  },
  'GET /v1/agents/:id/documents': {
    rest: (ids) => ({ path: `/v1/agents/${ids.documentAgentId}/documents` }),
    grpc: (c, ids, o) => c.agent.listDocuments({ agentId: ids.documentAgentId, page }, o),
  },
  'POST /v1/agents/:id/documents': {
    rest: (ids) => ({ path: `/v1/agents/${ids.documentAgentId}/documents`, body: { title: 'by key', content: 'text' } }),
    grpc: (c, ids, o) => c.agent.addDocument({ agentId: ids.documentAgentId, title: 'by key', content: 'text' }, o),
  },
  'DELETE /v1/agents/:id/documents/:docId': {
    rest: (ids) => ({ path: `/v1/agents/${ids.documentAgentId}/documents/${ids.documentId}` }),
    grpc: (c, ids, o) => c.agent.deleteDocument({ agentId: ids.documentAgentId, documentId: ids.documentId }, o),
  },
  'GET /v1/audit/events': { rest: () => ({ path: '/v1/audit/events' }), grpc: (c, _ids, o) => c.audit.listEvents({ tenantId: '', page }, o) },
  'GET /v1/audit/events/:id': { rest: (ids) => ({ path: `/v1/audit/events/${ids.eventId}` }), grpc: (c, ids, o) => c.audit.getEvent({ tenantId: '', id: ids.eventId }, o) },
  'GET /v1/audit/export': { rest: () => ({ path: '/v1/audit/export?format=ndjson' }), grpc: (c, _ids, o) => drain(c.audit.exportEvents({ tenantId: '', format: 'ndjson' }, o)) },
  'GET /v1/audit/verify': { rest: () => ({ path: '/v1/audit/verify' }), grpc: (c, _ids, o) => c.audit.verifyChain({ tenantId: '', from: '', to: '', fromSequence: 0, toSequence: 0 }, o) },
  'GET /v1/platform/audit/events': { grpcAs: 'GET /v1/audit/events', rest: (ids) => ({ path: `/v1/platform/audit/events?tenantId=${ids.orgId}` }), grpc: (c, ids, o) => c.audit.listEvents({ tenantId: ids.orgId, page }, o) },
  'GET /v1/platform/audit/events/:id': {
    grpcAs: 'GET /v1/audit/events/:id',
    rest: (ids) => ({ path: `/v1/platform/audit/events/${ids.eventId}?tenantId=${ids.orgId}` }),
    grpc: (c, ids, o) => c.audit.getEvent({ tenantId: ids.orgId, id: ids.eventId }, o),
  },
  'GET /v1/platform/audit/export': {
    grpcAs: 'GET /v1/audit/export',
    rest: (ids) => ({ path: `/v1/platform/audit/export?tenantId=${ids.orgId}&format=ndjson` }),
    grpc: (c, ids, o) => drain(c.audit.exportEvents({ tenantId: ids.orgId, format: 'ndjson' }, o)),
  },
  'GET /v1/platform/audit/verify': {
    grpcAs: 'GET /v1/audit/verify',
    rest: (ids) => ({ path: `/v1/platform/audit/verify?tenantId=${ids.orgId}` }),
    grpc: (c, ids, o) => c.audit.verifyChain({ tenantId: ids.orgId, from: '', to: '', fromSequence: 0, toSequence: 0 }, o),
  },
};

/** One REST call whose answer may be a stream (NDJSON export): its status, and its body when it is JSON. */
async function send(method: string, path: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') && text !== '' && response.status >= 400 ? JSON.parse(text) : undefined };
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of stream) void chunk;
}

type Expected = 'allowed' | 403 | 404;

/** What the route table and the permission table say `key` gets on a route acting in `projectId`. */
function expectedOf(key: PermissionCaller, access: RouteAccess, projectId: string | undefined): Expected {
  if (access === 'self') return 'allowed';
  if (access === 'usersOnly' || 'platform' in access) return 403;
  const refusal = keyRefusalOf(key, access.permission, projectId);
  if (refusal === 'elsewhere') return 404;
  if (refusal !== undefined) return 403;
  const roles: readonly string[] =
    access.permission in PERMISSIONS ? PERMISSIONS[access.permission as keyof typeof PERMISSIONS] : PROJECT_PERMISSIONS[access.permission as keyof typeof PROJECT_PERMISSIONS].org;
  return roles.includes(key.role) ? 'allowed' : 403;
}

/** The status a REST answer or a gRPC outcome stands for: allowed (done, or refused by the state of the thing: 409), 403, 404, or what else it was. */
function restOutcome(status: number): Expected | number {
  return status < 400 || status === 409 ? 'allowed' : status;
}

async function grpcOutcome(call: Promise<unknown>): Promise<Expected | string> {
  try {
    await call;
    return 'allowed';
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.kind === 'PERMISSION_DENIED') return 403;
    if (err.kind === 'NOT_FOUND') return 404;
    if (err.kind === 'FAILED_PRECONDITION' || err.kind === 'ALREADY_EXISTS' || err.kind === 'ABORTED') return 'allowed';
    return `${err.kind} ${err.code}: ${err.message}`;
  }
}

const routeKeys = Object.keys(ROUTE_ACCESS) as RouteKey[];
const cases = routeKeys.flatMap((route) =>
  (['projectBound', 'readOnly'] as const).flatMap((kind) => (ROUTE_CALLS[route].inProject === true ? (['own', 'other'] as const) : (['own'] as const)).map((where) => [route, kind, where] as const)),
);

beforeAll(async () => {
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'],
    env: { auth: MANY_USERS_AUTH_ENV, gateway: { RATE_LIMIT_RPM_BASIC: '100000', RATE_LIMIT_RPM_ENTERPRISE: '100000' }, workflow: { WORKERS_ENABLED: 'false' } },
  });
  api = createRestClient(platform.gatewayUrl);
  clients = {
    auth: createGrpcClient(AuthServiceClient, platform.grpcAddress('auth')),
    org: createGrpcClient(OrgServiceClient, platform.grpcAddress('org')),
    project: createGrpcClient(ProjectServiceClient, platform.grpcAddress('project')),
    workflow: createGrpcClient(WorkflowServiceClient, platform.grpcAddress('workflow')),
    agent: createGrpcClient(AgentServiceClient, platform.grpcAddress('agent')),
    audit: createGrpcClient(AuditReviewServiceClient, platform.grpcAddress('audit')),
  };
  owner = await signUp(api, 'limits');
  expectStatus(await as(owner).call('PATCH', `/v1/orgs/${owner.orgId}`, { plan: 'enterprise' }), 200);
  member = await joinAs(api, owner, 'member', 'limits-member');
  const agent = await created(as(owner).call<{ id: string }>('POST', '/v1/agents', { name: 'echo', kind: 'transform', config: { template: { n: '{{input.n}}' } } }));
  const kb = await created(as(owner).call<{ id: string }>('POST', '/v1/agents', { name: 'kb', kind: 'knowledge-qa', config: {} }));
  for (const where of ['own', 'other'] as const) {
    standing[where].agentId = agent.id;
    const project = await newProject(where);
    const workflow = await newWorkflow(project.id);
    Object.assign(standing[where], { orgId: owner.orgId, projectId: project.id, workflowId: workflow.id, runId: await newRun(workflow.id), documentAgentId: kb.id, memberId: member.userId });
  }
  const document = await created(as(owner).call<{ id: string }>('POST', `/v1/agents/${kb.id}/documents`, { title: 'doc', content: 'text' }));
  const invited = await as(owner).call<{ invitation: { id: string } }>('POST', `/v1/orgs/${owner.orgId}/invitations`, { email: 'invited@example.test', role: 'viewer' });
  expectStatus(invited, 201);
  const invitation = invited.body.invitation;
  keys.projectBound = await mintKey({ role: 'admin', projectId: standing.own.projectId });
  keys.readOnly = await mintKey({ role: 'admin', scopes: SCOPES.filter((scope) => scope.endsWith(':read')) });
  const spare = await mintKey({ role: 'viewer' });
  const eventId = await (async () => {
    let id = '';
    await eventually(async () => {
      const events = await as(owner).call<{ items: { id: string }[] }>('GET', '/v1/audit/events?limit=1');
      id = events.body.items[0]?.id ?? '';
      expect(id).not.toBe('');
    }, 30_000);
    return id;
  })();
  for (const where of ['own', 'other'] as const) Object.assign(standing[where], { documentId: document.id, invitationId: invitation.id, apiKeyId: spare.id, eventId });
}, 300_000);

afterAll(async () => {
  if (clients !== undefined) {
    closeGrpcClient(clients.auth);
    closeGrpcClient(clients.org);
    closeGrpcClient(clients.project);
    closeGrpcClient(clients.workflow);
    closeGrpcClient(clients.agent);
    closeGrpcClient(clients.audit);
  }
  await platform?.stop();
});

describe('API keys held to their project and scopes, route by route', () => {
  it('covers every route of the route table', () => {
    expect(Object.keys(ROUTE_CALLS).sort()).toEqual([...routeKeys].sort());
  });

  it.each(cases)('%s for a %s key (target in its %s project)', async (route, kind, where) => {
    const call = ROUTE_CALLS[route];
    const prepared = (await call.prepare?.(where, kind)) ?? {};
    const key = prepared.key ?? keys[kind];
    const ids = { ...standing[where], ...prepared.ids };
    const projectId = call.inProject === true ? ids.projectId : undefined;
    const expected = expectedOf(key.caller, ROUTE_ACCESS[route], projectId);
    const { path, body } = call.rest(ids);
    const [method] = route.split(' ') as [string];
    const reply = await send(method, path, key.secret, body);
    expect({ gateway: restOutcome(reply.status), body: reply.body }).toEqual({ gateway: expected, body: reply.body });

    // The same token, straight to the service: a fresh target when the call changes it.
    const again = (await call.prepare?.(where, kind)) ?? {};
    const grpcKey = again.key ?? key;
    const grpcIds = { ...standing[where], ...again.ids };
    const grpcExpected = call.grpcAs === undefined ? expected : expectedOf(key.caller, ROUTE_ACCESS[call.grpcAs], projectId);
    expect(await grpcOutcome(call.grpc(clients, grpcIds, { metadata: bearerMetadata(grpcKey.token) }))).toBe(grpcExpected);
  });
});

describe('lists show a key only what it may see', () => {
  it('a project-bound key lists only its project, its workflows and their runs', async () => {
    const list = async (path: string) => (await api.call<{ items: { id: string; projectId?: string; workflowId?: string }[] }>('GET', path, { token: keys.projectBound.secret })).body.items;
    expect((await list('/v1/projects')).map((p) => p.id)).toEqual([standing.own.projectId]);
    const workflows = await list('/v1/workflows');
    expect(workflows.map((w) => w.id)).toContain(standing.own.workflowId);
    expect(workflows.every((w) => w.projectId === standing.own.projectId)).toBe(true);
    const runs = await list('/v1/runs');
    expect(runs.map((r) => r.id)).toContain(standing.own.runId);
    expect(runs.map((r) => r.id)).not.toContain(standing.other.runId);
    const overGrpc = await clients.project.listProjects({ page, includeArchived: true }, { metadata: bearerMetadata(keys.projectBound.token) });
    expect(overGrpc.items.map((p) => p.id)).toEqual([standing.own.projectId]);
  });
});

describe('creating a key', () => {
  const create = (body: Record<string, unknown>) => as(owner).call<{ errors?: { field: string; message: string }[] }>('POST', '/v1/api-keys', { name: 'bad', ...body });
  const keyCount = async () => (await as(owner).call<{ items: unknown[] }>('GET', '/v1/api-keys?limit=200')).body.items.length;

  it.each([
    [{ scopes: ['projects:read', 'billing:read'] }, 'body.scopes.1', 'unknown resource "billing"'],
    [{ scopes: ['projects:control'] }, 'body.scopes.0', 'unknown action of projects'],
    [{ scopes: ['projects'] }, 'body.scopes.0', 'resource:action'],
    [{ projectId: '0193a000-0000-7000-8000-0000000000ff' }, 'projectId', 'no project'],
  ])('refuses %j with 400 naming the field, creating nothing', async (body, field, message) => {
    const before = await keyCount();
    const reply = await create(body);
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringContaining(message) })]));
    expect(await keyCount()).toBe(before);
  });

  it("refuses another organization's project as if it did not exist, and nothing of either org changes", async () => {
    const stranger = await signUp(api, 'limits-stranger');
    const before = await keyCount();
    const theirs = await api.call<{ errors: { field: string }[] }>('POST', '/v1/api-keys', { token: stranger.tokens.accessToken, body: { name: 'x', projectId: standing.own.projectId } });
    expect([theirs.status, theirs.body.errors.map((e) => e.field)]).toEqual([400, ['projectId']]);
    expect((await api.call<{ items: unknown[] }>('GET', '/v1/api-keys', { token: stranger.tokens.accessToken })).body.items).toEqual([]);
    expect(await keyCount()).toBe(before);
  });

  it('refuses the same scopes at the auth service itself, naming them', async () => {
    const refused = clients.auth.createApiKey({ name: 'bad', role: 'viewer', scopes: ['billing:read'], projectId: '' }, { metadata: bearerMetadata(owner.tokens.accessToken) });
    await expect(refused).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT', fieldViolations: [expect.objectContaining({ field: 'scopes[0]', description: expect.stringContaining('unknown resource "billing"') })] });
  });

  it('carries the key’s project and scopes in the token it is exchanged for', async () => {
    const me = await api.call<{ apiKey: { projectId: string | null; scopes: string[] } }>('GET', '/v1/auth/me', { token: keys.readOnly.secret });
    expect(me.body.apiKey).toMatchObject({ projectId: null, scopes: SCOPES.filter((scope) => scope.endsWith(':read')) });
    const [, payload] = keys.projectBound.token.split('.') as [string, string];
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ pid: standing.own.projectId, pty: 'apiKey', scope: '' });
  });
});
