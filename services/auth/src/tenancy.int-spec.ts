import { randomBytes } from 'node:crypto';
import { AuthServiceClient, type TokenPair } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { loadDevstackEnv, rejection, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { bearerMetadata, encodeInvitationToken } from '@bulkhead/tokens';
import { decodeJwt } from 'jose';
import { startAuthServer } from './auth.server';
import { startAuthFixture, type AuthFixture } from './testing/auth.fixture';

const devstack = loadDevstackEnv();
const PASSWORD = 'correct horse battery staple';

let fx: AuthFixture;

interface Person {
  email: string;
  userId: string;
  orgId: string;
  slug: string;
  tokens: TokenPair;
}

const uniqueEmail = (label: string): string => `${label}-${randomBytes(6).toString('hex')}@example.test`;
const uniqueName = (label: string): string => `${label} ${randomBytes(4).toString('hex')}`;
const as = (token: string) => ({ metadata: bearerMetadata(token) });

async function signUp(label: string, organizationName = uniqueName(label), requestId?: string): Promise<Person> {
  const email = uniqueEmail(label);
  const reply = await fx.auth.signUp({ email, password: PASSWORD, name: `${label} person`, organizationName }, { requestId });
  if (reply.user === undefined || reply.organization === undefined || reply.tokens === undefined) throw new Error('incomplete sign-up reply');
  return { email, userId: reply.user.id, orgId: reply.organization.id, slug: reply.organization.slug, tokens: reply.tokens };
}

/** Puts `person` into `orgId` with `role` (directly: invitations have their own tests) and answers their token there. */
async function join(person: Person, orgId: string, role: string): Promise<string> {
  await fx.owner.query('INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [orgId, person.userId, role]);
  return tokenIn(person, orgId);
}

async function tokenIn(person: Person, orgId: string): Promise<string> {
  return ((await fx.auth.switchOrg({ organizationId: orgId }, as(person.tokens.accessToken))).tokens as TokenPair).accessToken;
}

async function roleOf(orgId: string, userId: string): Promise<string | undefined> {
  const { rows } = await fx.owner.query<{ role: string }>('SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2', [orgId, userId]);
  return rows[0]?.role;
}

beforeAll(async () => {
  fx = await startAuthFixture(toServiceEnvironment(devstack), `${workspaceRoot()}/services`);
});

afterAll(async () => {
  await fx.stop();
});

beforeEach(() => {
  fx.org.failWith = undefined;
  fx.org.grantedRole = 'member';
});

describe('organization provisioning', () => {
  it('sign-up provisions the org at the org service with a one-minute service token for the new org', async () => {
    const name = uniqueName('Acme Corp.');
    const requestId = `req-${randomBytes(6).toString('hex')}`;
    const alice = await signUp('alice', name, requestId);
    expect(alice.slug).toBe(name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, ''));
    const call = fx.org.calls.find((c) => c.method === 'provisionOrganization' && c.principal.tenantId === alice.orgId);
    expect(call).toBeDefined();
    expect(call?.request).toEqual({ name, slug: alice.slug });
    expect(call?.requestId).toBe(requestId);
    expect(call?.principal).toMatchObject({ type: 'service', subject: 'auth', role: 'service', tenantId: alice.orgId, scopes: [] });
    const claims = decodeJwt(call?.token ?? '');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(60);
    const { rows } = await fx.owner.query('SELECT slug FROM organizations WHERE id = $1', [alice.orgId]);
    expect(rows).toEqual([{ slug: alice.slug }]);
  });

  it('org service down → sign-up is UNAVAILABLE naming org, and no user, org or membership remains', async () => {
    const cutOff = await startAuthServer(
      { ...fx.config, ORG_GRPC_ADDRESS: '127.0.0.1:1' },
      { logger: createLogger({ service: 'auth-int', level: 'silent' }), registry: createMetricsRegistry('auth') },
    );
    const client = createGrpcClient(AuthServiceClient, `127.0.0.1:${cutOff.port}`, { defaultDeadlineMs: 10_000 });
    try {
      const email = uniqueEmail('down');
      const name = uniqueName('down org');
      const error = await rejection(client.signUp({ email, password: PASSWORD, name: 'Down', organizationName: name }));
      expect(error).toMatchObject({ kind: 'UNAVAILABLE', details: { dependency: 'org' } });
      expect((await fx.owner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email])).rows).toHaveLength(0);
      expect((await fx.owner.query('SELECT 1 FROM organizations WHERE name = $1', [name])).rows).toHaveLength(0);
    } finally {
      closeGrpcClient(client);
      await cutOff.stop(500);
    }
  });

  it('an error from the org service rolls sign-up back too, and passes through', async () => {
    fx.org.failWith = new AppError({ kind: 'FAILED_PRECONDITION', code: 'PROVISION_REFUSED', message: 'no' });
    const email = uniqueEmail('refused');
    const error = await rejection(fx.auth.signUp({ email, password: PASSWORD, name: 'R', organizationName: uniqueName('refused') }));
    expect(error).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'PROVISION_REFUSED' });
    expect((await fx.owner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email])).rows).toHaveLength(0);
  });

  it('CreateOrganization: a chosen slug, a taken one (ALREADY_EXISTS naming slug), a derived one with a suffix on collision; then SwitchOrg', async () => {
    const bob = await signUp('bob');
    const slug = `bob-${randomBytes(4).toString('hex')}`;
    const created = (await fx.auth.createOrganization({ name: 'Bob Two', slug }, as(bob.tokens.accessToken))).organization;
    expect(created).toMatchObject({ name: 'Bob Two', slug });
    expect(fx.org.calls.at(-1)?.principal.tenantId).toBe(created?.id);

    const taken = await rejection(fx.auth.createOrganization({ name: 'Bob Three', slug }, as(bob.tokens.accessToken)));
    expect(taken).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'SLUG_TAKEN' });
    expect(taken.fieldViolations.map((v) => v.field)).toEqual(['slug']);
    expect((await fx.owner.query("SELECT 1 FROM organizations WHERE name = 'Bob Three' AND created_by = $1", [bob.userId])).rows).toHaveLength(0);

    const derived = (await fx.auth.createOrganization({ name: slug.toUpperCase(), slug: '' }, as(bob.tokens.accessToken))).organization;
    expect(derived?.slug).toMatch(new RegExp(`^${slug}-[a-z0-9]{6}$`));

    const bad = await rejection(fx.auth.createOrganization({ name: 'x', slug: '-Nope-' }, as(bob.tokens.accessToken)));
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(['slug']);

    const switched = decodeJwt(await tokenIn(bob, created?.id ?? ''));
    expect(switched).toMatchObject({ tid: created?.id, role: 'owner' });
  });
});

