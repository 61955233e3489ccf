import { AUDIT_ACTION_NAMES, type AuditAction, type AuditOutcome } from '@bulkhead/audit';
import { eventually, loadDevstackEnv, startPlatform, withPgClient, type RunningPlatform } from '@bulkhead/testkit';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { joinAs, login, MANY_USERS_AUTH_ENV, PASSWORD, signUp, type SignedUp } from './tenants';

/**
 * The catalogue, performed through the gateway: for every audit action, one row does it once
 * through the REST API, in an organization of its own, and the compliance log (the audit
 * database, read as its owner) must end up with exactly one event of that action for that
 * tenant, with the acting actor and the expected outcome — after outbox → relay → Kafka →
 * consumer, all running in the audit service. Add a row when an action joins the catalogue.
 */

jest.setTimeout(240_000);

const devstack = loadDevstackEnv();
/** Low enough that one row can exhaust its organization's bucket, high enough for every other row. */
const REQUESTS_PER_MINUTE = 30;

let platform: RunningPlatform;
let api: RestClient;

/** What a row did: which tenant's log must hold the event, whose doing it was, how it ended. */
interface Performed {
  tenantId: string;
  actorId: string;
  outcome: AuditOutcome;
}

type Row = (api: RestClient) => Promise<Performed>;

/** Asserts a 2xx, showing the body when not (the failing response is the diagnosis). */
function ok<T>(reply: RestReply<T>): T {
  expect({ status: reply.status < 300 ? 'ok' : reply.status, body: reply.body }).toEqual({ status: 'ok', body: reply.body });
  return reply.body;
}

function refused<T>(reply: RestReply<T>, status: number): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: reply.body });
}

const call = <T = Record<string, unknown>>(who: SignedUp, method: string, path: string, body?: unknown) =>
  api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) });

const success = (who: SignedUp): Performed => ({ tenantId: who.orgId, actorId: who.userId, outcome: 'success' });

async function newProject(owner: SignedUp, name = 'Catalogue'): Promise<string> {
  return ok(await call<{ id: string }>(owner, 'POST', '/v1/projects', { name })).id;
}

async function invite(owner: SignedUp, email: string): Promise<string> {
  return ok(await call<{ invitation: { id: string } }>(owner, 'POST', `/v1/orgs/${owner.orgId}/invitations`, { email, role: 'member' })).invitation.id;
}

async function newAgent(owner: SignedUp, kind = 'transform', config: unknown = { template: { echo: '{{input}}' } }): Promise<string> {
  return ok(await call<{ id: string }>(owner, 'POST', '/v1/agents', { name: `agent-${kind}`, kind, config })).id;
}

async function newWorkflow(owner: SignedUp): Promise<string> {
  const projectId = await newProject(owner);
  const agentId = await newAgent(owner);
  return ok(await call<{ id: string }>(owner, 'POST', '/v1/workflows', { projectId, name: 'Catalogue', steps: [{ id: 'echo', agentId, input: {} }] })).id;
}

/** A run of a new workflow (the catalogue's platform runs no workers: it stays pending until steered). */
async function newRun(owner: SignedUp): Promise<string> {
  const workflowId = await newWorkflow(owner);
  return ok(await call<{ id: string }>(owner, 'POST', `/v1/workflows/${workflowId}/runs`, { input: {} })).id;
}

