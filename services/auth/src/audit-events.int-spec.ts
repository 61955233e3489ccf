import { randomBytes, randomUUID } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { FORWARDED_BY_METADATA_KEY, type AuditEvent } from '@bulkhead/audit';
import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY, type TokenPair } from '@bulkhead/contracts';
import { REQUEST_ID_METADATA_KEY } from '@bulkhead/grpc-kit';
import { auditOutboxEvents, loadDevstackEnv, rejection, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { bearerMetadata, encodeInvitationToken } from '@bulkhead/tokens';
import { startAuthFixture, type AuthFixture } from './testing/auth.fixture';

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const PASSWORD = 'correct horse battery staple';
let fx: AuthFixture;

/** A tenant's events still in the identity database's outbox, oldest first. */
const outbox = async (tenantId: string): Promise<AuditEvent[]> =>
  (await auditOutboxEvents([environment['IDENTITY_DATABASE_OWNER_URL'] ?? ''], tenantId)) as AuditEvent[];
const actions = async (tenantId: string): Promise<string[]> => (await outbox(tenantId)).map((event) => event.action);

/** Metadata as the gateway sends it: the token, the client's address and user agent, a request id. */
function fromGateway(token?: string): { metadata: Metadata } {
  const metadata = token === undefined ? new Metadata() : bearerMetadata(token);
  metadata.set(CLIENT_IP_METADATA_KEY, '192.0.2.44');
  metadata.set(CLIENT_USER_AGENT_METADATA_KEY, 'spec-agent/2');
  metadata.set(REQUEST_ID_METADATA_KEY, `req-${randomBytes(4).toString('hex')}`);
  return { metadata };
}

async function signUp(label: string): Promise<{ email: string; userId: string; orgId: string; tokens: TokenPair }> {
  const email = `${label}-${randomBytes(6).toString('hex')}@example.test`;
  const reply = await fx.auth.signUp({ email, password: PASSWORD, name: `${label} person`, organizationName: `${label} org` }, fromGateway());
  if (reply.user === undefined || reply.organization === undefined || reply.tokens === undefined) throw new Error('incomplete sign-up reply');
  return { email, userId: reply.user.id, orgId: reply.organization.id, tokens: reply.tokens };
}

beforeAll(async () => {
  fx = await startAuthFixture(environment, `${workspaceRoot()}/services`, { LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', LOGIN_MAX_ATTEMPTS_PER_IP: '100000' });
});

afterAll(async () => {
  await fx.stop();
});

describe('auth events, each in the transaction of its change', () => {
  it('sign-up, sign-in, a failed and a throttled sign-in, a refresh, sign-out and refresh reuse, with actor, client and no secret', async () => {
    const ann = await signUp('ann');
    const login = await fx.auth.login({ email: ann.email, password: PASSWORD, organizationId: '' }, fromGateway());
    await rejection(fx.auth.login({ email: ann.email, password: 'wrong password!', organizationId: '' }, fromGateway()));
    await rejection(fx.auth.login({ email: ann.email, password: 'wrong password!', organizationId: '' }, fromGateway()));
    const throttled = await rejection(fx.auth.login({ email: ann.email, password: PASSWORD, organizationId: '' }, fromGateway()));
    expect(throttled).toMatchObject({ kind: 'RATE_LIMITED' });
    // An unknown email has no tenant: nothing is written anywhere for it (ADR 0005).
    await rejection(fx.auth.login({ email: `nobody-${randomBytes(4).toString('hex')}@example.test`, password: PASSWORD, organizationId: '' }, fromGateway()));
    const refreshToken = login.tokens?.refreshToken ?? '';
    await fx.auth.refresh({ refreshToken }, fromGateway());
    await rejection(fx.auth.refresh({ refreshToken }, fromGateway())); // reuse: the family is revoked
    await fx.auth.logout({}, fromGateway(ann.tokens.accessToken));

    const events = await outbox(ann.orgId);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['auth.signed_up', 'success'],
      ['auth.login_succeeded', 'success'],
      ['auth.login_failed', 'failed'],
      ['auth.login_failed', 'failed'],
      ['auth.login_failed', 'failed'],
      ['auth.token_refreshed', 'success'],
      ['auth.refresh_reuse_detected', 'denied'],
      ['auth.logged_out', 'success'],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ tenantId: ann.orgId, actor: { type: 'user', id: ann.userId }, ip: '192.0.2.44', userAgent: 'spec-agent/2' });
      expect(event.requestId).toMatch(/^req-/);
    }
    expect(events[0]?.changes?.after).toMatchObject({ email: ann.email, organization: { id: ann.orgId } });
    expect(events.map((e) => e.metadata?.['reason']).filter(Boolean)).toEqual(['invalid_credentials', 'invalid_credentials', 'throttled']);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
    expect(JSON.stringify(events)).not.toContain(refreshToken);
  });

  it('a sign-in to an organization the user is not in is recorded in their own organization, not the one named', async () => {
    const ann = await signUp('ann2');
    const bob = await signUp('bob2');
    await rejection(fx.auth.login({ email: ann.email, password: PASSWORD, organizationId: bob.orgId }, fromGateway()));
    expect(await actions(bob.orgId)).toEqual(['auth.signed_up']);
    expect((await outbox(ann.orgId)).at(-1)).toMatchObject({
      action: 'auth.login_failed',
      metadata: { reason: 'not_a_member', targetOrganizationId: bob.orgId },
    });
  });

  it('API keys created and revoked (once, however often revoked), organizations created, invitations accepted, members changed and removed', async () => {
    const owner = await signUp('owner');
    const created = await fx.auth.createApiKey({ name: 'ci', role: 'member', scopes: [], projectId: '' }, fromGateway(owner.tokens.accessToken));
    const keyId = created.apiKey?.id ?? '';
    await fx.auth.revokeApiKey({ id: keyId }, fromGateway(owner.tokens.accessToken));
    await fx.auth.revokeApiKey({ id: keyId }, fromGateway(owner.tokens.accessToken));

    const joiner = await signUp('joiner');
    fx.org.grantedRole = 'member';
    await fx.auth.acceptInvitation({ token: encodeInvitationToken(owner.orgId) }, fromGateway(joiner.tokens.accessToken));
    await fx.membership.changeMemberRole({ userId: joiner.userId, role: 'admin' }, fromGateway(owner.tokens.accessToken));
    // The last owner cannot be demoted: refused, rolled back, no member.role_changed.
    await rejection(fx.membership.changeMemberRole({ userId: owner.userId, role: 'member' }, fromGateway(owner.tokens.accessToken)));
    await fx.membership.removeMember({ userId: joiner.userId }, fromGateway(owner.tokens.accessToken));

    const second = await fx.auth.createOrganization({ name: 'Second org', slug: '' }, fromGateway(owner.tokens.accessToken));
    const secondId = second.organization?.id ?? '';

    const events = await outbox(owner.orgId);
    expect(events.map((e) => e.action)).toEqual([
      'auth.signed_up',
      'api_key.created',
      'api_key.revoked',
      'invitation.accepted',
      'member.added',
      'member.role_changed',
      'member.removed',
    ]);
    const [, keyCreated, keyRevoked, accepted, added, changed, removed] = events;
    expect(keyCreated).toMatchObject({ actor: { type: 'user', id: owner.userId }, resource: { type: 'api_key', id: keyId }, changes: { after: { name: 'ci', role: 'member' } } });
    expect(JSON.stringify(keyCreated)).not.toContain(created.secret);
    expect(keyRevoked).toMatchObject({ resource: { type: 'api_key', id: keyId } });
    expect(accepted).toMatchObject({ actor: { type: 'user', id: joiner.userId }, resource: { type: 'invitation', id: fx.org.invitationId }, metadata: { userId: joiner.userId, role: 'member' } });
    expect(added).toMatchObject({ actor: { type: 'user', id: joiner.userId }, resource: { type: 'member', id: joiner.userId }, changes: { after: { role: 'member' } } });
    expect(changed).toMatchObject({ actor: { type: 'user', id: owner.userId }, changes: { before: { role: 'member' }, after: { role: 'admin' } } });
    expect(removed).toMatchObject({ resource: { type: 'member', id: joiner.userId }, changes: { before: { role: 'admin' } }, metadata: { left: false } });
    expect(await outbox(secondId)).toEqual([
      expect.objectContaining({ action: 'org.created', actor: { type: 'user', id: owner.userId }, resource: { type: 'organization', id: secondId } }),
    ]);
  });
});