describe('AcceptInvitation', () => {
  it('joins the inviting org with the role the org service grants, then SwitchOrg works; a second time is ALREADY_MEMBER', async () => {
    const alice = await signUp('inviter');
    const bob = await signUp('invitee');
    const token = encodeInvitationToken(alice.orgId);
    fx.org.grantedRole = 'admin';
    const reply = await fx.auth.acceptInvitation({ token }, as(bob.tokens.accessToken));
    expect(reply.membership).toEqual({ organizationId: alice.orgId, organizationName: expect.any(String), role: 'admin' });
    const call = fx.org.calls.at(-1);
    expect(call).toMatchObject({ method: 'redeemInvitation', principal: { type: 'service', tenantId: alice.orgId } });
    expect(call?.request).toEqual({ token, userId: bob.userId, email: bob.email, memberCount: 1 });
    expect(decodeJwt(await tokenIn(bob, alice.orgId))).toMatchObject({ tid: alice.orgId, role: 'admin' });

    const callsBefore = fx.org.calls.length;
    const again = await rejection(fx.auth.acceptInvitation({ token }, as(bob.tokens.accessToken)));
    expect(again).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'ALREADY_MEMBER' });
    expect(fx.org.calls).toHaveLength(callsBefore);
  });

  it.each([
    ['a full organization', new AppError({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED', message: 'full', details: { limit: 'members', plan: 'basic' } })],
    ['an expired invitation', new AppError({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_EXPIRED', message: 'expired' })],
    ['an email mismatch', new AppError({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_EMAIL_MISMATCH', message: 'not you' })],
  ])('%s: the org service error passes through unchanged and no membership is added', async (_what, failure) => {
    const alice = await signUp('inviter');
    const bob = await signUp('invitee');
    fx.org.failWith = failure;
    const error = await rejection(fx.auth.acceptInvitation({ token: encodeInvitationToken(alice.orgId) }, as(bob.tokens.accessToken)));
    expect(error).toMatchObject({ kind: failure.kind, code: failure.code, details: failure.details });
    expect(await roleOf(alice.orgId, bob.userId)).toBeUndefined();
  });

  it('a malformed token is INVALID_ARGUMENT naming token; an unknown org is NOT_FOUND', async () => {
    const bob = await signUp('invitee');
    const bad = await rejection(fx.auth.acceptInvitation({ token: 'bhi_nope' }, as(bob.tokens.accessToken)));
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(['token']);
    const unknown = await rejection(fx.auth.acceptInvitation({ token: encodeInvitationToken('00000000-0000-7000-8000-000000000000') }, as(bob.tokens.accessToken)));
    expect(unknown).toMatchObject({ kind: 'NOT_FOUND', code: 'INVITATION_NOT_FOUND' });
  });
});

describe('MembershipService', () => {
  it('lists members oldest first with cursor pages and the total; GetMember', async () => {
    const alice = await signUp('lister');
    const others = [await signUp('m1'), await signUp('m2')];
    for (const person of others) await join(person, alice.orgId, 'viewer');
    const first = await fx.membership.listMembers({ page: { pageSize: 2, cursor: '' } }, as(alice.tokens.accessToken));
    expect(first.total).toBe(3);
    expect(first.items.map((m) => m.userId)).toEqual([alice.userId, others[0]?.userId]);
    const second = await fx.membership.listMembers({ page: { pageSize: 2, cursor: first.page?.nextCursor ?? '' } }, as(alice.tokens.accessToken));
    expect(second.items.map((m) => m.userId)).toEqual([others[1]?.userId]);
    expect(second.page?.nextCursor).toBe('');
    const member = await fx.membership.getMember({ userId: others[0]?.userId ?? '' }, as(alice.tokens.accessToken));
    expect(member.member).toMatchObject({ email: others[0]?.email, role: 'viewer' });
    expect(member.member?.joinedAt).toBeDefined();
  });

  it('the last owner can be neither demoted nor removed; a second owner can', async () => {
    const alice = await signUp('sole');
    const demote = await rejection(fx.membership.changeMemberRole({ userId: alice.userId, role: 'admin' }, as(alice.tokens.accessToken)));
    expect(demote).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'LAST_OWNER' });
    const leave = await rejection(fx.membership.removeMember({ userId: alice.userId }, as(alice.tokens.accessToken)));
    expect(leave).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'LAST_OWNER' });
    expect(await roleOf(alice.orgId, alice.userId)).toBe('owner');

    const bob = await signUp('second');
    await join(bob, alice.orgId, 'owner');
    await fx.membership.changeMemberRole({ userId: alice.userId, role: 'admin' }, as(alice.tokens.accessToken));
    expect(await roleOf(alice.orgId, alice.userId)).toBe('admin');
  });

  it('two owners demoting each other at once leave exactly one owner', async () => {
    const alice = await signUp('race-a');
    const bob = await signUp('race-b');
    const bobToken = await join(bob, alice.orgId, 'owner');
    const outcomes = await Promise.allSettled([
      fx.membership.changeMemberRole({ userId: bob.userId, role: 'member' }, as(alice.tokens.accessToken)),
      fx.membership.changeMemberRole({ userId: alice.userId, role: 'member' }, as(bobToken)),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failed = outcomes.find((o) => o.status === 'rejected');
    expect((failed as PromiseRejectedResult).reason).toMatchObject({ code: expect.stringMatching(/^(LAST_OWNER|PERMISSION_DENIED)$/) });
    const { rows } = await fx.owner.query("SELECT count(*)::int AS n FROM memberships WHERE organization_id = $1 AND role = 'owner'", [alice.orgId]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('an admin manages members but cannot grant owner nor touch an owner; a viewer cannot manage; bad role names the field', async () => {
    const alice = await signUp('boss');
    const admin = await signUp('admin');
    const viewer = await signUp('viewer');
    const adminToken = await join(admin, alice.orgId, 'admin');
    const viewerToken = await join(viewer, alice.orgId, 'viewer');

    const grant = await rejection(fx.membership.changeMemberRole({ userId: viewer.userId, role: 'owner' }, as(adminToken)));
    expect(grant).toMatchObject({ kind: 'PERMISSION_DENIED', details: { permission: 'members.grantOwner' } });
    expect((await rejection(fx.membership.changeMemberRole({ userId: alice.userId, role: 'viewer' }, as(adminToken)))).kind).toBe('PERMISSION_DENIED');
    expect((await rejection(fx.membership.removeMember({ userId: alice.userId }, as(adminToken)))).kind).toBe('PERMISSION_DENIED');
    expect(await roleOf(alice.orgId, alice.userId)).toBe('owner');

    const changed = await fx.membership.changeMemberRole({ userId: viewer.userId, role: 'member' }, as(adminToken));
    expect(changed.member).toMatchObject({ userId: viewer.userId, role: 'member' });
    expect((await rejection(fx.membership.changeMemberRole({ userId: admin.userId, role: 'viewer' }, as(viewerToken)))).kind).toBe('PERMISSION_DENIED');

    const badRole = await rejection(fx.membership.changeMemberRole({ userId: viewer.userId, role: 'emperor' }, as(adminToken)));
    expect(badRole.fieldViolations.map((v) => v.field)).toEqual(['role']);
  });

  it('removing a member (or leaving) ends their sessions in that org, in the database and at once for their tokens', async () => {
    const alice = await signUp('remover');
    const bob = await signUp('removed');
    const carol = await signUp('leaver');
    const bobToken = await join(bob, alice.orgId, 'member');
    const carolToken = await join(carol, alice.orgId, 'member');

    await fx.membership.removeMember({ userId: bob.userId }, as(alice.tokens.accessToken));
    expect(await roleOf(alice.orgId, bob.userId)).toBeUndefined();
    expect((await rejection(fx.auth.getMe({}, as(bobToken)))).code).toBe('TOKEN_REVOKED');
    const { rows } = await fx.owner.query('SELECT revoked_reason FROM sessions WHERE id = $1', [decodeJwt(bobToken)['sid']]);
    expect(rows).toEqual([{ revoked_reason: 'membership_removed' }]);

    await fx.membership.removeMember({ userId: carol.userId }, as(carolToken));
    expect(await roleOf(alice.orgId, carol.userId)).toBeUndefined();
    expect(await roleOf(alice.orgId, alice.userId)).toBe('owner');
  });

  it('UpdateOrganization renames and re-slugs (a taken slug is ALREADY_EXISTS); ResolveSlug finds it; DeleteOrganization is the owner’s and ends its sessions', async () => {
    const alice = await signUp('renamer');
    const other = await signUp('other');
    const admin = await signUp('orgadmin');
    const adminToken = await join(admin, alice.orgId, 'admin');
    const slug = `renamed-${randomBytes(4).toString('hex')}`;
    await fx.membership.updateOrganization({ name: 'Renamed', slug }, as(adminToken));
    expect((await fx.owner.query('SELECT name, slug FROM organizations WHERE id = $1', [alice.orgId])).rows).toEqual([{ name: 'Renamed', slug }]);
    const taken = await rejection(fx.membership.updateOrganization({ slug: other.slug }, as(alice.tokens.accessToken)));
    expect(taken).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'SLUG_TAKEN' });
    expect((await fx.membership.resolveSlug({ slug }, as(other.tokens.accessToken))).organizationId).toBe(alice.orgId);
    expect(await rejection(fx.membership.resolveSlug({ slug: `none-${slug}` }, as(alice.tokens.accessToken)))).toMatchObject({
      kind: 'NOT_FOUND',
      code: 'ORGANIZATION_NOT_FOUND',
    });

    expect((await rejection(fx.membership.deleteOrganization({}, as(adminToken)))).kind).toBe('PERMISSION_DENIED');
    await fx.membership.deleteOrganization({}, as(alice.tokens.accessToken));
    expect((await fx.owner.query('SELECT 1 FROM organizations WHERE id = $1', [alice.orgId])).rows).toHaveLength(0);
    expect((await fx.owner.query('SELECT 1 FROM memberships WHERE organization_id = $1', [alice.orgId])).rows).toHaveLength(0);
    expect((await rejection(fx.auth.getMe({}, as(alice.tokens.accessToken)))).code).toBe('TOKEN_REVOKED');
    expect((await rejection(fx.auth.getMe({}, as(adminToken)))).code).toBe('TOKEN_REVOKED');
    // The admin's session had switched to the deleted org, so it ended; signing in again lands in their own org.
    const login = (await fx.auth.login({ email: admin.email, password: PASSWORD, organizationId: '' })).tokens as TokenPair;
    expect(login.organizationId).toBe(admin.orgId);
    await expect(fx.auth.getMe({}, as(login.accessToken))).resolves.toMatchObject({ organizationId: admin.orgId });
  });

  it('cross-tenant: a user of org B with ids of org A gets NOT_FOUND, and A is unchanged', async () => {
    const a = await signUp('tenant-a');
    const aMember = await signUp('a-member');
    await join(aMember, a.orgId, 'member');
    const b = await signUp('tenant-b');

    for (const userId of [a.userId, aMember.userId]) {
      expect((await rejection(fx.membership.getMember({ userId }, as(b.tokens.accessToken)))).kind).toBe('NOT_FOUND');
      expect((await rejection(fx.membership.changeMemberRole({ userId, role: 'viewer' }, as(b.tokens.accessToken)))).kind).toBe('NOT_FOUND');
      expect((await rejection(fx.membership.removeMember({ userId }, as(b.tokens.accessToken)))).kind).toBe('NOT_FOUND');
    }
    expect(await roleOf(a.orgId, a.userId)).toBe('owner');
    expect(await roleOf(a.orgId, aMember.userId)).toBe('member');
    const listed = await fx.membership.listMembers({}, as(b.tokens.accessToken));
    expect(listed.items.map((m) => m.userId)).toEqual([b.userId]);
    expect(listed.total).toBe(1);
  });

  it('refuses service tokens on every RPC', async () => {
    const alice = await signUp('svc');
    const serviceToken = fx.org.calls.find((c) => c.principal.tenantId === alice.orgId)?.token ?? '';
    expect(decodeJwt(serviceToken)).toMatchObject({ pty: 'service', tid: alice.orgId });
    const calls: Array<Promise<unknown>> = [
      fx.membership.listMembers({}, as(serviceToken)),
      fx.membership.getMember({ userId: alice.userId }, as(serviceToken)),
      fx.membership.changeMemberRole({ userId: alice.userId, role: 'viewer' }, as(serviceToken)),
      fx.membership.removeMember({ userId: alice.userId }, as(serviceToken)),
      fx.membership.updateOrganization({ name: 'taken over' }, as(serviceToken)),
      fx.membership.deleteOrganization({}, as(serviceToken)),
      fx.membership.resolveSlug({ slug: alice.slug }, as(serviceToken)),
    ];
    for (const call of calls) expect((await rejection(call)).kind).toBe('PERMISSION_DENIED');
    expect(await roleOf(alice.orgId, alice.userId)).toBe('owner');
  });
});