const ROWS: Partial<Record<AuditAction, Row>> = {
  'auth.signed_up': async (rest) => success(await signUp(rest, 'cat-signup')),
  'auth.login_succeeded': async (rest) => {
    const user = await signUp(rest, 'cat-login');
    await login(rest, user.email);
    return success(user);
  },
  'auth.login_failed': async (rest) => {
    const user = await signUp(rest, 'cat-badlogin');
    refused(await rest.call('POST', '/v1/auth/login', { body: { email: user.email, password: `${PASSWORD}!` } }), 401);
    return { ...success(user), outcome: 'failed' };
  },
  'auth.logged_out': async (rest) => {
    const user = await signUp(rest, 'cat-logout');
    ok(await call(user, 'POST', '/v1/auth/logout'));
    return success(user);
  },
  'auth.refresh_reuse_detected': async (rest) => {
    const user = await signUp(rest, 'cat-reuse');
    const body = { refreshToken: user.tokens.refreshToken };
    ok(await rest.call('POST', '/v1/auth/refresh', { body }));
    refused(await rest.call('POST', '/v1/auth/refresh', { body }), 401);
    return { ...success(user), outcome: 'denied' };
  },
  'auth.token_refreshed': async (rest) => {
    const user = await signUp(rest, 'cat-refresh');
    ok(await rest.call('POST', '/v1/auth/refresh', { body: { refreshToken: user.tokens.refreshToken } }));
    return success(user);
  },
  'auth.org_switched': async (rest) => {
    const owner = await signUp(rest, 'cat-switch');
    const joined = await joinAs(rest, owner, 'member', 'cat-switcher');
    return { tenantId: owner.orgId, actorId: joined.userId, outcome: 'success' };
  },
  'api_key.created': async (rest) => {
    const owner = await signUp(rest, 'cat-key');
    ok(await call(owner, 'POST', '/v1/api-keys', { name: 'ci' }));
    return success(owner);
  },
  'api_key.revoked': async (rest) => {
    const owner = await signUp(rest, 'cat-unkey');
    const { id } = ok(await call<{ apiKey: { id: string } }>(owner, 'POST', '/v1/api-keys', { name: 'ci' })).apiKey;
    ok(await call(owner, 'DELETE', `/v1/api-keys/${id}`));
    return success(owner);
  },
  'org.created': async (rest) => {
    const user = await signUp(rest, 'cat-neworg');
    const { id } = ok(await call<{ id: string }>(user, 'POST', '/v1/orgs', { name: 'Second org' }));
    return { ...success(user), tenantId: id };
  },
  'org.updated': async (rest) => {
    const owner = await signUp(rest, 'cat-orgupd');
    ok(await call(owner, 'PATCH', `/v1/orgs/${owner.orgId}`, { name: 'Renamed org', settings: { theme: 'dark' } }));
    return success(owner);
  },
  'org.deleted': async (rest) => {
    const owner = await signUp(rest, 'cat-orgdel');
    ok(await call(owner, 'DELETE', `/v1/orgs/${owner.orgId}`));
    return success(owner);
  },
  'member.added': async (rest) => {
    const owner = await signUp(rest, 'cat-added');
    const member = await joinAs(rest, owner, 'member', 'cat-added-m');
    return { ...success(owner), actorId: member.userId };
  },
  'member.role_changed': async (rest) => {
    const owner = await signUp(rest, 'cat-role');
    const member = await joinAs(rest, owner, 'member', 'cat-role-m');
    ok(await call(owner, 'PATCH', `/v1/orgs/${owner.orgId}/members/${member.userId}`, { role: 'admin' }));
    return success(owner);
  },
  'member.removed': async (rest) => {
    const owner = await signUp(rest, 'cat-removed');
    const member = await joinAs(rest, owner, 'member', 'cat-removed-m');
    ok(await call(owner, 'DELETE', `/v1/orgs/${owner.orgId}/members/${member.userId}`));
    return success(owner);
  },
  'invitation.created': async (rest) => {
    const owner = await signUp(rest, 'cat-invite');
    await invite(owner, `cat-invitee-${owner.orgId.slice(-8)}@example.test`);
    return success(owner);
  },
  'invitation.accepted': async (rest) => {
    const owner = await signUp(rest, 'cat-accept');
    const member = await joinAs(rest, owner, 'viewer', 'cat-accept-m');
    return { ...success(owner), actorId: member.userId };
  },
  'invitation.revoked': async (rest) => {
    const owner = await signUp(rest, 'cat-revoke');
    const id = await invite(owner, `cat-revoked-${owner.orgId.slice(-8)}@example.test`);
    ok(await call(owner, 'DELETE', `/v1/orgs/${owner.orgId}/invitations/${id}`));
    return success(owner);
  },
  'agent.created': async (rest) => {
    const owner = await signUp(rest, 'cat-agent');
    await newAgent(owner);
    return success(owner);
  },
  'agent.updated': async (rest) => {
    const owner = await signUp(rest, 'cat-agentupd');
    ok(await call(owner, 'PATCH', `/v1/agents/${await newAgent(owner)}`, { status: 'disabled' }));
    return success(owner);
  },
  'agent.deleted': async (rest) => {
    const owner = await signUp(rest, 'cat-agentdel');
    ok(await call(owner, 'DELETE', `/v1/agents/${await newAgent(owner)}`));
    return success(owner);
  },
  'agent.invoked': async (rest) => {
    const owner = await signUp(rest, 'cat-invoke');
    ok(await call(owner, 'POST', `/v1/agents/${await newAgent(owner)}/invoke`, { input: { a: 1 } }));
    return success(owner);
  },
  'agent_document.added': async (rest) => {
    const owner = await signUp(rest, 'cat-docadd');
    ok(await call(owner, 'POST', `/v1/agents/${await newAgent(owner, 'knowledge-qa', {})}/documents`, { title: 'T', content: 'Some text.' }));
    return success(owner);
  },
  'agent_document.removed': async (rest) => {
    const owner = await signUp(rest, 'cat-docdel');
    const agentId = await newAgent(owner, 'knowledge-qa', {});
    const { id } = ok(await call<{ id: string }>(owner, 'POST', `/v1/agents/${agentId}/documents`, { title: 'T', content: 'Some text.' }));
    ok(await call(owner, 'DELETE', `/v1/agents/${agentId}/documents/${id}`));
    return success(owner);
  },
  'workflow.created': async (rest) => {
    const owner = await signUp(rest, 'cat-workflow');
    await newWorkflow(owner);
    return success(owner);
  },
  'workflow.updated': async (rest) => {
    const owner = await signUp(rest, 'cat-wfupd');
    ok(await call(owner, 'PATCH', `/v1/workflows/${await newWorkflow(owner)}`, { name: 'Renamed' }));
    return success(owner);
  },
  'workflow.deleted': async (rest) => {
    const owner = await signUp(rest, 'cat-wfdel');
    ok(await call(owner, 'DELETE', `/v1/workflows/${await newWorkflow(owner)}`));
    return success(owner);
  },
  'run.started': async (rest) => {
    const owner = await signUp(rest, 'cat-run');
    await newRun(owner);
    return success(owner);
  },
  'run.paused': async (rest) => {
    const owner = await signUp(rest, 'cat-pause');
    ok(await call(owner, 'POST', `/v1/runs/${await newRun(owner)}/pause`));
    return success(owner);
  },
  'run.resumed': async (rest) => {
    const owner = await signUp(rest, 'cat-resume');
    const runId = await newRun(owner);
    ok(await call(owner, 'POST', `/v1/runs/${runId}/pause`));
    ok(await call(owner, 'POST', `/v1/runs/${runId}/resume`));
    return success(owner);
  },
  'run.cancelled': async (rest) => {
    const owner = await signUp(rest, 'cat-cancel');
    ok(await call(owner, 'POST', `/v1/runs/${await newRun(owner)}/cancel`));
    return success(owner);
  },
  'run.reset': async (rest) => {
    const owner = await signUp(rest, 'cat-reset');
    const runId = await newRun(owner);
    ok(await call(owner, 'POST', `/v1/runs/${runId}/cancel`));
    ok(await call(owner, 'POST', `/v1/runs/${runId}/reset`));
    return success(owner);
  },
  'project.created': async (rest) => {
    const owner = await signUp(rest, 'cat-project');
    await newProject(owner);
    return success(owner);
  },
  'project.updated': async (rest) => {
    const owner = await signUp(rest, 'cat-projupd');
    const id = await newProject(owner);
    ok(await call(owner, 'PATCH', `/v1/projects/${id}`, { description: 'changed' }));
    return success(owner);
  },
  'project.deleted': async (rest) => {
    const owner = await signUp(rest, 'cat-projdel');
    const id = await newProject(owner);
    ok(await call(owner, 'DELETE', `/v1/projects/${id}`));
    return success(owner);
  },
  // The creator's own admin role is part of project.created; these are set through the API.
  'project_member.set': async (rest) => {
    const owner = await signUp(rest, 'cat-pmset');
    const member = await joinAs(rest, owner, 'member', 'cat-pmset-m');
    const id = await newProject(owner);
    ok(await call(owner, 'PUT', `/v1/projects/${id}/members/${member.userId}`, { role: 'editor' }));
    return success(owner);
  },
  'project_member.removed': async (rest) => {
    const owner = await signUp(rest, 'cat-pmdel');
    const id = await newProject(owner);
    ok(await call(owner, 'DELETE', `/v1/projects/${id}/members/${owner.userId}`));
    return success(owner);
  },
  'access.denied': async (rest) => {
    const owner = await signUp(rest, 'cat-denied');
    const viewer = await joinAs(rest, owner, 'viewer', 'cat-denied-v');
    refused(await call(viewer, 'POST', '/v1/projects', { name: 'Not yours' }), 403);
    return { tenantId: owner.orgId, actorId: viewer.userId, outcome: 'denied' };
  },
  'access.rate_limited': async (rest) => {
    const owner = await signUp(rest, 'cat-limited');
    const replies = await Promise.all(Array.from({ length: REQUESTS_PER_MINUTE + 10 }, () => call(owner, 'GET', `/v1/orgs/${owner.orgId}`)));
    // Sampled: many 429s, one event per tenant per minute.
    expect(replies.filter((reply) => reply.status === 429).length).toBeGreaterThan(1);
    return { ...success(owner), outcome: 'denied' };
  },
};