describe('access.denied in auth', () => {
  it('a 403 and a 404 to a user are one event each in their tenant; the same refusal to a service calling for its client is left to that service', async () => {
    const owner = await signUp('guard');
    const member = await signUp('intruder');
    fx.org.grantedRole = 'member';
    await fx.auth.acceptInvitation({ token: encodeInvitationToken(owner.orgId) }, fromGateway(member.tokens.accessToken));
    const switched = await fx.auth.switchOrg({ organizationId: owner.orgId }, fromGateway(member.tokens.accessToken));
    const memberToken = switched.tokens?.accessToken ?? '';
    // The switch is recorded in the organization switched to, not in the one left.
    expect((await outbox(owner.orgId)).at(-1)).toMatchObject({ action: 'auth.org_switched', actor: { type: 'user', id: member.userId }, outcome: 'success' });
    expect(await actions(member.orgId)).not.toContain('auth.org_switched');
    const before = (await outbox(owner.orgId)).length;

    expect(await rejection(fx.auth.createApiKey({ name: 'x', role: 'member', scopes: [], projectId: '' }, fromGateway(memberToken)))).toMatchObject({
      kind: 'PERMISSION_DENIED',
    });
    const stranger = randomUUID();
    expect(await rejection(fx.membership.getMember({ userId: stranger }, fromGateway(memberToken)))).toMatchObject({ kind: 'NOT_FOUND' });
    const forwarded = fromGateway(memberToken);
    forwarded.metadata.set(FORWARDED_BY_METADATA_KEY, 'org');
    await rejection(fx.membership.changeMemberRole({ userId: owner.userId, role: 'member' }, forwarded));

    const events = (await outbox(owner.orgId)).slice(before);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'access.denied',
        outcome: 'denied',
        actor: { type: 'user', id: member.userId },
        resource: { type: 'CreateApiKey' },
        metadata: { rpc: '/bulkhead.auth.v1.AuthService/CreateApiKey', errorKind: 'PERMISSION_DENIED', errorCode: expect.any(String) },
      }),
      expect.objectContaining({
        action: 'access.denied',
        resource: { type: 'member', id: stranger },
        metadata: expect.objectContaining({ errorKind: 'NOT_FOUND' }),
      }),
    ]);
  });
});