/** Catalogue actions this spec does not perform, and where they are shown. */
const COVERED_ELSEWHERE: Partial<Record<AuditAction, string>> = {
  'audit.platform_queried': 'covered by tools/e2e/src/platform-audit.int-spec.ts',
  // Operators' grants come from the platform-admin command, which that spec runs.
  'platform_role.granted': 'covered by tools/e2e/src/platform-audit.int-spec.ts',
  'platform_role.revoked': 'covered by tools/e2e/src/platform-audit.int-spec.ts',
  'audit.platform_exported': 'covered by tools/e2e/src/platform-audit.int-spec.ts',
  // The workers' transitions: this spec's platform runs no workers (so its runs stay where rows steer them).
  'run.succeeded': 'covered by tools/e2e/src/workflows.int-spec.ts',
  'run.failed': 'covered by tools/e2e/src/workflows.int-spec.ts',
};

/** The compliance log's events of one action for one tenant. */
async function logged(tenantId: string, action: AuditAction): Promise<Array<{ actor_id: string; outcome: string; tenant_id: string }>> {
  return withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
    (
      await client.query<{ actor_id: string; outcome: string; tenant_id: string }>(
        'SELECT actor_id, outcome, tenant_id FROM audit_events WHERE tenant_id = $1 AND action = $2',
        [tenantId, action],
      )
    ).rows,
  );
}

const performed = new Map<AuditAction, Performed>();

beforeAll(async () => {
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'],
    env: { auth: MANY_USERS_AUTH_ENV, workflow: { WORKERS_ENABLED: 'false' }, gateway: { RATE_LIMIT_RPM_BASIC: String(REQUESTS_PER_MINUTE) } },
  });
  api = createRestClient(platform.gatewayUrl);
  for (const [action, row] of Object.entries(ROWS) as Array<[AuditAction, Row]>) performed.set(action, await row(api));
});

afterAll(async () => {
  await platform?.stop();
});

describe('the audit catalogue, through the gateway', () => {
  it('has a row for every action, or says where the action is shown', () => {
    const unaccounted = AUDIT_ACTION_NAMES.filter((action) => !(action in ROWS) && !(action in COVERED_ELSEWHERE));
    expect(unaccounted).toEqual([]);
    const twice = Object.keys(COVERED_ELSEWHERE).filter((action) => action in ROWS);
    expect(twice).toEqual([]);
  });

  it.each(Object.keys(ROWS) as AuditAction[])('%s appears exactly once in the acting tenant’s log, with its actor and outcome', async (action) => {
    const expected = performed.get(action);
    if (expected === undefined) throw new Error(`${action} was not performed`);
    await eventually(async () => {
      expect(await logged(expected.tenantId, action)).toHaveLength(1);
    }, 30_000);
    expect(await logged(expected.tenantId, action)).toEqual([
      { tenant_id: expected.tenantId, actor_id: expected.actorId, outcome: expected.outcome },
    ]);
  });
});

describe('refusals the gateway answers itself', () => {
  it('are logged once each as access.denied in the caller’s tenant, naming the route and the refusal', async () => {
    const owner = await signUp(api, 'cat-gw-denied');
    const other = await signUp(api, 'cat-gw-other');
    refused(await api.call('GET', `/v1/orgs/${owner.orgId}`, { token: owner.tokens.accessToken, headers: { 'x-tenant-id': other.orgId } }), 403);
    refused(await call(owner, 'GET', `/v1/platform/audit/events?tenantId=${other.orgId}`), 403);
    const codes = async () =>
      withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
        (
          await client.query<{ actor_id: string; code: string; route: string }>(
            `SELECT actor_id, event -> 'metadata' ->> 'errorCode' AS code, event -> 'metadata' ->> 'route' AS route FROM audit_events WHERE tenant_id = $1 AND action = 'access.denied' ORDER BY seq`,
            [owner.orgId],
          )
        ).rows,
      );
    await eventually(async () => expect(await codes()).toHaveLength(2), 30_000);
    expect(await codes()).toEqual([
      { actor_id: owner.userId, code: 'TENANT_MISMATCH', route: 'GET /v1/orgs/:orgId' },
      { actor_id: owner.userId, code: 'PLATFORM_ROLE_REQUIRED', route: 'GET /v1/platform/audit/events' },
    ]);
    // Nothing lands in the organization whose id was named.
    expect(await logged(other.orgId, 'access.denied')).toEqual([]);
  });
});
